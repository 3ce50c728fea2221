// Helpers shared by the repository's command line scripts (npm start, npm test, lint:php).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { repoRoot } from './stack/paths.js';

export interface CommandResult {
  code: number | null;
  /** stdout and stderr as they were interleaved. */
  output: string;
}

/**
 * Runs a command from the repository root, streaming its output to ours while keeping a copy.
 */
export function runStreaming(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const forward = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString('utf8');
      target.write(chunk);
    };
    child.stdout.on('data', forward(process.stdout));
    child.stderr.on('data', forward(process.stderr));
    child.once('error', (error) => {
      output += `\n${command}: ${error.message}\n`;
      process.stderr.write(`${command}: ${error.message}\n`);
      resolve({ code: -1, output });
    });
    child.once('close', (code) => resolve({ code, output }));
  });
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Every file under `dir` (recursively) whose name passes `accept`, sorted. */
export function listFiles(
  dir: string,
  accept: (file: string) => boolean,
  skip: (dir: string) => boolean = () => false,
): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !skip(full)) walk(full);
      } else if (entry.isFile() && accept(full)) {
        found.push(full);
      }
    }
  };
  walk(dir);
  return found.sort();
}

/** True when plugin/build is missing or older than any file in admin-ui/src. */
export function adminUiBuildIsStale(): boolean {
  const asset = path.join(repoRoot, 'plugin', 'build', 'index.asset.php');
  if (!fs.existsSync(asset)) return true;
  const built = fs.statSync(asset).mtimeMs;
  const sources = listFiles(path.join(repoRoot, 'admin-ui', 'src'), () => true);
  return sources.some((file) => fs.statSync(file).mtimeMs > built);
}
