// Runs on a shared store that lose their footing: a run another replica took over (this one
// was paused past the stale time) stops at its next write without writing the run again, and
// PostgreSQL dropping every connection of the sidecar mid-run neither exits the process nor
// fails the run — it ends interrupted and is resumed to success.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import pg from 'pg';
import { SyncEngine } from '../../src/engine/index.js';
import { createLogger } from '../../src/logger.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import type { Harness } from './harness.js';
import { harness, sourceUsers } from './harness.js';

const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let h: Harness | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A throwaway database and a login role of its own (not a superuser: limits apply to it). */
async function database(): Promise<{ url: string; name: string }> {
  const name = `usersync_takeover_${randomBytes(4).toString('hex')}`;
  await admin(async (client) => {
    await client.query(`CREATE ROLE ${name} LOGIN`);
    await client.query(`CREATE DATABASE ${name} OWNER ${name}`);
  });
  cleanups.push(() =>
    admin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.query(`DROP ROLE IF EXISTS ${name}`);
    }),
  );
  const url = new URL(PG_ADMIN_URL);
  url.username = name;
  url.pathname = `/${name}`;
  return { url: url.toString(), name };
}

describe('runs on a shared store', () => {
  it('stops a run taken over by another replica, writing neither its record nor its cursor', async () => {
    h = await harness({ emulator: { users: 80, photoEvery: 0 } });
    const current = h;
    let batches = 0;
    let batchesAfterTakeover = 0;
    const seen: { taken?: { processed: number; cursor: string | undefined } } = {};
    current.wordpress.beforeBatch = async () => {
      batches++;
      if (seen.taken) batchesAfterTakeover++;
      if (batches !== 3) return;
      // What another replica does when this one's heartbeat went stale: interrupt, reclaim.
      await current.store.interruptRuns({ owners: [current.engine.owner], error: 'stale' });
      const [last] = await current.store.listRuns({ source: 'contoso', limit: 1 });
      const claim = await current.store.claimRun({
        source: 'contoso',
        trigger: 'catch-up',
        owner: 'other-host/1/abcdef',
        resume: last!.id,
      });
      assert.equal(claim.created, true);
      seen.taken = {
        processed: claim.run.processed,
        cursor: (await current.store.getCursor('contoso'))?.value,
      };
    };
    const { run } = await current.engine.requestRun('contoso');
    const ended = await current.engine.waitForRun(run.id);
    const taken = seen.taken;
    assert.ok(taken, 'the run was taken over mid-run');
    const record = await current.store.getRun(run.id);
    assert.equal(record?.owner, 'other-host/1/abcdef');
    assert.equal(record?.state, 'queued', 'the record stays as the new owner left it');
    assert.equal(record?.finishedAt, null);
    assert.equal(record?.error, null);
    assert.equal(record?.processed, taken.processed, 'no progress written after the takeover');
    assert.equal((await current.store.getCursor('contoso'))?.value, taken.cursor);
    assert.equal(ended?.state, 'queued');
    // The batch under way when the takeover happened finishes; no further batch starts.
    assert.ok(batchesAfterTakeover <= 1, `${batchesAfterTakeover} batches after the takeover`);
    assert.ok(sourceUsers(current.emulator).length > current.wordpress.linked('contoso').length);
  });

  it('survives PostgreSQL dropping all its connections mid-run: interrupted, then resumed', async () => {
    const db = await database();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    cleanups.push(async () => void process.off('unhandledRejection', onRejection));
    h = await harness({
      emulator: { users: 120, photoEvery: 0 },
      store: () => new PostgresStore(db.url),
      engine: {
        patienceMs: 200,
        resumeBackoff: { baseMs: 100, maxMs: 200 },
        storeRetry: { baseMs: 10, maxDelayMs: 50 },
      },
    });
    const current = h;
    let batches = 0;
    let dropped = false;
    current.wordpress.beforeBatch = async () => {
      batches++;
      if (batches !== 4) return;
      dropped = true;
      // Every connection of the sidecar is terminated (57P01), and new ones are refused for
      // longer than the run's patience (53300), as during a failover.
      await admin(async (client) => {
        await client.query(`ALTER ROLE ${db.name} CONNECTION LIMIT 0`);
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1',
          [db.name],
        );
      });
      setTimeout(
        () => void admin((client) => client.query(`ALTER ROLE ${db.name} CONNECTION LIMIT -1`)),
        600,
      ).unref();
    };
    const { run } = await current.engine.requestRun('contoso');
    let seenInterrupted = false;
    let final = null;
    for (let i = 0; i < 600 && !final; i++) {
      await pause(50);
      const now = await current.store.getRun(run.id).catch(() => null);
      if (now?.state === 'interrupted') seenInterrupted = true;
      if (now && ['succeeded', 'failed', 'cancelled'].includes(now.state)) final = now;
    }
    assert.ok(dropped, 'the connections were dropped mid-run');
    assert.ok(final, 'the run ended');
    assert.equal(final.state, 'succeeded', final.error ?? '');
    assert.ok((final.details.interruptions ?? 0) >= 1, 'the outage interrupted the run');
    assert.ok(seenInterrupted || (final.details.interruptions ?? 0) >= 1);
    assert.equal(final.counts.created, 120);
    const linked = current.wordpress.linked('contoso');
    assert.equal(linked.length, sourceUsers(current.emulator).length);
    assert.equal(new Set(linked.map((user) => user.links.get('contoso'))).size, linked.length);
    assert.deepEqual(rejections, [], 'no unhandled rejection');
    assert.equal((await current.engine.listRuns({ source: 'contoso' })).length, 1, 'one run');
  });

  it('carries out a cancel another replica received, without waiting for a heartbeat', async () => {
    const db = await database();
    h = await harness({
      emulator: { users: 200, photoEvery: 0 },
      store: () => new PostgresStore(db.url),
      // The owner's heartbeat never comes during the test: only the signal can stop it.
      engine: { heartbeatMs: 600_000 },
    });
    const current = h;
    const otherStore = new PostgresStore(db.url);
    const other = new SyncEngine({
      store: otherStore,
      wordpress: current.wordpress,
      logger: createLogger('silent'),
      schedules: false,
      heartbeatMs: 600_000,
    });
    await other.start();
    cleanups.push(async () => {
      await other.stop();
      await otherStore.close();
    });
    let batches = 0;
    let cancelled: Promise<unknown> | null = null;
    let runId = '';
    current.wordpress.beforeBatch = async () => {
      batches++;
      if (batches === 2) cancelled = other.cancelRun(runId);
      if (batches > 2) await pause(20);
    };
    const { run } = await current.engine.requestRun('contoso');
    runId = run.id;
    const ended = await current.engine.waitForRun(run.id);
    assert.ok(cancelled, 'the other replica was asked to cancel');
    const answer = (await cancelled) as { state: string } | null;
    assert.ok(answer && ['queued', 'running', 'cancelled'].includes(answer.state));
    assert.equal(ended?.state, 'cancelled');
    assert.ok(ended.counts.created < 200, 'stopped before the end');
    assert.equal((await otherStore.getRun(run.id))?.state, 'cancelled');
  });
});
