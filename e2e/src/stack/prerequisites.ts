// Finds what a local stack needs (PHP, MariaDB, WordPress files, optionally Chromium). On
// Debian/Ubuntu as root it installs what is missing with apt-get; elsewhere it explains what to
// install and fails.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { run, sleep } from './process.js';
import { findBuild, unpackBuild } from './wordpress-builds.js';

export interface Prerequisites {
  php: string;
  /** The MariaDB (or MySQL) command line client. */
  mariadb: string;
  /** Unix socket of the running server, which sites connect to. */
  mariadbSocket: string;
  wordpressDir: string;
  wordpressVersion: string;
  /** Set when the browser was asked for. */
  chromium?: string;
}

export interface PrerequisiteOptions {
  /** Also require Chromium (browser tests). */
  browser?: boolean;
  /**
   * Which WordPress: "debian" (the distribution's package), "newest" or a build key of
   * @wp-playground/wordpress-builds ("6.5", "beta", "nightly"); default USERSYNC_WORDPRESS, else
   * "debian". USERSYNC_WORDPRESS_DIR, when set, wins over both.
   */
  wordpress?: string;
  /** Allow apt-get on Debian/Ubuntu as root (default true; USERSYNC_NO_INSTALL=1 turns it off). */
  install?: boolean;
  log?: (line: string) => void;
}

/** Raised when something is missing and cannot be installed here; its message says what to do. */
export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

const APT_PACKAGES = [
  'wordpress',
  'php-cli',
  'php-mysql',
  'php-xml',
  'php-mbstring',
  'php-curl',
  'php-gd',
];
const PHP_EXTENSIONS: Record<string, string> = {
  mysqli: 'php-mysql',
  mbstring: 'php-mbstring',
  dom: 'php-xml',
  curl: 'php-curl',
  gd: 'php-gd',
};
const CHROMIUM_CANDIDATES = [
  'chromium',
  'chromium-browser',
  'google-chrome-stable',
  'google-chrome',
];
const MARIADBD = '/usr/sbin/mariadbd';
/** USERSYNC_WORDPRESS's value for the distribution's WordPress (the default). */
export const DISTRIBUTION = 'debian';

const cache = new Map<string, Promise<Prerequisites>>();
let aptUpdated = false;

