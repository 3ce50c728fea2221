// The sidecar of a stack, run from source with tsx (or a built entry point with plain node) in
// its own process group, its JSON log in the stack folder. Ready when GET /healthz answers 200.
import { StartError } from './errors.js';
import { repoRoot, sidecarMain } from './paths.js';
import { sleep, spawnDetached, tailFile, type ManagedProcess } from './process.js';

export interface Sidecar {
  port: number;
  url: string;
  process: ManagedProcess;
}

export interface SidecarOptions {
  port: number;
  wpUrl: string;
  wpUser: string;
  wpAppPassword: string;
  apiKey: string;
  sqlitePath: string;
  logPath: string;
  /** Extra or overriding environment (DATABASE_URL, LOG_LEVEL, …). */
  env?: Record<string, string>;
  /** A built entry point (sidecar/dist/main.js) to run with plain node instead of the source. */
  entry?: string;
  timeoutMs?: number;
}

/** Thrown when the sidecar could not bind its port, so the caller can pick another one. */
export class PortInUseError extends StartError {}

export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const url = `http://127.0.0.1:${options.port}`;
  const args = options.entry ? [options.entry] : ['--import', 'tsx', sidecarMain];
  const child = spawnDetached('sidecar', process.execPath, args, {
    // tsx is resolved from the repository's node_modules.
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: options.entry ? 'production' : 'development',
      WP_URL: options.wpUrl,
      WP_USER: options.wpUser,
      WP_APP_PASSWORD: options.wpAppPassword,
      HOST: '127.0.0.1',
      PORT: String(options.port),
      PUBLIC_URL: url,
      SQLITE_PATH: options.sqlitePath,
      SIDECAR_API_KEY: options.apiKey,
      LOG_LEVEL: 'info',
      ...options.env,
    },
    logPath: options.logPath,
  });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.hasExited()) {
      const code = await child.exited;
      await child.stop(1000);
      const log = tailFile(options.logPath, 20);
      const message = `the sidecar exited with code ${code} before it was ready`;
      if (/EADDRINUSE/.test(log)) throw new PortInUseError('sidecar', message, [options.logPath]);
      throw new StartError('sidecar', message, [options.logPath]);
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
      const body = await response.text();
      if (response.status === 200) return { port: options.port, url, process: child };
      last = `GET /healthz answered ${response.status}: ${body.slice(0, 500)}`;
    } catch (error) {
      last = `GET /healthz failed: ${(error as Error).message}`;
    }
    await sleep(100);
  }
  await child.stop(2000);
  throw new StartError(
    'sidecar',
    `the sidecar was not healthy within ${options.timeoutMs ?? 30_000} ms (${last})`,
    [options.logPath],
  );
}
