// `npm test`: every check of the repository, in order — lint, sidecar unit tests, admin UI
// component tests, admin UI build, integration and browser tests against real stacks. Every
// phase runs even when an earlier one failed; a summary table and `N passed, M failed` end it.
//
//   npm test                                   all phases
//   npm test -- --only e2e                     one phase (repeatable): lint, sidecar, admin-ui, build, e2e
//   npm test -- --only e2e e2e/tests/foundation.test.ts   only these test files
//   npm test -- --wordpress newest             the e2e phase on one WordPress only
//
// The e2e phase runs twice: on the distribution's WordPress (Debian's package) and on the newest
// build of @wp-playground/wordpress-builds (see e2e/src/stack/wordpress-builds.ts). --wordpress
// (or USERSYNC_WORDPRESS) with "debian", "newest" or a build key ("6.5", "beta") runs only that.
import fs from 'node:fs';
import path from 'node:path';

import { listFiles, runStreaming, seconds, type CommandResult } from '../src/cli.js';
import { DISTRIBUTION, ensurePrerequisites } from '../src/stack/prerequisites.js';
import { repoRoot, stateDir } from '../src/stack/paths.js';

interface PhaseResult {
  name: string;
  title: string;
  passed: number;
  failed: number;
  ms: number;
  note?: string;
}

interface Phase {
  name: string;
  title: string;
  run(): Promise<Omit<PhaseResult, 'name' | 'title' | 'ms'>>;
}

const PHASES = ['lint', 'sidecar', 'admin-ui', 'build', 'e2e'] as const;
const resultsDir = path.join(stateDir, 'test-results');

const { only, files, wordpress } = parseArgs(process.argv.slice(2));

/** The WordPress installs the e2e phase runs on. */
const wordpressTargets: string[] = process.env.USERSYNC_WORDPRESS_DIR
  ? ['dir']
  : wordpress
    ? [wordpress]
    : process.env.USERSYNC_WORDPRESS
      ? [process.env.USERSYNC_WORDPRESS]
      : [DISTRIBUTION, 'newest'];
/** "WordPress 6.1.9" per target, known once its prerequisites were found. */
const wordpressLabels = new Map<string, string>();
/** The WordPress files per target; the test processes get the folder, not the name to resolve. */
const wordpressDirs = new Map<string, string>();

const phases: Phase[] = [
  {
    name: 'lint',
    title: 'lint (eslint, prettier, tsc, php -l)',
    run: async () => singleCheck(await npm(['run', 'lint'])),
  },
  {
    name: 'sidecar',
    title: 'sidecar unit tests',
    run: () => nodeTests('sidecar', testFiles('sidecar/test'), []),
  },
  {
    name: 'admin-ui',
    title: 'admin-ui component tests',
    run: async () => jestCounts(await npm(['test', '-w', 'admin-ui'])),
  },
  {
    name: 'build',
    title: 'admin-ui build',
    run: async () => singleCheck(await npm(['run', 'build', '-w', 'admin-ui'])),
  },
  ...wordpressTargets.map((target): Phase => ({
    name: 'e2e',
    get title() {
      return `integration + browser tests (${wordpressLabels.get(target) ?? target})`;
    },
    run: () =>
      nodeTests(
        wordpressTargets.length > 1 ? `e2e-${target}` : 'e2e',
        testFiles('e2e/tests'),
        ['--test-concurrency=1'],
        wordpressDirs.has(target)
          ? { USERSYNC_WORDPRESS_DIR: wordpressDirs.get(target)! }
          : target === 'dir'
            ? {}
            : { USERSYNC_WORDPRESS: target },
      ),
  })),
];

async function main(): Promise<void> {
  const began = Date.now();
  fs.mkdirSync(resultsDir, { recursive: true });
  const results: PhaseResult[] = [];

  // The stack and the browser are only needed by the integration tests.
  if (only.size === 0 || only.has('e2e')) {
    for (const target of wordpressTargets) {
      const missing = await checkPrerequisites(target);
      if (missing) results.push(missing);
    }
  }

  for (const phase of phases) {
    if (only.size > 0 && !only.has(phase.name)) continue;
    banner(`Phase ${phase.name}: ${phase.title}`);
    const start = Date.now();
    let outcome: Omit<PhaseResult, 'name' | 'title' | 'ms'>;
    try {
      outcome = await phase.run();
    } catch (error) {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      outcome = { passed: 0, failed: 1, note: 'crashed' };
    }
    results.push({ name: phase.name, title: phase.title, ms: Date.now() - start, ...outcome });
  }

  printSummary(results, Date.now() - began);
  process.exit(results.some((r) => r.failed > 0) ? 1 : 0);
}

/** Finds (or on Debian as root installs) PHP, MariaDB, WordPress and Chromium; loud when not. */
async function checkPrerequisites(target: string): Promise<PhaseResult | undefined> {
  const start = Date.now();
  try {
    const found = await ensurePrerequisites({
      browser: true,
      log: (line) => banner(line),
      ...(target === 'dir' ? {} : { wordpress: target }),
    });
    wordpressDirs.set(target, found.wordpressDir);
    wordpressLabels.set(
      target,
      `WordPress ${found.wordpressVersion}${target === DISTRIBUTION || target === 'dir' ? '' : `, build "${target}"`}`,
    );
    banner(
      `Prerequisites: ${found.php}, MariaDB at ${found.mariadbSocket}, WordPress ${found.wordpressVersion} (${found.wordpressDir}), ${found.chromium}`,
    );
    return undefined;
  } catch (error) {
    process.stderr.write(
      `\n!!! MISSING PREREQUISITES — the integration and browser tests cannot run:\n${(error as Error).message}\n\n`,
    );
    return {
      name: 'prerequisites',
      title: 'prerequisites',
      passed: 0,
      failed: 1,
      ms: Date.now() - start,
      note: 'missing',
    };
  }
}

