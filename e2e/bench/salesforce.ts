// `npm run bench:salesforce`: how fast and how lean the Salesforce connection is, next to what
// WordPress itself manages. On one fresh stack and the Salesforce emulator it measures:
//   (c) a full push of M existing WordPress users (default 10,000) to an empty org: sObject
//       Collections write calls (target ⌈M/200⌉), the match queries before them, users/s;
//   (d) the delay from a WordPress change (the moment the update request starts) to the
//       Salesforce write (the Contact showing the new value in the emulated org, polled),
//       over D sequential changes (default 200): median and p95;
//   (a) then, on a fresh org of N Contacts (default 100,000), the initial sync into the site
//       through Sync now (pushes off): Contacts/s, query calls, Salesforce write calls (none
//       expected) and the WordPress requests it took; and the raw wp_insert_user() loop for N
//       users on the same site in the same run, one php process per core (same fields: login,
//       email, first, last and display name);
//   (b) a following incremental run with no change: seconds, WordPress writes (audit rows of
//       the run) and Salesforce calls per object map.
// Call counts come from the emulator's request stats. It prints its figures and whether each
// target is met; the last line is one JSON object with them.
//
//   npm run bench:salesforce [-- --contacts 100000 --push-users 10000 --delays 200]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { rawInsert } from './lib/raw-insert.js';
import { asAdmin, asService, eventually, restUrl } from '../src/helpers.js';
import { ensurePrerequisites, request, startStack, type Stack } from '../src/stack/index.js';
import { startSalesforceEmulator } from '../src/emulators/salesforce/index.js';
import type { SalesforceEmulator, Stats } from '../src/emulators/salesforce/index.js';
import { connectEmulator, contactMap } from '../src/emulators/salesforce/stack.js';
import { syncAndWait, type RunAnswer, type SiteAccess } from '../src/stack/site.js';
import { wpEval } from '../tests/peer-support.js';

interface Options {
  contacts: number;
  pushUsers: number;
  delays: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { contacts: 100_000, pushUsers: 10_000, delays: 200 };
  const names: Record<string, keyof Options> = {
    '--contacts': 'contacts',
    '--push-users': 'pushUsers',
    '--delays': 'delays',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]!];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isInteger(value) || value < 1) {
      throw new Error(
        `usage: npm run bench:salesforce -- [--contacts N] [--push-users N] [--delays N]`,
      );
    }
    options[key] = value;
  }
  return options;
}

const log = (line = '') => process.stdout.write(`${line}\n`);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** A copy of the emulator's counters, to subtract. */
function snapshot(stats: Stats): {
  queries: number;
  writes: number;
  api: number;
  routes: Record<string, number>;
} {
  // API calls: everything but the OAuth endpoints and the unauthenticated version list.
  const api = Object.entries(stats.requests)
    .filter(([key]) => !key.includes('/services/oauth2') && key !== 'GET /services/data')
    .reduce((sum, [, n]) => sum + n, 0);
  return { queries: stats.queries, writes: stats.writes, api, routes: { ...stats.requests } };
}

function since(stats: Stats, before: ReturnType<typeof snapshot>) {
  const now = snapshot(stats);
  const routes: Record<string, number> = {};
  for (const [key, n] of Object.entries(now.routes)) {
    const delta = n - (before.routes[key] ?? 0);
    if (delta > 0) routes[key] = delta;
  }
  return {
    queries: now.queries - before.queries,
    writes: now.writes - before.writes,
    api: now.api - before.api,
    routes,
  };
}

const restCountFile = () => path.join(os.tmpdir(), `usersync-bench-rest-${process.pid}.log`);

/**
 * Counts the REST requests WordPress answers, by route, in a file: a must-use plugin for the
 * time of the initial sync (one appended line per request, no database write).
 */
