// The engine's real-time feed of a Salesforce connection with `realtime: 'cometd'` (the
// Salesforce emulator, a real store, the in-memory WordPress): a Contact edited in the org
// reaches WordPress without a run, a deleted Contact disables its user, GAP_OVERFLOW starts
// a full run, and a batch WordPress failed to take is replayed from the saved cursor.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { startSalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import { decodeChangeCursor } from '../../../src/connectors/salesforce/cdc.js';
import { SalesforceConnector } from '../../../src/connectors/salesforce/index.js';
import { SyncEngine } from '../../../src/engine/index.js';
import type { RunView } from '../../../src/engine/index.js';
import type { SourceConnection } from '../../../src/engine/types.js';
import { SqliteStore } from '../../../src/store/sqlite/index.js';
import { FakeWordPress } from '../../engine/fake-wordpress.js';
import { fastRetry, logger, settingsFor } from './support.js';

const COMETD = 'POST /cometd/{version}';

interface Setup {
  emulator: SalesforceEmulator;
  wordpress: FakeWordPress;
  store: SqliteStore;
  engine: SyncEngine;
  registry: Registry;
  contacts: string[];
  sync(): Promise<RunView>;
  /** Waits for the feed to be subscribed and long-polling. */
  listening(): Promise<void>;
  close(): Promise<void>;
}