function npm(args: string[]): Promise<CommandResult> {
  process.stdout.write(`$ npm ${args.join(' ')}\n`);
  return runStreaming('npm', args);
}

/** A check without test counts (lint, build) counts as one test. */
function singleCheck(result: CommandResult) {
  return result.code === 0
    ? { passed: 1, failed: 0 }
    : { passed: 0, failed: 1, note: `exit code ${result.code}` };
}

function testFiles(dir: string): string[] {
  const selected = files.map((file) => path.resolve(file));
  return listFiles(path.join(repoRoot, dir), (file) => file.endsWith('.test.ts'))
    .filter((file) => selected.length === 0 || selected.includes(file))
    .map((file) => path.relative(repoRoot, file));
}

/** Node's test runner: human output on the console, TAP in a file for the counts. */
async function nodeTests(
  name: string,
  tests: string[],
  extra: string[],
  env: Record<string, string> = {},
) {
  if (tests.length === 0) {
    process.stderr.write(`No test files found for ${name}.\n`);
    return { passed: 0, failed: 1, note: 'no test files' };
  }
  const tap = path.join(resultsDir, `${name}.tap`);
  fs.rmSync(tap, { force: true });
  const args = [
    '--import',
    'tsx',
    '--test',
    ...extra,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...tests,
  ];
  process.stdout.write(`$ node ${args.join(' ')}\n`);
  const result = await runStreaming(process.execPath, args, {
    env: { ...process.env, ...env },
  });
  const report = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  const count = (label: string) =>
    Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(report)?.[1] ?? 0);
  const passed = count('pass');
  // Tests cancelled because a hook failed did not pass either.
  let failed = count('fail') + count('cancelled');
  let note: string | undefined;
  if (result.code !== 0 && failed === 0) {
    failed = 1;
    note = `exit code ${result.code}`;
  }
  const skipped = count('skipped') + count('todo');
  if (skipped > 0) note = `${skipped} skipped/todo`;
  return { passed, failed, ...(note ? { note } : {}) };
}

/** Jest's `Tests: 1 failed, 12 passed, 13 total` line. */
function jestCounts(result: CommandResult) {
  // eslint-disable-next-line no-control-regex
  const plain = result.output.replace(/\u001b\[[0-9;]*m/g, '');
  const line = /^Tests:\s+(.*)$/m.exec(plain)?.[1] ?? '';
  const count = (label: string) => Number(new RegExp(`(\\d+) ${label}`).exec(line)?.[1] ?? 0);
  const passed = count('passed');
  let failed = count('failed');
  let note: string | undefined;
  if (result.code !== 0 && failed === 0) {
    failed = 1;
    note = line ? `exit code ${result.code}` : 'jest reported no tests';
  }
  return { passed, failed, ...(note ? { note } : {}) };
}

function printSummary(results: PhaseResult[], totalMs: number): void {
  const rows = results.map((r) => [
    r.title,
    String(r.passed),
    String(r.failed),
    seconds(r.ms),
    r.failed > 0 ? `FAIL${r.note ? ` (${r.note})` : ''}` : `ok${r.note ? ` (${r.note})` : ''}`,
  ]);
  const passed = results.reduce((sum, r) => sum + r.passed, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  const header = ['phase', 'passed', 'failed', 'time', 'result'];
  const footer = [
    'total',
    String(passed),
    String(failed),
    seconds(totalMs),
    failed ? 'FAIL' : 'ok',
  ];
  const table = [header, ...rows, footer];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const format = (row: string[]): string =>
    row
      .map((cell, i) => (i === 1 || i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  process.stdout.write(
    `\n${format(header)}\n${rule}\n${rows.map(format).join('\n')}\n${rule}\n${format(footer)}\n\n`,
  );
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
}

function banner(text: string): void {
  process.stdout.write(`\n=== ${text}\n`);
}

function parseArgs(argv: string[]): {
  only: Set<string>;
  files: string[];
  wordpress: string | undefined;
} {
  const selected = new Set<string>();
  const paths: string[] = [];
  let wordpress: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      for (const name of (value ?? '').split(',')) {
        if (!(PHASES as readonly string[]).includes(name)) {
          process.stderr.write(`Unknown phase "${name}"; phases: ${PHASES.join(', ')}\n`);
          process.exit(2);
        }
        selected.add(name);
      }
    } else if (arg === '--wordpress' || arg.startsWith('--wordpress=')) {
      wordpress = arg === '--wordpress' ? argv[++i] : arg.slice('--wordpress='.length);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        `usage: npm test [-- --only <${PHASES.join('|')}>]... [--wordpress <debian|newest|build>] [test files]\n`,
      );
      process.exit(0);
    } else {
      paths.push(arg);
    }
  }
  return { only: selected, files: paths, wordpress };
}

await main();