function countRestRequests(stack: Stack): { stop(): Record<string, number> } {
  const dir = path.join(stack.wordpress.dir, 'wp-content', 'mu-plugins');
  const plugin = path.join(dir, 'usersync-bench-count.php');
  const file = restCountFile();
  fs.rmSync(file, { force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    plugin,
    `<?php
add_filter( 'rest_pre_dispatch', static function ( $result, $server, $request ) {
	file_put_contents( ${JSON.stringify(file)}, $request->get_method() . ' ' . $request->get_route() . "\\n", FILE_APPEND | LOCK_EX );
	return $result;
}, 10, 3 );
`,
  );
  return {
    stop() {
      fs.rmSync(plugin, { force: true });
      const counts: Record<string, number> = {};
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      fs.rmSync(file, { force: true });
      for (const line of text.split('\n')) {
        if (!line) continue;
        // Ids in routes are counted together.
        const key = line.replace(/\/\d+(?=\/|$)/g, '/{id}');
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
  };
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

interface TargetStatus {
  slug: string;
  cursor: number | null;
}

/** Waits until the sidecar has acknowledged the site's whole change feed. */
async function feedAcknowledged(stack: Stack): Promise<void> {
  await eventually(
    async () => {
      const page = await request<{ latest: number; acked: number }>(
        `${restUrl(stack, 'usersync/v1/changes')}?after=${Number.MAX_SAFE_INTEGER}&limit=1`,
        { basic: asService(stack) },
      );
      if (page.body.acked !== page.body.latest)
        throw new Error(`acknowledged ${page.body.acked} of ${page.body.latest}`);
    },
    { what: 'the change feed to be acknowledged', timeoutMs: 300_000, intervalMs: 250 },
  );
}

async function waitForTarget(stack: Stack, slug: string): Promise<void> {
  await eventually(
    async () => {
      const answer = await request<{ targets: TargetStatus[] }>(
        `${stack.sidecar.url}/api/v1/outbound`,
        { bearer: stack.sidecar.apiKey },
      );
      const found = answer.body.targets?.find((t) => t.slug === slug);
      if (!found || found.cursor === null) throw new Error(`target ${slug} not ready`);
    },
    { what: `the Salesforce target ${slug} to start`, timeoutMs: 120_000 },
  );
}

interface PushRun {
  state: string;
  startedAt: string;
  finishedAt: string | null;
  processed: number;
  counts: { created: number; updated: number; failed: number };
  error: string | null;
}

/** A full push through the sidecar's API, waited for; its own duration in seconds. */
async function fullPush(stack: Stack, slug: string, users: number): Promise<number> {
  const url = `${stack.sidecar.url}/api/v1/outbound/targets/${slug}/push`;
  const started = await request(url, { method: 'POST', bearer: stack.sidecar.apiKey });
  if (started.status !== 202) throw new Error(`push: ${started.status} ${started.text}`);
  for (;;) {
    await sleep(250);
    const { body } = await request<PushRun>(url, { bearer: stack.sidecar.apiKey });
    if (body.state === 'running' || body.state === 'queued') continue;
    if (body.state !== 'succeeded') throw new Error(`push ${body.state}: ${body.error}`);
    if (body.counts.created !== users || body.counts.failed !== 0)
      throw new Error(
        `the push created ${body.counts.created} of ${users} Contacts, ${body.counts.failed} failed`,
      );
    return (Date.parse(body.finishedAt!) - Date.parse(body.startedAt)) / 1000;
  }
}

/** Delay from a WordPress user update to the Contact carrying it, D times in a row. */
async function delays(
  stack: Stack,
  emulator: SalesforceEmulator,
  login: string,
  count: number,
): Promise<number[]> {
  const userId = await wpEval<number>(
    stack,
    `echo (int) get_user_by( 'login', ${JSON.stringify(login)} )->ID;`,
  );
  const email = `${login}@example.com`;
  const contact = emulator.org
    .all('Contact')
    .find((r) => String(r.values.Email).toLowerCase() === email && !r.values.IsDeleted);
  if (!userId || !contact) throw new Error(`${login} is not a pushed Contact`);
  const result: number[] = [];
  for (let i = 0; i < count; i++) {
    const name = `Delay ${i}`;
    const start = performance.now();
    const answer = await request(restUrl(stack, `wp/v2/users/${userId}`), {
      method: 'POST',
      basic: asAdmin(stack),
      body: { first_name: name },
    });
    if (answer.status !== 200) throw new Error(`update: ${answer.status} ${answer.text}`);
    for (;;) {
      if (emulator.record(contact.id)?.FirstName === name) break;
      if (performance.now() - start > 60_000)
        throw new Error(`change ${i} did not reach Salesforce in 60 s`);
      await sleep(5);
    }
    result.push(performance.now() - start);
  }
  return result;
}

const row = (wp: string, sf: string, direction: string, extra: Record<string, unknown> = {}) => ({
  wp,
  sf,
  direction,
  transform: 'none',
  default: null,
  template: null,
  valueMap: null,
  nulls: 'propagate',
  ...extra,
});

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cores = os.availableParallelism();
  log(
    `bench:salesforce — ${options.contacts} Contacts pulled, ${options.pushUsers} users pushed, ${options.delays} changes timed; ${cores} cores, load ${os
      .loadavg()
      .map((l) => round(l, 2))
      .join(' ')}`,
  );
  const { php } = await ensurePrerequisites({ log });
  let stack: Stack | undefined;
  let emulator: SalesforceEmulator | undefined;
  try {
    [stack, emulator] = await Promise.all([
      startStack({ name: 'bench-salesforce', log, sidecarEnv: { LOG_LEVEL: 'warn' } }),
      startSalesforceEmulator({ seed: 'bench' }),
    ]);
    const site: SiteAccess = { url: stack.wordpress.url, admin: asAdmin(stack) };

    // (c) Full push of M existing users to an empty org. The users exist before the
    // connection does (the sidecar acknowledges the feed without a target), so the full push
    // is what brings them over, not the real-time feed.
    await rawInsert({
      php,
      wpDir: stack.wordpress.dir,
      count: options.pushUsers,
      prefix: 'pushbench',
      processes: cores,
    });
    await feedAcknowledged(stack);
    await connectEmulator(site, emulator, {
      slug: 'bench-push',
      name: 'Bench push',
      push: true,
      objectMaps: [
        contactMap({
          fields: [
            row('user_email', 'Email', 'both'),
            row('first_name', 'FirstName', 'both'),
            row('last_name', 'LastName', 'both'),
          ],
        }),
      ],
    });
    await waitForTarget(stack, 'bench-push');
    let before = snapshot(emulator.stats);
    const pushSeconds = await fullPush(stack, 'bench-push', options.pushUsers);
    const push = since(emulator.stats, before);
    const pushPerSec = options.pushUsers / pushSeconds;
    const pushTarget = Math.ceil(options.pushUsers / 200);
    const contactsPushed = emulator.org.all('Contact').filter((r) => !r.values.IsDeleted).length;
    if (contactsPushed !== options.pushUsers)
      throw new Error(`the org has ${contactsPushed} Contacts after pushing ${options.pushUsers}`);
    log(
      `full push: ${options.pushUsers} users in ${round(pushSeconds, 2)} s (${round(pushPerSec)} users/s), ${push.writes} Salesforce write calls (target ⌈M/200⌉ = ${pushTarget}), ${push.queries} match queries`,
    );
    log(`  requests: ${JSON.stringify(push.routes)}`);

    // (d) Delay from a WordPress change to the Salesforce write.
    const delayList = await delays(stack, emulator, 'pushbench0', options.delays);
    const medianDelayMs = percentile(delayList, 50);
    const p95DelayMs = percentile(delayList, 95);
    log(
      `change → Salesforce: median ${round(medianDelayMs)} ms, p95 ${round(p95DelayMs)} ms over ${options.delays} changes`,
    );

    // (a) A fresh org of N Contacts, the push connection gone; initial sync, pushes off.
    const removed = await request(restUrl(stack, 'usersync/v1/connections/bench-push'), {
      method: 'DELETE',
      basic: site.admin,
    });
    if (removed.status >= 300) throw new Error(`removing the push connection: ${removed.status}`);
    // The Contacts were last modified over the past 30 days, as in an org in use (so a
    // no-change run's overlap window re-reads the few of the last minutes, not all of them).
    emulator.reset({});
    const now = Date.now();
    const spanMs = 30 * 86_400_000;
    emulator.setClock(now - spanMs);
    const step = spanMs / options.contacts;
    for (let i = 0; i < options.contacts; i++) {
      emulator.seed({ contacts: 1, from: i });
      emulator.advance(step);
    }
    emulator.setClock(Math.max(now, Date.now()));
    emulator.resetStats();
    await connectEmulator(site, emulator, {
      slug: 'bench',
      name: 'Bench pull',
      push: false,
      objectMaps: [
        contactMap({
          fields: [
            row('user_email', 'Email', 'inbound'),
            row('user_login', 'Email', 'inbound', { nulls: 'ignore' }),
            row('first_name', 'FirstName', 'inbound'),
            row('last_name', 'LastName', 'inbound'),
            row('display_name', 'LastName', 'inbound', {
              transform: 'template',
              template: '{FirstName} {LastName}',
            }),
          ],
        }),
      ],
    });
    before = snapshot(emulator.stats);
    const counter = countRestRequests(stack);
    const full = await syncAndWait(site, 'bench', {}, 4 * 3_600_000);
    check(full, 'the initial sync');
    if (full.counts.created !== options.contacts)
      throw new Error(
        `the initial sync created ${full.counts.created} of ${options.contacts} users`,
      );
    const pull = since(emulator.stats, before);
    const wpRoutes = counter.stop();
    const wpAll = Object.values(wpRoutes).reduce((a, b) => a + b, 0);
    const wpBatches = Object.entries(wpRoutes)
      .filter(([key]) => key.startsWith('POST ') && key.includes('batch'))
      .reduce((sum, [, n]) => sum + n, 0);
    const pullSeconds = runSeconds(full);
    const pullPerSec = options.contacts / pullSeconds;
    log(
      `initial sync: ${options.contacts} Contacts in ${round(pullSeconds, 2)} s (${round(pullPerSec)} users/s), ${pull.queries} query calls, ${pull.writes} Salesforce write calls, ${pull.api} Salesforce API calls in all; ${wpBatches} WordPress batch requests (${wpAll} WordPress REST requests in all)`,
    );
    log(`  requests: ${JSON.stringify(pull.routes)}`);
    log(`  WordPress: ${JSON.stringify(wpRoutes)}`);

    // (b) Nothing changed: an incremental run.
    const writesBefore = await runAuditRows(stack);
    before = snapshot(emulator.stats);
    const quiet = await syncAndWait(site, 'bench', {}, 600_000);
    check(quiet, 'the no-change run');
    const quietCalls = since(emulator.stats, before);
    const noChangeWrites =
      (await runAuditRows(stack)) -
      writesBefore +
      quiet.counts.created +
      quiet.counts.updated +
      quiet.counts.disabled +
      quiet.counts.deleted;
    const noChangeSeconds = runSeconds(quiet);
    const objectMaps = 1;
    const noChangeCalls = quietCalls.api / objectMaps;
    log(
      `no change: incremental run in ${round(noChangeSeconds, 3)} s, ${noChangeWrites} WordPress writes, ${noChangeCalls} Salesforce calls per object map (${quietCalls.queries} queries)`,
    );
    log(`  requests: ${JSON.stringify(quietCalls.routes)}`);

    // (a) The raw wp_insert_user() loop for the same number of users on the same site.
    const raw = await rawInsert({
      php,
      wpDir: stack.wordpress.dir,
      count: options.contacts,
      prefix: 'rawbench',
      processes: cores,
    });
    const ratio = pullPerSec / raw.perSec;
    log(
      `raw wp_insert_user() loop: ${raw.users} users in ${round(raw.seconds, 2)} s with ${raw.processes} processes (${round(raw.perSec)} users/s); initial sync / raw = ${round(ratio, 2)}×`,
    );

    // Targets. 60 query calls for 100,000 Contacts is 50 pages of 2,000 and 10 to spare: the
    // same ⌈N/2000⌉ + 10 for other sizes. The 520 write calls budget is of Salesforce write
    // calls (the pull makes none); the WordPress batch requests are reported, not judged.
    const queryTarget = Math.ceil(options.contacts / 2000) + 10;
    const writeTarget = Math.ceil((520 * options.contacts) / 100_000);
    const targets: [string, boolean][] = [
      ['initial sync / raw loop ≥ 1.0', ratio >= 1],
      [`query calls ≤ ${queryTarget}`, pull.queries <= queryTarget],
      [`Salesforce write calls of the pull ≤ ${writeTarget}`, pull.writes <= writeTarget],
      ['no-change run: 0 WordPress writes', noChangeWrites === 0],
      ['no-change run: ≤ 2 calls per object map', noChangeCalls <= 2],
      [`full push: ⌈M/200⌉ = ${pushTarget} write calls`, push.writes <= pushTarget],
      ['median delay < 1 s', medianDelayMs < 1000],
    ];
    for (const [name, met] of targets) log(`  ${met ? 'met    ' : 'NOT met'}  ${name}`);

    const result = {
      contacts: options.contacts,
      pushUsers: options.pushUsers,
      delays: options.delays,
      cores,
      pullSeconds: round(pullSeconds, 3),
      pullPerSec: round(pullPerSec),
      rawPerSec: round(raw.perSec),
      ratio: round(ratio, 3),
      queryCalls: pull.queries,
      writeCalls: pull.writes,
      pullApiCalls: pull.api,
      wordpressBatchRequests: wpBatches,
      wordpressRequests: wpAll,
      noChangeSeconds: round(noChangeSeconds, 3),
      noChangeWrites,
      noChangeCalls,
      pushSeconds: round(pushSeconds, 3),
      pushPerSec: round(pushPerSec),
      pushWriteCalls: push.writes,
      pushQueryCalls: push.queries,
      medianDelayMs: round(medianDelayMs),
      p95DelayMs: round(p95DelayMs),
      targetsMet: targets.every(([, met]) => met),
      loadAverage: round(os.loadavg()[0]!, 2),
    };
    log(JSON.stringify(result));
  } finally {
    await stack?.stop();
    await emulator?.close();
    // A request in flight when the counter stopped may have written one more line.
    fs.rmSync(restCountFile(), { force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:salesforce failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
