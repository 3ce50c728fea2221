// WordPress sites for test stacks. The distribution's files are copied once into a cached
// template (without translations and the distribution's wp-config.php; a newer build from
// wordpress-builds.ts is unpacked into the cache and is its own template); each stack then gets a
// hardlinked copy of the template, its own wp-config.php and wp-content additions, and is
// installed from the command line with wp_install().
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import type { Database } from './mariadb.js';
import { cacheDir, phpAssetsDir } from './paths.js';
import { run } from './process.js';

const execFileAsync = promisify(execFile);

/** Paths (relative to the WordPress root) left out of the template. */
const EXCLUDED = new Set(['wp-config.php', '.htaccess', 'wp-content/languages']);

const templates = new Map<string, Promise<string>>();

/**
 * The cached template for the WordPress files in `sourceDir`, built on first use. Safe when
 * several processes build it at once: each copies into its own temporary folder and renames it.
 */
export function ensureTemplate(sourceDir: string, version: string): Promise<string> {
  const key = `${sourceDir}@${version}`;
  let pending = templates.get(key);
  if (!pending) {
    pending = buildTemplate(sourceDir, version);
    pending.catch(() => templates.delete(key));
    templates.set(key, pending);
  }
  return pending;
}

async function buildTemplate(sourceDir: string, version: string): Promise<string> {
  // An unpacked @wp-playground/wordpress-builds build is already a template of real files.
  if (path.resolve(sourceDir).startsWith(path.resolve(cacheDir) + path.sep)) return sourceDir;
  const sourceId = crypto.createHash('sha1').update(path.resolve(sourceDir)).digest('hex');
  const target = path.join(cacheDir, `wordpress-${version}-${sourceId.slice(0, 8)}`);
  if (fs.existsSync(path.join(target, 'wp-includes', 'version.php'))) return target;
  fs.mkdirSync(cacheDir, { recursive: true });
  const temporary = `${target}.tmp-${process.pid}-${Date.now()}`;
  await fs.promises.cp(sourceDir, temporary, {
    recursive: true,
    // Debian's tree links to shared copies of some libraries; the template holds real files.
    dereference: true,
    filter: (source) => {
      const relative = path.relative(sourceDir, source).split(path.sep).join('/');
      // Leave out excluded paths and dangling links (Debian's .htaccess points into /etc).
      return !EXCLUDED.has(relative) && fs.existsSync(source);
    },
  });
  try {
    fs.renameSync(temporary, target);
  } catch (error) {
    // Another process finished first; its copy is as good as ours.
    fs.rmSync(temporary, { recursive: true, force: true });
    if (!fs.existsSync(target)) throw error;
  }
  return target;
}

/**
 * A site's files: hardlinks to the template (cheap, and PHP still sees the site's own paths,
 * unlike symlinks, which it resolves), falling back to a plain copy across file systems.
 */
export async function copyTemplate(template: string, wpDir: string): Promise<void> {
  if (process.platform === 'linux') {
    try {
      await execFileAsync('cp', ['-al', template, wpDir]);
      return;
    } catch {
      fs.rmSync(wpDir, { recursive: true, force: true });
    }
  }
  await fs.promises.cp(template, wpDir, { recursive: true });
}

export interface SiteConfig {
  wpDir: string;
  stackDir: string;
  db: Database;
  pluginDir: string;
  sidecarUrl: string;
  sidecarKey: string;
}

/** Writes wp-config.php and the wp-content additions (plugin link, must-use plugin, uploads). */
export function configureSite(config: SiteConfig): void {
  const content = path.join(config.wpDir, 'wp-content');
  fs.mkdirSync(path.join(content, 'mu-plugins'), { recursive: true });
  fs.mkdirSync(path.join(content, 'uploads'), { recursive: true });
  fs.copyFileSync(
    path.join(phpAssetsDir, 'mu-plugin.php'),
    path.join(content, 'mu-plugins', 'usersync-stack.php'),
  );
  fs.symlinkSync(config.pluginDir, path.join(content, 'plugins', 'usersync'), 'dir');
  writeConfig(config);
}

