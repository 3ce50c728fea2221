// Outbound delivery by replicas sharing one store, on an SQLite file and on a throwaway
// PostgreSQL database: pipelines in one process share a hostname and a PID, as containers with
// `hostname:` set and PID 1 do. One replica holds each target's lease and delivers exactly
// once; a replica whose lease was taken over saves and delivers nothing more; any replica
// acknowledges the outbox from the stored cursors; a push and a dead-letter retry sent to the
// standby are carried out by the lease holder, and a push left running by a replica that lost
// the target is run again by the next; a store failure mid-delivery ends in a retry.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import type { PeerSettings } from '../../src/outbound/feed.js';
import { OutboundPipeline } from '../../src/outbound/pipeline.js';
import type { OutboundSettings } from '../../src/outbound/settings.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { FakeFeed } from './fake-feed.js';
import { ScriptedTarget } from './scripted-target.js';

const logger = pino({ level: 'silent' });
const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const peer = (slug: string): PeerSettings => ({
  slug,
  name: `Peer ${slug}`,
  scimUrl: `https://${slug}.example/scim/v2`,
  token: 'token',
  push: true,
  roles: true,
  sendPasswords: false,
  acceptPasswords: false,
  includeAdministrators: false,
});

const SETTINGS: Partial<OutboundSettings> = {
  pollMs: 40,
  retryBaseMs: 5,
  retryMaxMs: 20,
  maxAttempts: 3,
  reloadMs: 60_000,
  concurrency: 2,
  leaseMs: 600,
};

