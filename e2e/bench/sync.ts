// `npm run bench:sync`: how fast and how lean a Microsoft Graph pull is, next to what WordPress
// itself manages. On one fresh stack and the Graph emulator it measures, in this order:
//   1. the first full sync of N emulated users (default 10,000) through Sync now,
//   2. a following run with nothing to change — a full re-scan of all N users, compared by
//      hash (the harder case; an incremental delta run is timed too) — and how many WordPress
//      writes it made (audit rows of the run),
//   3. the raw wp_insert_user() loop on the same site, one php process per core,
//   4. the photo reconciliation of the N linked users after 1% of them got a new photo in the
//      directory (a change Graph's delta never reports): Graph requests and seconds,
//   5. the sidecar's peak RSS (VmHWM) over a dry run of 1,000 and of 100,000 source users,
//      each in a fresh sidecar process of its own.
// It prints its figures; the last line is one JSON object with them.
//
// The synced users get the same fields the raw loop writes (login, email, first, last and
// display name; the attribute map is set to exactly those), so the comparison is of the two
// write paths, not of how many fields each writes; `--default-map 1` keeps the site's
// default attribute map instead (five more meta fields per user).
//
//   npm run bench:sync [-- --users 10000 --rss-small 1000 --rss-large 100000 --page-size 999
//                          --batch-size 100 --batch-concurrency 2 --default-map 0]
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { rawInsert } from './lib/raw-insert.js';
import { asAdmin, restUrl } from '../src/helpers.js';
import { ensurePrerequisites, request, startStack, type Stack } from '../src/stack/index.js';
import { freePort } from '../src/stack/ports.js';
import { repoRoot, sidecarMain } from '../src/stack/paths.js';
import {
  seededId,
  solidPng,
  startGraphEmulator,
  type GraphEmulator,
} from '../src/emulators/microsoft-graph/index.js';
import {
  connectEmulator,
  putConfig,
  syncAndWait,
  type RunAnswer,
  type SiteAccess,
} from '../src/emulators/microsoft-graph/stack.js';

