// Microsoft Graph sync when things go wrong, against the real stack: a throttling storm
// (429/503 with Retry-After) is ridden out, and so is a stretch of nothing but 429s longer than
// any fixed number of retries; WordPress answering 503 for a stretch mid-run does not fail the
// run; and a sidecar killed in the middle of a run — without any chance to clean up — continues
// the same run on restart from its last saved page, ending with WordPress equal to the source,
// no user created twice, and counts that add up.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { asAdmin, eventually } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';
import { startGraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import type { GraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import {
  connectEmulator,
  getRun,
  linkedUsers,
  rest,
  syncAndWait,
  syncNow,
  waitForRun,
  type RunAnswer,
  type SiteAccess,
} from '../src/emulators/microsoft-graph/stack.js';

let stack: Stack;
let emulator: GraphEmulator;
let site: SiteAccess;

before(
  async () => {
    [stack, emulator] = await Promise.all([
      startStack({ name: 'graph-resilience' }),
      startGraphEmulator({ users: 300, seed: 'resilience', photoEvery: 0 }),
    ]);
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
  },
  { timeout: 120_000 },
);

after(async () => {
  await stack?.stop();
  await emulator?.close();
});

/** WordPress equals the source: every enabled user once, nobody else, no login twice. */
async function assertEqualsSource(slug: string, others = 0): Promise<void> {
  const users = await linkedUsers(site, slug);
  const live = [...emulator.directory.users.values()].filter((u) => !u.deleted);
  assert.equal(users.length, live.length, 'as many linked users as source users');
  assert.equal(new Set(users.map((u) => u.externalId)).size, users.length, 'no external id twice');
  const logins = new Set(users.map((u) => u.login.toLowerCase()));
  assert.equal(logins.size, users.length, 'no login twice');
  for (const user of live) {
    assert.ok(logins.has(String(user.props.userPrincipalName).toLowerCase()));
  }
  // Nobody else was created: admin + service user + the synced users.
  const all = await request<{ total: number }>(rest(site, 'users?per_page=1'), {
    basic: asAdmin(stack),
  });
  assert.equal(all.body.total, live.length + 2 + others, 'no stray WordPress users');
}

/**
 * A reverse proxy in front of WordPress for the sidecar: passes everything through, or answers
 * 503 to everything while `down` (a host whose PHP workers are exhausted or restarting).
 */
async function wordpressProxy(target: string) {
  const state = { down: false, refused: 0 };
  const server = http.createServer((req, res) => {
    if (state.down) {
      state.refused++;
      res.writeHead(503, { 'Content-Type': 'text/html' }).end('<h1>Service Unavailable</h1>');
      return;
    }
    const upstream = http.request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The sidecar's process group, killed without warning. */
function killSidecar(): void {
  const group = stack.processGroups().find((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sidecar/src/main.ts');
    } catch {
      return false;
    }
  });
  assert.ok(group, 'the sidecar process was found');
  process.kill(-group, 'SIGKILL');
}

describe('Microsoft Graph sync under stress', () => {
  test('rides out a throttling storm', async () => {
    await connectEmulator(site, emulator, { slug: 'storm', pageSize: 20, photos: false });
    emulator.addFault({ status: 429, retryAfter: 1, every: 6, match: '/v1.0/' });
    emulator.addFault({ status: 503, retryAfter: 0, every: 4, match: '/v1.0/' });
    emulator.addFault({ status: 429, retryAfter: 0, every: 5, match: '/oauth2/' });
    const faultedBefore = emulator.stats.faulted;
    const run = await syncAndWait(site, 'storm', {}, 180_000);
    emulator.clearFaults();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.created, 300);
    assert.ok(emulator.stats.faulted - faultedBefore >= 5, 'the storm happened');
    await assertEqualsSource('storm');
  });

  test('waits out a stretch of nothing but 429s longer than any retry count', async () => {
    emulator.reset({
      seed: 'throttled',
      users: 60,
      photoEvery: 0,
      domain: 'tailspin.onmicrosoft.com',
    });
    await connectEmulator(site, emulator, { slug: 'throttled', pageSize: 20, photos: false });
    // Every users delta request answers 429 for a stretch (12 in a row, 1 s apart: twice what
    // a fixed count of 6 retries rode out), then Graph recovers.
    emulator.addFault({ status: 429, retryAfter: 1, match: '/users/delta', count: 12 });
    const started = await syncNow(site, 'throttled');
    let status = '';
    const run = await waitForRun(site, started.id, {
      timeoutMs: 120_000,
      onProgress: (seen) => {
        status ||= seen.details?.waiting?.message ?? '';
      },
    });
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.created, 60);
    assert.match(status, /^waiting for Microsoft Graph \(throttled\) until/);
    await assertEqualsSource('throttled', 300);
  });

  test('WordPress answering 503 for a stretch mid-run: the run succeeds, right final state', async () => {
    emulator.reset({ seed: 'blip', users: 400, photoEvery: 0, domain: 'wingtip.onmicrosoft.com' });
    const proxy = await wordpressProxy(stack.wordpress.url);
    try {
      await stack.stopSidecar();
      await stack.startSidecar({ WP_URL: proxy.url });
      await connectEmulator(site, emulator, {
        slug: 'blip',
        pageSize: 25,
        batchSize: 25,
        photos: false,
      });
      emulator.addFault({ delayMs: 60, match: '/users/delta' });
      const started = await syncNow(site, 'blip');
      await eventually(async () => assert.ok((await getRun(site, started.id)).processed >= 100), {
        timeoutMs: 120_000,
        intervalMs: 100,
        what: 'the run to get going',
      });
      // WordPress answers nothing but 503 for 8 s in the middle of the run.
      proxy.state.down = true;
      let status = '';
      await eventually(
        async () => {
          const seen = await getRun(site, started.id);
          status = seen.details?.waiting?.message ?? '';
          assert.match(status, /^WordPress is not answering, retrying/);
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'the run to say it waits for WordPress' },
      );
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      proxy.state.down = false;
      emulator.clearFaults();
      const run = await waitForRun(site, started.id, { timeoutMs: 180_000 });
      assert.equal(run.state, 'succeeded', run.error ?? '');
      assert.ok(proxy.state.refused > 0, 'WordPress was down');
      assert.equal(run.counts.created, 400, 'every user created, counted once');
      assert.equal(run.counts.failed, 0);
      assert.equal(run.processed, 400);
      await assertEqualsSource('blip', 360);
    } finally {
      await stack.stopSidecar();
      await stack.startSidecar();
      await proxy.close();
    }
  });

  test('a sidecar killed mid-run resumes on restart: no user lost, none twice', async () => {
    // Another tenant (other user names), so nobody clashes with the users of the first test.
    emulator.reset({
      seed: 'killed',
      users: 1_200,
      photoEvery: 0,
      domain: 'fabrikam.onmicrosoft.com',
    });
    await connectEmulator(site, emulator, {
      slug: 'killed',
      pageSize: 50,
      batchSize: 25,
      photos: false,
    });
    // Slow pages keep the run going long enough to be killed in the middle.
    emulator.addFault({ delayMs: 120, match: '/users/delta' });
    const started = await syncNow(site, 'killed');
    let seen: RunAnswer | undefined;
    await eventually(
      async () => {
        seen = await getRun(site, started.id);
        assert.ok(seen.processed >= 250, `processed ${seen.processed}`);
      },
      { timeoutMs: 120_000, intervalMs: 100, what: 'the run to get going' },
    );
    killSidecar();
    await eventually(async () => assert.equal(stack.sidecarRunning(), false), {
      what: 'the sidecar to be gone',
    });
    const partial = await linkedUsers(site, 'killed');
    assert.ok(partial.length > 0 && partial.length < 1_200, `partial: ${partial.length}`);

    emulator.clearFaults();
    await stack.startSidecar();
    // The restarted sidecar marks the killed run interrupted and continues it on its own:
    // the same run record, from the page the killed process had not applied.
    const requestsBefore = emulator.stats.total;
    const resumed = await eventually(
      async () => {
        const list = await request<{ runs: RunAnswer[] }>(rest(site, 'runs?source=killed'), {
          basic: asAdmin(stack),
        });
        assert.equal(list.body.runs.length, 1, 'one run record for the logical run');
        const run = list.body.runs[0]!;
        assert.equal(run.id, started.id);
        assert.equal(run.state, 'succeeded', run.error ?? run.state);
        return run;
      },
      { timeoutMs: 120_000, intervalMs: 300, what: 'the resumed run to finish' },
    );
    // It resumed where the killed run stopped rather than starting over …
    const pages = emulator.stats.total - requestsBefore;
    assert.ok(pages < 1_200 / 50, `${pages} Graph requests after the restart, not every page`);
    // … and its counts add up to what happened.
    assert.equal(resumed.counts.created, 1_200, 'every user created is counted once');
    assert.equal(resumed.processed, 1_200);
    await assertEqualsSource('killed', 360 + 400);

    // And the next run has nothing left to do.
    const again = await syncAndWait(site, 'killed', { full: true });
    assert.equal(again.state, 'succeeded');
    assert.equal(again.counts.created + again.counts.updated, 0);
  });
});