export function ensurePrerequisites(options: PrerequisiteOptions = {}): Promise<Prerequisites> {
  const key = `${options.browser ? 'browser' : 'stack'}:${wordpressChoice(options)}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = resolvePrerequisites(options);
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
}

interface Findings {
  php?: string;
  missingExtensions: string[];
  mariadb?: string;
  mariadbSocket?: string;
  mariadbError?: string;
  wordpressDir?: string;
  wordpressVersion?: string;
  wordpressError?: string;
  chromium?: string;
}

async function resolvePrerequisites(options: PrerequisiteOptions): Promise<Prerequisites> {
  const log = options.log ?? (() => {});
  let found = await detect(options.browser ?? false, wordpressChoice(options));
  let problems = describeProblems(found, options);
  if (problems.length === 0) return complete(found);

  const allowInstall = (options.install ?? true) && process.env.USERSYNC_NO_INSTALL !== '1';
  if (allowInstall && canUseApt()) {
    const packages = aptPackagesFor(found, options.browser ?? false);
    if (packages.length > 0) {
      log(`Installing ${packages.join(' ')} with apt-get…`);
      await apt(['update'], log);
      await apt(['install', '-y', ...packages], log);
    }
    if (!found.mariadbSocket && fs.existsSync(MARIADBD)) await startMariadb(log);
    found = await detect(options.browser ?? false, wordpressChoice(options));
    problems = describeProblems(found, options);
    if (problems.length === 0) return complete(found);
  }
  throw new PrerequisiteError(instructions(problems));
}

function complete(found: Findings): Prerequisites {
  return {
    php: found.php!,
    mariadb: found.mariadb!,
    mariadbSocket: found.mariadbSocket!,
    wordpressDir: found.wordpressDir!,
    wordpressVersion: found.wordpressVersion!,
    ...(found.chromium ? { chromium: found.chromium } : {}),
  };
}

export function wordpressChoice(options: PrerequisiteOptions = {}): string {
  return options.wordpress ?? (process.env.USERSYNC_WORDPRESS || DISTRIBUTION);
}

async function detect(browser: boolean, wordpress: string): Promise<Findings> {
  const findings: Findings = { missingExtensions: [] };
  findings.php = process.env.USERSYNC_PHP ?? which('php');
  if (findings.php) {
    const modules = await run(findings.php, ['-m']).catch(() => undefined);
    const loaded = new Set(
      (modules?.stdout ?? '')
        .toLowerCase()
        .split('\n')
        .map((l) => l.trim()),
    );
    findings.missingExtensions = Object.keys(PHP_EXTENSIONS).filter((ext) => !loaded.has(ext));
  }
  findings.mariadb = which('mariadb') ?? which('mysql');
  if (findings.mariadb) {
    const answer = await run(findings.mariadb, ['-uroot', '-N', '-B', '-e', 'SELECT @@socket'], {
      timeoutMs: 10_000,
    }).catch((error: Error) => ({ code: 1, stdout: '', stderr: error.message }));
    const socket = answer.stdout.trim();
    if (answer.code === 0 && socket && fs.existsSync(socket)) findings.mariadbSocket = socket;
    else findings.mariadbError = answer.stderr.trim() || 'the server did not report a socket';
  }
  const wpDir = wordpressSource(wordpress, findings);
  const versionFile = wpDir ? path.join(wpDir, 'wp-includes', 'version.php') : '';
  if (wpDir && fs.existsSync(versionFile)) {
    const match = /\$wp_version\s*=\s*'([^']+)'/.exec(fs.readFileSync(versionFile, 'utf8'));
    if (match?.[1]) {
      findings.wordpressDir = wpDir;
      findings.wordpressVersion = match[1];
    }
  }
  if (browser) {
    const fromEnv = process.env.USERSYNC_CHROMIUM;
    findings.chromium =
      fromEnv && fs.existsSync(fromEnv)
        ? fromEnv
        : CHROMIUM_CANDIDATES.map((name) => which(name)).find((p) => p !== undefined);
  }
  return findings;
}

/**
 * Where the WordPress files come from: USERSYNC_WORDPRESS_DIR, else a build of
 * @wp-playground/wordpress-builds when USERSYNC_WORDPRESS names one ("newest", "6.5", "nightly"),
 * else the distribution's package.
 */
function wordpressSource(wanted: string, findings: Findings): string | undefined {
  if (process.env.USERSYNC_WORDPRESS_DIR) return process.env.USERSYNC_WORDPRESS_DIR;
  if (wanted === DISTRIBUTION) return '/usr/share/wordpress';
  try {
    return unpackBuild(findBuild(wanted));
  } catch (error) {
    findings.wordpressError = (error as Error).message;
    return undefined;
  }
}

function describeProblems(found: Findings, options: PrerequisiteOptions): string[] {
  const browser = options.browser ?? false;
  const problems: string[] = [];
  if (!found.php) problems.push('PHP 8 command line (`php`) is not on PATH');
  else if (found.missingExtensions.length > 0)
    problems.push(`PHP lacks the extensions: ${found.missingExtensions.join(', ')}`);
  if (!found.mariadb) problems.push('the MariaDB client (`mariadb` or `mysql`) is not on PATH');
  else if (!found.mariadbSocket)
    problems.push(
      `no MariaDB server answers to \`${path.basename(found.mariadb)} -uroot\` over its socket (${found.mariadbError ?? 'unknown error'})`,
    );
  if (!found.wordpressDir)
    problems.push(
      found.wordpressError
        ? `WordPress "${wordpressChoice(options)}" could not be unpacked: ${found.wordpressError}`
        : `WordPress files were not found in ${process.env.USERSYNC_WORDPRESS_DIR ?? '/usr/share/wordpress'} (set USERSYNC_WORDPRESS_DIR to a copy of WordPress)`,
    );
  if (browser && !found.chromium)
    problems.push('Chromium was not found (install it, or set USERSYNC_CHROMIUM to its path)');
  return problems;
}