interface Options {
  users: number;
  rssSmall: number;
  rssLarge: number;
  pageSize: number;
  batchSize: number;
  batchConcurrency: number;
  defaultMap: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    users: 10_000,
    rssSmall: 1_000,
    rssLarge: 100_000,
    pageSize: 999,
    batchSize: 100,
    batchConcurrency: 2,
    defaultMap: 0,
  };
  const names: Record<string, keyof Options> = {
    '--users': 'users',
    '--rss-small': 'rssSmall',
    '--rss-large': 'rssLarge',
    '--page-size': 'pageSize',
    '--batch-size': 'batchSize',
    '--batch-concurrency': 'batchConcurrency',
    '--default-map': 'defaultMap',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]!];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isInteger(value) || value < (key === 'defaultMap' ? 0 : 1)) {
      throw new Error(`usage: npm run bench:sync -- [${Object.keys(names).join(' N] [')} N]`);
    }
    options[key] = value;
  }
  return options;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cores = os.availableParallelism();
  log(
    `bench:sync — ${options.users} users, ${cores} cores, page ${options.pageSize}, batches of ${options.batchSize} × ${options.batchConcurrency} in flight`,
  );

  const { php } = await ensurePrerequisites({ log });
  let stack: Stack | undefined;
  let emulator: GraphEmulator | undefined;
  try {
    [stack, emulator] = await Promise.all([
      startStack({ name: 'bench-sync', log }),
      startGraphEmulator({ users: options.users, seed: 'bench', photoEvery: 0, groups: false }),
    ]);
    const site: SiteAccess = { url: stack.wordpress.url, admin: asAdmin(stack) };
    const connection = {
      pageSize: options.pageSize,
      batchSize: options.batchSize,
      batchConcurrency: options.batchConcurrency,
      // The raw loop sets no profile pictures; neither does the measured sync.
      photos: false,
    };

    // 1. The first full sync.
    if (!options.defaultMap) {
      await putConfig(site, {
        attributeMap: [
          ['userName', 'user_login'],
          ['emails[primary].value', 'user_email'],
          ['name.givenName', 'first_name'],
          ['name.familyName', 'last_name'],
          ['displayName', 'display_name'],
        ].map(([source, target]) => ({ source, target, direction: 'inbound' })),
      });
    }
    await connectEmulator(site, emulator, { slug: 'bench', ...connection });
    const pressed = Date.now();
    const full = await syncAndWait(site, 'bench', {}, 3_600_000);
    const fullWall = (Date.now() - pressed) / 1000;
    check(full, 'the full sync');
    if (full.counts.created !== options.users) {
      throw new Error(`the full sync created ${full.counts.created} of ${options.users} users`);
    }
    const fullSeconds = runSeconds(full);
    const fullPerSec = options.users / fullSeconds;
    const stackRss = sidecarPeakMB(stack);
    log(
      `full sync: ${options.users} users in ${round(fullSeconds, 2)} s (${round(fullPerSec)} users/s; ${round(fullWall, 2)} s from Sync now to done), sidecar peak RSS ${stackRss} MB`,
    );

    // 2. Nothing changed: a full re-scan (hash comparison of every user) and a delta run.
    const writesBefore = await runAuditRows(stack);
    const rescan = await syncAndWait(site, 'bench', { full: true }, 600_000);
    check(rescan, 'the no-change full re-scan');
    const delta = await syncAndWait(site, 'bench', {}, 600_000);
    check(delta, 'the no-change delta run');
    const noChangeWrites =
      (await runAuditRows(stack)) -
      writesBefore +
      rescan.counts.created +
      rescan.counts.updated +
      rescan.counts.disabled +
      rescan.counts.deleted;
    const noChangeSeconds = runSeconds(rescan);
    const noChangeDeltaSeconds = runSeconds(delta);
    log(
      `no change: full re-scan of ${rescan.processed} users in ${round(noChangeSeconds, 3)} s (${round((100 * noChangeSeconds) / fullSeconds, 2)}% of the full sync), delta run in ${round(noChangeDeltaSeconds, 3)} s, ${noChangeWrites} WordPress writes`,
    );

    // 4 (before the raw loop adds users no source links). 1% of the users get a new photo in
    // the directory; the photo reconciliation finds them by their media ETags.
    const changedPhotos = Math.max(1, Math.round(options.users / 100));
    for (let index = 0; index < changedPhotos; index += 1) {
      const user = seededId('bench', 'user', Math.floor((index * options.users) / changedPhotos));
      emulator.directory.setPhoto(user, solidPng('bench-photo', index, 1));
    }
    const photosOn = await request(restUrl(stack, 'usersync/v1/connections/bench'), {
      method: 'PATCH',
      basic: asAdmin(stack),
      body: { photos: true },
    });
    if (photosOn.status !== 200) throw new Error(`photos on: ${photosOn.status} ${photosOn.text}`);
    if (!options.defaultMap) {
      // Profile pictures are mapped from here on (the default map has the row already).
      const map = [
        ['userName', 'user_login'],
        ['emails[primary].value', 'user_email'],
        ['name.givenName', 'first_name'],
        ['name.familyName', 'last_name'],
        ['displayName', 'display_name'],
        ['photos[type eq "photo"].value', 'avatar'],
      ].map(([source, target]) => ({ source, target, direction: 'inbound' }));
      await putConfig(site, { attributeMap: map });
    }
    // The sidecar reads connections and the map again within seconds: ask until it has.
    let requestsBefore = graphRequests(emulator);
    let photoStarted = Date.now();
    let photoAnswer = await reconcilePhotos(stack);
    for (let attempt = 0; photoAnswer.body.checked === 0 && attempt < 30; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      requestsBefore = graphRequests(emulator);
      photoStarted = Date.now();
      photoAnswer = await reconcilePhotos(stack);
    }
    const photoSeconds = (Date.now() - photoStarted) / 1000;
    const requestsAfter = graphRequests(emulator);
    const photoRequests = { total: requestsAfter.total - requestsBefore.total };
    const photoBatches = requestsAfter.batches - requestsBefore.batches;
    log(
      `photo reconciliation: ${photoAnswer.body.checked} linked users checked, ${photoAnswer.body.updated} photos downloaded (${changedPhotos} changed) in ${round(photoSeconds, 2)} s with ${photoRequests.total} Graph HTTP requests (${photoBatches} JSON batches of up to 20)`,
    );

    // 3. The raw wp_insert_user() loop on the same site.
    const raw = await rawInsert({
      php,
      wpDir: stack.wordpress.dir,
      count: options.users,
      prefix: 'rawbench',
      processes: cores,
    });
    const ratio = fullPerSec / raw.perSec;
    log(
      `raw wp_insert_user() loop: ${raw.users} users in ${round(raw.seconds, 2)} s with ${raw.processes} processes (${round(raw.perSec)} users/s); full sync / raw = ${round(ratio, 2)}×`,
    );

    // 4. Peak RSS of a fresh sidecar over a dry run of a small and a large directory.
    const rssSmall = await measureRss(stack, emulator, options.rssSmall, options.pageSize);
    log(
      `sidecar peak RSS, dry run of ${options.rssSmall} users: ${rssSmall.mb} MB (${round(rssSmall.seconds, 2)} s)`,
    );
    const rssLarge = await measureRss(stack, emulator, options.rssLarge, options.pageSize);
    log(
      `sidecar peak RSS, dry run of ${options.rssLarge} users: ${rssLarge.mb} MB (${round(rssLarge.seconds, 2)} s; ${round(rssLarge.mb / rssSmall.mb, 2)}× the small one)`,
    );

    const result = {
      users: options.users,
      cores,
      fullSeconds: round(fullSeconds, 3),
      fullPerSec: round(fullPerSec),
      rawPerSec: round(raw.perSec),
      ratio: round(ratio, 3),
      noChangeSeconds: round(noChangeSeconds, 3),
      noChangeDeltaSeconds: round(noChangeDeltaSeconds, 3),
      noChangeShare: round(noChangeSeconds / fullSeconds, 4),
      noChangeWrites,
      rss1kMB: rssSmall.mb,
      rss100kMB: rssLarge.mb,
      rssRatio: round(rssLarge.mb / rssSmall.mb, 3),
      rssFullSyncMB: stackRss,
      rssSmallUsers: options.rssSmall,
      rssLargeUsers: options.rssLarge,
      photoCheckedUsers: photoAnswer.body.checked,
      photoChanged: changedPhotos,
      photoDownloaded: photoAnswer.body.updated,
      photoRequests: photoRequests.total,
      photoBatchRequests: photoBatches,
      photoSeconds: round(photoSeconds, 3),
      pageSize: options.pageSize,
      batchSize: options.batchSize,
      batchConcurrency: options.batchConcurrency,
      attributeMap: options.defaultMap ? 'default' : 'raw-loop-fields',
      loadAverage: round(os.loadavg()[0]!, 2),
    };
    log(JSON.stringify(result));
  } finally {
    await stack?.stop();
    await emulator?.close();
  }
}

