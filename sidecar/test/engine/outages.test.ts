// Runs that ride out outages: Microsoft Graph throttling for longer than any fixed number of
// retries, WordPress and the store failing mid-run for longer than the run's patience (the run
// stops as interrupted and resumes on its own from its cursor), and the run history that
// results — one logical run whose counts equal what happened, failures included.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { markTransient } from '../../src/retry.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { WordPressError } from '../../src/wordpress/client.js';
import type { Harness } from './harness.js';
import { harness, sourceUsers } from './harness.js';

let h: Harness | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const quick = { patienceMs: 100, resumeBackoff: { baseMs: 20, maxMs: 40 } };

/** An outage of WordPress as the plugin client reports it once its retries gave up. */
const wordpressDown = () =>
  markTransient(new WordPressError('GET /usersync/v1/users answered HTTP 503', 503, 'http_503'));

/** Waits until the run's record is in a final state other than interrupted. */
async function settled(current: Harness, id: string) {
  for (let i = 0; i < 400; i++) {
    // The store may be down too: ask again.
    const run = await current.engine.getRun(id).catch(() => null);
    if (run && ['succeeded', 'failed', 'cancelled'].includes(run.state)) return run;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the run did not finish');
}

function assertMirrors(current: Harness) {
  const expected = sourceUsers(current.emulator);
  const linked = current.wordpress.linked('contoso').filter((user) => user.active);
  assert.equal(linked.length, expected.length, 'one WordPress user per enabled source user');
  assert.equal(new Set(linked.map((u) => u.links.get('contoso'))).size, linked.length);
}

describe('runs that ride out outages', () => {
  it('keeps retrying Microsoft Graph throttling past its retry count, and says it waits', async () => {
    h = await harness({
      emulator: { users: 20, photoEvery: 0 },
      // Two retries would fail the run; the run's patience carries it through.
      settings: { retries: 2 },
    });
    h.emulator.addFault({ status: 429, retryAfter: 1, match: '/users/delta', count: 4 });
    const { run } = await h.engine.requestRun('contoso');
    let status: string | undefined;
    for (let i = 0; i < 200 && !status; i++) {
      status = (await h.engine.getRun(run.id))?.details.waiting?.message;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(status ?? '', /^waiting for Microsoft Graph \(throttled\) until \d\d:\d\d:\d\d/);
    const done = await h.engine.waitForRun(run.id);
    assert.equal(done?.state, 'succeeded', done?.error ?? '');
    assert.equal(done?.counts.created, 20);
    assert.equal(done?.details.waiting, null, 'nothing is waited for any more');
    assert.equal(h.emulator.stats.faulted, 4, 'every throttled answer was retried');
  });

  it('stops an over-long WordPress outage as interrupted and resumes it from its cursor', async () => {
    h = await harness({ emulator: { users: 40, photoEvery: 0 }, engine: quick });
    let batches = 0;
    h.wordpress.beforeBatch = () => {
      batches++;
      if (batches === 3)
        h!.wordpress.failure = { error: wordpressDown(), afterApply: false, remaining: 1 };
    };
    const { run } = await h.engine.requestRun('contoso');
    await h.engine.waitForRun(run.id);
    const stopped = await h.store.getRun(run.id);
    assert.equal(stopped?.state, 'interrupted');
    assert.match(stopped?.error ?? '', /^Interrupted: .*HTTP 503; resuming at/);
    const done = await settled(h, run.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    assert.equal(done.counts.created, 40);
    assert.equal(done.processed, 40);
    assert.equal((await h.engine.listRuns({ source: 'contoso' })).length, 1);
    assertMirrors(h);
  });

  it('leaves a permanent error failed, without resuming', async () => {
    h = await harness({ emulator: { users: 20, photoEvery: 0 }, engine: quick });
    h.wordpress.failure = {
      error: new WordPressError('Sorry, you are not allowed to do that.', 403, 'rest_forbidden'),
      afterApply: false,
      remaining: 1,
    };
    const run = await h.sync();
    assert.equal(run.state, 'failed');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const runs = await h.engine.listRuns({ source: 'contoso' });
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.state, 'failed', 'nothing resumed it');
  });

  it('rides out a short store outage, and resumes after a long one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-outage-'));
    dirs.push(dir);
    const outage = { until: 0, from: Infinity };
    let saves = 0;
    const makeStore = (): Store => {
      const store = new SqliteStore(path.join(dir, 'sidecar.sqlite'));
      return new Proxy(store, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            if (property === 'saveCursor' || property === 'saveCursorOfRun') saves++;
            const now = Date.now();
            if (property !== 'close' && now >= outage.from && now < outage.until) {
              throw Object.assign(new Error('Connection terminated unexpectedly'), {
                code: 'ECONNRESET',
              });
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    };
    h = await harness({
      emulator: { users: 60, photoEvery: 0 },
      store: makeStore,
      engine: { ...quick, storeRetry: { baseMs: 5, maxDelayMs: 20 } },
    });
    let batches = 0;
    h.wordpress.beforeBatch = () => {
      batches++;
      // A blip shorter than the patience, then one longer than it.
      if (batches === 2) Object.assign(outage, { from: Date.now(), until: Date.now() + 40 });
      if (batches === 5) Object.assign(outage, { from: Date.now(), until: Date.now() + 300 });
    };
    const { run } = await h.engine.requestRun('contoso');
    const done = await settled(h, run.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    assert.ok((done.details.interruptions ?? 0) >= 1, 'the long outage interrupted the run');
    assert.equal(done.counts.created, 60);
    assert.equal(done.processed, 60);
    assert.ok(saves > 0);
    assertMirrors(h);
  });

  it('a run interrupted 3 times is one logical run whose counts equal what happened', async () => {
    h = await harness({ emulator: { users: 70, photoEvery: 0 }, engine: quick });
    const taken = h.emulator.directory.user(h.emulator.directory.userOrder[2]!);
    // A person whose login and email someone else holds: one failure, in the first page.
    h.wordpress.addUser({
      login: String(taken.props.userPrincipalName),
      email: String(taken.props.mail),
    });
    let batches = 0;
    h.wordpress.beforeBatch = () => {
      batches++;
      // The 4th batch is applied but its answer is lost; the 8th and 12th never arrive.
      if (batches === 4)
        h!.wordpress.failure = { error: wordpressDown(), afterApply: true, remaining: 1 };
      if (batches === 8 || batches === 12)
        h!.wordpress.failure = { error: wordpressDown(), afterApply: false, remaining: 1 };
    };
    const { run } = await h.engine.requestRun('contoso');
    const done = await settled(h, run.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    assert.equal(done.details.interruptions, 3);
    const runs = await h.engine.listRuns({ source: 'contoso' });
    assert.equal(runs.length, 1, 'one run record');
    const created = h.wordpress.linked('contoso').length;
    assert.equal(created, 69);
    assert.equal(done.counts.created, created, 'created equals the users created');
    assert.equal(done.counts.failed, 1, 'the failure before the interruptions is kept');
    assert.equal(done.details.failures.length, 1);
    assert.equal(done.processed, 70);
    const { created: c, updated, unchanged, failed, disabled, deleted } = done.counts;
    assert.equal(c + updated + unchanged + failed + disabled + deleted, 70, 'one outcome per user');
  });
});