function aptPackagesFor(found: Findings, browser: boolean): string[] {
  const packages = new Set<string>();
  if (!found.php || (!found.wordpressDir && !found.wordpressError))
    APT_PACKAGES.forEach((p) => packages.add(p));
  for (const ext of found.missingExtensions) packages.add(PHP_EXTENSIONS[ext]!);
  if (!found.mariadb && !fs.existsSync(MARIADBD)) packages.add('mariadb-server');
  if (browser && !found.chromium) packages.add('chromium');
  return [...packages];
}

function canUseApt(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  if (!which('apt-get')) return false;
  try {
    const release = fs.readFileSync('/etc/os-release', 'utf8');
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(release);
  } catch {
    return fs.existsSync('/etc/debian_version');
  }
}

async function apt(args: string[], log: (line: string) => void): Promise<void> {
  if (args[0] === 'update') {
    if (aptUpdated) return;
    aptUpdated = true;
  }
  log(`$ apt-get ${args.join(' ')}`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('apt-get', args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', process.stderr, process.stderr],
    });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new PrerequisiteError(`apt-get ${args.join(' ')} failed with code ${code}`);
}

async function startMariadb(log: (line: string) => void): Promise<void> {
  log('Starting MariaDB…');
  fs.mkdirSync('/run/mysqld', { recursive: true });
  await run('chown', ['mysql:mysql', '/run/mysqld']);
  const started = await run('start-stop-daemon', [
    '--start',
    '--oknodo',
    '--background',
    '--exec',
    MARIADBD,
  ]);
  if (started.code !== 0)
    throw new PrerequisiteError(`could not start MariaDB: ${started.stderr || started.stdout}`);
  const client = which('mariadb') ?? which('mysql') ?? 'mariadb';
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const answer = await run(client, ['-uroot', '-e', 'SELECT 1']).catch(() => undefined);
    if (answer?.code === 0) return;
    await sleep(250);
  }
  throw new PrerequisiteError('MariaDB was started but did not answer on its socket within 30 s');
}

function instructions(problems: string[]): string {
  return [
    'The UserSync local stack cannot start:',
    ...problems.map((p) => `  - ${p}`),
    '',
    'Install what is missing, then run the command again:',
    '  Debian/Ubuntu: sudo apt-get install -y wordpress php-cli php-mysql php-xml php-mbstring php-curl php-gd mariadb-server chromium',
    '                 (then start MariaDB, e.g. sudo service mariadb start; the stack connects as root over the socket)',
    '  macOS (Homebrew): brew install php mariadb && brew services start mariadb;',
    '                 unpack WordPress from https://wordpress.org/download/ and set USERSYNC_WORDPRESS_DIR to it;',
    '                 set USERSYNC_CHROMIUM to a Chrome/Chromium binary for browser tests.',
    '  Newer WordPress: USERSYNC_WORDPRESS=newest (or 6.5, beta, nightly) uses a build from the npm',
    '                 package @wp-playground/wordpress-builds (installed by npm ci) instead.',
    '',
    'Or run WordPress in Docker with wp-env (it reads .wp-env.json at the repository root):',
    '  npx @wordpress/env start      # WordPress with the plugin active on http://localhost:8888 (admin / password)',
    '  In wp-admin, create a user with the "UserSync service" role and an Application Password for it',
    '  (Users → Profile), then run the sidecar against the site:',
    '  WP_URL=http://localhost:8888 WP_USER=<that user> WP_APP_PASSWORD=<its password> npx tsx sidecar/src/main.ts',
  ].join('\n');
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