function check(run: RunAnswer, what: string): void {
  if (run.state !== 'succeeded') throw new Error(`${what} ${run.state}: ${run.error ?? ''}`);
  if (run.counts.failed > 0) {
    throw new Error(
      `${what} failed for ${run.counts.failed} users: ${JSON.stringify(run.details?.failures?.slice(0, 3))}`,
    );
  }
}

/** The run's own duration, from its start to its end as the sidecar recorded them. */
function runSeconds(run: RunAnswer): number {
  return (new Date(run.finishedAt!).getTime() - new Date(run.startedAt!).getTime()) / 1000;
}

/** Audit rows written by runs (one per WordPress write). */
async function runAuditRows(stack: Stack): Promise<number> {
  const answer = await request(restUrl(stack, 'usersync/v1/audit?source=run:*&per_page=1'), {
    basic: asAdmin(stack),
  });
  if (answer.status !== 200) throw new Error(`reading the audit log answered ${answer.status}`);
  return Number(answer.headers.get('x-wp-total'));
}

/** VmHWM of a process, in MB. */
function peakMB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return round(kb / 1024);
}

function sidecarPeakMB(stack: Stack): number | null {
  for (const pid of stack.processGroups()) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sidecar/src/main.ts'))
        return peakMB(pid);
    } catch {
      // gone
    }
  }
  return null;
}

