// The store's outbound state and dead letters, on SQLite and on a throwaway PostgreSQL database.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const backends: { name: string; open(): Promise<{ store: Store; cleanup(): Promise<void> }> }[] = [
  {
    name: 'sqlite',
    async open() {
      const store = new SqliteStore(':memory:');
      return { store, cleanup: () => store.close() };
    },
  },
  {
    name: 'postgres',
    async open() {
      const name = `usersync_outbound_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${name}`;
      const store = new PostgresStore(url.toString());
      return {
        store,
        async cleanup() {
          await store.close();
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
  describe(`${backend.name} store: outbound`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await backend.open());
      await store.migrate();
    });
    after(async () => {
      await cleanup();
    });

    it('keeps per-target states of local users, upserted and deleted in lists', async () => {
      await store.saveOutboundStates('child', [
        {
          userId: 1,
          remoteId: '45',
          sent: { first_name: 'Ada', user_url: null },
          confirmed: { first_name: 'Ada' },
          hash: 'h1',
          roles: ['editor'],
          remoteVersion: 'W/"1"',
        },
        {
          userId: 2,
          remoteId: null,
          sent: null,
          confirmed: null,
          hash: null,
          roles: null,
          remoteVersion: null,
        },
      ]);
      await store.saveOutboundStates('mirror', [
        {
          userId: 1,
          remoteId: '9',
          sent: null,
          confirmed: null,
          hash: 'other',
          roles: [],
          remoteVersion: null,
        },
      ]);
      await store.saveOutboundStates('child', [
        {
          userId: 1,
          remoteId: '45',
          sent: { first_name: 'Augusta', user_url: null },
          confirmed: { first_name: 'Augusta' },
          hash: 'h2',
          roles: ['author'],
          remoteVersion: 'W/"2"',
        },
      ]);
      const states = await store.getOutboundStates('child', [1, 2, 3]);
      assert.deepEqual([...states.keys()].sort(), [1, 2]);
      const ada = states.get(1)!;
      assert.deepEqual(
        [ada.target, ada.remoteId, ada.sent, ada.confirmed, ada.hash, ada.roles, ada.remoteVersion],
        [
          'child',
          '45',
          { first_name: 'Augusta', user_url: null },
          { first_name: 'Augusta' },
          'h2',
          ['author'],
          'W/"2"',
        ],
      );
      assert.equal(states.get(2)!.sent, null);
      assert.match(ada.updatedAt, /^\d{4}-\d\d-\d\dT/);
      await store.deleteOutboundStates('child', [2]);
      assert.deepEqual([...(await store.getOutboundStates('child', [1, 2])).keys()], [1]);
      assert.equal((await store.getOutboundStates('mirror', [1])).get(1)?.hash, 'other');
    });

    it('keeps dead letters until they are resolved, newest first, counted per target', async () => {
      const first = await store.addDeadLetter({
        target: 'child',
        outboxId: 10,
        userId: 1,
        action: 'update',
        changed: ['user_email'],
        origin: 'local',
        code: 'uniqueness',
        message: 'taken',
        attempts: 4,
      });
      const second = await store.addDeadLetter({
        target: 'child',
        outboxId: 11,
        userId: 2,
        action: 'create',
        changed: [],
        origin: 'local',
        code: 'invalidValue',
        message: 'bad',
        attempts: 4,
      });
      await store.addDeadLetter({
        target: 'mirror',
        outboxId: 12,
        userId: 3,
        action: 'delete',
        changed: [],
        origin: 'entra',
        code: 'x',
        message: 'y',
        attempts: 1,
      });
      assert.deepEqual(
        (await store.listDeadLetters({ target: 'child' })).map((l) => l.id),
        [second.id, first.id],
      );
      assert.deepEqual(first.changed, ['user_email']);
      assert.equal(first.resolvedAt, null);
      assert.deepEqual(Object.fromEntries(await store.countDeadLetters()), { child: 2, mirror: 1 });
      await store.resolveDeadLetters([first.id]);
      assert.ok((await store.getDeadLetter(first.id))?.resolvedAt);
      assert.deepEqual(
        (await store.listDeadLetters({ target: 'child' })).map((l) => l.id),
        [second.id],
      );
      assert.equal(
        (await store.listDeadLetters({ target: 'child', includeResolved: true })).length,
        2,
      );
      await store.resetOutboundTarget('child');
      assert.equal((await store.listDeadLetters({ includeResolved: true })).length, 1);
      assert.equal((await store.getOutboundStates('child', [1])).size, 0);
      assert.equal(await store.getDeadLetter(999_999), null);
    });

    it('grants a lease to one owner at a time until it expires or is released', async () => {
      assert.equal(await store.acquireLease('outbound:child', 'a', 60_000), true);
      assert.equal(await store.acquireLease('outbound:child', 'b', 60_000), false);
      assert.equal(await store.acquireLease('outbound:child', 'a', 60_000), true, 'renewed');
      assert.equal(await store.acquireLease('outbound:mirror', 'b', 60_000), true, 'per name');
      await store.releaseLease('outbound:child', 'b');
      assert.equal(
        await store.acquireLease('outbound:child', 'b', 60_000),
        false,
        'not b’s to release',
      );
      await store.releaseLease('outbound:child', 'a');
      assert.equal(await store.acquireLease('outbound:child', 'b', 30), true);
      await new Promise((resolve) => setTimeout(resolve, 80));
      assert.equal(await store.acquireLease('outbound:child', 'a', 60_000), true, 'expired');
      const both = await Promise.all([
        store.acquireLease('race', 'x', 60_000),
        store.acquireLease('race', 'y', 60_000),
      ]);
      assert.deepEqual(both.filter(Boolean).length, 1, 'a race has one winner');
    });

    it('renews a lease and saves a guarded cursor only for its unexpired holder', async () => {
      const lease = { name: 'outbound:fenced', owner: 'a' };
      assert.equal(await store.renewLease(lease.name, 'a', 60_000), false, 'not taken yet');
      assert.equal(await store.acquireLease(lease.name, 'a', 40), true);
      assert.equal(await store.renewLease(lease.name, 'a', 40), true);
      assert.equal((await store.saveCursorLeased('outbound:fenced', '7', lease))?.value, '7');
      await new Promise((resolve) => setTimeout(resolve, 80));
      assert.equal(await store.renewLease(lease.name, 'a', 60_000), false, 'expired: not renewed');
      assert.equal(await store.saveCursorLeased('outbound:fenced', '8', lease), null, 'expired');
      assert.equal(await store.acquireLease(lease.name, 'b', 60_000), true, 'taken over');
      assert.equal(await store.renewLease(lease.name, 'a', 60_000), false, 'not a’s any more');
      assert.equal(await store.saveCursorLeased('outbound:fenced', '9', lease), null);
      assert.equal((await store.getCursor('outbound:fenced'))?.value, '7');
      const b = { name: lease.name, owner: 'b' };
      assert.equal((await store.saveCursorLeased('outbound:fenced', '10', b))?.value, '10');
      assert.equal((await store.getCursor('outbound:fenced'))?.value, '10');
    });

    it('keeps commands: claimed once by the lease holder, finished by it, requeued when it is gone', async () => {
      const scope = 'outbound:commanded';
      const first = await store.addCommand({ scope, kind: 'push', payload: { runId: 'r1' } });
      const second = await store.addCommand({ scope, kind: 'retry', payload: { deadLetter: 4 } });
      await store.addCommand({ scope: 'outbound:other', kind: 'push', payload: {} });
      assert.equal(first.state, 'queued');
      assert.deepEqual(first.payload, { runId: 'r1' });
      const a = { name: scope, owner: 'a' };
      assert.deepEqual(await store.claimCommands(scope, a), [], 'a does not hold the lease');
      assert.equal(await store.acquireLease(scope, 'a', 60_000), true);
      const claims = await Promise.all([
        store.claimCommands(scope, a, 1),
        store.claimCommands(scope, a, 1),
      ]);
      const claimed = claims.flat();
      assert.deepEqual(
        claimed.map((c) => c.id).sort(),
        [first.id, second.id].sort(),
        'each claimed once',
      );
      assert.ok(claimed.every((c) => c.state === 'running' && c.owner === 'a'));
      assert.equal(await store.finishCommand(first.id, 'b', { state: 'succeeded' }), null);
      const done = await store.finishCommand(first.id, 'a', {
        state: 'succeeded',
        result: { runId: 'r1', state: 'succeeded' },
      });
      assert.equal(done?.state, 'succeeded');
      assert.deepEqual(done?.result, { runId: 'r1', state: 'succeeded' });
      assert.ok(done?.finishedAt);
      assert.equal((await store.getCommand(first.id))?.state, 'succeeded');
      assert.equal(await store.requeueCommands(scope, 'a'), 0, 'a’s own are left alone');
      assert.equal(await store.requeueCommands(scope, 'b'), 1, 'b takes over: a’s running one');
      const again = await store.getCommand(second.id);
      assert.equal(again?.state, 'queued');
      assert.equal(again?.owner, null);
      assert.equal(await store.finishCommand(second.id, 'a', { state: 'failed' }), null);
      assert.equal(await store.getCommand('nope'), null);
    });
  });
}