let current: Setup | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 8_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function setup(): Promise<Setup> {
  const emulator = await startSalesforceEmulator({
    seed: 'realtime',
    cometd: { timeoutMs: 300, reconnectMs: 2_000 },
  });
  const { contacts } = emulator.seed({ contacts: 5 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-realtime-'));
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
    settings: settingsFor(emulator, { realtime: 'cometd' }),
    batchSize: 10,
  };
  wordpress.connections = [source];
  const registry = new Registry();
  const engine = new SyncEngine({
    store,
    wordpress: wordpress.gateway(),
    logger,
    registry,
    schedules: false,
    heartbeatMs: 50,
    patienceMs: 300,
    resumeBackoff: { baseMs: 50, maxMs: 100 },
    realtime: { backoff: { baseMs: 20, maxMs: 100 } },
    connectors: (src, log) =>
      new SalesforceConnector(src.settings, {
        logger: log,
        connection: src.slug,
        retry: fastRetry,
      }),
  });
  const s: Setup = {
    emulator,
    wordpress,
    store,
    engine,
    registry,
    contacts,
    async sync() {
      const { run } = await engine.requestRun('acme-sf', { trigger: 'on-demand' });
      return (await engine.waitForRun(run.id))!;
    },
    async listening() {
      // A connect under way after the handshake and subscription.
      const start = emulator.stats.requests[COMETD] ?? 0;
      await until(() => (emulator.stats.requests[COMETD] ?? 0) >= start + 1, 'a long-poll');
    },
    async close() {
      await engine.stop();
      await store.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  current = s;
  const first = await s.sync();
  assert.equal(first.state, 'succeeded', first.error ?? '');
  await engine.start();
  await until(() => (emulator.stats.requests[COMETD] ?? 0) >= 3, 'the feed subscribed');
  return s;
}

const metric = async (registry: Registry, name: string, labels: Record<string, string>) => {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = found?.values.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return value?.value ?? 0;
};

describe('real-time changes from Salesforce (Change Data Capture)', () => {
  it('brings a Contact edited in Salesforce to WordPress without a run, and saves the replay id', async () => {
    const s = await setup();
    const runs = (await s.engine.listRuns({ source: 'acme-sf' })).length;
    const [id] = s.contacts;
    s.emulator.update(id!, { FirstName: 'Realtime', Phone: '+1 555 0100' });
    await until(
      () => s.wordpress.byExternalId('acme-sf', id!)?.firstName === 'Realtime',
      'the edit in WordPress',
    );
    assert.equal(s.wordpress.byExternalId('acme-sf', id!)!.meta.phone, '+1 555 0100');
    assert.equal((await s.engine.listRuns({ source: 'acme-sf' })).length, runs, 'no run');
    await until(async () => {
      const cursor = await s.store.getCursor('cdc:acme-sf');
      const replay = decodeChangeCursor(cursor?.value ?? null).replay['/data/ContactChangeEvent'];
      return replay === s.emulator.changes.latestReplayId();
    }, 'the replay id saved');
    assert.equal(
      await metric(s.registry, 'usersync_realtime_changes_total', {
        source: 'acme-sf',
        kind: 'upsert',
      }),
      1,
    );
  });

  it('disables the user of a Contact deleted in Salesforce', async () => {
    const s = await setup();
    const [, id] = s.contacts;
    assert.equal(s.wordpress.byExternalId('acme-sf', id!)!.active, true);
    s.emulator.delete(id!);
    await until(() => s.wordpress.byExternalId('acme-sf', id!)?.active === false, 'disabled');
    assert.equal(s.wordpress.linked('acme-sf').filter((u) => u.active).length, 4);
  });

  it('starts a full run on GAP_OVERFLOW', async () => {
    const s = await setup();
    s.emulator.emitGap('Contact', 'GAP_OVERFLOW');
    let gapRun: RunView | undefined;
    await until(async () => {
      gapRun = (await s.engine.listRuns({ source: 'acme-sf' })).find(
        (r) => r.trigger === 'realtime-gap',
      );
      return gapRun !== undefined;
    }, 'a realtime-gap run');
    assert.equal(gapRun!.full, true);
    const done = await s.engine.waitForRun(gapRun!.id);
    await until(async () => (await s.engine.getRun(gapRun!.id))?.state === 'succeeded', 'done');
    assert.ok(done);
  });

  it('replays a batch WordPress failed to take from the saved cursor: nothing is lost', async () => {
    const s = await setup();
    const [, , id] = s.contacts;
    let refused = 0;
    s.wordpress.beforeBatch = () => {
      if (refused++ === 0) throw new Error('WordPress is down');
    };
    s.emulator.update(id!, { LastName: 'Replayed' });
    await until(
      () => s.wordpress.byExternalId('acme-sf', id!)?.lastName === 'Replayed',
      'the edit applied after the failure',
    );
    assert.ok(refused >= 2, 'the first attempt failed');
    assert.ok(
      (await metric(s.registry, 'usersync_realtime_failures_total', { source: 'acme-sf' })) >= 1,
    );
  });

  it('runs the feed on one replica at a time; another takes over when it stops', async () => {
    const s = await setup();
    const other = new SyncEngine({
      store: s.store,
      wordpress: s.wordpress.gateway(),
      logger,
      schedules: false,
      owner: 'replica-b',
      realtime: { leaseMs: 300, backoff: { baseMs: 20, maxMs: 100 } },
      connectors: (src, log) =>
        new SalesforceConnector(src.settings, {
          logger: log,
          connection: src.slug,
          retry: fastRetry,
        }),
    });
    try {
      await other.start();
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(s.engine.realtimeFeeds().get('acme-sf'), 'watching');
      assert.equal(other.realtimeFeeds().get('acme-sf'), 'standby');
      const [id, seen] = s.contacts;
      s.emulator.update(seen!, { FirstName: 'Replica A' });
      await until(
        () => s.wordpress.byExternalId('acme-sf', seen!)?.firstName === 'Replica A',
        'applied by the first replica',
      );
      await until(async () => (await s.store.getCursor('cdc:acme-sf')) !== null, 'saved');
      await s.engine.stop();
      // Made while no replica listens: the other one replays it from the saved cursor.
      s.emulator.update(id!, { FirstName: 'Replica B' });
      await until(() => other.realtimeFeeds().get('acme-sf') === 'watching', 'taken over');
      await until(
        () => s.wordpress.byExternalId('acme-sf', id!)?.firstName === 'Replica B',
        'applied by the other replica',
      );
    } finally {
      await other.stop();
    }
  });

  it('stops the feed when real time is turned off, and starts it again when turned on', async () => {
    const s = await setup();
    const [id, other] = s.contacts;
    s.emulator.update(other!, { FirstName: 'Seen' });
    await until(() => s.wordpress.byExternalId('acme-sf', other!)?.firstName === 'Seen', 'seen');
    await until(async () => (await s.store.getCursor('cdc:acme-sf')) !== null, 'a saved cursor');
    const source = s.wordpress.connections[0]!;
    s.wordpress.connections = [{ ...source, settings: { ...source.settings, realtime: 'none' } }];
    await s.engine.reloadSources();
    await new Promise((resolve) => setTimeout(resolve, 400));
    s.emulator.update(id!, { FirstName: 'Unseen' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.notEqual(s.wordpress.byExternalId('acme-sf', id!)!.firstName, 'Unseen');

    s.wordpress.connections = [source];
    await s.engine.reloadSources();
    await s.listening();
    // Resumed from the saved position: the edit made while off arrives too.
    await until(
      () => s.wordpress.byExternalId('acme-sf', id!)?.firstName === 'Unseen',
      'the edit made while the feed was off',
    );
  });
});
