// The sidecar's entry point as an operator runs it: a child process with only environment
// variables, judged by its exit code, its stderr line and its first log lines.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-main-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const baseEnv = {
  PATH: process.env.PATH ?? '',
  // Nothing listens there: the sidecar starts anyway and reports WordPress as unreachable.
  WP_URL: 'http://127.0.0.1:9',
  WP_USER: 'usersync-service',
  WP_APP_PASSWORD: 'abcd efgh',
  PORT: '0',
  SQLITE_PATH: path.join(dir, 'sidecar.sqlite'),
  WP_RETRIES: '0',
};

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs main.ts until it exits or its stdout matches `until` (then stops it). */
function runMain(env: Record<string, string>, until?: RegExp): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...baseEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (until?.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('sidecar start-up', () => {
  it('refuses HOST=0.0.0.0 without SIDECAR_API_KEY with one clear line and exit code 2', async () => {
    const outcome = await runMain({ HOST: '0.0.0.0' });
    assert.equal(outcome.code, 2, outcome.stderr);
    assert.equal(outcome.stdout, '', 'nothing started, nothing logged');
    assert.equal(
      outcome.stderr,
      'usersync-sidecar: Invalid configuration: SIDECAR_API_KEY is required when HOST is not a loopback address (HOST=0.0.0.0): set it to the value of USERSYNC_SIDECAR_KEY in wp-config.php, or listen on 127.0.0.1\n',
    );
  });

  it('starts on loopback without a key, with a warning', async () => {
    const outcome = await runMain({ HOST: '127.0.0.1' }, /"msg":"listening"/);
    const lines = outcome.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; msg: string; host?: string });
    const warning = lines.find((line) => line.msg.startsWith('SIDECAR_API_KEY is not set'));
    assert.ok(warning, outcome.stdout + outcome.stderr);
    assert.equal(warning.level, 40, 'logged as a warning');
    assert.equal(warning.host, '127.0.0.1');
    assert.ok(lines.some((line) => line.msg === 'listening'));
  });

  it('starts on loopback with a key without that warning', async () => {
    const outcome = await runMain(
      { HOST: '127.0.0.1', SIDECAR_API_KEY: 'a-long-enough-sidecar-key' },
      /"msg":"listening"/,
    );
    assert.match(outcome.stdout, /"msg":"listening"/, outcome.stderr);
    assert.doesNotMatch(outcome.stdout, /SIDECAR_API_KEY is not set/);
  });
});
