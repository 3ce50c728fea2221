// `npm run bench:replicas`: how a large SCIM directory answers filters. On one fresh stack
// (one sidecar replica, its SCIM rate limit raised out of the way) it seeds N users linked to
// the SCIM token's connection straight in SQL (a PHP loop of multi-row INSERTs through
// $wpdb: users, their link meta and the links index; no hooks, no outbox), then times
// GET /Users with a filter on userName, sequentially, after a warm-up:
//   eq  `userName eq "u042424@fabrikam.test"`   (one user),
//   sw  `userName sw "u04242"`                  (ten users, a range on the user_login index),
//   co  `userName co "4242"`                    (a scan: LIKE '%…%' cannot use a B-tree),
// and, for reference, externalId sw and displayName co (answered by SQL alone).
// It prints the median and p90 of each; the last line is one JSON object.
//
//   npm run bench:replicas [-- --users 100000 --repeat 20]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ensurePrerequisites, startStack, type Stack } from '../src/stack/index.js';

interface Options {
  users: number;
  repeat: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { users: 100_000, repeat: 20 };
  const names: Record<string, keyof Options> = { '--users': 'users', '--repeat': 'repeat' };
  for (let i = 0; i < argv.length; i++) {
    const key = names[argv[i]!];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isInteger(value) || value < 1)
      throw new Error(`usage: npm run bench:replicas [-- --users N --repeat N] (got "${argv[i]}")`);
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

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  say(`UserSync replicas benchmark: a ${options.users}-user SCIM directory, one replica`);
  const prerequisites = await ensurePrerequisites({ log: say });
  const stack = await startStack({
    name: 'bench-replicas',
    tokenName: 'Bench',
    sidecarEnv: { SCIM_RATE_LIMIT: '100000', SCIM_RATE_BURST: '100000', LOG_LEVEL: 'warn' },
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
    const round = (value: number) => Math.round(value * 10) / 10;
    say(
      JSON.stringify({
        users: options.users,
        filterEqMs: round(medians.eq!),
        filterSwMs: round(medians.sw!),
        filterCoMs: round(medians.co!),
        filterExternalIdSwMs: round(medians.externalIdSw!),
        filterDisplayNameCoMs: round(medians.displayNameCo!),
      }),
    );
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:replicas failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
