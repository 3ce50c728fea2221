// The sync engine: which sources exist (from WordPress, reloaded), when they run (node-cron
// schedules, "Sync now", a catch-up at start for a run missed or interrupted while the
// sidecar was down), and the runs themselves — one per source at a time, claimed in the store
// so that replicas sharing PostgreSQL fire a scheduled run once and overlapping requests join
// the running one; live progress; cancellation between batches; heartbeats so a run whose
// process died is recognised and resumed.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import type {
  CanonicalUser,
  ConnectionTest,
  Connector,
  PullOptions,
  SourceDeletion,
} from '../connectors/types.js';
import { SourceError } from '../connectors/types.js';
import type { Run, RunTrigger, RunWaiting, Store } from '../store/types.js';
import { emptyCounts, emptyDetails } from '../store/types.js';
import { backoffDelay, describeWait, isTransient, sleep, withPatience } from '../retry.js';
import type { RetryWait } from '../retry.js';
import { isStoreOutage, resilientStore } from './resilient-store.js';
import { RunLost, fencedStore } from './fenced-store.js';
import { reconcilePhotos } from './photos.js';
import type { PhotoReconciliation } from './photos.js';
import { ConnectorCache, defaultConnectorFactory } from './connectors.js';
import type { ConnectorFactory } from './connectors.js';
import { roleGroups, sourcePaths, wantsPhotos } from './mapping.js';
// The one import of the attribute map's rules for previews: the same functions a run uses.
import { inboundMappings, MappingError, mapUser, rolesFor } from './mapping.js';
import { RealtimeFeeds } from './realtime.js';
import { RunCancelled, SyncRun } from './run.js';
import type { RunProgress } from './run.js';
import { previousTick, scheduleSlot, startSchedule, validSchedule } from './schedule.js';
import type { SourceConnection, SyncConfig, WordPressGateway } from './types.js';

export type { SourceConnection, WordPressGateway } from './types.js';
export type { PhotoReconciliation } from './photos.js';
export { RunLost } from './fenced-store.js';
export { PluginGateway } from './wordpress-gateway.js';

/** Error text of runs whose process stopped or died (state `interrupted`); they are resumed. */
export const INTERRUPTED = 'Interrupted: the sidecar stopped during the run';

export interface EngineOptions {
  store: Store;
  wordpress: WordPressGateway;
  logger: Logger;
  connectors?: ConnectorFactory;
  /** Identifies this process in runs it executes (default `host/pid/random`). */
  owner?: string;
  /** How often running runs record progress and a sign of life (default 5 s). */
  heartbeatMs?: number;
  /** A run without a heartbeat for this long is considered dead (default 60 s). */
  staleMs?: number;
  /** How often sources are reloaded from WordPress (default 60 s). */
  reloadMs?: number;
  /** Start cron schedules (default true). */
  schedules?: boolean;
  now?: () => Date;
  /** Prometheus registry for run and user counters (the sidecar's /metrics). */
  registry?: Registry;
  /**
   * How long a run rides out an outage of Microsoft Graph, WordPress or the store before it
   * stops as `interrupted` (default 30 minutes).
   */
  patienceMs?: number;
  /** Backoff between automatic resumes of an interrupted run (default 30 s doubling to 15 min). */
  resumeBackoff?: { baseMs: number; maxMs: number };
  /**
   * When linked users' profile photos are reconciled (cron; default daily at 04:00); a
   * source's own `photoSchedule` setting wins.
   */
  photoSchedule?: string;
  /** Retries of the store's outages outside runs, and their backoff (tests shorten it). */
  storeRetry?: { retries?: number; baseMs?: number; maxDelayMs?: number };
  /** Real-time feeds (realtime.ts): lease length and restart backoff (tests shorten them). */
  realtime?: { leaseMs?: number; backoff?: { baseMs: number; maxMs: number } };
}

export const DEFAULT_PATIENCE_MS = 30 * 60_000;

/** Lookups in flight when chosen users are fetched from their source one by one. */
const USER_FETCH_CONCURRENCY = 4;

/** A run as the API shows it: stored fields plus live rate and elapsed time. */
export interface RunView extends Run {
  /** Users per second so far. */
  rate: number | null;
  elapsedSeconds: number | null;
}

export class SourceNotFoundError extends Error {
  override name = 'SourceNotFoundError';
}

/** The source cannot be asked for one person (e.g. SCIM connections, which are pushed to). */
export class SourceCannotFetchError extends Error {
  override name = 'SourceCannotFetchError';
}

/** What "Sync now" of chosen users did to each of them. */
export interface UserSyncOutcome {
  externalId: string;
  /** `created`, `updated`, `unchanged`, `not_found` (the source has no such user) or `failed`. */
  outcome: 'created' | 'updated' | 'unchanged' | 'not_found' | 'failed';
  wpUserId: number | null;
  login: string | null;
  message: string | null;
}

