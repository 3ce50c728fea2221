// One call brings up a complete, isolated UserSync stack: a private MariaDB database, a
// WordPress site served by PHP's built-in server with the plugin active, a service user with an
// Application Password, a first SCIM token and the sidecar. `stop()` removes all of it.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { track, untrack, sweepStaleStacks, writeOwner, type Tracked } from './cleanup.js';
import { StartError, withLogTails } from './errors.js';
import { createDatabase, databaseName, dropDatabase, dropStatements } from './mariadb.js';
import { pluginDir as defaultPluginDir, stacksDir } from './paths.js';
import { startPhpServer, type PhpServer } from './php-server.js';
import { freePort, releasePort } from './ports.js';
import { ensurePrerequisites, type Prerequisites } from './prerequisites.js';
import { killGroupSync, type ManagedProcess } from './process.js';
import { request } from './rest.js';
import { PortInUseError, startSidecar, type Sidecar } from './sidecar.js';
import {
  configureSite,
  copyTemplate,
  ensureTemplate,
  installSite,
  setupSite,
  writeConfig,
  type InstallSettings,
  type SiteConfig,
} from './wordpress.js';

export { ensurePrerequisites, PrerequisiteError } from './prerequisites.js';
export { addShutdownHook, shutdown, stopAllStacks } from './cleanup.js';
export { StartError } from './errors.js';
export { request, type Answer, type Credentials, type RequestOptions } from './rest.js';
export { groupAlive } from './process.js';
export { portAnswers } from './ports.js';

export interface StackOptions {
  /** Names the stack's folder and site title (default "stack"). */
  name?: string;
  /** Extra or overriding environment for the sidecar (DATABASE_URL, LOG_LEVEL, …). */
  sidecarEnv?: Record<string, string>;
  /** Start the sidecar (default true). Without it, `startSidecar()` can start it later. */
  withSidecar?: boolean;
  /** Progress lines; silent by default. */
  log?: (line: string) => void;
  /** Ports to use when free (falling back to free ones). */
  ports?: { wordpress?: number; sidecar?: number };
  /** Name of the first SCIM token (default "Local IdP"; its connection is the name's slug). */
  tokenName?: string;
  /** Plugin folder to link into the site (default the repository's plugin/). */
  pluginDir?: string;
  /**
   * A built sidecar entry point (sidecar/dist/main.js) to run with plain `node`, as in
   * production; by default the sidecar runs from source with tsx.
   */
  sidecarEntry?: string;
  /**
   * A folder that receives the stack's logs when it stops (replacing the previous ones), so
   * they can be read after the stack and its folder are gone (npm start: .usersync/last-logs).
   */
  keepLogsIn?: string;
}

