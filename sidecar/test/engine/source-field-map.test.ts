// A source that brings its own field map (Salesforce's object maps): its runs, Test
// connection and previews map with those rows, never with the site attribute map.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type {
  CanonicalUser,
  Connector,
  PullOptions,
  SourcePage,
} from '../../src/connectors/types.js';
import { SyncEngine } from '../../src/engine/index.js';
import type { SourceConnection } from '../../src/engine/types.js';
import { createLogger } from '../../src/logger.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { AttributeMapping } from '../../src/wordpress/types.js';
import { FakeWordPress } from './fake-wordpress.js';

const row = (source: string, target: string): AttributeMapping => ({
  source,
  target,
  direction: 'inbound',
  transform: 'none',
  default: null,
});

const people: CanonicalUser[] = [
  {
    externalId: '003A',
    attributes: { Email: 'ada@example.com', LastName: 'Lovelace', Phone: '1' },
    active: true,
  },
  {
    externalId: '003B',
    attributes: { Email: 'alan@example.com', LastName: 'Turing', Phone: '2' },
    active: true,
  },
];

class OwnMapSource implements Connector {
  readonly kind = 'own-map';
  readonly attributeMap = [
    row('Email', 'user_login'),
    row('Email', 'user_email'),
    row('LastName', 'last_name'),
    row('Phone', 'meta:phone'),
  ];
  seen: PullOptions[] = [];
  async *pull(_cursor: string | null, options: PullOptions): AsyncIterable<SourcePage> {
    this.seen.push(options);
    yield { upserts: people, deletes: [], nextCursor: 'done', full: true };
  }
  fullScan(options: PullOptions) {
    return this.pull(null, options);
  }
  async testConnection(options: PullOptions) {
    this.seen.push(options);
    return { ok: true, checks: [], missingPermissions: [] };
  }
  async getUser(lookup: string) {
    return people.find((p) => p.externalId === lookup) ?? null;
  }
}

describe('a source with its own field map', () => {
  it('maps runs, previews and Test connection with it instead of the site attribute map', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-own-map-'));
    const store = new SqliteStore(path.join(dir, 'sidecar.sqlite'));
    await store.migrate();
    const wordpress = new FakeWordPress();
    const source: SourceConnection = {
      slug: 'crm',
      name: 'CRM',
      type: 'own-map',
      enabled: true,
      schedule: null,
      photos: false,
      settings: {},
    };
    wordpress.connections = [source];
    const connector = new OwnMapSource();
    const engine = new SyncEngine({
      store,
      wordpress: wordpress.gateway(),
      logger: createLogger('silent'),
      schedules: false,
      connectors: () => connector,
    });
    await engine.start();
    try {
      const { run } = await engine.requestRun('crm', { trigger: 'on-demand' });
      const done = await engine.waitForRun(run.id);
      assert.equal(done?.state, 'succeeded', done?.error ?? '');
      const ada = wordpress.byExternalId('crm', '003A')!;
      assert.equal(ada.login, 'ada@example.com');
      assert.equal(ada.lastName, 'Lovelace');
      assert.equal(ada.meta.phone, '1');
      // The run asked the source for the paths of its own rows, not the site map's SCIM paths.
      assert.deepEqual([...new Set(connector.seen[0]!.attributes)].sort(), [
        'Email',
        'LastName',
        'Phone',
      ]);

      await engine.testConnection('crm');
      assert.deepEqual([...new Set(connector.seen.at(-1)!.attributes)].sort(), [
        'Email',
        'LastName',
        'Phone',
      ]);

      const preview = await engine.previewUser('crm', '003B');
      assert.equal(preview.login, 'alan@example.com');
      assert.equal(preview.fields?.lastName, 'Turing');
    } finally {
      await engine.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