/** "Test with a user": what the source returns for one person and what the maps make of it. */
export interface UserPreview {
  source: string;
  lookup: string;
  found: boolean;
  externalId: string | null;
  active: boolean | null;
  /** The attributes exactly as the connector delivers them (SCIM shape). */
  attributes: Record<string, unknown> | null;
  groups: string[] | null;
  /** The WordPress fields the attribute map makes of them, login included. */
  fields: Record<string, unknown> | null;
  login: string | null;
  /** Roles the role map gives; null when the role map leaves roles alone. */
  roles: string[] | null;
  /** Why the person could not become a WordPress user, if so. */
  error: string | null;
}

/** A run with different options (dry run or not) is already running for the source. */
export class RunConflictError extends Error {
  override name = 'RunConflictError';
  constructor(readonly run: RunView) {
    super(
      `A ${run.dryRun ? 'dry run' : 'sync'} of ${run.source} is already ${run.state}; wait for it to finish or cancel it`,
    );
  }
}

interface ActiveRun {
  run: Run;
  controller: AbortController;
  progress: RunProgress | null;
  /** What the run waits for right now (an outage it rides out), if anything. */
  waiting: RunWaiting | null;
  /** Set once the run writes its end: heartbeats stop writing it. */
  ending: boolean;
  done: Promise<void>;
}

export class SyncEngine {
  readonly owner: string;
  private sources = new Map<string, SourceConnection>();
  private loaded = false;
  private readonly active = new Map<string, ActiveRun>();
  private readonly schedules = new Map<string, { expression: string; stop(): void }>();
  private readonly photoSchedules = new Map<string, { expression: string; stop(): void }>();
  private readonly reconciling = new Map<string, Promise<PhotoReconciliation>>();
  private readonly caughtUp = new Set<string>();
  private readonly connectors: ConnectorCache;
  private readonly realtime: RealtimeFeeds;
  private timers: NodeJS.Timeout[] = [];
  private stopListening: (() => void) | null = null;
  private stopped = false;
  private readonly store: Store;
  /** Interrupted runs waiting for their automatic resume, by source. */
  private readonly resumes = new Map<string, NodeJS.Timeout>();
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private readonly now: () => Date;
  private readonly metrics: {
    runs: Counter<'source' | 'trigger' | 'state'>;
    users: Counter<'source' | 'outcome'>;
    active: Gauge;
  } | null;

