// One behaviour suite for every Store implementation: SQLite in a temp file and PostgreSQL
// in a throwaway database on the local server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { migrations as postgresMigrations } from '../../src/store/postgres/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { migrations as sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import type { Store, SyncStateInput } from '../../src/store/types.js';

const latest = (list: { version: number }[]) => Math.max(...list.map((m) => m.version));

const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Backend {
  name: string;
  open(): Promise<{ make: () => Store; cleanup: () => Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-store-'));
      const file = path.join(dir, 'sidecar.sqlite');
      return {
        make: () => new SqliteStore(file),
        cleanup: async () => rmSync(dir, { recursive: true }),
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const name = `usersync_test_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${name}`;
      return {
        make: () => new PostgresStore(url.toString()),
        cleanup: async () => {
          const client = new pg.Client({ connectionString: PG_ADMIN_URL });
          await client.connect();
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await client.end();
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`${backend.name} store`, () => {
    let env: Awaited<ReturnType<Backend['open']>>;
    let store: Store;

    before(async () => {
      env = await backend.open();
      store = env.make();
      await store.migrate();
    });
    after(async () => {
      await store.close();
      await env.cleanup();
    });

    it('migrates once: a second migrate and a second replica apply nothing', async () => {
      assert.equal(await store.migrate(), 0);
      const replica = env.make();
      try {
        assert.equal(await replica.migrate(), 0);
      } finally {
        await replica.close();
      }
      const health = await store.health();
      const expected = latest(backend.name === 'sqlite' ? sqliteMigrations : postgresMigrations);
      assert.equal(expected, latest(sqliteMigrations), 'both backends share migration numbers');
      assert.deepEqual(health, { ok: true, kind: backend.name, schemaVersion: expected });
    });

    it('creates, updates and lists runs newest first', async () => {
      const first = await store.createRun({ source: 'graph:contoso', trigger: 'schedule' });
      assert.equal(first.state, 'queued');
      assert.equal(first.dryRun, false);
      assert.equal(first.counts.created, 0);
      const second = await store.createRun({
        source: 'graph:contoso',
        trigger: 'on-demand',
        dryRun: true,
      });
      await store.createRun({ source: 'peer:child', trigger: 'schedule' });

      const startedAt = new Date().toISOString();
      const updated = await store.updateRun(second.id, {
        state: 'running',
        startedAt,
        processed: 40,
        total: 100,
        counts: { created: 3, updated: 2, unchanged: 35, disabled: 0, deleted: 0, failed: 0 },
      });
      assert.equal(updated?.state, 'running');
      assert.equal(updated?.processed, 40);
      assert.equal(updated?.total, 100);
      assert.equal(updated?.counts.unchanged, 35);
      assert.equal(updated?.dryRun, true);
      assert.equal(new Date(updated!.startedAt!).getTime(), new Date(startedAt).getTime());

      const runs = await store.listRuns({ source: 'graph:contoso' });
      assert.deepEqual(
        runs.map((run) => run.id),
        [second.id, first.id],
      );
      assert.equal((await store.listRuns()).length, 3);
      assert.equal(await store.getRun('no-such-run'), null);
      assert.equal(await store.updateRun('no-such-run', { state: 'failed' }), null);
    });

    it('saves, replaces and deletes cursors', async () => {
      assert.equal(await store.getCursor('graph:contoso'), null);
      await store.saveCursor('graph:contoso', 'https://graph/delta?token=1');
      const saved = await store.saveCursor('graph:contoso', 'https://graph/delta?token=2');
      const read = await store.getCursor('graph:contoso');
      assert.equal(read?.value, 'https://graph/delta?token=2');
      assert.equal(read?.updatedAt, saved.updatedAt);
      await store.deleteCursor('graph:contoso');
      assert.equal(await store.getCursor('graph:contoso'), null);
    });

    it('keeps its data across a reopen', async () => {
      const run = await store.createRun({ source: 'durable', trigger: 'catch-up' });
      await store.saveCursor('durable', '42');
      const reopened = env.make();
      try {
        assert.equal((await reopened.getRun(run.id))?.source, 'durable');
        assert.equal((await reopened.getCursor('durable'))?.value, '42');
      } finally {
        await reopened.close();
      }
    });

    it('claims one active run per source: a second claim joins the first', async () => {
      const source = 'claim-source';
      const first = await store.claimRun({ source, trigger: 'on-demand', owner: 'a' });
      assert.equal(first.created, true);
      assert.equal(first.run.owner, 'a');
      const second = await store.claimRun({ source, trigger: 'on-demand', owner: 'b' });
      assert.equal(second.created, false);
      assert.equal(second.run.id, first.run.id);
      assert.equal((await store.activeRun(source))?.id, first.run.id);

      // Once the run is over, the next claim makes a new run.
      await store.updateRun(first.run.id, {
        state: 'succeeded',
        finishedAt: new Date().toISOString(),
      });
      assert.equal(await store.activeRun(source), null);
      const third = await store.claimRun({ source, trigger: 'on-demand' });
      assert.equal(third.created, true);
      assert.notEqual(third.run.id, first.run.id);
    });

    it('claims concurrently from several replicas: exactly one run is created', async () => {
      const replicas = [store, env.make(), env.make()];
      try {
        const claims = await Promise.all(
          replicas.flatMap((replica) =>
            [1, 2, 3].map(() =>
              replica.claimRun({ source: 'race', trigger: 'schedule', scheduleSlot: 'T1' }),
            ),
          ),
        );
        assert.equal(claims.filter((claim) => claim.created).length, 1);
        assert.equal(new Set(claims.map((claim) => claim.run.id)).size, 1);
      } finally {
        await Promise.all(replicas.slice(1).map((replica) => replica.close()));
      }
    });

    it('fires a schedule tick once, even after its run has finished', async () => {
      const source = 'tick-source';
      const first = await store.claimRun({ source, trigger: 'schedule', scheduleSlot: 'T9' });
      await store.updateRun(first.run.id, { state: 'succeeded' });
      const late = await store.claimRun({ source, trigger: 'schedule', scheduleSlot: 'T9' });
      assert.equal(late.created, false);
      assert.equal(late.run.id, first.run.id);
      const next = await store.claimRun({ source, trigger: 'schedule', scheduleSlot: 'T10' });
      assert.equal(next.created, true);
    });

    it('interrupts runs of dead owners and stale heartbeats, leaving live ones', async () => {
      const dead = await store.claimRun({ source: 'dead', trigger: 'on-demand', owner: 'gone:1' });
      const stale = await store.claimRun({ source: 'stale', trigger: 'on-demand', owner: 'x:2' });
      const live = await store.claimRun({ source: 'live', trigger: 'on-demand', owner: 'y:3' });
      const now = Date.now();
      await store.updateRun(stale.run.id, {
        state: 'running',
        heartbeatAt: new Date(now - 600_000).toISOString(),
      });
      await store.updateRun(live.run.id, {
        state: 'running',
        heartbeatAt: new Date(now).toISOString(),
      });
      const interrupted = await store.interruptRuns({
        owners: ['gone:1'],
        staleBefore: new Date(now - 60_000).toISOString(),
        error: 'interrupted',
      });
      const ids = interrupted.map((run) => run.id).sort();
      assert.ok(ids.includes(dead.run.id));
      assert.ok(ids.includes(stale.run.id));
      assert.ok(!ids.includes(live.run.id));
      const after = await store.getRun(dead.run.id);
      assert.equal(after?.state, 'interrupted');
      assert.equal(after?.error, 'interrupted');
      assert.ok(after?.finishedAt);
      assert.equal((await store.getRun(live.run.id))?.state, 'running');
      assert.deepEqual(await store.interruptRuns({ error: 'nothing selected' }), []);
    });

    it('reopens an interrupted run for the claim that resumes it, once', async () => {
      const { run } = await store.claimRun({
        source: 'resumed',
        trigger: 'schedule',
        owner: 'a:1',
      });
      await store.updateRun(run.id, { state: 'running', counts: { ...run.counts, created: 7 } });
      await store.interruptRuns({ owners: ['a:1'], error: 'interrupted' });
      const first = await store.claimRun({
        source: 'resumed',
        trigger: 'catch-up',
        owner: 'b:2',
        resume: run.id,
      });
      assert.equal(first.created, true);
      assert.equal(first.run.id, run.id, 'the same run record');
      assert.equal(first.run.state, 'queued');
      assert.equal(first.run.owner, 'b:2');
      assert.equal(first.run.error, null);
      assert.equal(first.run.finishedAt, null);
      assert.equal(first.run.trigger, 'schedule');
      assert.equal(first.run.counts.created, 7, 'what it did before stays');
      // A second claim joins it rather than reopening or inserting.
      const second = await store.claimRun({
        source: 'resumed',
        trigger: 'catch-up',
        owner: 'c:3',
        resume: run.id,
      });
      assert.equal(second.created, false);
      assert.equal(second.run.id, run.id);
    });

    it('fences run writes: a replaced owner writes neither the run nor its cursor', async () => {
      const mine = { owner: 'a:1:aa', states: ['queued', 'running'] as const };
      const { run } = await store.claimRun({
        source: 'fenced',
        trigger: 'on-demand',
        owner: 'a:1:aa',
      });
      const running = await store.updateRun(
        run.id,
        { state: 'running', processed: 3 },
        { owner: mine.owner, states: [...mine.states] },
      );
      assert.equal(running?.state, 'running');
      const holderA = { id: run.id, owner: 'a:1:aa' };
      assert.equal((await store.saveCursorOfRun('fenced', 'cursor-a', holderA))?.value, 'cursor-a');
      // a:1 was paused past the stale time: b:2 takes the run over and resumes it.
      await store.interruptRuns({ owners: ['a:1:aa'], error: 'interrupted' });
      const taken = await store.claimRun({
        source: 'fenced',
        trigger: 'catch-up',
        owner: 'b:2:bb',
        resume: run.id,
      });
      assert.equal(taken.run.owner, 'b:2:bb');
      const guardA = { owner: 'a:1:aa', states: ['running' as const] };
      assert.equal(await store.updateRun(run.id, { processed: 99 }, guardA), null);
      assert.equal(
        await store.updateRun(run.id, { state: 'succeeded', error: 'late' }, guardA),
        null,
      );
      assert.equal(await store.saveCursorOfRun('fenced', 'cursor-late', holderA), null);
      // Not running yet: even the new owner's cursor waits for its run to start.
      const holderB = { id: run.id, owner: 'b:2:bb' };
      assert.equal(await store.saveCursorOfRun('fenced', 'cursor-b', holderB), null);
      await store.updateRun(run.id, { state: 'running' }, { owner: 'b:2:bb', states: ['queued'] });
      assert.equal((await store.saveCursorOfRun('fenced', 'cursor-b', holderB))?.value, 'cursor-b');
      const after = await store.getRun(run.id);
      assert.equal(after?.state, 'running');
      assert.equal(after?.owner, 'b:2:bb');
      assert.equal(after?.processed, 3, 'the stale owner wrote no progress');
      assert.equal(after?.error, null);
      assert.equal((await store.getCursor('fenced'))?.value, 'cursor-b');
      // A state guard without an owner (cancelling an interrupted run) and a read-only check.
      assert.equal(
        await store.updateRun(run.id, { state: 'cancelled' }, { states: ['interrupted'] }),
        null,
      );
      assert.equal(await store.updateRun(run.id, {}, guardA), null);
      assert.equal(
        (await store.updateRun(run.id, {}, { owner: 'b:2:bb', states: ['running'] }))?.id,
        run.id,
      );
    });

    it('fences run writes sent in parallel with a takeover: none lands after it', async () => {
      const { run } = await store.claimRun({
        source: 'fenced-race',
        trigger: 'on-demand',
        owner: 'a:1:cc',
      });
      const guard = { owner: 'a:1:cc', states: ['running' as const] };
      await store.updateRun(run.id, { state: 'running' }, { owner: 'a:1:cc', states: ['queued'] });
      const holder = { id: run.id, owner: 'a:1:cc' };
      const writes = Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? store.updateRun(run.id, { processed: i + 1 }, guard).then((r) => r !== null)
          : store.saveCursorOfRun('fenced-race', `c${i}`, holder).then((c) => c !== null),
      );
      const takeover = store.interruptRuns({ owners: ['a:1:cc'], error: 'taken over' });
      const [landed, interrupted] = await Promise.all([Promise.all(writes), takeover]);
      assert.equal(interrupted.length, 1);
      const processedAtTakeover = interrupted[0]!.processed;
      const cursorAtTakeover = await store.getCursor('fenced-race');
      // Every write after the takeover fails; the record keeps what the takeover saw.
      assert.equal(await store.updateRun(run.id, { processed: 1000 }, guard), null);
      assert.equal(await store.saveCursorOfRun('fenced-race', 'late', holder), null);
      const after = await store.getRun(run.id);
      assert.equal(after?.state, 'interrupted');
      assert.equal(after?.error, 'taken over');
      assert.equal(after?.processed, processedAtTakeover);
      assert.equal((await store.getCursor('fenced-race'))?.value, cursorAtTakeover?.value);
      assert.ok(landed.length === 40);
    });

    it('stores run details, full flag, heartbeat and cancel requests', async () => {
      const { run } = await store.claimRun({ source: 'details', trigger: 'catch-up', full: true });
      assert.equal(run.full, true);
      assert.equal(run.cancelRequested, false);
      assert.deepEqual(run.details, { failures: [], changes: [] });
      const updated = await store.updateRun(run.id, {
        cancelRequested: true,
        details: {
          failures: [
            { externalId: 'u1', login: 'ada', action: 'create', code: 'x', message: 'bad' },
          ],
          changes: [{ action: 'create', externalId: 'u2', login: 'bob', wpUserId: null }],
        },
      });
      assert.equal(updated?.cancelRequested, true);
      assert.equal(updated?.details.failures[0]?.message, 'bad');
      assert.equal(updated?.details.changes[0]?.login, 'bob');
    });

    it('saves, reads, marks and lists sync states', async () => {
      const source = 'states';
      const state = (id: string, extra: Partial<SyncStateInput> = {}): SyncStateInput => ({
        externalId: id,
        wpUserId: Number(id.slice(1)),
        hash: `h-${id}`,
        roles: ['subscriber'],
        photoVersion: null,
        status: 'active',
        error: null,
        ...extra,
      });
      await store.saveSyncStates(source, [state('u1'), state('u2'), state('u3'), state('u4')]);
      await store.saveSyncStates('other', [state('u1')]);
      const found = await store.getSyncStates(source, ['u1', 'u3', 'missing']);
      assert.deepEqual([...found.keys()].sort(), ['u1', 'u3']);
      assert.equal(found.get('u1')?.wpUserId, 1);
      assert.deepEqual(found.get('u1')?.roles, ['subscriber']);
      assert.equal(found.get('u1')?.seenScan, null);
      assert.equal(await store.countSyncStates(source), 4);

      // Upsert replaces fields but keeps the seen scan unless a new one is given.
      await store.markSeen(source, ['u1', 'u2'], 'scan-1');
      await store.saveSyncStates(source, [state('u1', { hash: 'new', roles: null })]);
      const u1 = (await store.getSyncStates(source, ['u1'])).get('u1');
      assert.equal(u1?.hash, 'new');
      assert.equal(u1?.roles, null);
      assert.equal(u1?.seenScan, 'scan-1');

      await store.saveSyncStates(source, [state('u4', { status: 'deprovisioned' })]);
      const unseen = await store.listUnseen(source, 'scan-1', null, 10);
      assert.deepEqual(
        unseen.map((s) => s.externalId),
        ['u3'],
        'deprovisioned users are not listed again',
      );
      await store.saveSyncStates(source, [state('u5'), state('u6')]);
      const firstPage = await store.listUnseen(source, 'scan-1', null, 2);
      assert.deepEqual(
        firstPage.map((s) => s.externalId),
        ['u3', 'u5'],
      );
      const secondPage = await store.listUnseen(source, 'scan-1', 'u5', 2);
      assert.deepEqual(
        secondPage.map((s) => s.externalId),
        ['u6'],
      );

      await store.deleteSyncStates(source, ['u1', 'u2']);
      assert.equal(await store.countSyncStates(source), 4);
      await store.resetSource(source);
      assert.equal(await store.countSyncStates(source), 0);
      assert.equal(await store.countSyncStates('other'), 1);
    });

    it('handles more ids than one statement binds', async () => {
      const source = 'many';
      const ids = Array.from({ length: 1_234 }, (_, i) => `id-${String(i).padStart(5, '0')}`);
      await store.saveSyncStates(
        source,
        ids.map((id, i) => ({
          externalId: id,
          wpUserId: i + 1,
          hash: 'h',
          roles: null,
          photoVersion: null,
          status: 'active',
          error: null,
        })),
      );
      assert.equal((await store.getSyncStates(source, ids)).size, ids.length);
      await store.markSeen(source, ids.slice(0, 1_000), 'scan');
      const unseen = await store.listUnseen(source, 'scan', null, 1_000);
      assert.equal(unseen.length, 234);
      assert.equal(unseen[0]?.externalId, 'id-01000');
    });

    it('tracks source groups and their members', async () => {
      const source = 'groups';
      await store.saveGroups(
        source,
        [
          { externalId: 'g1', displayName: 'Editors' },
          { externalId: 'g2', displayName: 'Authors' },
          { externalId: 'g3', displayName: 'Old' },
        ],
        'scan-a',
      );
      await store.setGroupMembers(source, 'g1', { all: ['u1', 'u2'] });
      await store.setGroupMembers(source, 'g2', { add: ['u2', 'u3'] });
      await store.setGroupMembers(source, 'g3', { all: ['u4'] });
      let groups = await store.groupsOfUsers(source, ['u1', 'u2', 'u3', 'u9']);
      assert.deepEqual(groups.get('u1'), ['Editors']);
      assert.deepEqual(groups.get('u2'), ['Authors', 'Editors']);
      assert.equal(groups.has('u9'), false);

      await store.setGroupMembers(source, 'g1', { remove: ['u2'], add: ['u5'] });
      await store.setGroupMembers(source, 'g2', { all: ['u3'] });
      groups = await store.groupsOfUsers(source, ['u2', 'u5']);
      assert.equal(groups.has('u2'), false);
      assert.deepEqual(groups.get('u5'), ['Editors']);
      assert.deepEqual((await store.groupMembers(source, ['g1', 'g2'])).sort(), ['u1', 'u3', 'u5']);

      // A rename keeps members; a later scan that misses g3 removes it with its members.
      await store.saveGroups(
        source,
        [
          { externalId: 'g1', displayName: 'Site editors' },
          { externalId: 'g2', displayName: 'Authors' },
        ],
        'scan-b',
      );
      assert.deepEqual((await store.groupsOfUsers(source, ['u1'])).get('u1'), ['Site editors']);
      assert.deepEqual(await store.deleteUnseenGroups(source, 'scan-b'), ['g3']);
      assert.equal((await store.groupsOfUsers(source, ['u4'])).has('u4'), false);
      await store.deleteGroups(source, ['g1']);
      assert.equal((await store.groupsOfUsers(source, ['u1'])).has('u1'), false);
    });

    it('delivers a signal to every listener of its topic, this replica included', async () => {
      const heard: (string | null)[] = [];
      const stop = await store.onSignal('scim-token-revoked', (message) => heard.push(message));
      const also: (string | null)[] = [];
      const stopAlso = await store.onSignal('scim-token-revoked', (m) => also.push(m));
      await store.signal('scim-token-revoked', 'tok_1');
      const deadline = Date.now() + 2_000;
      while ((heard.length < 1 || also.length < 1) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(heard, ['tok_1']);
      assert.deepEqual(also, ['tok_1']);
      stop();
      stopAlso();
      await store.signal('scim-token-revoked', 'tok_2');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(heard, ['tok_1'], 'nothing after it stopped listening');
    });
  });
}
