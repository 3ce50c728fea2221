// The baseline of the SCIM benchmark: WordPress's own wp_insert_user() in a PHP loop on the
// same site, no HTTP in between. The users are split over as many `php` processes as asked
// (by default one per core); each bootstraps the site's wp-load.php once and inserts its
// share. Only the loops are timed, from the first loop's start to the last loop's end, so
// the bootstraps do not count against WordPress.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RawInsertOptions {
  /** The PHP binary. */
  php: string;
  /** The site's document root (holds wp-load.php). */
  wpDir: string;
  /** How many users to insert in all. */
  count: number;
  /** Logins are `${prefix}${n}`, emails `${prefix}${n}@example.com`. */
  prefix: string;
  /** Parallel processes (default: the machine's cores). */
  processes?: number;
  /**
   * Whether the site's plugins load (default true). Without them (must-use plugins still
   * load) the loop shows what WordPress core alone costs.
   */
  plugins?: boolean;
}

export interface RawInsertResult {
  users: number;
  failed: number;
  processes: number;
  seconds: number;
  perSec: number;
}

interface ProcessReport {
  start: number;
  end: number;
  inserted: number;
  failed: number;
  error?: string;
}

const SCRIPT = `<?php
// One share of the raw insert benchmark: bootstrap once, then wp_insert_user() in a loop.
$job = json_decode( getenv( 'USERSYNC_RAW_INSERT' ), true );
if ( ! $job['plugins'] ) {
	// A hook registered before WordPress loads (see WP_Hook::build_preinitialized_hooks()).
	$GLOBALS['wp_filter'] = array(
		'option_active_plugins' => array(
			10 => array(
				array(
					'function'      => static fn() => array(),
					'accepted_args' => 1,
				),
			),
		),
	);
}
define( 'WP_USE_THEMES', false );
require $job['wpDir'] . '/wp-load.php';
$inserted = 0;
$failed   = 0;
$error    = null;
$start    = microtime( true );
for ( $n = $job['from']; $n < $job['to']; $n++ ) {
	$login = $job['prefix'] . $n;
	$id    = wp_insert_user(
		array(
			'user_login'   => $login,
			'user_email'   => $login . '@example.com',
			'user_pass'    => wp_generate_password( 24 ),
			'first_name'   => 'Raw',
			'last_name'    => 'User ' . $n,
			'display_name' => 'Raw User ' . $n,
			'role'         => 'subscriber',
		)
	);
	if ( is_wp_error( $id ) ) {
		$failed++;
		$error = $id->get_error_message();
	} else {
		$inserted++;
	}
}
$end = microtime( true );
echo wp_json_encode( compact( 'start', 'end', 'inserted', 'failed', 'error' ) ), "\\n";
`;

export async function rawInsert(options: RawInsertOptions): Promise<RawInsertResult> {
  const processes = Math.max(1, options.processes ?? os.availableParallelism());
  const script = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'usersync-raw-insert-')),
    'insert.php',
  );
  fs.writeFileSync(script, SCRIPT);
  try {
    const share = Math.ceil(options.count / processes);
    const reports = await Promise.all(
      Array.from({ length: processes }, (_, i) => {
        const from = i * share;
        const to = Math.min(options.count, from + share);
        return runShare(options.php, script, {
          wpDir: options.wpDir,
          prefix: options.prefix,
          plugins: options.plugins ?? true,
          from,
          to,
        });
      }),
    );
    const start = Math.min(...reports.map((r) => r.start));
    const end = Math.max(...reports.map((r) => r.end));
    const users = reports.reduce((sum, r) => sum + r.inserted, 0);
    const failed = reports.reduce((sum, r) => sum + r.failed, 0);
    if (failed > 0) {
      const reason = reports.find((r) => r.error)?.error ?? 'unknown';
      throw new Error(`wp_insert_user() failed for ${failed} users: ${reason}`);
    }
    const seconds = end - start;
    return { users, failed, processes, seconds, perSec: users / seconds };
  } finally {
    fs.rmSync(path.dirname(script), { recursive: true, force: true });
  }
}

function runShare(php: string, script: string, job: Record<string, unknown>) {
  return new Promise<ProcessReport>((resolve, reject) => {
    const child = spawn(php, ['-d', 'memory_limit=1G', script], {
      cwd: String(job.wpDir),
      env: { ...process.env, USERSYNC_RAW_INSERT: JSON.stringify(job) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const report = JSON.parse(line) as ProcessReport;
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(report);
      } catch (error) {
        reject(
          new Error(
            `the raw insert process failed (${(error as Error).message}): ${(err || out).slice(-2000)}`,
          ),
        );
      }
    });
  });
}