/**
 * A fresh sidecar process on its own SQLite store, a fresh tenant of `users` users in the
 * emulator, a dry run of a full sync through the sidecar's API, and the process's VmHWM.
 */
async function measureRss(
  stack: Stack,
  emulator: GraphEmulator,
  users: number,
  pageSize: number,
): Promise<{ mb: number; seconds: number }> {
  emulator.reset({ seed: `rss-${users}`, users, photoEvery: 0, groups: false });
  const site: SiteAccess = { url: stack.wordpress.url, admin: asAdmin(stack) };
  const slug = `rss-${users}`;
  await connectEmulator(site, emulator, { slug, pageSize, photos: false });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usersync-bench-sidecar-'));
  const port = await freePort();
  const apiKey = crypto.randomBytes(24).toString('base64url');
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', sidecarMain], {
    cwd: repoRoot,
    env: {
      ...process.env,
      WP_URL: stack.wordpress.url,
      WP_USER: stack.wordpress.appUser,
      WP_APP_PASSWORD: stack.wordpress.appPassword,
      HOST: '127.0.0.1',
      PORT: String(port),
      SQLITE_PATH: path.join(dir, 'sidecar.sqlite'),
      SIDECAR_API_KEY: apiKey,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const auth = { bearer: apiKey };
    for (let attempt = 0; ; attempt++) {
      const health = await request(`${url}/healthz`, { timeoutMs: 2_000 }).catch(() => null);
      if (health?.status === 200) break;
      if (attempt > 150 || child.exitCode !== null)
        throw new Error('the measuring sidecar did not start');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const started = await request<RunAnswer>(`${url}/api/v1/sources/${slug}/runs`, {
      method: 'POST',
      body: { dryRun: true },
      ...auth,
    });
    if (started.status !== 202) throw new Error(`dry run refused: ${started.text}`);
    let run = started.body;
    while (run.state === 'queued' || run.state === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 250));
      run = (await request<RunAnswer>(`${url}/api/v1/runs/${run.id}`, auth)).body;
    }
    check(run, `the dry run of ${users} users`);
    if (run.counts.created !== users) {
      throw new Error(`the dry run planned ${run.counts.created} creates for ${users} users`);
    }
    return { mb: peakMB(child.pid!), seconds: runSeconds(run) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) =>
      child.exitCode !== null ? resolve(null) : child.once('exit', resolve),
    );
    fs.rmSync(dir, { recursive: true, force: true });
    await request(`${site.url}/wp-json/usersync/v1/connections/${slug}`, {
      method: 'DELETE',
      basic: site.admin,
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:sync failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

/** The HTTP requests the Graph emulator has answered so far, and its JSON batches among them. */
function graphRequests(emulator: GraphEmulator): { total: number; batches: number } {
  // Requests inside a JSON batch are counted apart ("… (in $batch)"): they are no HTTP request.
  const total = Object.entries(emulator.stats.requests)
    .filter(([key]) => !key.endsWith('(in $batch)'))
    .reduce((sum, [, n]) => sum + n, 0);
  return { total, batches: emulator.stats.requests['POST /v1.0/$batch'] ?? 0 };
}

/** On-demand photo reconciliation of the bench source, through the sidecar's API. */
async function reconcilePhotos(
  stack: Stack,
): Promise<{ body: { checked: number; updated: number; removed: number } }> {
  const answer = await request<{ checked: number; updated: number; removed: number }>(
    `${stack.sidecar.url}/api/v1/sources/bench/photos`,
    { method: 'POST', bearer: stack.sidecar.apiKey, timeoutMs: 3_600_000 },
  );
  if (answer.status !== 200) {
    throw new Error(`photo reconciliation: ${answer.status} ${answer.text}`);
  }
  return answer;
}
