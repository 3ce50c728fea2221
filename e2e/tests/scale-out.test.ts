// Scale-out: three replicas of the built sidecar on one PostgreSQL, against a real WordPress
// and the Graph emulator (slowed down so runs are mid-flight when they are interfered with).
// SCIM writes spread over the replicas make no duplicate; Sync now on two replicas makes one
// run; a run whose owner is killed (-9) or paused past the stale time is taken over and ends
// once, written by one replica; PostgreSQL dropping every connection crashes no replica.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';

import { asAdmin } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';
import { repoRoot } from '../src/stack/paths.js';
import { freePort } from '../src/stack/ports.js';
import { signalGroup, sleep, type ManagedProcess } from '../src/stack/process.js';
import { startSidecar } from '../src/stack/sidecar.js';
import { startGraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import type { GraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import {
  connectEmulator,
  linkedUsers,
  type RunAnswer,
  type SiteAccess,
} from '../src/emulators/microsoft-graph/stack.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SLUG = 'scale-out-entra';
const USERS = 400;
const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const entry = path.join(repoRoot, 'sidecar', 'dist', 'main.js');
const dbName = `usersync_scaleout_${randomBytes(4).toString('hex')}`;
const RUN_ENV = {
  RUN_HEARTBEAT_SECONDS: '1',
  RUN_STALE_SECONDS: '4',
  RUN_RESUME_SECONDS: '1',
  RUN_PATIENCE_MINUTES: '1',
};

interface Replica {
  url: string;
  /** The process of replicas this test started (the stack's own sidecar is replica 0). */
  process: ManagedProcess | null;
  logPath: string;
}

let stack: Stack;
let emulator: GraphEmulator;
let site: SiteAccess;
const replicas: Replica[] = [];

async function adminQuery(sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

function databaseUrl(): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${dbName}`;
  return url.toString();
}

before(
  async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const build = spawnSync(npm, ['run', 'build', '-w', 'sidecar'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(build.status, 0, `building the sidecar failed:\n${build.stdout}${build.stderr}`);
    await adminQuery(`CREATE DATABASE ${dbName}`);
    const env = { DATABASE_URL: databaseUrl(), ...RUN_ENV };
    [stack, emulator] = await Promise.all([
      startStack({ name: 'scale-out', sidecarEntry: entry, sidecarEnv: env }),
      startGraphEmulator({ users: USERS, seed: 'scale-out', photoEvery: 0 }),
    ]);
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
    replicas.push({ url: stack.sidecar.url, process: null, logPath: stack.logs.sidecar });
    for (let i = 1; i <= 2; i++) {
      const port = await freePort();
      const logPath = path.join(stack.dir, `sidecar-${i}.log`);
      const sidecar = await startSidecar({
        port,
        wpUrl: stack.wordpress.url,
        wpUser: stack.wordpress.appUser,
        wpAppPassword: stack.wordpress.appPassword,
        apiKey: stack.sidecar.apiKey,
        sqlitePath: path.join(stack.dir, `unused-${i}.sqlite`),
        logPath,
        entry,
        env,
      });
      replicas.push({ url: sidecar.url, process: sidecar.process, logPath });
    }
    // Slow pages: a full run takes several seconds, so it is mid-flight when interfered with.
    emulator.addFault({ match: '/users', delayMs: 250 });
    await connectEmulator(site, emulator, { slug: SLUG, pageSize: 50 });
    for (const replica of replicas) {
      const reloaded = await api(replica, 'POST', '/sources/reload');
      assert.equal(reloaded.status, 200, reloaded.text);
    }
  },
  { timeout: 400_000 },
);

after(async () => {
  for (const replica of replicas) {
    if (replica.process) {
      signalGroup(replica.process.pid, 'SIGCONT');
      await replica.process.stop(2000);
    }
  }
  await stack?.stop();
  await emulator?.close();
  await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
});

function api<T = RunAnswer>(replica: Replica, method: string, route: string, body?: unknown) {
  return request<T>(`${replica.url}/api/v1${route}`, {
    method,
    bearer: stack.sidecar.apiKey,
    ...(body === undefined ? {} : { body }),
  });
}

function alive(replica: Replica): boolean {
  return replica.process === null || !replica.process.hasExited();
}

/** Polls a run on the live replicas until it has ended (interrupted runs resume). */
async function ended(id: string, timeoutMs = 120_000): Promise<RunAnswer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const replica of replicas.filter(alive)) {
      const answer = await api(replica, 'GET', `/runs/${id}`).catch(() => null);
      const run = answer?.status === 200 ? answer.body : null;
      if (run && !['queued', 'running', 'interrupted'].includes(run.state)) return run;
      if (answer) break;
    }
    if (Date.now() > deadline) throw new Error(`run ${id} did not end in ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** Waits until the run has processed some users (it is mid-flight). */
async function midFlight(replica: Replica, id: string): Promise<RunAnswer> {
  for (let i = 0; i < 400; i++) {
    const { body } = await api(replica, 'GET', `/runs/${id}`);
    if (body.state === 'running' && body.processed > 0) return body;
    assert.ok(['queued', 'running'].includes(body.state), `run is ${body.state}`);
    await sleep(50);
  }
  throw new Error('the run never got under way');
}

function ownerPid(owner: string | null | undefined): number {
  const pid = Number(String(owner).split('/')[1]);
  assert.ok(Number.isInteger(pid) && pid > 0, `owner ${owner} names a process`);
  return pid;
}

function replicaOf(pid: number): Replica {
  return replicas.find((replica) => replica.process?.pid === pid) ?? replicas[0]!;
}

/** Log lines of every replica about one run. */
function runLog(id: string, message: string): number {
  let count = 0;
  for (const replica of replicas) {
    const text = fs.readFileSync(replica.logPath, 'utf8');
    for (const line of text.split('\n')) {
      if (line.includes(id) && line.includes(`"msg":"${message}"`)) count++;
    }
  }
  return count;
}

async function assertMirrors(): Promise<void> {
  const users = await linkedUsers(site, SLUG, []);
  const ids = users.map((user) => user.externalId);
  assert.equal(new Set(ids).size, ids.length, 'no source user linked twice');
  assert.equal(users.filter((user) => user.active).length, USERS);
}

describe('three replicas on one PostgreSQL', () => {
  test('SCIM writes spread over the replicas make no duplicate', async () => {
    const posts = Array.from({ length: 30 }, (_, i) => {
      const userName = `spread.${i % 10}@example.org`;
      return fetch(`${replicas[i % 3]!.url}/scim/v2/Users`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.sidecar.scimToken}`,
          'content-type': 'application/scim+json',
        },
        body: JSON.stringify({
          schemas: [USER],
          userName,
          externalId: `spread-${i % 10}`,
          emails: [{ value: userName, primary: true }],
          active: true,
        }),
      }).then((response) => response.status);
    });
    const statuses = await Promise.all(posts);
    assert.equal(statuses.filter((status) => status === 201).length, 10, statuses.join(','));
    assert.equal(statuses.filter((status) => status === 409).length, 20, statuses.join(','));
    const listed = await fetch(
      `${replicas[1]!.url}/scim/v2/Users?filter=${encodeURIComponent('userName sw "spread."')}&count=100`,
      { headers: { authorization: `Bearer ${stack.sidecar.scimToken}` } },
    );
    const body = (await listed.json()) as { totalResults: number };
    assert.equal(body.totalResults, 10);
  });

  test('Sync now on two replicas at once makes one run', async () => {
    const [first, second] = await Promise.all([
      api(replicas[0]!, 'POST', `/sources/${SLUG}/runs`, {}),
      api(replicas[1]!, 'POST', `/sources/${SLUG}/runs`, {}),
    ]);
    assert.equal(first.status, 202, first.text);
    assert.equal(second.status, 202, second.text);
    assert.equal(first.body.id, second.body.id, 'both presses name the same run');
    assert.deepEqual([first.body.joined, second.body.joined].sort(), [false, true]);
    const run = await ended(first.body.id, 150_000);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    const runs = await api<{ runs: RunAnswer[] }>(replicas[2]!, 'GET', `/runs?source=${SLUG}`);
    assert.equal(runs.body.runs.length, 1);
    await assertMirrors();
  });

  test('a run whose owner is killed (-9) is taken over and finishes', async () => {
    const started = await api(replicas[1]!, 'POST', `/sources/${SLUG}/runs`, { full: true });
    assert.equal(started.status, 202, started.text);
    const running = await midFlight(replicas[1]!, started.body.id);
    const victim = replicaOf(ownerPid((running as RunAnswer & { owner?: string }).owner));
    assert.ok(victim.process, 'the run is owned by the replica that got the request');
    signalGroup(victim.process.pid, 'SIGKILL');
    await victim.process.exited;
    const run = await ended(started.body.id);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.ok((run.details?.interruptions ?? 0) >= 1, 'resumed after the owner died');
    const owner = (run as RunAnswer & { owner?: string }).owner;
    assert.notEqual(ownerPid(owner), victim.process.pid, 'another replica finished it');
    await assertMirrors();
  });

  test('a paused owner coming back after a takeover writes nothing', async () => {
    const owner = replicas[2]!;
    assert.ok(owner.process);
    const started = await api(owner, 'POST', `/sources/${SLUG}/runs`, { full: true });
    assert.equal(started.status, 202, started.text);
    await midFlight(owner, started.body.id);
    signalGroup(owner.process.pid, 'SIGSTOP');
    // Well past the stale time (4 s): replica 0 takes the run over.
    await sleep(9_000);
    const during = await api(replicas[0]!, 'GET', `/runs/${started.body.id}`);
    signalGroup(owner.process.pid, 'SIGCONT');
    assert.notEqual(
      ownerPid((during.body as RunAnswer & { owner?: string }).owner),
      owner.process.pid,
      'taken over while paused',
    );
    const run = await ended(started.body.id);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    // Give the resumed process time to try (and fail) its writes.
    await sleep(3_000);
    assert.ok(alive(owner), 'the paused replica is still running');
    const final = await api(replicas[0]!, 'GET', `/runs/${started.body.id}`);
    assert.equal(final.body.state, 'succeeded');
    assert.equal(final.body.error, null);
    assert.equal(final.body.finishedAt, run.finishedAt, 'nobody wrote the end again');
    assert.equal(runLog(started.body.id, 'run finished'), 1, 'one replica wrote the end');
    assert.match(
      fs.readFileSync(owner.logPath, 'utf8'),
      /run taken over by another replica/,
      'the paused replica found the run taken over and stopped',
    );
    const runs = await api<{ runs: RunAnswer[] }>(replicas[0]!, 'GET', `/runs?source=${SLUG}`);
    assert.equal(
      runs.body.runs.filter((each) => each.state === 'running' || each.state === 'queued').length,
      0,
    );
    await assertMirrors();
  });

  test('PostgreSQL dropping every connection mid-run crashes no replica; the run finishes', async () => {
    const started = await api(replicas[0]!, 'POST', `/sources/${SLUG}/runs`, { full: true });
    assert.equal(started.status, 202, started.text);
    await midFlight(replicas[0]!, started.body.id);
    const killed = await adminQuery(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [dbName],
    );
    assert.ok((killed.rowCount ?? 0) > 0, 'backends were terminated');
    const run = await ended(started.body.id);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    await sleep(1_000);
    for (const replica of replicas.filter((each) => each.process !== null)) {
      if (replica === replicas[1]) continue; // killed on purpose above
      assert.ok(alive(replica), `${replica.url} is still running`);
    }
    for (const replica of replicas) {
      assert.doesNotMatch(fs.readFileSync(replica.logPath, 'utf8'), /unhandled promise rejection/);
    }
    const health = await request(`${replicas[0]!.url}/healthz`, { bearer: stack.sidecar.apiKey });
    assert.equal(health.status, 200, health.text);
    await assertMirrors();
  });
});
