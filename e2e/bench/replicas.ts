// `npm run bench:replicas`: how the sidecar scales out over replicas sharing one PostgreSQL
// database, and how a large SCIM directory answers filters. It measures, in this order:
//
// 1. SCIM /Bulk throughput on 1 and on 3 sidecar replicas in front of one WordPress: a fresh
//    stack per replica count, its replicas sharing a fresh PostgreSQL database (DATABASE_URL;
//    local PostgreSQL, trust auth, at BENCH_POSTGRES_URL or postgres://postgres@127.0.0.1:5432),
//    the SCIM rate limit raised out of the way (its buckets still live in the shared store).
//    M minimal users (default 2,000) are POSTed through /Bulk, 100 per request, the same
//    number of requests in flight for either count (default 2), round-robin over the replicas.
// 2. A Microsoft Graph full sync of S users (default 10,000; the Graph emulator) on the same
//    stack: one run, carried out by the replica that claims it, the others sharing its store.
// 3. Filter latency (one replica, its own SQLite store, as before): it seeds N users (default
//    100,000) linked to the SCIM token's connection straight in SQL (a PHP loop of multi-row
//    INSERTs through $wpdb: users, their link meta and the links index; no hooks, no outbox),
//    then times GET /Users with a filter on userName, sequentially, after a warm-up:
//      eq  `userName eq "u042424@fabrikam.test"`   (one user),
//      sw  `userName sw "u04242"`                  (ten users, a range on the user_login index),
//      co  `userName co "4242"`                    (a scan: LIKE '%…%' cannot use a B-tree),
//    and, for reference, externalId sw and displayName co (answered by SQL alone).
// It prints its figures; the last line is one JSON object (a skipped part's figures are null).
//
//   npm run bench:replicas [-- --users 100000 --repeat 20 --bulk-users 2000 --in-flight 2
//                             --sync-users 10000 --skip-filters --skip-bulk --skip-sync]
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { asAdmin, restUrl } from '../src/helpers.js';
import { startGraphEmulator, type GraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import {
  connectEmulator,
  syncAndWait,
  type RunAnswer,
} from '../src/emulators/microsoft-graph/stack.js';
import { ensurePrerequisites, request, startStack, type Stack } from '../src/stack/index.js';
import { freePort, releasePort } from '../src/stack/ports.js';
import { groupMembers, type ManagedProcess } from '../src/stack/process.js';
import { startSidecar } from '../src/stack/sidecar.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const PG_ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIDECAR_ENV = { SCIM_RATE_LIMIT: '100000', SCIM_RATE_BURST: '100000', LOG_LEVEL: 'warn' };

interface Options {
  users: number;
  repeat: number;
  bulkUsers: number;
  inFlight: number;
  syncUsers: number;
  skipFilters: boolean;
  skipBulk: boolean;
  skipSync: boolean;
}

const USAGE =
  'usage: npm run bench:replicas [-- --users N --repeat N --bulk-users N --in-flight N --sync-users N --skip-filters --skip-bulk --skip-sync]';

function parseOptions(argv: string[]): Options {
  const options: Options = {
    users: 100_000,
    repeat: 20,
    bulkUsers: 2000,
    inFlight: 2,
    syncUsers: 10_000,
    skipFilters: false,
    skipBulk: false,
    skipSync: false,
  };
  const numbers: Record<string, 'users' | 'repeat' | 'bulkUsers' | 'inFlight' | 'syncUsers'> = {
    '--users': 'users',
    '--repeat': 'repeat',
    '--bulk-users': 'bulkUsers',
    '--in-flight': 'inFlight',
    '--sync-users': 'syncUsers',
  };
  const flags: Record<string, 'skipFilters' | 'skipBulk' | 'skipSync'> = {
    '--skip-filters': 'skipFilters',
    '--skip-bulk': 'skipBulk',
    '--skip-sync': 'skipSync',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = flags[argv[i]!];
    if (flag) {
      options[flag] = true;
      continue;
    }
    const key = numbers[argv[i]!];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isInteger(value) || value < 1)
      throw new Error(`${USAGE} (got "${argv[i]}")`);
    options[key] = value;
    i++;
  }
  return options;
}

const say = (line = '') => process.stdout.write(`${line}\n`);
const pad = (n: number) => String(n).padStart(6, '0');