export interface Stack {
  /** Unique id of the stack, also its folder name. */
  readonly id: string;
  /** The stack's folder: site files, sidecar store and every log. */
  readonly dir: string;
  readonly wordpress: {
    url: string;
    port: number;
    adminUser: string;
    adminPassword: string;
    /** Application Password of the admin, for REST calls as the admin. */
    adminAppPassword: string;
    /** The service user the sidecar authenticates as. */
    appUser: string;
    appPassword: string;
    /** The site's document root. */
    dir: string;
    version: string;
  };
  readonly sidecar: {
    url: string;
    port: number;
    scimUrl: string;
    /** The first SCIM bearer token and its id (for revoking it). */
    scimToken: string;
    scimTokenId: string;
    /** Connection the first token belongs to (when the plugin reports it). */
    scimConnection: string | null;
    /** Shared secret of plugin→sidecar calls (USERSYNC_SIDECAR_KEY / SIDECAR_API_KEY). */
    apiKey: string;
  };
  readonly database: { name: string };
  readonly logs: {
    php: string;
    sidecar: string;
    wordpressDebug: string;
    mail: string;
    install: string;
  };
  /** Milliseconds per start step and in total. */
  readonly timings: Record<string, number>;
  /** Process group ids of what runs now (PHP server, sidecar). */
  processGroups(): number[];
  sidecarRunning(): boolean;
  /** Starts the sidecar (again), optionally with extra environment; waits for /healthz. */
  startSidecar(env?: Record<string, string>): Promise<void>;
  stopSidecar(): Promise<void>;
  /**
   * Stops every process, drops the database and removes the folder (kept with `keepDir`, e.g.
   * to read the logs after a failure). Safe to call twice.
   */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

let sequence = 0;

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const started = Date.now();
  const timings: Record<string, number> = {};
  const log = options.log ?? (() => {});
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const begin = Date.now();
    const result = await work();
    timings[name] = Date.now() - begin;
    return result;
  };

  const prerequisites = await step('prerequisites', () => ensurePrerequisites({ log }));
  await step('sweep', () => sweepStaleStacks(prerequisites.mariadb));

  sequence += 1;
  const label = slug(options.name ?? 'stack');
  const id = `${label}-${process.pid}-${sequence}`;
  const dir = path.join(stacksDir, id);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const resources = new Resources(dir, prerequisites);
  resources.keepLogsIn = options.keepLogsIn;
  track(resources);

  try {
    return await bringUp();
  } catch (error) {
    resources.keepDir = true;
    await resources.stop().catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    const failure = new StartError(
      error instanceof StartError ? error.component : 'stack',
      `Starting stack "${id}" failed: ${message}\n(logs kept in ${dir})`,
    );
    failure.stack = `${failure.name}: ${failure.message}`;
    throw failure;
  }

  async function bringUp(): Promise<Stack> {
    const logs = {
      php: path.join(dir, 'php.log'),
      sidecar: path.join(dir, 'sidecar.log'),
      wordpressDebug: path.join(dir, 'debug.log'),
      mail: path.join(dir, 'mail.log'),
      install: path.join(dir, 'install.log'),
    };
    const wpDir = path.join(dir, 'wp');
    const dbName = databaseName();
    resources.database = dbName;
    resources.saveOwner();

    const [db, , sidecarPort] = await Promise.all([
      step('database', () =>
        createDatabase(prerequisites.mariadb, prerequisites.mariadbSocket, dbName),
      ),
      step('files', async () => {
        const template = await ensureTemplate(
          prerequisites.wordpressDir,
          prerequisites.wordpressVersion,
        );
        await copyTemplate(template, wpDir);
      }),
      freePort(options.ports?.sidecar),
    ]);
    resources.ports.push(sidecarPort);
    const apiKey = crypto.randomBytes(24).toString('base64url');
    const siteConfig: SiteConfig = {
      wpDir,
      stackDir: dir,
      db,
      pluginDir: options.pluginDir ?? defaultPluginDir,
      sidecarUrl: `http://127.0.0.1:${sidecarPort}`,
      sidecarKey: apiKey,
    };
    configureSite(siteConfig);
    resources.checkNotStopped();

    const server: PhpServer = await step('php', () =>
      startPhpServer({
        php: prerequisites.php,
        wpDir,
        logPath: logs.php,
        preferredPort: options.ports?.wordpress,
      }),
    );
    resources.adopt(server.process);
    resources.ports.push(server.port);

    const settings: InstallSettings = {
      wpDir,
      url: server.url,
      title: `UserSync (${label})`,
      adminUser: 'admin',
      adminPassword: crypto.randomBytes(12).toString('base64url'),
      adminEmail: 'admin@example.com',
      serviceUser: 'usersync-service',
    };
    await step('install', () => installSite(prerequisites.php, settings, logs.install)).catch(
      (error: Error) => {
        throw new StartError('wordpress', error.message, [logs.wordpressDebug]);
      },
    );
    const setup = await step('setup', () =>
      setupSite(prerequisites.php, settings, logs.install),
    ).catch((error: Error) => {
      throw new StartError('wordpress', error.message, [logs.wordpressDebug]);
    });
    resources.checkNotStopped();

    const admin = { user: settings.adminUser, password: setup.adminAppPassword };
    const tokenName = options.tokenName ?? 'Local IdP';
    const token = await step('token', () => createFirstToken(server.url, admin, tokenName, logs));

    const stack: Stack = {
      id,
      dir,
      wordpress: {
        url: server.url,
        port: server.port,
        adminUser: settings.adminUser,
        adminPassword: settings.adminPassword,
        adminAppPassword: setup.adminAppPassword,
        appUser: settings.serviceUser,
        appPassword: setup.serviceAppPassword,
        dir: wpDir,
        version: setup.wordpressVersion,
      },
      sidecar: {
        url: siteConfig.sidecarUrl,
        port: sidecarPort,
        scimUrl: `${siteConfig.sidecarUrl}/scim/v2`,
        scimToken: token.token,
        scimTokenId: token.id,
        scimConnection: token.connection ?? null,
        apiKey,
      },
      database: { name: dbName },
      logs,
      timings,
      processGroups: () => resources.processGroups(),
      sidecarRunning: () => resources.sidecar !== undefined && !resources.sidecar.hasExited(),
      startSidecar: (env) => launchSidecar(env),
      stopSidecar: async () => {
        const running = resources.sidecar;
        resources.sidecar = undefined;
        await running?.stop();
      },
      stop: (stopOptions) => {
        if (stopOptions?.keepDir) resources.keepDir = true;
        return resources.stop();
      },
    };

    async function launchSidecar(env?: Record<string, string>): Promise<void> {
      if (resources.sidecar && !resources.sidecar.hasExited()) {
        throw new Error(`the sidecar of stack ${id} is already running`);
      }
      for (let attempt = 1; ; attempt++) {
        try {
          const sidecar: Sidecar = await startSidecar({
            port: stack.sidecar.port,
            wpUrl: server.url,
            wpUser: settings.serviceUser,
            wpAppPassword: setup.serviceAppPassword,
            apiKey,
            sqlitePath: path.join(dir, 'sidecar.sqlite'),
            logPath: logs.sidecar,
            entry: options.sidecarEntry,
            env: { ...options.sidecarEnv, ...env },
          });
          resources.adopt(sidecar.process);
          resources.sidecar = sidecar.process;
          return;
        } catch (error) {
          if (!(error instanceof PortInUseError) || attempt >= 3) throw error;
          // Something took the port since it was picked: move the sidecar and tell WordPress.
          const port = await freePort();
          resources.ports.push(port);
          siteConfig.sidecarUrl = `http://127.0.0.1:${port}`;
          writeConfig(siteConfig);
          stack.sidecar.port = port;
          stack.sidecar.url = siteConfig.sidecarUrl;
          stack.sidecar.scimUrl = `${siteConfig.sidecarUrl}/scim/v2`;
        }
      }
    }

    if (options.withSidecar ?? true) await step('sidecar', () => launchSidecar());
    resources.checkNotStopped();
    timings.total = Date.now() - started;
    log(
      `Stack ${id} ready in ${(timings.total / 1000).toFixed(1)} s: WordPress ${server.url}` +
        (stack.sidecarRunning() ? `, sidecar ${stack.sidecar.url}` : ''),
    );
    return stack;
  }
}