/** (Re)writes wp-config.php, e.g. after the sidecar moved to another port. */
export function writeConfig(config: SiteConfig): void {
  const salt = (name: string) =>
    `define( '${name}', '${crypto.randomBytes(32).toString('base64url')}' );`;
  const php = [
    '<?php',
    '// Configuration of one local UserSync test site; removed with its stack.',
    `define( 'DB_NAME', ${phpString(config.db.name)} );`,
    `define( 'DB_USER', ${phpString(config.db.user)} );`,
    `define( 'DB_PASSWORD', ${phpString(config.db.password)} );`,
    `define( 'DB_HOST', ${phpString(config.db.host)} );`,
    "define( 'DB_CHARSET', 'utf8mb4' );",
    "define( 'DB_COLLATE', '' );",
    ...[
      'AUTH_KEY',
      'SECURE_AUTH_KEY',
      'LOGGED_IN_KEY',
      'NONCE_KEY',
      'AUTH_SALT',
      'SECURE_AUTH_SALT',
      'LOGGED_IN_SALT',
      'NONCE_SALT',
    ].map(salt),
    "$table_prefix = 'wp_';",
    '',
    '// Application Passwords over plain http are only offered to local sites.',
    "define( 'WP_ENVIRONMENT_TYPE', 'local' );",
    "define( 'DISABLE_WP_CRON', true );",
    "define( 'WP_HTTP_BLOCK_EXTERNAL', true );",
    "define( 'WP_ACCESSIBLE_HOSTS', '127.0.0.1,localhost' );",
    "define( 'AUTOMATIC_UPDATER_DISABLED', true );",
    "define( 'FS_METHOD', 'direct' );",
    "define( 'WP_DEBUG', true );",
    `define( 'WP_DEBUG_LOG', ${phpString(path.join(config.stackDir, 'debug.log'))} );`,
    "define( 'WP_DEBUG_DISPLAY', false );",
    `define( 'USERSYNC_STACK_MAIL_LOG', ${phpString(path.join(config.stackDir, 'mail.log'))} );`,
    '',
    `define( 'USERSYNC_SIDECAR_URL', ${phpString(config.sidecarUrl)} );`,
    `define( 'USERSYNC_SIDECAR_KEY', ${phpString(config.sidecarKey)} );`,
    '',
    "if ( ! defined( 'ABSPATH' ) ) {",
    "\tdefine( 'ABSPATH', __DIR__ . '/' );",
    '}',
    "require_once ABSPATH . 'wp-settings.php';",
    '',
  ].join('\n');
  fs.writeFileSync(path.join(config.wpDir, 'wp-config.php'), php, { mode: 0o600 });
}

export interface InstallSettings {
  wpDir: string;
  url: string;
  title: string;
  adminUser: string;
  adminPassword: string;
  adminEmail: string;
  serviceUser: string;
}

export interface SetupResult {
  serviceUserId: number;
  serviceAppPassword: string;
  adminAppPassword: string;
  pluginVersion: string;
  wordpressVersion: string;
}

/** wp_install(), site URL and permalinks (the first bootstrap). */
export async function installSite(
  php: string,
  settings: InstallSettings,
  logPath: string,
): Promise<void> {
  await runStep(php, 'install', settings, logPath);
}

/** Plugin activation, service user and Application Passwords (a second, normal bootstrap). */
export async function setupSite(
  php: string,
  settings: InstallSettings,
  logPath: string,
): Promise<SetupResult> {
  return (await runStep(php, 'setup', settings, logPath)) as SetupResult;
}

async function runStep(
  php: string,
  step: 'install' | 'setup',
  settings: InstallSettings,
  logPath: string,
): Promise<unknown> {
  const result = await run(
    php,
    ['-d', 'memory_limit=512M', path.join(phpAssetsDir, 'install.php'), step],
    {
      cwd: settings.wpDir,
      env: { ...process.env, USERSYNC_INSTALL: JSON.stringify(settings) },
      timeoutMs: 120_000,
    },
  );
  const marker = 'USERSYNC_RESULT ';
  const line = result.stdout.split('\n').find((l) => l.startsWith(marker));
  // Keep everything but the result line (it holds passwords) for diagnosis.
  const output = result.stdout
    .split('\n')
    .filter((l) => !l.startsWith(marker))
    .join('\n');
  fs.appendFileSync(logPath, `--- ${step}\n${output}${result.stderr}`);
  if (result.code !== 0 || !line) {
    const reason = (result.stderr.trim() || output.trim() || `exit code ${result.code}`)
      .split('\n')
      .slice(-20)
      .join('\n');
    throw new Error(`WordPress ${step} step failed: ${reason}`);
  }
  return JSON.parse(line.slice(marker.length));
}

function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