const SEED = `<?php
// Users linked to one connection, straight in SQL: 1,000 rows per INSERT.
$job = json_decode( getenv( 'USERSYNC_SEED' ), true );
define( 'WP_USE_THEMES', false );
require $job['wpDir'] . '/wp-load.php';
global $wpdb;
$links = \\UserSync\\Links::table();
$key   = \\UserSync\\Connection::link_key( $job['connection'] );
$caps  = $wpdb->get_blog_prefix() . 'capabilities';
$hash  = wp_hash_password( 'not-used-' . wp_generate_password( 12 ) );
$now   = gmdate( 'Y-m-d H:i:s' );
$start = microtime( true );
for ( $from = 0; $from < $job['count']; $from += 1000 ) {
	$to    = min( $job['count'], $from + 1000 );
	$rows  = array();
	$logins = array();
	for ( $n = $from; $n < $to; $n++ ) {
		$login    = sprintf( 'u%06d@fabrikam.test', $n );
		$logins[] = $login;
		$rows[]   = $wpdb->prepare( '(%s, %s, %s, %s, %s, %s, 0)', $login, $hash, sprintf( 'u%06d', $n ), $login, $now, sprintf( 'Bench Person %06d', $n ) );
	}
	$wpdb->query( "INSERT INTO {$wpdb->users} (user_login, user_pass, user_nicename, user_email, user_registered, display_name, user_status) VALUES " . implode( ',', $rows ) );
	$ids  = $wpdb->get_results( "SELECT ID, user_login FROM {$wpdb->users} WHERE user_login IN ('" . implode( "','", array_map( 'esc_sql', $logins ) ) . "')" );
	$meta = array();
	$link = array();
	foreach ( $ids as $row ) {
		$n      = (int) substr( $row->user_login, 1, 6 );
		$ext    = sprintf( 'ext-%06d', $n );
		$meta[] = $wpdb->prepare( '(%d, %s, %s)', $row->ID, $key, $ext );
		$meta[] = $wpdb->prepare( '(%d, %s, %s)', $row->ID, $caps, 'a:1:{s:10:"subscriber";b:1;}' );
		$link[] = $wpdb->prepare( '(%s, %d, %s)', $job['connection'], $row->ID, $ext );
	}
	$wpdb->query( "INSERT INTO {$wpdb->usermeta} (user_id, meta_key, meta_value) VALUES " . implode( ',', $meta ) );
	$wpdb->query( "INSERT INTO {$links} (connection, user_id, external_id) VALUES " . implode( ',', $link ) );
}
$seconds = microtime( true ) - $start;
// Fresh statistics for the optimizer, as a site that grew to this size over time has.
$wpdb->query( "ANALYZE TABLE {$wpdb->users}, {$wpdb->usermeta}, {$links}" );
echo wp_json_encode( array( 'seconds' => $seconds ) ), "\\n";
`;

