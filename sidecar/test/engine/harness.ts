// A sync engine wired to real parts except WordPress: a store (SQLite in a temp folder, or
// PostgreSQL), the Microsoft Graph connector against the Graph emulator, and the in-memory
// WordPress.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGraphEmulator } from '../../../e2e/src/emulators/microsoft-graph/index.js';
import type {
  GraphEmulator,
  GraphEmulatorOptions,
} from '../../../e2e/src/emulators/microsoft-graph/index.js';
import { MicrosoftGraphConnector } from '../../src/connectors/microsoft-graph/index.js';
import { SyncEngine } from '../../src/engine/index.js';
import type { EngineOptions, RunView } from '../../src/engine/index.js';
import type { SourceConnection } from '../../src/engine/types.js';
import { createLogger } from '../../src/logger.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { FakeWordPress } from './fake-wordpress.js';

export interface Harness {
  emulator: GraphEmulator;
  wordpress: FakeWordPress;
  store: Store;
  engine: SyncEngine;
  source: SourceConnection;
  /** Runs the source and waits for the end of the run. */
  sync(options?: { dryRun?: boolean; full?: boolean }): Promise<RunView>;
  /** A new engine on the same store and WordPress (a restarted sidecar). */
  restart(options?: Partial<EngineOptions>): Promise<SyncEngine>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  emulator?: GraphEmulatorOptions;
  source?: Partial<SourceConnection>;
  settings?: Record<string, unknown>;
  engine?: Partial<EngineOptions>;
  store?: () => Store;
}

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const emulator = await startGraphEmulator({ users: 30, ...options.emulator });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-engine-'));
  const makeStore = options.store ?? (() => new SqliteStore(path.join(dir, 'sidecar.sqlite')));
  let store = makeStore();
  await store.migrate();
  const wordpress = new FakeWordPress();
  const source: SourceConnection = {
    slug: 'contoso',
    name: 'Contoso',
    type: 'microsoft-graph',
    enabled: true,
    schedule: null,
    photos: true,
    settings: {
      tenantId: emulator.tenantId,
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      authorityUrl: emulator.url,
      graphUrl: emulator.url,
      b2c: options.emulator?.b2c ?? false,
      pageSize: 10,
      ...options.settings,
    },
    batchSize: 7,
    createdAt: new Date().toISOString(),
    ...options.source,
  };
  wordpress.connections = [source];
  const logger = createLogger('silent');
  const make = (extra: Partial<EngineOptions> = {}) =>
    new SyncEngine({
      store,
      wordpress: wordpress.gateway(),
      logger,
      schedules: false,
      heartbeatMs: 50,
      connectors: (src, log) =>
        new MicrosoftGraphConnector(src.settings, { logger: log, backoffMs: 5, maxDelayMs: 2_000 }),
      ...options.engine,
      ...extra,
    });
  let engine = make();
  await engine.start();

  const h: Harness = {
    emulator,
    wordpress,
    get store() {
      return store;
    },
    get engine() {
      return engine;
    },
    source,
    async sync(runOptions = {}) {
      const { run } = await engine.requestRun(source.slug, runOptions);
      const done = await engine.waitForRun(run.id);
      return done!;
    },
    async restart(extra = {}) {
      await engine.stop();
      await store.close();
      store = makeStore();
      engine = make(extra);
      await engine.start();
      return engine;
    },
    async close() {
      await engine.stop();
      await store.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Live, enabled users of the emulated tenant. */
export function sourceUsers(emulator: GraphEmulator) {
  return [...emulator.directory.users.values()].filter(
    (user) => !user.deleted && user.props.accountEnabled !== false,
  );
}
