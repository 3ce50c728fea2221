// `npm run lint:php`: `php -l` on every PHP file of the plugin (not plugin/build) and of the
// test stack, then PHP_CodeSniffer with the repository's phpcs.xml.dist; fails with the list
// of files that do not parse, or with what the sniffs found.
import path from 'node:path';

import { listFiles } from '../src/cli.js';
import { repoRoot } from '../src/stack/paths.js';
import { run } from '../src/stack/process.js';

const php = process.env.USERSYNC_PHP ?? 'php';
const roots = [path.join(repoRoot, 'plugin'), path.join(repoRoot, 'e2e', 'src', 'stack', 'php')];
const buildDir = path.join(repoRoot, 'plugin', 'build');

const files = roots.flatMap((root) =>
  listFiles(
    root,
    (file) => file.endsWith('.php'),
    (dir) => dir === buildDir || path.basename(dir) === 'vendor',
  ),
);
const pluginFiles = files.filter((file) =>
  file.startsWith(path.join(repoRoot, 'plugin') + path.sep),
);
if (pluginFiles.length === 0) {
  process.stderr.write('php -l: no PHP files found under plugin/\n');
  process.exit(1);
}

const failures: { file: string; message: string }[] = [];
let next = 0;
async function worker(): Promise<void> {
  while (next < files.length) {
    const file = files[next++]!;
    const result = await run(php, [
      '-d',
      'display_errors=1',
      '-d',
      'log_errors=0',
      '-l',
      file,
    ]).catch((error: Error) => {
      process.stderr.write(`php -l: ${error.message} (is PHP installed?)\n`);
      process.exit(1);
    });
    if (result.code !== 0) {
      const message = `${result.stderr}${result.stdout}`
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith('Errors parsing'))
        .join('\n');
      failures.push({ file: path.relative(repoRoot, file), message });
    }
  }
}
await Promise.all(Array.from({ length: 4 }, worker));

if (failures.length > 0) {
  process.stderr.write(`php -l: ${failures.length} of ${files.length} PHP files do not parse:\n`);
  for (const failure of failures.sort((a, b) => a.file.localeCompare(b.file))) {
    process.stderr.write(`  ${failure.file}\n    ${failure.message.replace(/\n/g, '\n    ')}\n`);
  }
  process.exit(1);
}
process.stdout.write(`php -l: ${files.length} PHP files parse\n`);

// PHP_CodeSniffer (Debian's php-codesniffer): the files and sniffs are in phpcs.xml.dist.
const phpcs = process.env.USERSYNC_PHPCS ?? 'phpcs';
const sniffed = await run(phpcs, [`--standard=${path.join(repoRoot, 'phpcs.xml.dist')}`], {
  cwd: repoRoot,
  timeoutMs: 300_000,
}).catch((error: Error) => {
  process.stderr.write(
    `phpcs: ${error.message}: install PHP_CodeSniffer (apt-get install php-codesniffer) or set USERSYNC_PHPCS to it\n`,
  );
  process.exit(1);
});
if (sniffed.code !== 0) {
  process.stderr.write(
    `phpcs (phpcs.xml.dist) found problems:\n${sniffed.stdout}${sniffed.stderr}`,
  );
  process.exit(1);
}
process.stdout.write('phpcs: no problems (phpcs.xml.dist)\n');