async function seed(php: string, stack: Stack, count: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usersync-seed-'));
  const script = path.join(dir, 'seed.php');
  fs.writeFileSync(script, SEED);
  try {
    const job = { wpDir: stack.wordpress.dir, connection: stack.sidecar.scimConnection, count };
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(php, ['-d', 'memory_limit=1G', script], {
        cwd: stack.wordpress.dir,
        env: { ...process.env, USERSYNC_SEED: JSON.stringify(job) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`seed failed (${code}): ${err || text}`)),
      );
    });
    return (JSON.parse(out.trim().split('\n').pop()!) as { seconds: number }).seconds;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function scimGet(stack: Stack, filter: string): Promise<{ ms: number; total: number }> {
  const started = performance.now();
  const response = await fetch(
    `${stack.sidecar.scimUrl}/Users?filter=${encodeURIComponent(filter)}&count=100`,
    { headers: { authorization: `Bearer ${stack.sidecar.scimToken}` } },
  );
  const body = (await response.json()) as { totalResults?: number; detail?: string };
  const ms = performance.now() - started;
  if (response.status !== 200)
    throw new Error(`${filter}: ${response.status} ${body.detail ?? ''}`);
  return { ms, total: body.totalResults ?? 0 };
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

/** A fresh PostgreSQL database for one set of replicas; `drop()` removes it. */
async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `usersync_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

interface Replicas {
  stack: Stack;
  /** Base URL of each replica's SCIM service; the stack's own sidecar first. */
  scimUrls: string[];
  /** Process group of each replica, in the same order. */
  sidecarGroups: number[];
  /** Process groups of WordPress (PHP's server and its workers). */
  wordpressGroups: number[];
  stop(): Promise<void>;
}

/**
 * Seconds so far of process groups' members: on a CPU (`cpu`) and runnable but waiting for
 * one (`waiting`), from /proc/<pid>/schedstat (main threads; Linux only). The rest of a
 * member's wall time it was blocked: on the network, a database, the disk.
 */
function schedSeconds(pgids: number[]): { cpu: number; waiting: number } {
  const total = { cpu: 0, waiting: 0 };
  for (const pgid of pgids) {
    for (const pid of groupMembers(pgid)) {
      try {
        const [cpu, waiting] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ');
        total.cpu += Number(cpu) / 1e9;
        total.waiting += Number(waiting) / 1e9;
      } catch {
        // Gone meanwhile.
      }
    }
  }
  return total;
}

const isSidecar = (pgid: number) => {
  try {
    return fs.readFileSync(`/proc/${pgid}/cmdline`, 'utf8').includes('sidecar/src/main.ts');
  } catch {
    return false;
  }
};

/**
 * One WordPress with `count` sidecar replicas on one fresh PostgreSQL database: the stack's
 * own sidecar (the one WordPress nudges) and `count - 1` more, each on its own port.
 */
async function startReplicas(count: number): Promise<Replicas> {
  const database = await freshDatabase();
  const env = { ...SIDECAR_ENV, DATABASE_URL: database.url };
  const extra: ManagedProcess[] = [];
  const ports: number[] = [];
  let stack: Stack | null = null;
  const stop = async () => {
    await Promise.allSettled(extra.map((replica) => replica.stop()));
    ports.forEach(releasePort);
    await stack?.stop().catch(() => undefined);
    await database.drop().catch(() => undefined);
  };
  try {
    stack = await startStack({ name: `bench-replicas-${count}`, sidecarEnv: env });
    const scimUrls = [stack.sidecar.scimUrl];
    for (let i = 1; i < count; i++) {
      const port = await freePort();
      ports.push(port);
      const replica = await startSidecar({
        port,
        wpUrl: stack.wordpress.url,
        wpUser: stack.wordpress.appUser,
        wpAppPassword: stack.wordpress.appPassword,
        apiKey: stack.sidecar.apiKey,
        sqlitePath: path.join(stack.dir, `replica-${i}.sqlite`),
        logPath: path.join(stack.dir, `sidecar-replica-${i}.log`),
        env,
      });
      extra.push(replica.process);
      scimUrls.push(`${replica.url}/scim/v2`);
    }
    const groups = stack.processGroups();
    return {
      stack,
      scimUrls,
      sidecarGroups: [...groups.filter(isSidecar), ...extra.map((replica) => replica.pid)],
      wordpressGroups: groups.filter((pgid) => !isSidecar(pgid)),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A SCIM token of its own connection, once every replica accepts it. */
async function bulkToken(replicas: Replicas, connection: string): Promise<string> {
  const { stack } = replicas;
  const answer = await request<{ token: string }>(restUrl(stack, 'usersync/v1/tokens'), {
    basic: asAdmin(stack),
    method: 'POST',
    body: { name: `Bulk ${connection}`, connection },
  });
  if (answer.status !== 201) throw new Error(`token: ${answer.status} ${answer.text}`);
  for (const scimUrl of replicas.scimUrls) {
    // Replicas learn new tokens within seconds.
    for (let i = 0; ; i++) {
      const probe = await request(`${scimUrl}/Users?count=1`, { bearer: answer.body.token });
      if (probe.status === 200) break;
      if (i > 100) throw new Error(`${scimUrl} refuses the new token: ${probe.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return answer.body.token;
}

/** POSTs `users` minimal users through /Bulk, round-robin over the replicas; users/s. */
async function bulkThroughput(replicas: Replicas, users: number, inFlight: number) {
  const token = await bulkToken(replicas, 'bulk-bench');
  const chunks: number[][] = [];
  for (let i = 0; i < users; i += 100)
    chunks.push(Array.from({ length: Math.min(100, users - i) }, (_, n) => i + n));
  const perReplica = replicas.scimUrls.map(() => 0);
  const sidecarsBefore = replicas.sidecarGroups.map((pgid) => schedSeconds([pgid]));
  const wordpressBefore = schedSeconds(replicas.wordpressGroups);
  const start = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const index = next++;
      const chunk = chunks[index]!;
      const replica = index % replicas.scimUrls.length;
      perReplica[replica]!++;
      const answer = await request<{ Operations: { status: string }[] }>(
        `${replicas.scimUrls[replica]}/Bulk`,
        {
          method: 'POST',
          bearer: token,
          headers: { 'content-type': 'application/scim+json' },
          body: {
            schemas: [BULK],
            Operations: chunk.map((n) => ({
              method: 'POST',
              path: '/Users',
              bulkId: String(n),
              data: {
                schemas: [USER],
                userName: `bulk${n}`,
                externalId: `bulk-${n}`,
                name: { givenName: 'Bench', familyName: `User ${n}` },
                emails: [{ value: `bulk${n}@example.com`, primary: true, type: 'work' }],
                active: true,
              },
            })),
          },
          timeoutMs: 300_000,
        },
      );
      const failed = answer.body.Operations?.filter((op) => op.status !== '201') ?? [];
      if (answer.status !== 200 || failed.length)
        throw new Error(
          `/Bulk on replica ${replica + 1}: ${answer.status}, ${failed.length} failed: ${answer.text.slice(0, 300)}`,
        );
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, chunks.length) }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // Cores' worth of CPU used and of waiting for a CPU, per replica and for WordPress.
  const share = (
    now: { cpu: number; waiting: number },
    then: { cpu: number; waiting: number },
  ) => ({
    cpu: (now.cpu - then.cpu) / seconds,
    waiting: (now.waiting - then.waiting) / seconds,
  });
  const sidecars = replicas.sidecarGroups.map((pgid, i) =>
    share(schedSeconds([pgid]), sidecarsBefore[i]!),
  );
  const wordpress = share(schedSeconds(replicas.wordpressGroups), wordpressBefore);
  return { perSec: users / seconds, perReplica, sidecars, wordpress, seconds };
}

