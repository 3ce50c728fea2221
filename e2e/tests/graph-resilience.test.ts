// Microsoft Graph sync when things go wrong, against the real stack: a throttling storm
// (429/503 with Retry-After) is ridden out, and a sidecar killed in the middle of a run —
// without any chance to clean up — resumes on restart from its last saved page, ending with
// WordPress equal to the source and no user created twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
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
    // The restarted sidecar marks the killed run interrupted and catches up on its own.
    const resumed = await eventually(
      async () => {
        const list = await request<{ runs: RunAnswer[] }>(rest(site, 'runs?source=killed'), {
          basic: asAdmin(stack),
        });
        const catchUp = list.body.runs.find((r) => r.trigger === 'catch-up');
        assert.ok(catchUp, 'a catch-up run exists');
        assert.equal(catchUp.state, 'succeeded', catchUp.error ?? catchUp.state);
        return { runs: list.body.runs, catchUp };
      },
      { timeoutMs: 120_000, intervalMs: 300, what: 'the catch-up run to finish' },
    );
    const killed = resumed.runs.find((r) => r.id === started.id)!;
    assert.equal(killed.state, 'failed');
    assert.match(killed.error ?? '', /Interrupted/);
    // It resumed where the killed run stopped rather than starting over.
    assert.ok(
      resumed.catchUp.processed < 1_200,
      `the catch-up processed ${resumed.catchUp.processed}, not everything again`,
    );
    await assertEqualsSource('killed', 300);

    // And the next run has nothing left to do.
    const again = await syncAndWait(site, 'killed', { full: true });
    assert.equal(again.state, 'succeeded');
    assert.equal(again.counts.created + again.counts.updated, 0);
  });
});
