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
import { contactsMap, fastRetry, logger, row_, settingsFor } from './support.js';

interface Setup {
  emulator: SalesforceEmulator;
  wordpress: FakeWordPress;
  engine: SyncEngine;
  /** Replaces the connection's object map (as an admin saving it). */
  setMap(map: Record<string, unknown>): void;
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
    setMap(map) {
      source.settings = settingsFor(emulator, { ...settings, objectMaps: [map] });
      wordpress.connections = [{ ...source }];
    },
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

  it('reconciles with a full listing when the recycle bin was emptied: the purged Contact is disabled', async () => {
    const s = await setup(4);
    assert.equal((await s.sync()).state, 'succeeded');
    assert.equal((await s.sync()).state, 'succeeded');
    const [gone] = contactIds(s.emulator);
    s.emulator.advance(1000);
    s.emulator.delete(gone!);
    s.emulator.org.purge(gone!);
    s.emulator.org.deleteLogPurgedBefore = s.emulator.org.clock.now();
    const run = await s.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(s.wordpress.byExternalId('acme-sf', gone!)!.active, false);
    assert.equal(s.wordpress.linked('acme-sf').filter((u) => u.active).length, 3);
  });

  it('leaves the WordPress value alone when a row ignoring empty values reads an empty field, and clears it on a row that propagates them', async () => {
    const ignorePhone = contactsMap({
      fields: [
        row_('user_email', 'Email'),
        row_('first_name', 'FirstName'),
        row_('last_name', 'LastName'),
        row_('user_login', 'Email', 'inbound'),
        { ...row_('meta:phone', 'Phone'), nulls: 'ignore' },
      ],
    });
    const s = await setup(2, { objectMaps: [ignorePhone] });
    assert.equal((await s.sync()).state, 'succeeded');
    const [id] = contactIds(s.emulator);
    const before = s.wordpress.byExternalId('acme-sf', id!)!;
    const phone = before.meta.phone;
    assert.ok(phone, 'the phone was pulled');
    assert.ok(before.firstName);
    s.emulator.advance(1000);
    s.emulator.update(id!, { Phone: null, FirstName: null, Title: 'Changed' });
    const run = await s.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    const after = s.wordpress.byExternalId('acme-sf', id!)!;
    assert.equal(after.meta.phone, phone, 'nulls ignore: the WordPress phone stays');
    assert.equal(after.firstName ?? '', '', 'nulls propagate: the first name is cleared');

    const preview = await s.engine.previewUser('acme-sf', id!);
    const meta = (preview.fields?.meta ?? {}) as Record<string, unknown>;
    assert.ok(!('phone' in meta), `Preview agrees: ${JSON.stringify(preview.fields)}`);
  });

  it('creates no WordPress user when pulls may not create, and updates no linked user when they may not update', async () => {
    const s = await setup(3);
    assert.equal((await s.sync()).state, 'succeeded');
    const [first] = contactIds(s.emulator);
    s.setMap(
      contactsMap({ operations: { create: ['push'], update: ['push', 'pull'], delete: [] } }),
    );
    s.emulator.advance(1000);
    s.emulator.seed({ contacts: 1, from: 100 });
    s.emulator.update(first!, { LastName: 'Renamed' });
    const noCreate = await s.sync();
    assert.equal(noCreate.state, 'succeeded', noCreate.error ?? '');
    assert.equal(noCreate.counts.created, 0);
    assert.equal(s.wordpress.users.size, 3, 'the new Contact has no WordPress user');
    assert.equal(noCreate.details.withheld?.create, 1, JSON.stringify(noCreate.details));
    assert.equal(s.wordpress.byExternalId('acme-sf', first!)!.lastName, 'Renamed', 'updated');

    s.setMap(
      contactsMap({ operations: { create: ['push', 'pull'], update: ['push'], delete: [] } }),
    );
    s.emulator.advance(1000);
    s.emulator.update(first!, { LastName: 'Again' });
    const noUpdate = await s.sync();
    assert.equal(noUpdate.state, 'succeeded', noUpdate.error ?? '');
    assert.equal(s.wordpress.byExternalId('acme-sf', first!)!.lastName, 'Renamed', 'not updated');
    assert.ok((noUpdate.details.withheld?.update ?? 0) >= 1, JSON.stringify(noUpdate.details));
    assert.equal(s.wordpress.users.size, 4, 'creating is allowed again: the new Contact came');
  });

  it('leaves the users of a source whose deletePolicy.pull is ignore alone, on deletion and on a full listing', async () => {
    const s = await setup(4, {
      objectMaps: [contactsMap({ deletePolicy: { pull: 'ignore', push: 'ignore' } })],
    });
    assert.equal((await s.sync()).state, 'succeeded');
    assert.equal((await s.sync()).state, 'succeeded');
    const [deleted, purged] = contactIds(s.emulator);
    s.emulator.advance(1000);
    s.emulator.delete(deleted!);
    assert.equal((await s.sync()).state, 'succeeded');
    assert.equal(s.wordpress.byExternalId('acme-sf', deleted!)!.active, true, 'deleted: kept');

    s.emulator.advance(1000);
    s.emulator.delete(purged!);
    s.emulator.org.purge(purged!);
    s.emulator.org.purge(deleted!);
    s.emulator.org.deleteLogPurgedBefore = s.emulator.org.clock.now();
    const full = await s.sync();
    assert.equal(full.state, 'succeeded', full.error ?? '');
    assert.equal(full.counts.disabled + full.counts.deleted, 0);
    assert.equal(s.wordpress.linked('acme-sf').filter((u) => u.active).length, 4, 'none touched');
  });

  it('deletes the users of a source whose deletePolicy.pull is delete, on deletion and on a full listing, under the site policy disable', async () => {
    const s = await setup(4, {
      objectMaps: [
        contactsMap({
          operations: { create: ['push', 'pull'], update: ['push', 'pull'], delete: ['pull'] },
          deletePolicy: { pull: 'delete', push: 'ignore' },
        }),
      ],
    });
    assert.equal(s.wordpress.config.deprovision.action, 'disable', "the site's own policy");
    assert.equal((await s.sync()).state, 'succeeded');
    assert.equal((await s.sync()).state, 'succeeded');
    const [deleted, purged] = contactIds(s.emulator);
    const idOf = (externalId: string) => s.wordpress.byExternalId('acme-sf', externalId)!.id;
    const deletedUser = idOf(deleted!);
    const purgedUser = idOf(purged!);
    s.emulator.advance(1000);
    s.emulator.delete(deleted!);
    const run = await s.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.deleted, 1);
    assert.equal(s.wordpress.users.has(deletedUser), false, 'deleted from WordPress');

    s.emulator.advance(1000);
    s.emulator.delete(purged!);
    s.emulator.org.purge(purged!);
    s.emulator.org.deleteLogPurgedBefore = s.emulator.org.clock.now();
    const full = await s.sync();
    assert.equal(full.state, 'succeeded', full.error ?? '');
    assert.equal(full.counts.deleted, 1, JSON.stringify(full.counts));
    assert.equal(s.wordpress.users.has(purgedUser), false, 'deleted by the listing');
    assert.equal(s.wordpress.users.size, 2);
    assert.equal(s.wordpress.linked('acme-sf').filter((u) => u.active).length, 2);
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