  constructor(private readonly options: EngineOptions) {
    this.owner = options.owner ?? `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
    this.connectors = new ConnectorCache(
      options.connectors ?? defaultConnectorFactory,
      options.logger,
    );
    this.store = resilientStore(options.store, options.storeRetry);
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleMs = options.staleMs ?? 60_000;
    this.now = options.now ?? (() => new Date());
    const registers = options.registry ? [options.registry] : null;
    this.metrics = registers && {
      runs: new Counter({
        name: 'usersync_sync_runs_total',
        help: 'Sync runs finished, by source, trigger and final state',
        labelNames: ['source', 'trigger', 'state'],
        registers,
      }),
      users: new Counter({
        name: 'usersync_sync_users_total',
        help: 'Users handled by sync runs (not dry runs), by source and outcome',
        labelNames: ['source', 'outcome'],
        registers,
      }),
      active: new Gauge({
        name: 'usersync_sync_runs_active',
        help: 'Sync runs executing in this process',
        registers,
      }),
    };
    this.realtime = new RealtimeFeeds({
      store: this.store,
      logger: options.logger,
      owner: this.owner,
      registry: options.registry,
      connectorOf: (source) => this.connectors.get(source),
      upsert: async (slug, ids) => {
        const outcomes = await this.syncUsers(slug, ids, { cached: true });
        return { failed: outcomes.filter((o) => o.outcome === 'failed').length };
      },
      remove: async (slug, deletes) => {
        await this.removeUsers(slug, deletes, { cached: true });
      },
      fullRun: async (slug) => {
        await this.requestRun(slug, { trigger: 'realtime-gap', full: true });
      },
      ...options.realtime,
    });
  }

  private get logger(): Logger {
    return this.options.logger;
  }

  /** Loads sources, recovers runs of a previous life, catches up, and starts schedules. */
  async start(): Promise<void> {
    const interrupted = await this.store.interruptRuns(
      this.store.kind === 'sqlite'
        ? // One process owns an SQLite file: whatever was active died with the last process.
          { staleBefore: this.now().toISOString(), error: INTERRUPTED }
        : {
            staleBefore: new Date(this.now().getTime() - this.staleMs).toISOString(),
            error: INTERRUPTED,
          },
    );
    for (const run of interrupted) {
      this.logger.warn(
        { run: run.id, source: run.source },
        'run interrupted by a stop; will resume',
      );
    }
    await this.reloadSources().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'could not load sources from WordPress; retrying later'),
    );
    if (this.store.kind === 'postgres') {
      // A cancel received by another replica stops a run here at once; a missed signal is
      // caught by the next heartbeat, which reads the run's cancel request.
      this.stopListening = await this.store
        .onSignal('run-cancel', (id) => {
          if (id !== null) this.active.get(id)?.controller.abort('cancel');
        })
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'not listening for cancels; heartbeats will see them');
          return null;
        });
    }
    this.timers.push(
      setInterval(() => void this.heartbeat(), this.heartbeatMs),
      setInterval(
        () =>
          void this.reloadSources().catch((error: unknown) =>
            this.logger.warn({ err: error }, 'could not reload sources from WordPress'),
          ),
        this.options.reloadMs ?? 60_000,
      ),
    );
    for (const timer of this.timers) timer.unref();
  }

  /** Stops schedules and timers; running runs stop between batches and resume at next start. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    this.stopListening?.();
    this.stopListening = null;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    for (const schedule of this.schedules.values()) schedule.stop();
    this.schedules.clear();
    for (const schedule of this.photoSchedules.values()) schedule.stop();
    this.photoSchedules.clear();
    for (const timer of this.resumes.values()) clearTimeout(timer);
    this.resumes.clear();
    for (const entry of this.active.values()) entry.controller.abort('shutdown');
    await this.realtime.stop();
    await Promise.race([
      Promise.allSettled([...this.active.values()].map((entry) => entry.done)),
      new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  /** Re-reads the configured sources; applies schedule changes; catches up new sources. */
  async reloadSources(): Promise<SourceConnection[]> {
    const list = await this.options.wordpress.listConnections();
    this.sources = new Map(list.map((source) => [source.slug, source]));
    this.loaded = true;
    if (this.stopped) return list;
    if (this.options.schedules ?? true) this.syncSchedules();
    this.realtime.update(list);
    for (const source of list) {
      if (this.caughtUp.has(source.slug)) continue;
      this.caughtUp.add(source.slug);
      await this.catchUp(source).catch((error: unknown) =>
        this.logger.warn({ err: error, source: source.slug }, 'catch-up check failed'),
      );
    }
    return list;
  }

  /**
   * The connector of a configured source of this kind, for routes that ask the source itself
   * (Salesforce's describe); SourceNotFoundError when there is none.
   */
  async connectorFor(slug: string, kind: string): Promise<Connector> {
    const source = await this.source(slug);
    if (source.type !== kind) {
      throw new SourceNotFoundError(`The source "${slug}" is not a ${kind} connection`);
    }
    return this.connectors.get(source);
  }

  /** What each source's real-time feed is doing here (`watching` on the replica holding it). */
  realtimeFeeds(): Map<string, 'standby' | 'watching' | 'retrying' | 'stopped'> {
    return this.realtime.phases();
  }

  /** Sources without their secrets. */
  listSources(): Omit<SourceConnection, 'settings'>[] {
    return [...this.sources.values()].map(({ settings: _settings, ...rest }) => rest);
  }

  private async source(slug: string): Promise<SourceConnection> {
    // Always take the latest configuration for a run the admin asks for.
    try {
      await this.reloadSources();
    } catch (error) {
      if (!this.loaded) throw error;
      this.logger.warn({ err: error }, 'could not reload sources; using the last known ones');
    }
    const source = this.sources.get(slug);
    if (!source) throw new SourceNotFoundError(`No source "${slug}" is configured`);
    return source;
  }

  /**
   * Starts a run of a source, or joins the one already queued or running: the answer says
   * which. A run with other options in progress raises RunConflictError.
   */
  async requestRun(
    slug: string,
    options: { trigger?: RunTrigger; dryRun?: boolean; full?: boolean; scheduleSlot?: string } = {},
  ): Promise<{ run: RunView; joined: boolean }> {
    // Scheduled and catch-up runs use the sources just loaded; the admin's requests reload.
    const cached =
      options.trigger === 'schedule' ||
      options.trigger === 'catch-up' ||
      options.trigger === 'realtime-gap';
    const source = cached ? this.sources.get(slug) : await this.source(slug);
    if (!source) throw new SourceNotFoundError(`No source "${slug}" is configured`);
    const dryRun = options.dryRun ?? false;
    // A sync continues the source's interrupted run (the same record), unless it starts over.
    let resume: string | undefined;
    if (!dryRun && !options.full) {
      const [last] = await this.store.listRuns({ source: slug, limit: 1 });
      if (last?.state === 'interrupted' && !last.dryRun) resume = last.id;
    }
    const claim = await this.store.claimRun({
      resume,
      source: slug,
      trigger: options.trigger ?? 'on-demand',
      dryRun,
      full: options.full ?? false,
      owner: this.owner,
      scheduleSlot: options.scheduleSlot,
    });
    if (!claim.created) {
      const view = this.view(claim.run);
      const active = claim.run.state === 'queued' || claim.run.state === 'running';
      if (active && claim.run.dryRun !== dryRun && options.trigger !== 'schedule') {
        throw new RunConflictError(view);
      }
      return { run: view, joined: true };
    }
    const resumed = resume !== undefined && claim.run.id === resume;
    const timer = this.resumes.get(slug);
    if (timer) clearTimeout(timer);
    this.resumes.delete(slug);
    this.launch(claim.run, source, resumed);
    return { run: this.view(claim.run), joined: false };
  }

  private launch(run: Run, source: SourceConnection, resumed = false): void {
    const entry: ActiveRun = {
      run,
      controller: new AbortController(),
      progress: null,
      waiting: null,
      ending: false,
      done: Promise.resolve(),
    };
    this.active.set(run.id, entry);
    this.metrics?.active.set(this.active.size);
    const patience = {
      patienceMs: this.options.patienceMs ?? DEFAULT_PATIENCE_MS,
      onWait: (wait: RetryWait | null) => {
        entry.waiting = wait && {
          target: wait.target,
          reason: wait.reason,
          until: wait.until,
          since: wait.since,
          message: describeWait(wait),
        };
      },
    };
    entry.done = withPatience(patience, () => this.execute(entry, source, resumed))
      .catch((error: unknown) =>
        this.logger.error({ err: error, run: run.id }, 'run could not be recorded'),
      )
      .finally(() => {
        this.active.delete(run.id);
        this.metrics?.active.set(this.active.size);
      });
  }

  private async execute(
    entry: ActiveRun,
    source: SourceConnection,
    resumed: boolean,
  ): Promise<void> {
    const { run, controller } = entry;
    const log = this.logger.child({ run: run.id, source: source.slug });
    const started = this.now().toISOString();
    let final: Partial<Run>;
    let executor: SyncRun | null = null;
    let resumeIn: number | null = null;
    const holder = { id: run.id, owner: this.owner };
    try {
      const startedRun = await this.store.updateRun(
        run.id,
        {
          state: 'running',
          startedAt: run.startedAt ?? started,
          heartbeatAt: started,
          ...(resumed
            ? { details: { ...run.details, interruptions: (run.details.interruptions ?? 0) + 1 } }
            : {}),
        },
        { owner: this.owner, states: ['queued', 'running'] },
      );
      if (!startedRun) throw new RunLost(run.id);
      entry.run = startedRun;
      log.info(
        { trigger: run.trigger, dryRun: run.dryRun, full: run.full, resumed },
        resumed ? 'run resumed' : 'run started',
      );
      const config = await this.configFor(source);
      const connector = this.connectors.get(source);
      executor = new SyncRun(entry.run, {
        // Its record and cursor writes hold only while the run is still ours.
        store: fencedStore(this.store, holder),
        resumed,
        wordpress: this.options.wordpress,
        connector,
        source,
        config,
        logger: log,
        signal: controller.signal,
        onProgress: (progress) => {
          entry.progress = progress;
        },
      });
      const progress = await executor.execute();
      final = { state: 'succeeded', ...progressFields(progress) };
    } catch (error) {
      const progress = executor?.progress;
      const reason = controller.signal.aborted ? String(controller.signal.reason) : null;
      if (error instanceof RunLost || reason === 'lost') {
        // Whatever the run still has in flight (a prefetched page, a retry) stops too.
        if (!controller.signal.aborted) controller.abort('lost');
        // Another replica took the run over (this one was paused past the stale time) or it
        // ended elsewhere: its record is no longer ours to write.
        log.warn({ err: error }, 'run taken over by another replica; stopped without writing');
        this.metrics?.runs.inc({ source: source.slug, trigger: run.trigger, state: 'lost' });
        return;
      }
      if (reason === 'cancel' || (error instanceof RunCancelled && reason !== 'shutdown')) {
        final = { state: 'cancelled', error: 'Cancelled', ...progressFields(progress) };
      } else if (reason === 'shutdown') {
        final = { state: 'interrupted', error: INTERRUPTED, ...progressFields(progress) };
      } else if (isStoreOutage(error) && run.dryRun) {
        // A dry run is not resumed, but a database outage is still no fault of the run.
        log.warn({ err: error }, 'dry run interrupted by a store outage');
        final = {
          state: 'interrupted',
          error: `Interrupted: ${(error as Error).message}`,
          ...progressFields(progress),
        };
      } else if ((isTransient(error) || isStoreOutage(error)) && !run.dryRun) {
        // An outage longer than the run's patience: stop here, resume from the cursor later.
        const interruptions = (entry.run.details.interruptions ?? 0) + 1;
        resumeIn = backoffDelay(
          interruptions,
          this.options.resumeBackoff ?? { baseMs: 30_000, maxMs: 15 * 60_000 },
        );
        const at = new Date(this.now().getTime() + resumeIn).toISOString().slice(11, 19);
        const message = (error as Error).message || String(error);
        log.warn({ err: error, resumeInMs: resumeIn }, 'run interrupted by an outage');
        final = {
          state: 'interrupted',
          error: `Interrupted: ${message}; resuming at ${at} UTC`,
          ...progressFields(progress),
        };
      } else {
        log.error({ err: error }, 'run failed');
        final = {
          state: 'failed',
          error: (error as Error).message || String(error),
          ...progressFields(progress),
        };
      }
    }
    entry.waiting = null;
    entry.ending = true;
    if (final.details) final.details = { ...final.details, waiting: null };
    let finished: Run | null;
    try {
      finished = await this.recordEnd(run.id, {
        ...final,
        finishedAt: this.now().toISOString(),
      });
    } catch (error) {
      // The store is gone for good (or the sidecar stops): the run stays `running` until its
      // heartbeat goes stale and a replica (or the next start) marks it interrupted.
      log.error({ err: error, state: final.state }, 'the end of the run could not be recorded');
      return;
    }
    if (!finished) {
      log.warn({ state: final.state }, 'run taken over by another replica; its end not written');
      return;
    }
    entry.run = finished;
    if (resumeIn !== null && !this.stopped) this.resumeLater(source.slug, resumeIn);
    this.metrics?.runs.inc({ source: source.slug, trigger: run.trigger, state: final.state });
    if (this.metrics && final.counts && !run.dryRun) {
      for (const [outcome, count] of Object.entries(final.counts)) {
        if (count > 0) this.metrics.users.inc({ source: source.slug, outcome }, count);
      }
    }
    log.info(
      { state: final.state, counts: final.counts, processed: final.processed, error: final.error },
      'run finished',
    );
  }

  /**
   * Writes how a run ended, waiting for the store as long as it takes (a run the store never
   * hears the end of would stay running until a restart).
   */
  private async recordEnd(id: string, update: Partial<Run>): Promise<Run | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.updateRun(id, update, { owner: this.owner, states: ['running'] });
      } catch (error) {
        if (!(isTransient(error) || isStoreOutage(error)) || this.stopped) throw error;
        await sleep(
          backoffDelay(attempt, this.options.resumeBackoff ?? { baseMs: 1_000, maxMs: 60_000 }),
        );
      }
    }
  }

  /** Resumes the source's interrupted run after `delayMs` (continuing the same record). */
  private resumeLater(slug: string, delayMs: number): void {
    const previous = this.resumes.get(slug);
    if (previous) clearTimeout(previous);
    const timer = setTimeout(() => {
      this.resumes.delete(slug);
      void this.requestRun(slug, { trigger: 'catch-up' }).catch((error: unknown) => {
        if (error instanceof SourceNotFoundError) return; // the source was removed meanwhile
        this.logger.warn({ err: error, source: slug }, 'interrupted run not resumed; retrying');
        if (!this.stopped) this.resumeLater(slug, Math.min(delayMs * 2, 15 * 60_000));
      });
    }, delayMs);
    timer.unref();
    this.resumes.set(slug, timer);
  }

  /**
   * Reconciles the profile photos of the source's linked users (photo-only changes reach no
   * change feed); joins the reconciliation already under way here.
   */
  async reconcilePhotos(slug: string): Promise<PhotoReconciliation> {
    const running = this.reconciling.get(slug);
    if (running) return running;
    const work = (async () => {
      const source = await this.source(slug);
      const config = await this.configFor(source);
      const empty = { source: slug, checked: 0, updated: 0, removed: 0, failed: 0, seconds: 0 };
      if (!source.photos || !wantsPhotos(config)) return empty;
      const lease = `photos:${slug}`;
      // One replica at a time; the lease outlives a long reconciliation's pauses.
      if (!(await this.store.acquireLease(lease, this.owner, 60 * 60_000))) return empty;
      try {
        const result = await withPatience(
          { patienceMs: this.options.patienceMs ?? DEFAULT_PATIENCE_MS },
          () =>
            reconcilePhotos({
              store: this.store,
              wordpress: this.options.wordpress,
              connector: this.connectors.get(source),
              source,
              logger: this.logger.child({ source: slug }),
            }),
        );
        this.logger.info(result, 'profile photos reconciled');
        return result;
      } finally {
        await this.store.releaseLease(lease, this.owner).catch(() => undefined);
      }
    })().finally(() => this.reconciling.delete(slug));
    this.reconciling.set(slug, work);
    return work;
  }

  /** Cancels a run: stops between batches when it runs here, else asks its owner to. */
  async cancelRun(id: string, waitMs = 30_000): Promise<RunView | null> {
    const entry = this.active.get(id);
    if (entry) {
      entry.controller.abort('cancel');
      await Promise.race([
        entry.done,
        new Promise((resolve) => setTimeout(resolve, waitMs).unref()),
      ]);
      return this.getRun(id);
    }
    const run = await this.store.getRun(id);
    if (!run) return null;
    if (run.state === 'interrupted') {
      // Nothing runs: the cancel stops the automatic resume.
      const timer = this.resumes.get(run.source);
      if (timer) clearTimeout(timer);
      this.resumes.delete(run.source);
      // Only while it is still interrupted: a replica may be resuming it right now.
      const updated = await this.store.updateRun(
        id,
        { state: 'cancelled', error: 'Cancelled' },
        { states: ['interrupted'] },
      );
      return this.view(updated ?? (await this.store.getRun(id)) ?? run);
    }
    if (run.state === 'queued' || run.state === 'running') {
      const updated = await this.store.updateRun(
        id,
        { cancelRequested: true },
        { states: ['queued', 'running'] },
      );
      if (updated && this.store.kind === 'postgres') {
        await this.store
          .signal('run-cancel', id)
          .catch((error: unknown) =>
            this.logger.warn({ err: error, run: id }, 'cancel not signalled; the owner polls'),
          );
      }
      return this.view(updated ?? (await this.store.getRun(id)) ?? run);
    }
    return this.view(run);
  }

  async getRun(id: string): Promise<RunView | null> {
    const entry = this.active.get(id);
    const run = await this.store.getRun(id);
    if (!run) return null;
    return this.view(entry ? { ...run, ...liveFields(entry) } : run);
  }

  async listRuns(options: { source?: string; limit?: number } = {}): Promise<RunView[]> {
    const runs = await this.store.listRuns(options);
    return runs.map((run) => {
      const entry = this.active.get(run.id);
      return this.view(entry ? { ...run, ...liveFields(entry) } : run);
    });
  }

  /** Resolves when the run has finished here (tests, shutdown). */
  async waitForRun(id: string): Promise<RunView | null> {
    await this.active.get(id)?.done;
    return this.getRun(id);
  }

  async testConnection(slug: string): Promise<ConnectionTest> {
    const source = await this.source(slug);
    const config = await this.configFor(source);
    const connector = this.connectors.get(source);
    return connector.testConnection({
      groupNames: roleGroups(config.roleMap, source.slug),
      attributes: sourcePaths(config),
      photos: source.photos && wantsPhotos(config),
    });
  }

  /**
   * The sync config for a source's runs, Test connection, previews and one-user refreshes:
   * the site's, with the source's own field map in place of the attribute map when the
   * source brings one (a Salesforce connection's object maps).
   */
  private async configFor(source: SourceConnection): Promise<SyncConfig> {
    const config = await this.options.wordpress.getConfig();
    const own = this.connectors.get(source).attributeMap;
    return own ? { ...config, attributeMap: own } : config;
  }

  private async pullOptions(source: SourceConnection): Promise<{
    config: Awaited<ReturnType<WordPressGateway['getConfig']>>;
    pull: PullOptions;
  }> {
    const config = await this.configFor(source);
    return {
      config,
      pull: {
        groupNames: roleGroups(config.roleMap, source.slug),
        attributes: sourcePaths(config),
        photos: source.photos && wantsPhotos(config),
      },
    };
  }

  private fetcher(source: SourceConnection) {
    const connector = this.connectors.get(source);
    const getUser = connector.getUser?.bind(connector);
    if (!getUser) {
      throw new SourceCannotFetchError(
        `The source "${source.slug}" (${source.type}) cannot be asked for one user`,
      );
    }
    return { connector, getUser };
  }

  /**
   * Fetches one person from the source and maps them with the source's attribute and role
   * maps, exactly as a run would; writes nothing.
   */
  async previewUser(slug: string, lookup: string): Promise<UserPreview> {
    const source = await this.source(slug);
    const { getUser } = this.fetcher(source);
    const { config, pull } = await this.pullOptions(source);
    const user = await getUser(lookup, { ...pull, photos: false });
    const preview: UserPreview = {
      source: slug,
      lookup,
      found: user !== null,
      externalId: user?.externalId ?? null,
      active: user?.active ?? null,
      attributes: user?.attributes ?? null,
      groups: user?.groups ?? null,
      fields: null,
      login: null,
      roles: null,
      error: null,
    };
    if (!user) return preview;
    try {
      const mapped = mapUser(user, inboundMappings(config));
      preview.fields = { ...mapped.fields };
      preview.login = mapped.fields.login;
    } catch (error) {
      if (!(error instanceof MappingError)) throw error;
      preview.error = error.message;
    }
    preview.roles = rolesFor(user.groups ?? [], config.roleMap, slug);
    return preview;
  }

  /**
   * "Sync now" of chosen users: each is fetched from the source by its external id and
   * written like a run writes it (same plan, same batch route, same audit), without moving
   * the source's cursor. A user the source no longer has is reported, not deprovisioned:
   * the next run decides that.
   */
  async syncUsers(
    slug: string,
    externalIds: string[],
    options: { cached?: boolean } = {},
  ): Promise<UserSyncOutcome[]> {
    const source = await this.sourceFor(slug, options.cached);
    const { connector, getUser } = this.fetcher(source);
    const { config, pull } = await this.pullOptions(source);
    const outcomes = new Map<string, UserSyncOutcome>();
    const found: CanonicalUser[] = [];
    const fetchOne = async (externalId: string): Promise<void> => {
      let user: CanonicalUser | null;
      try {
        user = await getUser(externalId, pull);
      } catch (error) {
        // The source refused this one person (after the client's retries): theirs alone.
        if (!(error instanceof SourceError)) throw error;
        outcomes.set(externalId, {
          externalId,
          outcome: 'failed',
          wpUserId: null,
          login: null,
          message: `The source answered: ${error.message}`,
        });
        return;
      }
      if (user && user.externalId === externalId) found.push(user);
      else
        outcomes.set(externalId, {
          externalId,
          outcome: 'not_found',
          wpUserId: null,
          login: null,
          message: 'The source has no user with this id',
        });
    };
    // A few lookups at a time: a page of the Users screen, not a stampede on the source.
    const queue = [...new Set(externalIds)];
    await Promise.all(
      Array.from({ length: Math.min(USER_FETCH_CONCURRENCY, queue.length) }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          await fetchOne(next);
        }
      }),
    );
    const executor = this.detachedRun(source, connector, config, found.length);
    const refused = [...outcomes.values()].filter((o) => o.outcome === 'failed');
    if (refused.length > 0) {
      // Recorded like a run's failures, so the profile and Failed records show them.
      const known = await this.store.getSyncStates(
        slug,
        refused.map((o) => o.externalId),
      );
      await this.options.wordpress
        .writeAudit(
          refused.map((o) => ({
            source: `connection:${slug}`,
            action: 'update',
            result: 'failure' as const,
            userId: known.get(o.externalId)?.wpUserId ?? null,
            userLogin: o.externalId,
            fields: [],
            message: `${o.message ?? 'The source refused the request'} (external id ${o.externalId})`,
          })),
        )
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'audit entries of refused users not written'),
        );
    }
    const progress = await executor.applyUsers(found);
    const failures = new Map(progress.details.failures.map((f) => [f.externalId, f]));
    const changes = new Map(progress.details.changes.map((c) => [c.externalId, c]));
    const states = await this.store.getSyncStates(
      slug,
      found.map((user) => user.externalId),
    );
    for (const user of found) {
      const failure = failures.get(user.externalId);
      const change = changes.get(user.externalId);
      const state = states.get(user.externalId);
      outcomes.set(user.externalId, {
        externalId: user.externalId,
        outcome: failure
          ? 'failed'
          : change
            ? change.action === 'create'
              ? 'created'
              : 'updated'
            : 'unchanged',
        wpUserId: change?.wpUserId ?? state?.wpUserId ?? null,
        login: failure?.login ?? change?.login ?? null,
        message: failure ? failure.message : null,
      });
    }
    return externalIds.map((id) => outcomes.get(id)!).filter(Boolean);
  }

  /**
   * Deprovisions these users of a source as a run's deletions would (by the deletions'
   * `permanent`), outside any run: what the source's real-time feed says left it.
   */
  async removeUsers(
    slug: string,
    deletes: SourceDeletion[],
    options: { cached?: boolean } = {},
  ): Promise<void> {
    const source = await this.sourceFor(slug, options.cached);
    const connector = this.connectors.get(source);
    const config = await this.configFor(source);
    await this.detachedRun(source, connector, config, deletes.length).applyDeletes(deletes);
  }

  /** The source as last loaded (`cached`), or reloaded from WordPress. */
  private async sourceFor(slug: string, cached = false): Promise<SourceConnection> {
    const known = cached ? this.sources.get(slug) : undefined;
    return known ?? this.source(slug);
  }

  /** A run record never stored, for writes outside runs (chosen users, real-time changes). */
  private detachedRun(
    source: SourceConnection,
    connector: Connector,
    config: SyncConfig,
    total: number,
  ): SyncRun {
    const now = this.now().toISOString();
    const run: Run = {
      id: `users-${randomBytes(6).toString('hex')}`,
      source: source.slug,
      trigger: 'on-demand',
      state: 'running',
      dryRun: false,
      full: false,
      createdAt: now,
      startedAt: now,
      finishedAt: null,
      processed: 0,
      total,
      counts: emptyCounts(),
      error: null,
      owner: this.owner,
      heartbeatAt: now,
      scheduleSlot: null,
      cancelRequested: false,
      details: emptyDetails(),
    };
    return new SyncRun(run, {
      store: this.store,
      wordpress: this.options.wordpress,
      connector,
      source,
      config,
      logger: this.logger.child({ source: source.slug, users: total }),
      signal: new AbortController().signal,
      auditSource: `connection:${source.slug}`,
    });
  }

  private view(run: Run): RunView {
    const start = run.startedAt ? new Date(run.startedAt).getTime() : null;
    const end = run.finishedAt ? new Date(run.finishedAt).getTime() : this.now().getTime();
    const elapsed = start === null ? null : Math.max(0, (end - start) / 1000);
    return {
      ...run,
      elapsedSeconds: elapsed === null ? null : Math.round(elapsed * 10) / 10,
      rate: elapsed && elapsed > 0 ? Math.round((run.processed / elapsed) * 10) / 10 : null,
    };
  }

  /** Progress and a sign of life for runs here; takes over runs whose process died. */
  private async heartbeat(): Promise<void> {
    const now = this.now().toISOString();
    for (const entry of this.active.values()) {
      if (entry.ending) continue;
      try {
        const updated = await this.store.updateRun(
          entry.run.id,
          { heartbeatAt: now, ...liveFields(entry) },
          { owner: this.owner, states: ['queued', 'running'] },
        );
        if (entry.ending) continue;
        if (!updated) entry.controller.abort('lost');
        else if (updated.cancelRequested) entry.controller.abort('cancel');
      } catch (error) {
        this.logger.warn({ err: error, run: entry.run.id }, 'heartbeat failed');
      }
    }
    if (this.store.kind !== 'postgres' || this.stopped) return;
    try {
      const dead = await this.store.interruptRuns({
        staleBefore: new Date(this.now().getTime() - this.staleMs).toISOString(),
        error: INTERRUPTED,
      });
      for (const run of dead) {
        if (run.dryRun || !this.sources.has(run.source)) continue;
        this.logger.warn({ run: run.id, source: run.source }, 'run of a dead replica; resuming');
        await this.requestRun(run.source, { trigger: 'catch-up' });
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'looking for dead runs failed');
    }
  }

  /** At start: resume a source whose last run was interrupted, or run a missed schedule. */
  private async catchUp(source: SourceConnection): Promise<void> {
    if (!source.enabled) return;
    const [last] = await this.store.listRuns({ source: source.slug, limit: 1 });
    if (last && (last.state === 'queued' || last.state === 'running')) return;
    const interrupted = last?.state === 'interrupted' && !last.dryRun;
    let missed = false;
    if (source.schedule && validSchedule(source.schedule)) {
      const tick = previousTick(source.schedule, this.now());
      const since = last?.createdAt ?? source.createdAt ?? null;
      missed = tick !== null && since !== null && tick.getTime() > new Date(since).getTime();
    }
    if (!interrupted && !missed) return;
    this.logger.info(
      { source: source.slug, reason: interrupted ? 'interrupted' : 'missed schedule' },
      'catching up',
    );
    await this.requestRun(source.slug, { trigger: 'catch-up' });
  }

  /** Daily (or the source's `photoSchedule`) photo reconciliation of sources with photos. */
  private syncPhotoSchedules(): void {
    const wanted = new Map<string, string>();
    for (const source of this.sources.values()) {
      if (!source.enabled || !source.photos) continue;
      const own = source.settings.photoSchedule;
      const expression =
        typeof own === 'string' && own.trim() !== ''
          ? own.trim()
          : (this.options.photoSchedule ?? '0 4 * * *');
      if (validSchedule(expression)) wanted.set(source.slug, expression);
    }
    for (const [slug, schedule] of this.photoSchedules) {
      if (wanted.get(slug) !== schedule.expression) {
        schedule.stop();
        this.photoSchedules.delete(slug);
      }
    }
    for (const [slug, expression] of wanted) {
      if (this.photoSchedules.has(slug)) continue;
      const handle = startSchedule(expression, `usersync-photos:${slug}`, () => {
        void this.reconcilePhotos(slug).catch((error: unknown) =>
          this.logger.warn({ err: error, source: slug }, 'photo reconciliation failed'),
        );
      });
      this.photoSchedules.set(slug, { expression, stop: handle.stop });
    }
  }

  private syncSchedules(): void {
    this.syncPhotoSchedules();
    for (const [slug, schedule] of this.schedules) {
      const source = this.sources.get(slug);
      if (!source || !source.enabled || source.schedule !== schedule.expression) {
        schedule.stop();
        this.schedules.delete(slug);
      }
    }
    for (const source of this.sources.values()) {
      if (!source.enabled || !source.schedule || this.schedules.has(source.slug)) continue;
      const expression = source.schedule;
      if (!validSchedule(expression)) {
        this.logger.warn({ source: source.slug, schedule: expression }, 'invalid cron schedule');
        continue;
      }
      const handle = startSchedule(expression, `usersync:${source.slug}`, (tick) => {
        void this.requestRun(source.slug, {
          trigger: 'schedule',
          scheduleSlot: scheduleSlot(expression, tick),
        }).catch((error: unknown) =>
          this.logger.warn({ err: error, source: source.slug }, 'scheduled run not started'),
        );
      });
      this.schedules.set(source.slug, { expression, stop: handle.stop });
    }
  }
}

/** Progress and what the run waits for, as a running run shows them. */
function liveFields(entry: ActiveRun): Partial<Run> {
  const fields = progressFields(entry.progress ?? undefined);
  const details = fields.details ?? entry.run.details;
  return { ...fields, details: { ...details, waiting: entry.waiting } };
}

function progressFields(progress: RunProgress | undefined): Partial<Run> {
  if (!progress) return {};
  return {
    processed: progress.processed,
    total: progress.total,
    counts: progress.counts,
    details: progress.details,
    ...(progress.full ? { full: true } : {}),
  };
}
