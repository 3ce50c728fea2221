// Schedules end to end: a missed run is caught up once at start, ticks start runs, and
// replicas sharing PostgreSQL fire each tick once and take over runs of a dead replica.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import pg from 'pg';
import { SyncEngine } from '../../src/engine/index.js';
import { MicrosoftGraphConnector } from '../../src/connectors/microsoft-graph/index.js';
import { createLogger } from '../../src/logger.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import type { Harness } from './harness.js';
import { harness } from './harness.js';

const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let h: Harness | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function postgresDatabase(): Promise<string> {
  const name = `usersync_engine_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

describe('scheduling', () => {
  it('catches up a run missed while the sidecar was down, once', async () => {
    h = await harness({
      source: {
        schedule: '0 3 * * *',
        createdAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
      },
    });
    const [run] = await h.engine.listRuns({ source: 'contoso' });
    assert.equal(run?.trigger, 'catch-up');
    const done = await h.engine.waitForRun(run!.id);
    assert.equal(done?.state, 'succeeded');
    // Restarting again: the last run is after the last tick, nothing to catch up.
    await h.restart();
    assert.equal((await h.engine.listRuns({ source: 'contoso' })).length, 1);
  });

  it('does not catch up a source created after its last tick', async () => {
    h = await harness({
      source: { schedule: '0 3 1 1 *', createdAt: new Date().toISOString() },
    });
    assert.equal((await h.engine.listRuns({ source: 'contoso' })).length, 0);
  });

  it('starts runs on its schedule and picks up schedule changes', async () => {
    h = await harness({ source: { schedule: '*/1 * * * * *' }, engine: { schedules: true } });
    await sleep(2_600);
    const runs = await h.engine.listRuns({ source: 'contoso' });
    const scheduled = runs.filter((r) => r.trigger === 'schedule');
    assert.ok(scheduled.length >= 1, `scheduled runs: ${scheduled.length}`);
    assert.equal(new Set(scheduled.map((r) => r.scheduleSlot)).size, scheduled.length);
    // The admin removes the schedule: no more scheduled runs after the reload.
    h.wordpress.connections[0]!.schedule = null;
    await h.engine.reloadSources();
    for (const run of runs) await h.engine.waitForRun(run.id);
    const count = (await h.engine.listRuns({ source: 'contoso' })).length;
    await sleep(1_500);
    assert.equal((await h.engine.listRuns({ source: 'contoso' })).length, count);
  });

  it('fires each tick once across replicas sharing PostgreSQL', async () => {
    const url = await postgresDatabase();
    h = await harness({
      store: () => new PostgresStore(url),
      source: { schedule: '*/1 * * * * *' },
      engine: { schedules: true },
    });
    const replicaStore = new PostgresStore(url);
    const replica = new SyncEngine({
      store: replicaStore,
      wordpress: h.wordpress.gateway(),
      logger: createLogger('silent'),
      connectors: (source) => new MicrosoftGraphConnector(source.settings, { backoffMs: 5 }),
      heartbeatMs: 50,
    });
    await replica.start();
    cleanups.push(async () => {
      await replica.stop();
      await replicaStore.close();
    });
    await sleep(3_300);
    h.wordpress.connections[0]!.schedule = null;
    await Promise.all([h.engine.reloadSources(), replica.reloadSources()]);
    const runs = await h.store.listRuns({ source: 'contoso', limit: 100 });
    const scheduled = runs.filter((r) => r.trigger === 'schedule');
    assert.ok(scheduled.length >= 2, `scheduled runs: ${scheduled.length}`);
    assert.equal(
      new Set(scheduled.map((r) => r.scheduleSlot)).size,
      scheduled.length,
      'one run per tick',
    );
    const owners = new Set(runs.map((r) => r.owner));
    assert.ok(owners.size >= 1);
    for (const run of runs) {
      await h.engine.waitForRun(run.id);
      await replica.waitForRun(run.id);
    }
    const final = await h.store.listRuns({ source: 'contoso', limit: 100 });
    assert.ok(final.every((r) => r.state !== 'running' && r.state !== 'queued'));
  });

  it('takes over the run of a replica that died, and resumes it', async () => {
    const url = await postgresDatabase();
    h = await harness({
      store: () => new PostgresStore(url),
      engine: { staleMs: 300 },
    });
    // A run claimed by a replica that then vanished (no heartbeat any more).
    const { run } = await h.store.claimRun({
      source: 'contoso',
      trigger: 'on-demand',
      owner: 'gone/1/x',
    });
    await h.store.updateRun(run.id, {
      state: 'running',
      heartbeatAt: new Date(Date.now() - 10_000).toISOString(),
    });
    // Marked interrupted, then continued by this replica: the same run record.
    let done = await h.store.getRun(run.id);
    for (let i = 0; i < 200 && done?.state !== 'succeeded'; i++) {
      await sleep(50);
      done = await h.store.getRun(run.id);
    }
    assert.equal(done?.state, 'succeeded', done?.error ?? '');
    assert.equal(done?.details.interruptions, 1);
    const runs = await h.engine.listRuns({ source: 'contoso' });
    assert.equal(runs.length, 1, 'one run record for the logical run');
    assert.equal(done?.counts.created, 30);
  });
  it('rides out PostgreSQL dropping every connection mid-run, and ends correct', async () => {
    const url = await postgresDatabase();
    h = await harness({
      emulator: { users: 60, photoEvery: 0 },
      store: () => new PostgresStore(url),
      engine: { storeRetry: { baseMs: 20, maxDelayMs: 200 } },
    });
    const name = new URL(url).pathname.slice(1);
    let batches = 0;
    let dropped = 0;
    h.wordpress.beforeBatch = async () => {
      batches++;
      if (batches !== 3 && batches !== 6) return;
      // The database server kills every session of the store (a failover, a restart).
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      const killed = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      dropped += killed.rowCount ?? 0;
      await admin.end();
    };
    const run = await h.sync();
    assert.ok(dropped > 0, 'connections were dropped');
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.created, 60);
    assert.equal(run.processed, 60);
    assert.equal(h.wordpress.linked('contoso').length, 60);
    const again = await h.sync({ full: true });
    assert.equal(again.counts.unchanged, 60, 'the store holds every applied user');
  });
});