interface CreatedToken {
  id: string;
  token: string;
  connection?: string;
}

async function createFirstToken(
  wpUrl: string,
  admin: { user: string; password: string },
  name: string,
  logs: { php: string; wordpressDebug: string },
): Promise<CreatedToken> {
  const answer = await request<Partial<CreatedToken>>(`${wpUrl}/wp-json/usersync/v1/tokens`, {
    method: 'POST',
    basic: admin,
    body: { name },
  });
  const body = answer.body;
  if (answer.status !== 201 || typeof body !== 'object' || !body.token || !body.id) {
    throw new StartError(
      'wordpress',
      `creating the first SCIM token (POST /wp-json/usersync/v1/tokens) answered ${answer.status}: ${answer.text.slice(0, 1000)}`,
      [logs.wordpressDebug, logs.php],
    );
  }
  return {
    id: body.id,
    token: body.token,
    ...(body.connection ? { connection: body.connection } : {}),
  };
}

/** Everything one stack holds, released in reverse by stop(). */
class Resources implements Tracked {
  database?: string;
  sidecar?: ManagedProcess;
  readonly processes: ManagedProcess[] = [];
  readonly ports: number[] = [];
  keepDir = process.env.USERSYNC_KEEP_STACKS === '1';
  keepLogsIn?: string;
  private stopping?: Promise<void>;

  constructor(
    readonly dir: string,
    readonly prerequisites: Prerequisites,
  ) {}

  adopt(child: ManagedProcess): void {
    this.processes.push(child);
    this.saveOwner();
    // Started while the stack was being stopped: it must not survive.
    if (this.stopping) void child.stop();
  }

  processGroups(): number[] {
    return this.processes.filter((p) => !p.hasExited()).map((p) => p.pid);
  }

  checkNotStopped(): void {
    if (this.stopping) throw new Error('the stack was stopped while it was starting');
  }

  saveOwner(): void {
    writeOwner(this.dir, {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      ...(this.database ? { database: this.database } : {}),
      processGroups: this.processes.map((p) => p.pid),
    });
  }

  stop(): Promise<void> {
    this.stopping ??= this.teardown();
    return this.stopping;
  }

  private async teardown(): Promise<void> {
    const problems: string[] = [];
    // The sidecar first (it may still be talking to WordPress), then the web server.
    const order = [...this.processes].sort((a, b) =>
      a.name === 'sidecar' ? -1 : b.name === 'sidecar' ? 1 : 0,
    );
    for (const child of order) {
      await child.stop().catch((error: Error) => problems.push(`${child.name}: ${error.message}`));
    }
    if (this.database) {
      await dropDatabase(this.prerequisites.mariadb, this.database).catch((error: Error) =>
        problems.push(`database ${this.database}: ${error.message}`),
      );
    }
    this.saveLogs();
    if (!this.keepDir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.ports.forEach(releasePort);
    untrack(this);
    if (problems.length > 0) {
      throw new Error(withLogTails(`Stopping the stack left problems: ${problems.join('; ')}`, []));
    }
  }

  stopSync(): void {
    for (const child of this.processes) killGroupSync(child.pid);
    if (this.database) {
      spawnSync(this.prerequisites.mariadb, ['-uroot'], {
        input: `${dropStatements(this.database)};\n`,
        timeout: 10_000,
      });
    }
    this.saveLogs();
    if (!this.keepDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Copies the stack's *.log files to keepLogsIn, replacing what an earlier stop left there. */
  private saveLogs(): void {
    if (!this.keepLogsIn) return;
    try {
      fs.rmSync(this.keepLogsIn, { recursive: true, force: true });
      fs.mkdirSync(this.keepLogsIn, { recursive: true });
      for (const name of fs.readdirSync(this.dir)) {
        if (name.endsWith('.log'))
          fs.copyFileSync(path.join(this.dir, name), path.join(this.keepLogsIn, name));
      }
    } catch {
      // Logs are a convenience: stopping must go on without them.
    }
  }
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 32) || 'stack'
  );
}
