// PHP's built-in web server in front of one site, with four workers, in its own process group.
import path from 'node:path';

import { phpAssetsDir } from './paths.js';
import { freePort, portAnswers, releasePort } from './ports.js';
import { StartError } from './errors.js';
import { sleep, spawnDetached, tailFile, type ManagedProcess } from './process.js';

export interface PhpServer {
  port: number;
  url: string;
  process: ManagedProcess;
}

export interface PhpServerOptions {
  php: string;
  wpDir: string;
  logPath: string;
  /** Port to try first (falls back to a free one when taken). */
  preferredPort?: number;
  timeoutMs?: number;
}

/**
 * Starts the server and waits until its port answers. When the port turns out to be taken
 * (another program bound it in between), it tries again on another free port.
 */
export async function startPhpServer(options: PhpServerOptions): Promise<PhpServer> {
  let preferred = options.preferredPort;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(preferred);
    preferred = undefined;
    const child = spawnDetached(
      'php',
      options.php,
      [
        '-d',
        'memory_limit=512M',
        '-d',
        'opcache.enable_cli=1',
        '-d',
        'max_execution_time=0',
        '-S',
        `127.0.0.1:${port}`,
        '-t',
        options.wpDir,
        path.join(phpAssetsDir, 'router.php'),
      ],
      {
        cwd: options.wpDir,
        env: { ...process.env, PHP_CLI_SERVER_WORKERS: '4' },
        logPath: options.logPath,
      },
    );
    const ready = await waitForPort(child, port, options.timeoutMs ?? 15_000);
    if (ready) return { port, url: `http://127.0.0.1:${port}`, process: child };
    await child.stop(1000);
    releasePort(port);
    const log = tailFile(options.logPath, 20);
    if (attempt < 3 && /address already in use/i.test(log)) continue;
    throw new StartError('php', `PHP's web server did not answer on port ${port}`, [
      options.logPath,
    ]);
  }
}

async function waitForPort(child: ManagedProcess, port: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited()) return false;
    if (await portAnswers(port)) return !child.hasExited();
    await sleep(30);
  }
  return false;
}
