// The plugin's PHP-level checks (plugin/tests/run.php) against a real site of the stack: one
// node test per check, so a failure names the check and shows its message.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startStack } from '../src/stack/index.js';
import { pluginDir } from '../src/stack/paths.js';

const stack = await startStack({ name: 'plugin-php', withSidecar: false });
after(() => stack.stop());

const run = spawnSync(
  process.env.USERSYNC_PHP ?? 'php',
  [path.join(pluginDir, 'tests', 'run.php'), `--wp=${stack.wordpress.dir}`],
  { encoding: 'utf8', timeout: 300_000 },
);
const output = `${run.stdout}${run.stderr}`;
const results = [...output.matchAll(/^(ok|FAILED) {2,6}(.+)$/gm)].map((m) => ({
  ok: m[1] === 'ok',
  name: m[2]!.trim(),
}));

describe('plugin PHP checks', () => {
  test('run.php ran every check and exited 0', () => {
    assert.ok(results.length > 0, `no checks ran:\n${output}`);
    assert.match(output, new RegExp(`${results.length} checks, 0 failed`), output);
    assert.equal(run.status, 0, output);
  });
  for (const result of results) {
    test(result.name, () => {
      assert.ok(
        result.ok,
        output.slice(output.indexOf(result.name), output.indexOf(result.name) + 2000),
      );
    });
  }
});