interface Backend {
  name: string;
  /** A new store on the backend's shared database (each replica opens its own). */
  open(): Store;
  cleanup(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-replicas-'));
  const file = path.join(dir, 'sidecar.sqlite');
  return {
    name: 'sqlite',
    open: () => new SqliteStore(file),
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresBackend(): Promise<Backend> {
  const name = `usersync_replicas_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name: 'postgres',
    open: () => new PostgresStore(url.toString()),
    cleanup: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

interface Replica {
  store: Store;
  pipeline: OutboundPipeline;
  targets: Map<string, ScriptedTarget>;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 8000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

for (const makeBackend of [sqliteBackend, postgresBackend]) {
  describe(`outbound replicas on one ${makeBackend.name.replace('Backend', '')} store`, () => {
    let backend: Backend | null = null;
    let replicas: Replica[] = [];

    async function replica(feed: FakeFeed, wrap?: (store: Store) => Store): Promise<Replica> {
      backend ??= await makeBackend();
      const opened = backend.open();
      await opened.migrate();
      const store = wrap ? wrap(opened) : opened;
      const targets = new Map<string, ScriptedTarget>();
      const pipeline = new OutboundPipeline({
        store,
        feed: feed.asFeed(),
        logger,
        settings: SETTINGS,
        targetFactory: (settings) => {
          const target = targets.get(settings.slug) ?? new ScriptedTarget(settings.slug);
          targets.set(settings.slug, target);
          return target;
        },
      });
      const made = { store: opened, pipeline, targets };
      replicas.push(made);
      return made;
    }

    const phase = async (r: Replica, slug: string) =>
      (await r.pipeline.status()).targets.find((t) => t.slug === slug)?.phase;
    const delivering = async (r: Replica, slug: string) => {
      const p = await phase(r, slug);
      return p !== undefined && p !== 'standby' && p !== 'starting';
    };
    const storedCursor = async (r: Replica, slug: string) =>
      Number((await r.store.getCursor(`outbound:${slug}`))?.value ?? -1);

    afterEach(async () => {
      for (const r of replicas) await r.pipeline.stop();
      for (const r of replicas) await r.store.close();
      replicas = [];
    });

    after(async () => {
      await backend?.cleanup();
    });

    it('two replicas with the same hostname and PID: one holds each lease, 300 changes are delivered once each', async () => {
      const feed = new FakeFeed();
      feed.peerList = [peer('child'), peer('mirror')];
      const a = await replica(feed);
      const b = await replica(feed);
      assert.notEqual(a.pipeline.owner, b.pipeline.owner, 'told apart by a random part');
      const prefix = `${os.hostname()}/${process.pid}/`;
      assert.ok(a.pipeline.owner.startsWith(prefix) && b.pipeline.owner.startsWith(prefix));
      await Promise.all([a.pipeline.start(), b.pipeline.start()]);
      for (const slug of ['child', 'mirror'])
        await until(
          async () => (await phase(a, slug)) === 'standby' || (await phase(b, slug)) === 'standby',
          `a standby for ${slug}`,
        );

      for (let user = 1; user <= 300; user++) feed.change(user, 'update', ['first_name']);
      a.pipeline.nudge();
      b.pipeline.nudge();
      for (const slug of ['child', 'mirror']) {
        await until(async () => (await storedCursor(a, slug)) === feed.latest(), slug, 15_000);
        const holders = [await delivering(a, slug), await delivering(b, slug)];
        assert.equal(holders.filter(Boolean).length, 1, `exactly one replica holds ${slug}`);
        const times = new Map<number, number>();
        for (const r of [a, b])
          for (const change of r.targets.get(slug)?.delivered ?? [])
            times.set(change.userId, (times.get(change.userId) ?? 0) + 1);
        assert.equal(times.size, 300, `every user reached ${slug}`);
        assert.ok(
          [...times.values()].every((n) => n === 1),
          `each exactly once to ${slug}`,
        );
      }
    });

    it('a replica whose lease was taken over while it stalled saves no cursor and delivers nothing more', async () => {
      const feed = new FakeFeed();
      feed.peerList = [peer('child')];
      const a = await replica(feed);
      await a.pipeline.start();
      await until(async () => (await phase(a, 'child')) === 'idle', 'a to lead');
      const b = await replica(feed);
      await b.pipeline.start();
      await until(async () => (await phase(b, 'child')) === 'standby', 'b to wait');

      // A stalls in the middle of a delivery, long past its lease.
      let resume: () => void = () => undefined;
      a.targets.get('child')!.deliverGate = new Promise((resolve) => (resume = resolve));
      feed.change(1, 'update', ['first_name']);
      a.pipeline.nudge();
      await until(async () => (await phase(a, 'child')) === 'delivering', 'a to stall');
      await until(() => (b.targets.get('child')?.delivered.length ?? 0) === 1, 'b to take over');
      feed.change(2, 'update', ['first_name']);
      b.pipeline.nudge();
      await until(async () => (await storedCursor(b, 'child')) === 2, 'b to deliver user 2');

      resume();
      await until(async () => (await phase(a, 'child')) === 'standby', 'a to stop');
      assert.equal(await storedCursor(a, 'child'), 2, 'a could not move the cursor back');
      feed.change(3, 'update', ['first_name']);
      a.pipeline.nudge();
      b.pipeline.nudge();
      await until(async () => (await storedCursor(b, 'child')) === 3, 'b to deliver user 3');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(
        a.targets.get('child')!.delivered.map((c) => c.userId),
        [1],
        'a delivered only what was in flight when it stalled',
      );
      assert.deepEqual(
        b.targets.get('child')!.delivered.map((c) => c.userId),
        [1, 2, 3],
      );
      assert.equal(await storedCursor(a, 'child'), 3);
    });

    it('acknowledges the outbox to the end when the targets’ leases are held by different replicas', async () => {
      const feed = new FakeFeed();
      feed.peerList = [peer('child')];
      const a = await replica(feed);
      await a.pipeline.start();
      await until(async () => (await phase(a, 'child')) === 'idle', 'a to lead the child');
      feed.peerList = [peer('child'), peer('mirror')];
      const b = await replica(feed);
      await b.pipeline.start();
      await until(async () => await delivering(b, 'mirror'), 'b to lead the mirror');
      await a.pipeline.reload();
      await until(async () => (await phase(a, 'mirror')) === 'standby', 'a to wait for mirror');
      assert.equal(await phase(b, 'child'), 'standby');

      for (let user = 1; user <= 100; user++) feed.change(user, 'update', ['first_name']);
      a.pipeline.nudge();
      b.pipeline.nudge();
      await until(() => feed.acked === feed.latest(), 'the acknowledgement to reach the end');
      assert.equal(a.targets.get('child')!.delivered.length, 100);
      assert.equal(b.targets.get('mirror')!.delivered.length, 100);
      assert.equal(b.targets.get('child')?.delivered.length ?? 0, 0);
      assert.equal(a.targets.get('mirror')?.delivered.length ?? 0, 0);
    });

    it('a full push and a dead-letter retry sent to the standby are carried out by the lease holder', async () => {
      const feed = new FakeFeed();
      feed.peerList = [peer('child')];
      const a = await replica(feed);
      await a.pipeline.start();
      await until(async () => (await phase(a, 'child')) === 'idle', 'a to lead');
      const b = await replica(feed);
      await b.pipeline.start();
      await until(async () => (await phase(b, 'child')) === 'standby', 'b to wait');

      const push = await b.pipeline.requestPush('child');
      assert.equal(push.joined, false);
      assert.equal(push.command.state, 'queued', 'b answers at once');
      assert.equal(push.command.id, push.run.id);
      const pushed = await b.pipeline.waitForCommand(push.command.id, 8000);
      assert.equal(pushed?.state, 'succeeded', JSON.stringify(pushed));
      assert.equal(pushed?.owner, a.pipeline.owner, 'carried out by the lease holder');
      assert.deepEqual(pushed?.result, { runId: push.run.id, state: 'succeeded' });
      assert.equal((await b.store.getRun(push.run.id))?.state, 'succeeded');
      assert.equal(a.targets.get('child')!.pushes, 1);
      assert.equal(b.targets.get('child')!.pushes, 0);

      const letter = await a.store.addDeadLetter({
        target: 'child',
        outboxId: 9,
        userId: 42,
        action: 'update',
        changed: ['first_name'],
        origin: 'local',
        code: 'invalidValue',
        message: 'refused',
        attempts: 3,
      });
      const retry = await b.pipeline.requestRetry(letter.id);
      assert.equal(retry?.state, 'queued', 'b answers at once');
      const retried = await b.pipeline.waitForCommand(retry!.id, 8000);
      assert.equal(retried?.state, 'succeeded', JSON.stringify(retried));
      assert.equal(retried?.owner, a.pipeline.owner);
      assert.deepEqual(retried?.result, { resolved: true, error: null });
      assert.ok((await b.store.getDeadLetter(letter.id))?.resolvedAt);
      assert.deepEqual(
        a.targets.get('child')!.delivered.map((c) => c.userId),
        [42],
      );
      assert.equal(b.targets.get('child')!.delivered.length, 0);
    });

    it('a push left running by a replica that lost the target is run again by the one that took it over', async () => {
      const feed = new FakeFeed();
      feed.peerList = [peer('child')];
      const a = await replica(feed);
      await a.pipeline.start();
      await until(async () => (await phase(a, 'child')) === 'idle', 'a to lead');
      const b = await replica(feed);
      await b.pipeline.start();
      await until(async () => (await phase(b, 'child')) === 'standby', 'b to wait');

      // A stalls in the push, long past its lease.
      let resume: () => void = () => undefined;
      a.targets.get('child')!.pushGate = new Promise((resolve) => (resume = resolve));
      const push = await a.pipeline.requestPush('child');
      await until(() => a.targets.get('child')!.pushes === 1, 'a to start the push');
      const done = await b.pipeline.waitForCommand(push.command.id, 8000);
      assert.equal(done?.state, 'succeeded', JSON.stringify(done));
      assert.equal(done?.owner, b.pipeline.owner, 'b queued it again and ran it');
      assert.equal(b.targets.get('child')!.pushes, 1);

      resume();
      await until(async () => (await phase(a, 'child')) === 'standby', 'a to stop');
      const run = await a.store.getRun(push.run.id);
      assert.equal(run?.state, 'succeeded', 'a overwrote nothing');
      assert.equal((await a.store.getCommand(push.command.id))?.owner, b.pipeline.owner);
    });

    it('a push whose run was taken over while it stalled writes nothing more to that run', async () => {
      const feed = new FakeFeed();
      feed.peerList = [peer('child')];
      const a = await replica(feed);
      await a.pipeline.start();
      await until(async () => (await phase(a, 'child')) === 'idle', 'a to lead');

      let resume: () => void = () => undefined;
      a.targets.get('child')!.pushGate = new Promise((resolve) => (resume = resolve));
      const push = await a.pipeline.requestPush('child');
      await until(() => a.targets.get('child')!.pushes === 1, 'a to start the push');
      const mine = await a.store.getRun(push.run.id);
      assert.equal(mine?.owner, a.pipeline.owner, 'the replica carrying out the push owns its run');

      // Another replica takes the run over (its lease on the target aside).
      const taken = await a.store.updateRun(
        push.run.id,
        { owner: 'other-replica', heartbeatAt: new Date().toISOString() },
        { owner: a.pipeline.owner, states: ['running'] },
      );
      assert.equal(taken?.owner, 'other-replica');
      resume();
      await until(async () => (await phase(a, 'child')) !== 'pushing', 'a to stop pushing');
      const after = await a.store.getRun(push.run.id);
      assert.equal(after?.owner, 'other-replica');
      assert.equal(after?.state, 'running', 'a wrote no end to the run');
      assert.equal(after?.processed, 0, 'a wrote no progress to the run');
    });

    it('a store failure during delivery ends in a retry, not a crash', async () => {
      const feed = new FakeFeed();
      feed.peerList = [peer('child')];
      const unhandled: unknown[] = [];
      const record = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', record);
      try {
        let failures = 2;
        const a = await replica(feed, (store) =>
          Object.assign(Object.create(store) as Store, {
            // The database drops the connection when the page's cursor is saved, twice.
            saveCursorLeased: (...args: Parameters<Store['saveCursorLeased']>) =>
              args[1] !== '0' && failures-- > 0
                ? Promise.reject(new Error('terminating connection due to administrator command'))
                : store.saveCursorLeased(...args),
          }),
        );
        await a.pipeline.start();
        await until(async () => (await phase(a, 'child')) === 'idle', 'a to lead');
        feed.change(1, 'update', ['first_name']);
        a.pipeline.nudge();
        await until(async () => (await storedCursor(a, 'child')) === 1, 'the page after retries');
        const status = (await a.pipeline.status()).targets[0]!;
        assert.match(status.lastError?.message ?? '', /terminating connection/);
        assert.ok(a.targets.get('child')!.delivered.length >= 2, 'the page was delivered again');
        await until(() => feed.acked === 1, 'the acknowledgement');
        assert.deepEqual(unhandled, []);
      } finally {
        process.off('unhandledRejection', record);
      }
    });
  });
}
