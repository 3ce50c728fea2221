// The outbound pipeline against an in-memory feed and scripted targets: routing, origin
// filtering, merged per-user deliveries in order, cursor and acknowledgement only after
// delivery, retries, dead letters, restarts that replay the unacknowledged page, nudges, full
// pushes and dead-letter retries.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { OutboundPipeline, TargetNotFoundError } from '../../src/outbound/pipeline.js';
import type { PeerSettings } from '../../src/outbound/feed.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { FakeFeed } from './fake-feed.js';
import { ScriptedTarget } from './scripted-target.js';

const logger = pino({ level: 'silent' });

const peer = (slug: string, extra: Partial<PeerSettings> = {}): PeerSettings => ({
  slug,
  name: `Peer ${slug}`,
  scimUrl: `https://${slug}.example/scim/v2`,
  token: 'token',
  push: true,
  roles: true,
  sendPasswords: false,
  acceptPasswords: false,
  includeAdministrators: false,
  ...extra,
});

interface Setup {
  feed: FakeFeed;
  store: Store;
  targets: Map<string, ScriptedTarget>;
  pipeline: OutboundPipeline;
}

const open: OutboundPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.stop()));
});

async function setup(
  options: {
    feed?: FakeFeed;
    store?: Store;
    targets?: Map<string, ScriptedTarget>;
    owner?: string;
  } = {},
): Promise<Setup> {
  const feed = options.feed ?? new FakeFeed();
  const store = options.store ?? new SqliteStore(':memory:');
  await store.migrate();
  const targets = options.targets ?? new Map<string, ScriptedTarget>();
  const pipeline = new OutboundPipeline({
    store,
    feed: feed.asFeed(),
    logger,
    settings: {
      pollMs: 40,
      retryBaseMs: 5,
      retryMaxMs: 20,
      maxAttempts: 3,
      reloadMs: 60_000,
      concurrency: 2,
      leaseMs: 300,
    },
    targetFactory: (settings) => {
      let target = targets.get(settings.slug);
      if (!target) {
        target = new ScriptedTarget(settings.slug);
        targets.set(settings.slug, target);
      }
      return target;
    },
  });
  if (options.owner) (pipeline as { owner: string }).owner = options.owner;
  open.push(pipeline);
  return { feed, store, targets, pipeline };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('outbound pipeline', () => {
  it('delivers each change to every target, merged per user, skipping its own origin and what it does not cover', async () => {
    const { feed, targets, pipeline } = await setup();
    feed.peerList = [peer('child'), peer('mirror')];
    await pipeline.start();
    await until(() => targets.size === 2, 'two targets');
    const child = targets.get('child')!;
    child.covered = (change) => !change.changed.includes('meta:secret');

    feed.change(1, 'create', ['user_login']);
    feed.change(1, 'update', ['first_name']);
    feed.change(2, 'update', ['first_name'], 'child');
    feed.change(3, 'update', ['meta:secret']);
    pipeline.nudge();
    await until(() => pipeline.handled(feed.latest()), 'the page to be handled');

    assert.deepEqual(
      child.delivered.map((c) => [c.userId, c.actions, c.changed]),
      [[1, ['create', 'update'], ['user_login', 'first_name']]],
      'the child gets user 1 once; not its own change, not what it does not cover',
    );
    assert.deepEqual(
      targets.get('mirror')!.delivered.map((c) => c.userId),
      [1, 2, 3],
    );
    const { targets: status } = await pipeline.status();
    const childStatus = status.find((t) => t.slug === 'child')!;
    assert.equal(childStatus.counts.skippedOrigin, 1);
    assert.equal(childStatus.counts.notCovered, 1);
    await until(() => feed.acked === feed.latest(), 'the acknowledgement');
  });

  it('keeps per-user order across pages and acknowledges only what every target handled', async () => {
    const feed = new FakeFeed();
    const { targets, pipeline } = await setup({ feed });
    feed.peerList = [peer('child'), peer('slow')];
    await pipeline.start();
    await until(() => targets.size === 2, 'targets');
    const slow = targets.get('slow')!;
    slow.failures.set(9, { left: 1_000_000, transient: true });

    feed.change(9, 'update', ['first_name']);
    pipeline.nudge();
    await until(
      async () =>
        (await pipeline.status()).targets.find((t) => t.slug === 'slow')!.phase === 'retrying',
      'the slow target to retry',
    );
    // A later page: it waits behind the page the slow target has not delivered yet.
    feed.change(9, 'update', ['last_name']);
    feed.change(1, 'update', ['first_name']);
    pipeline.nudge();
    await until(() => targets.get('child')!.delivered.length === 3, 'the child');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(feed.acked, 0, 'nothing is acknowledged while a target has not delivered');
    const { targets: status } = await pipeline.status();
    const slowStatus = status.find((t) => t.slug === 'slow')!;
    assert.equal(slowStatus.lastError?.code, 'peer_unreachable');
    assert.equal(slowStatus.deadLetters, 0, 'a target that is down makes no dead letters');
    assert.equal(slow.delivered.length, 0, 'the later page waits');

    slow.failures.delete(9);
    await until(() => pipeline.handled(feed.latest()), 'everything');
    assert.deepEqual(
      slow.delivered.map((c) => [c.userId, c.changed]),
      [
        [9, ['first_name']],
        [9, ['last_name']],
        [1, ['first_name']],
      ],
    );
    await until(() => feed.acked === feed.latest(), 'the acknowledgement');
  });

  it('turns a change refused for good into a dead letter after its attempts, audits it, and moves on', async () => {
    const { feed, store, targets, pipeline } = await setup();
    feed.peerList = [peer('child')];
    await pipeline.start();
    await until(() => targets.size === 1, 'target');
    const child = targets.get('child')!;
    child.failures.set(5, { left: 1_000, transient: false });
    feed.change(5, 'update', ['user_email']);
    feed.change(6, 'update', ['user_email']);
    pipeline.nudge();
    await until(() => pipeline.handled(feed.latest()), 'the page');

    assert.deepEqual(
      child.delivered.map((c) => c.userId),
      [6],
    );
    const [letter] = await store.listDeadLetters();
    assert.equal(letter?.userId, 5);
    assert.equal(letter?.attempts, 3);
    assert.equal(letter?.code, 'invalidValue');
    assert.equal(feed.auditLog.length, 1);
    assert.equal(feed.auditLog[0]!.result, 'failure');
    assert.equal(feed.auditLog[0]!.userId, 5);
    assert.match(feed.auditLog[0]!.message!, /after 3 attempts: refused/);
    assert.equal((await pipeline.status()).targets[0]!.deadLetters, 1);

    // Fixed on the target's side: a retry delivers and resolves the letter.
    child.failures.delete(5);
    assert.deepEqual(await pipeline.retryDeadLetter(letter!.id), { resolved: true, error: null });
    assert.equal((await store.getDeadLetter(letter!.id))?.resolvedAt !== null, true);
    assert.equal((await pipeline.status()).targets[0]!.deadLetters, 0);
  });

  it('pushes one user now on request (Push now), reports a refusal, and knows only its peers', async () => {
    const { feed, targets, pipeline } = await setup();
    feed.peerList = [peer('child')];
    await pipeline.start();
    await until(() => targets.size === 1, 'target');
    const child = targets.get('child')!;

    const queued = await pipeline.requestUserPush('child', 42);
    const done = await pipeline.waitForCommand(queued.id, 5000);
    assert.equal(done?.state, 'succeeded', done?.error ?? '');
    assert.deepEqual(done?.result, { status: 'updated', error: null });
    const sent = child.delivered.find((c) => c.userId === 42);
    assert.ok(sent, 'delivered');
    assert.deepEqual(sent.actions, ['update']);
    assert.deepEqual(sent.changed, [], 'every attribute, not a diff');

    child.failures.set(43, { left: 1_000, transient: false });
    const refused = await pipeline.waitForCommand(
      (await pipeline.requestUserPush('child', 43)).id,
      5000,
    );
    assert.equal(refused?.state, 'failed');
    assert.match(String((refused?.result as { error?: string }).error), /refused/);

    await assert.rejects(pipeline.requestUserPush('nowhere', 42), TargetNotFoundError);
  });

  it('replays the unacknowledged page after a stop, from the stored cursor', async () => {
    const feed = new FakeFeed();
    const store = new SqliteStore(':memory:');
    const first = await setup({ feed, store });
    feed.peerList = [peer('child')];
    await first.pipeline.start();
    await until(() => first.targets.size === 1, 'target');
    feed.change(1, 'update', ['first_name']);
    first.pipeline.nudge();
    await until(() => first.pipeline.handled(feed.latest()), 'first page');

    first.targets.get('child')!.failures.set(2, { left: 1_000_000, transient: true });
    feed.change(2, 'update', ['first_name']);
    feed.change(3, 'update', ['first_name']);
    first.pipeline.nudge();
    await until(() => first.targets.get('child')!.delivered.some((c) => c.userId === 3), 'user 3');
    await first.pipeline.stop();
    assert.equal((await store.getCursor('outbound:child'))?.value, '1', 'the cursor stayed');

    const second = await setup({ feed, store, targets: new Map() });
    await second.pipeline.start();
    await until(() => second.pipeline.handled(feed.latest()), 'the replay');
    assert.deepEqual(
      second.targets.get('child')!.delivered.map((c) => c.userId),
      [2, 3],
      'the whole page again: targets make replays harmless',
    );
  });

  it('is woken by a nudge well before its poll', async () => {
    const { feed, targets, pipeline } = await setup();
    feed.peerList = [peer('child')];
    await pipeline.start();
    await until(() => targets.size === 1, 'target');
    // Let the worker settle into a long wait.
    (pipeline.settings as { pollMs: number }).pollMs = 60_000;
    await new Promise((resolve) => setTimeout(resolve, 100));
    feed.change(1, 'update', ['first_name']);
    const started = Date.now();
    pipeline.nudge();
    await until(() => targets.get('child')!.delivered.length === 1, 'the delivery', 2000);
    assert.ok(Date.now() - started < 1000);
  });

  it('acknowledges everything when no target is set up', async () => {
    const { feed, pipeline } = await setup();
    feed.change(1, 'create', ['user_login']);
    feed.change(2, 'create', ['user_login']);
    await pipeline.start();
    pipeline.nudge();
    await until(() => feed.acked === 2, 'the acknowledgement');
  });

  it('waits while WordPress is down and carries on afterwards', async () => {
    const { feed, targets, pipeline } = await setup();
    feed.peerList = [peer('child')];
    await pipeline.start();
    await until(() => targets.size === 1, 'target');
    feed.down = true;
    feed.change(1, 'update', ['first_name']);
    pipeline.nudge();
    await until(async () => (await pipeline.status()).targets[0]!.phase === 'retrying', 'retrying');
    feed.down = false;
    await until(() => targets.get('child')!.delivered.length === 1, 'the delivery');
  });

  it('runs a full push on request, records its progress, and joins a second request', async () => {
    const { feed, store, targets, pipeline } = await setup();
    feed.peerList = [peer('child')];
    await pipeline.start();
    await until(() => targets.size === 1, 'target');
    const child = targets.get('child')!;
    let open: () => void = () => undefined;
    child.pushGate = new Promise((resolve) => (open = resolve));
    const first = await pipeline.requestPush('child');
    const second = await pipeline.requestPush('child');
    assert.equal(first.joined, false);
    assert.equal(second.joined, true);
    assert.equal(second.run.id, first.run.id);
    open();
    await until(async () => (await store.getRun(first.run.id))?.state === 'succeeded', 'the push');
    const run = (await store.getRun(first.run.id))!;
    assert.equal(run.source, 'push:child');
    assert.equal(run.processed, 3);
    assert.equal(run.counts.created, 2);
    assert.equal(child.pushes, 1);
    await assert.rejects(pipeline.requestPush('nobody'), /No target "nobody"/);
  });

  it('follows the peers: a removed one stops, a changed one is rebuilt', async () => {
    const { feed, targets, pipeline } = await setup();
    feed.peerList = [peer('child'), peer('mirror')];
    await pipeline.start();
    await until(() => targets.size === 2, 'targets');
    feed.peerList = [peer('child', { push: false }), peer('mirror', { name: 'Renamed' })];
    await pipeline.reload();
    const { targets: status } = await pipeline.status();
    assert.deepEqual(
      status.map((t) => [t.slug, t.name]),
      [['mirror', 'Renamed']],
    );
  });

  it('with replicas sharing a store, one delivers to a target; another takes over when it stops', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-lease-'));
    const file = path.join(dir, 'sidecar.sqlite');
    const feed = new FakeFeed();
    feed.peerList = [peer('child')];
    const a = await setup({ feed, store: new SqliteStore(file), owner: 'replica-a' });
    const b = await setup({ feed, store: new SqliteStore(file), owner: 'replica-b' });
    try {
      await a.pipeline.start();
      await until(
        async () => (await a.pipeline.status()).targets[0]?.phase === 'idle',
        'a to lead',
      );
      await b.pipeline.start();
      await until(
        async () => (await b.pipeline.status()).targets[0]?.phase === 'standby',
        'b to wait',
      );
      for (let i = 1; i <= 4; i++) feed.change(i, 'update', ['first_name']);
      a.pipeline.nudge();
      b.pipeline.nudge();
      await until(() => a.pipeline.handled(feed.latest()), 'a to deliver');
      assert.equal(a.targets.get('child')!.delivered.length, 4);
      assert.equal(b.targets.get('child')!.delivered.length, 0, 'b delivered nothing');

      await a.pipeline.stop();
      feed.change(5, 'update', ['first_name']);
      b.pipeline.nudge();
      await until(
        () => b.targets.get('child')!.delivered.some((c) => c.userId === 5),
        'b to take over',
      );
      assert.deepEqual(
        b.targets.get('child')!.delivered.map((c) => c.userId),
        [5],
        'b continues from the shared cursor',
      );
    } finally {
      await Promise.all([a.pipeline.stop(), b.pipeline.stop()]);
      await Promise.all([a.store.close(), b.store.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