/** A full Graph sync of every emulated user through Sync now; users/s of the run itself. */
async function graphSync(replicas: Replicas, emulator: GraphEmulator, users: number) {
  const site = { url: replicas.stack.wordpress.url, admin: asAdmin(replicas.stack) };
  await connectEmulator(site, emulator, { slug: 'bench', photos: false });
  const run: RunAnswer = await syncAndWait(site, 'bench', {}, 3_600_000);
  if (run.state !== 'succeeded') throw new Error(`the Graph sync ${run.state}: ${run.error}`);
  if (run.counts.created !== users || run.counts.failed !== 0)
    throw new Error(
      `the Graph sync created ${run.counts.created} of ${users} users, ${run.counts.failed} failed`,
    );
  const seconds = (Date.parse(run.finishedAt!) - Date.parse(run.startedAt!)) / 1000;
  return users / seconds;
}

/** Figures of the scale-out part on `count` replicas. */
async function scaleOut(
  count: number,
  options: Options,
  emulator: GraphEmulator | null,
): Promise<{ bulkPerSec: number | null; syncPerSec: number | null }> {
  const replicas = await startReplicas(count);
  try {
    say(
      `${count} replica${count === 1 ? '' : 's'} on one PostgreSQL database, WordPress ${replicas.stack.wordpress.url}: ${replicas.scimUrls.join(', ')}`,
    );
    let bulkPerSec: number | null = null;
    let syncPerSec: number | null = null;
    if (!options.skipBulk) {
      const bulk = await bulkThroughput(replicas, options.bulkUsers, options.inFlight);
      bulkPerSec = bulk.perSec;
      say(
        `  /Bulk, ${options.bulkUsers} users, ${options.inFlight} requests in flight (requests per replica ${bulk.perReplica.join('/')}): ${bulkPerSec.toFixed(1)} users/s`,
      );
      const cores = (x: { cpu: number; waiting: number }) =>
        `${x.cpu.toFixed(2)} on a CPU + ${x.waiting.toFixed(2)} waiting for one`;
      say(
        `    meanwhile, in cores: replicas ${bulk.sidecars.map(cores).join('; ')}; WordPress ${cores(bulk.wordpress)} (load average ${os.loadavg()[0]!.toFixed(1)})`,
      );
    }
    if (emulator) {
      syncPerSec = await graphSync(replicas, emulator, options.syncUsers);
      say(`  Graph full sync, ${options.syncUsers} users: ${syncPerSec.toFixed(1)} users/s`);
    }
    return { bulkPerSec, syncPerSec };
  } finally {
    await replicas.stop();
  }
}

