// Newer WordPress releases than the distribution's, without a network: the npm package
// @wp-playground/wordpress-builds ships each build as a zip of its PHP files plus a folder of its
// static assets (scripts, styles, images), which the zip leaves out. A build is unpacked once
// into the cache (both halves, without Playground's SQLite database and wp-config.php) and is
// then an ordinary WordPress tree that runs on PHP + MariaDB like /usr/share/wordpress.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import AdmZip from 'adm-zip';

import { cacheDir } from './paths.js';

export interface WordPressBuild {
  /** The package's name for the build: "6.5", "beta", "nightly", … */
  key: string;
  /** $wp_version of the build, e.g. "6.7-alpha-58716". */
  version: string;
}

/** Playground's own files in a build: its SQLite database, wp-config.php, logs and asset list. */
const LEFT_OUT = [
  /^wp-config\.php$/,
  /^wp-content\/database(\/|$)/,
  /^wp-content\/db\.php$/,
  /^wp-content\/debug\.log$/,
  /^wordpress-remote-asset-paths$/,
];

function packageDir(): string {
  const require = createRequire(import.meta.url);
  // The package has no exports map: its package.json locates it.
  return path.dirname(require.resolve('@wp-playground/wordpress-builds/package.json'));
}

/** Every build the installed package ships, newest first. */
export function listBuilds(): WordPressBuild[] {
  const file = path.join(packageDir(), 'src', 'wordpress', 'wp-versions.json');
  const versions = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  return Object.keys(versions)
    .map((key) => ({ key, version: buildVersion(key) }))
    .sort((a, b) => compareVersions(b.version, a.version));
}

/** The build to use for a name: "newest", or one of the package's keys ("6.5", "nightly"). */
export function findBuild(name: string): WordPressBuild {
  const builds = listBuilds();
  const build = name === 'newest' ? builds[0] : builds.find((b) => b.key === name);
  if (!build) {
    throw new Error(
      `@wp-playground/wordpress-builds has no WordPress build "${name}" (it ships: ${builds.map((b) => `${b.key} = ${b.version}`).join(', ')})`,
    );
  }
  return build;
}

/**
 * The unpacked build's folder, unpacking it on first use. Safe when several processes unpack at
 * once: each writes its own temporary folder and renames it into place.
 */
export function unpackBuild(build: WordPressBuild): string {
  const target = path.join(cacheDir, 'wordpress-builds', `${build.key}-${build.version}`);
  if (fs.existsSync(path.join(target, 'wp-includes', 'version.php'))) return target;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temporary = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    const zip = new AdmZip(zipPath(build.key));
    for (const entry of zip.getEntries()) {
      if (entry.isDirectory || LEFT_OUT.some((pattern) => pattern.test(entry.entryName))) continue;
      const destination = path.join(temporary, entry.entryName);
      if (!destination.startsWith(temporary + path.sep)) continue;
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      fs.writeFileSync(destination, entry.getData());
    }
    // The assets folder also holds assets of themes the zip does not ship: only those of
    // themes whose PHP is there are wanted (the others would show as broken themes).
    const assets = path.join(packageDir(), 'public', `wp-${build.key}`);
    fs.cpSync(assets, temporary, {
      recursive: true,
      force: false,
      filter: (source) => {
        const relative = path.relative(assets, source).split(path.sep).join('/');
        if (LEFT_OUT.some((pattern) => pattern.test(relative))) return false;
        const theme = /^wp-content\/themes\/([^/]+)/.exec(relative)?.[1];
        return !theme || fs.existsSync(path.join(temporary, 'wp-content', 'themes', theme));
      },
    });
    if (!fs.existsSync(path.join(temporary, 'wp-includes', 'version.php'))) {
      throw new Error(`the ${build.key} build has no wp-includes/version.php`);
    }
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { recursive: true, force: true });
    // Another process finished first; its copy is as good as ours.
    if (!fs.existsSync(path.join(target, 'wp-includes', 'version.php'))) throw error;
  }
  return target;
}

function zipPath(key: string): string {
  return path.join(packageDir(), 'src', 'wordpress', `wp-${key}.zip`);
}

/** $wp_version read from the zip itself (wp-versions.json says "nightly" for the nightly). */
function buildVersion(key: string): string {
  const entry = new AdmZip(zipPath(key)).getEntry('wp-includes/version.php');
  const match = entry
    ? /\$wp_version\s*=\s*'([^']+)'/.exec(entry.getData().toString('utf8'))
    : null;
  if (!match?.[1]) throw new Error(`the ${key} build's version.php names no $wp_version`);
  return match[1];
}

/** Orders "6.5.5" < "6.6-RC3" < "6.6" < "6.7-alpha-58716" (a pre-release sorts before its release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [release = '', ...pre] = v.split('-');
    return { parts: release.split('.').map(Number), pre: pre.join('-') };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (!x.pre) return 1;
  if (!y.pre) return -1;
  return x.pre.localeCompare(y.pre, 'en', { numeric: true });
}
