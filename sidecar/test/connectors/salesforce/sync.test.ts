// Runs of the sync engine over a Salesforce connection (the Salesforce emulator, a real
// store, the in-memory WordPress): Contacts become WordPress users through the object map's
// field rows, a run with no change writes nothing, deletions, undeletions and merges move
// the users, and throttling that outlasts a run's patience interrupts it, the resumed run
// finishing from the saved cursor with no user missing or doubled.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { startSalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import { SalesforceConnector } from '../../../src/connectors/salesforce/index.js';
import { SyncEngine } from '../../../src/engine/index.js';
import type { RunView } from '../../../src/engine/index.js';
import type { SourceConnection } from '../../../src/engine/types.js';
import { SqliteStore } from '../../../src/store/sqlite/index.js';
import { FakeWordPress } from '../../engine/fake-wordpress.js';
import { fastRetry, logger, settingsFor } from './support.js';

interface Setup {
  emulator: SalesforceEmulator;
  wordpress: FakeWordPress;
  engine: SyncEngine;
  sync(): Promise<RunView>;
  close(): Promise<void>;
}

let current: Setup | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function setup(contacts: number, settings: Record<string, unknown> = {}): Promise<Setup> {
  const emulator = await startSalesforceEmulator({ seed: 'engine' });
  for (let i = 0; i < contacts; i++) {
    emulator.advance(1000);
    emulator.seed({ contacts: 1, from: i });
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-salesforce-'));
  const store = new SqliteStore(path.join(dir, 'sidecar.sqlite'));
  await store.migrate();
  const wordpress = new FakeWordPress();
  const source: SourceConnection = {
    slug: 'acme-sf',
    name: 'Acme Salesforce',
    type: 'salesforce',
    enabled: true,
    schedule: null,
    photos: false,
    settings: settingsFor(emulator, settings),
    batchSize: 10,
  };
  wordpress.connections = [source];
  const engine = new SyncEngine({
    store,
    wordpress: wordpress.gateway(),
    logger,
    schedules: false,
    heartbeatMs: 50,
    patienceMs: 300,
    resumeBackoff: { baseMs: 50, maxMs: 100 },
    connectors: (src, log) =>
      new SalesforceConnector(src.settings, {
        logger: log,
        connection: src.slug,
        retry: fastRetry,
      }),
  });
  await engine.start();
  const s: Setup = {
    emulator,
    wordpress,
    engine,
    async sync() {
      const { run } = await engine.requestRun('acme-sf', { trigger: 'on-demand' });
      return (await engine.waitForRun(run.id))!;
    },
    async close() {
      await engine.stop();
      await store.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  current = s;
  return s;
}

const contactIds = (emulator: SalesforceEmulator) =>
  emulator.org
    .all('Contact')
    .filter((r) => !r.values.IsDeleted)
    .map((r) => r.id);

describe('engine runs over Salesforce', () => {
  it('creates a WordPress user per Contact from the object map, then writes nothing when nothing changed', async () => {
    const s = await setup(12);
    const first = await s.sync();
    assert.equal(first.state, 'succeeded', first.error ?? '');
    assert.equal(first.counts.created, 12);
    const linked = s.wordpress.linked('acme-sf');
    assert.equal(linked.length, 12);
    for (const id of contactIds(s.emulator)) {
      const record = s.emulator.record(id)!;
      const user = s.wordpress.byExternalId('acme-sf', id);
      assert.ok(user, `${String(record.Email)} is a WordPress user`);
      assert.equal(user.login, record.Email);
      assert.equal(user.email, record.Email);
      assert.equal(user.firstName, record.FirstName);
      assert.equal(user.lastName, record.LastName);
      assert.equal(user.meta.phone, record.Phone);
    }

    const writes = s.wordpress.writes;
    const second = await s.sync();
    assert.equal(second.state, 'succeeded', second.error ?? '');
    assert.equal(s.wordpress.writes, writes, 'no WordPress write');
    assert.equal(second.counts.created + second.counts.updated, 0);
  });

  it('disables a deleted Contact, enables it again when undeleted, and disables a merged loser', async () => {
    const s = await setup(4);
    assert.equal((await s.sync()).state, 'succeeded');
    const [a, winner, loser] = contactIds(s.emulator);
    s.emulator.advance(1000);
    s.emulator.delete(a!);
    assert.equal((await s.sync()).state, 'succeeded');
    assert.equal(s.wordpress.byExternalId('acme-sf', a!)!.active, false, 'deleted: disabled');

    s.emulator.advance(1000);
    s.emulator.undelete(a!);
    s.emulator.update(winner!, { Title: 'Kept' });
    s.emulator.merge(winner!, [loser!]);
    const run = await s.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(s.wordpress.byExternalId('acme-sf', a!)!.active, true, 'undeleted: enabled');
    assert.equal(s.wordpress.byExternalId('acme-sf', loser!)!.active, false, 'merged away');
    assert.equal(s.wordpress.byExternalId('acme-sf', winner!)!.active, true);
  });

  it('interrupts a run on lasting REQUEST_LIMIT_EXCEEDED and finishes it from the cursor', async () => {
    const s = await setup(30, { pageSize: 5 });
    let batches = 0;
    s.wordpress.beforeBatch = () => {
      batches++;
      if (batches === 2) s.emulator.fault({ status: 403, match: '/query', count: 1_000 });
    };
    const first = await s.sync();
    assert.equal(first.state, 'interrupted', first.error ?? '');
    assert.match(first.error ?? '', /REQUEST_LIMIT_EXCEEDED/);
    const before = s.wordpress.linked('acme-sf').length;
    assert.ok(before > 0 && before < 30, `${before} users applied before the stop`);
    s.emulator.clearFaults();
    // The engine resumes the interrupted run by itself.
    const deadline = Date.now() + 10_000;
    let runs: RunView[] = [];
    for (;;) {
      runs = await s.engine.listRuns({ source: 'acme-sf', limit: 5 });
      if (runs.some((r) => r.state === 'succeeded')) break;
      assert.ok(Date.now() < deadline, `resumed: ${JSON.stringify(runs.map((r) => r.state))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const users = s.wordpress.linked('acme-sf');
    assert.equal(users.length, 30, 'every Contact');
    assert.equal(new Set(users.map((u) => u.links.get('acme-sf'))).size, 30, 'none twice');
    assert.equal(s.wordpress.users.size, 30, 'no duplicate WordPress user');
  });
});