async function filterLatencies(options: Options): Promise<Record<string, number>> {
  say(`filters: a ${options.users}-user SCIM directory, one replica`);
  const prerequisites = await ensurePrerequisites({ log: say });
  const stack = await startStack({
    name: 'bench-replicas',
    tokenName: 'Bench',
    sidecarEnv: SIDECAR_ENV,
  });
  try {
    say(
      `WordPress ${stack.wordpress.version} at ${stack.wordpress.url}, sidecar ${stack.sidecar.url}`,
    );
    const seconds = await seed(prerequisites.php, stack, options.users);
    say(`seeded ${options.users} users in ${seconds.toFixed(1)} s`);
    // The database writes its freshly inserted pages out in the background: let it settle,
    // so the first filters timed do not pay for the seeding.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const probe = Math.min(42_424, options.users - 1);
    const prefix = pad(probe).slice(0, 5);
    const filters = {
      eq: `userName eq "u${pad(probe)}@fabrikam.test"`,
      sw: `userName sw "u${prefix}"`,
      co: `userName co "${pad(probe).slice(2)}"`,
      externalIdSw: `externalId sw "ext-${prefix}"`,
      displayNameCo: `displayName co "son ${pad(probe).slice(0, 4)}"`,
    };
    const medians: Record<string, number> = {};
    for (const [name, filter] of Object.entries(filters)) {
      for (let i = 0; i < 3; i++) await scimGet(stack, filter);
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < options.repeat; i++) {
        const answer = await scimGet(stack, filter);
        times.push(answer.ms);
        total = answer.total;
      }
      medians[name] = quantile(times, 0.5);
      say(
        `${name.padEnd(14)} ${filter.padEnd(40)} ${String(total).padStart(6)} results  median ${medians[name]!.toFixed(1)} ms  p90 ${quantile(times, 0.9).toFixed(1)} ms`,
      );
    }
    return medians;
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  say(
    `UserSync replicas benchmark: /Bulk of ${options.skipBulk ? '—' : options.bulkUsers} and Graph sync of ${options.skipSync ? '—' : options.syncUsers} users on 1 and 3 replicas; filters over ${options.skipFilters ? '—' : options.users} users`,
  );
  const round = (value: number | null | undefined) =>
    value === null || value === undefined ? null : Math.round(value * 10) / 10;
  const figures: Record<string, number | null> = {};
  if (!options.skipBulk || !options.skipSync) {
    await ensurePrerequisites({ log: say });
    const emulator = options.skipSync
      ? null
      : await startGraphEmulator({
          users: options.syncUsers,
          seed: 'bench-replicas',
          photoEvery: 0,
          groups: false,
        });
    try {
      for (const count of [1, 3]) {
        const measured = await scaleOut(count, options, emulator);
        figures[`bulkPerSec${count}`] = round(measured.bulkPerSec);
        figures[`syncPerSec${count}`] = round(measured.syncPerSec);
      }
    } finally {
      await emulator?.close();
    }
    if (figures.bulkPerSec1 && figures.bulkPerSec3)
      say(
        `/Bulk, 3 replicas / 1 replica: ${(figures.bulkPerSec3 / figures.bulkPerSec1).toFixed(2)}×`,
      );
    if (figures.syncPerSec1 && figures.syncPerSec3)
      say(
        `Graph sync, 3 replicas / 1 replica: ${(figures.syncPerSec3 / figures.syncPerSec1).toFixed(2)}×`,
      );
  }
  const medians = options.skipFilters ? {} : await filterLatencies(options);
  say(
    JSON.stringify({
      users: options.skipFilters ? null : options.users,
      bulkUsers: options.skipBulk ? null : options.bulkUsers,
      syncUsers: options.skipSync ? null : options.syncUsers,
      bulkPerSec1: figures.bulkPerSec1 ?? null,
      bulkPerSec3: figures.bulkPerSec3 ?? null,
      syncPerSec1: figures.syncPerSec1 ?? null,
      syncPerSec3: figures.syncPerSec3 ?? null,
      filterEqMs: round(medians.eq),
      filterSwMs: round(medians.sw),
      filterCoMs: round(medians.co),
      filterExternalIdSwMs: round(medians.externalIdSw),
      filterDisplayNameCoMs: round(medians.displayNameCo),
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:replicas failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
