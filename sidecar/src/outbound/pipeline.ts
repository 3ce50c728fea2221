// The outbound pipeline: reads the plugin's change feed by cursor and delivers every change to
// every target whose mapping covers it, durably.
//
// - One worker per target, each with its own cursor in the store (`outbound:<slug>`), so a
//   target that is down holds back only itself. A page is handled completely (delivered,
//   skipped or dead-lettered) before the cursor moves past it, so per-user order holds and a
//   stop or crash re-delivers the page — harmless, since targets bring over the current state
//   and skip what they already have.
// - Users of a page are delivered concurrently (bounded); changes of one user are merged.
// - Failures retry with exponential backoff and jitter, honouring Retry-After. A target that
//   is unreachable (or refuses the token) is retried without limit — nothing is dropped while
//   it is down; a change the target refuses for good becomes a dead letter after a few
//   attempts: stored, written to the audit log, shown by the status route, retried on request.
// - Real time: the plugin nudges after every request that wrote outbox rows; the feed is
//   polled too, so nothing depends on the nudge.
// - Replicas sharing a PostgreSQL store: each target is delivered by the one replica holding
//   its lease (renewed as it works; taken over when that replica stops renewing it). Owner ids
//   carry a random part, so replicas with the same hostname and PID are still told apart.
//   Renewals and cursor saves match only while this replica holds the lease unexpired; when
//   one matches nothing, the worker stops at once and delivers nothing more (a replica that
//   stalled past its lease cannot overwrite the one that took over).
// - Full pushes and dead-letter retries are stored commands: any replica records them and
//   answers at once; the lease holder claims them (woken by a signal, or at its next poll),
//   carries them out and records the outcome.
// - The plugin is acknowledged up to the lowest stored cursor of all targets (everything read
//   when there is no target), so any replica can acknowledge whoever delivers each target,
//   and the plugin prunes what is older than its retention period.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import type { Command, Run, Store } from '../store/types.js';
import type { PeerSettings, PluginFeed } from './feed.js';
import type { SourceConnection } from '../wordpress/types.js';
import type { OutboundMetrics } from './metrics.js';
import { DEFAULT_OUTBOUND_SETTINGS } from './settings.js';
import type { OutboundSettings } from './settings.js';
import { cursorKey, TargetWorker } from './target-worker.js';
import type { TargetStatus } from './target-worker.js';
import type { OutboundTarget, PushTargetSpec } from './types.js';

export type { TargetCounts, TargetPhase, TargetStatus } from './target-worker.js';

export interface PipelineOptions {
  store: Store;
  feed: PluginFeed;
  logger: Logger;
  /** Builds a target (tests inject fakes). */
  targetFactory: (target: PushTargetSpec) => OutboundTarget;
  settings?: Partial<OutboundSettings>;
  metrics?: OutboundMetrics;
  now?: () => Date;
}

export class TargetNotFoundError extends Error {
  override name = 'TargetNotFoundError';
}

export const pushSource = (slug: string) => `push:${slug}`;

const fingerprint = (target: PushTargetSpec) => JSON.stringify(target);

/**
 * The targets to deliver to: peers with pushes on (and a SCIM URL and token), and enabled
 * Salesforce connections whose settings say `push: true`. A slug is one target (peers first).
 */
export function pushTargets(
  peers: PeerSettings[],
  connections: SourceConnection[],
): PushTargetSpec[] {
  const targets: PushTargetSpec[] = peers
    .filter((peer) => peer.push && peer.scimUrl && peer.token)
    .map((peer) => ({ kind: 'wordpress-peer', slug: peer.slug, name: peer.name, peer }));
  for (const connection of connections) {
    if (connection.type !== 'salesforce' || !connection.enabled) continue;
    if (connection.settings.push !== true) continue;
    if (targets.some((target) => target.slug === connection.slug)) continue;
    targets.push({ kind: 'salesforce', slug: connection.slug, name: connection.name, connection });
  }
  return targets;
}

/** What a dead-letter retry came to. */
export interface RetryOutcome {
  resolved: boolean;
  error: string | null;
}

const finished = (command: Command) => command.state === 'succeeded' || command.state === 'failed';

export class OutboundPipeline {
  readonly settings: OutboundSettings;
  /**
   * This pipeline in leases, commands and push runs: host, PID and a random part, since two
   * replicas in containers can share a hostname and PID 1. A sidecar that stops releases its
   * leases; one that crashed is taken over when its leases expire.
   */
  readonly owner: string;
  private stopListening: (() => void) | null = null;
  private readonly workers = new Map<string, TargetWorker>();
  private timers: NodeJS.Timeout[] = [];
  private loadedAt = 0;
  private reloading: Promise<void> | null = null;
  private reloadTimer: NodeJS.Timeout | null = null;
  private ackAgain = false;
  private acking: Promise<void> | null = null;
  private lastAcked = 0;
  private stopped = false;

  constructor(private readonly options: PipelineOptions) {
    this.settings = { ...DEFAULT_OUTBOUND_SETTINGS, ...options.settings };
    this.owner = `${hostname()}/${process.pid}/${randomBytes(6).toString('hex')}/outbound`;
  }

  get store(): Store {
    return this.options.store;
  }

  get feed(): PluginFeed {
    return this.options.feed;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  get metrics(): OutboundMetrics | undefined {
    return this.options.metrics;
  }

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Loads the targets and starts delivering; keeps polling and reloading on timers. */
  async start(): Promise<void> {
    // A command recorded by any replica wakes the worker of its target at once (the worker's
    // poll finds it otherwise); null means signals may have been missed: look everywhere.
    this.stopListening = await this.store
      .onSignal('command', (scope) => {
        for (const [slug, worker] of this.workers)
          if (scope === null || scope === cursorKey(slug)) worker.wake();
      })
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'outbound: not listening for commands; polling only');
        return null;
      });
    await this.reload().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'outbound: could not load targets; retrying later'),
    );
    this.timers.push(
      setInterval(() => void this.reloadQuietly(), this.settings.reloadMs),
      setInterval(() => void this.syncAck(), this.settings.pollMs),
    );
    for (const timer of this.timers) timer.unref();
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    this.stopListening?.();
    this.stopListening = null;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await Promise.race([
      Promise.allSettled([...this.workers.values()].map((worker) => worker.stop())),
      new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  /**
   * The plugin says the feed has news, or (`reload`) that the peers changed. Peers are
   * re-read at most once a second otherwise: a burst of nudges costs one reload.
   */
  nudge(reload = false): void {
    if (this.stopped) return;
    const since = Date.now() - this.loadedAt;
    if (reload || since > 1_000) {
      void this.reloadQuietly();
    } else if (!this.reloadTimer) {
      this.reloadTimer = setTimeout(() => {
        this.reloadTimer = null;
        if (!this.stopped) void this.reloadQuietly();
      }, 1_000 - since);
      this.reloadTimer.unref();
    }
    for (const worker of this.workers.values()) worker.wake();
    if (this.workers.size === 0) void this.syncAck();
  }

  private async reloadQuietly(): Promise<void> {
    await this.reload().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'outbound: could not reload targets'),
    );
  }

  /** Re-reads the peers and connections: starts, replaces and stops workers to match. */
  async reload(): Promise<void> {
    this.reloading ??= Promise.resolve().then(async () => {
      try {
        const [peers, connections] = await Promise.all([
          this.feed.peers(),
          this.feed.connections(),
        ]);
        this.loadedAt = Date.now();
        if (this.stopped) return;
        const wanted = pushTargets(peers, connections);
        const slugs = new Set(wanted.map((target) => target.slug));
        for (const [slug, worker] of this.workers) {
          if (!slugs.has(slug)) {
            this.workers.delete(slug);
            this.logger.info({ target: slug }, 'outbound: target removed');
            await worker.stop();
          }
        }
        for (const spec of wanted) {
          const existing = this.workers.get(spec.slug);
          const print = fingerprint(spec);
          const build = () => {
            try {
              return this.options.targetFactory(spec);
            } catch (error) {
              // Settings the target cannot work with: the others go on; fixed, it starts.
              this.logger.error({ err: error, target: spec.slug }, 'outbound: target not built');
              return null;
            }
          };
          if (existing) {
            if (existing.peerFingerprint !== print) {
              const target = build();
              if (!target) continue;
              // Picked up at the next page: the cursor and state stay.
              existing.target = target;
              existing.peerFingerprint = print;
              existing.name = spec.name;
              this.logger.info({ target: spec.slug }, 'outbound: target settings changed');
            }
            existing.wake();
            continue;
          }
          const target = build();
          if (!target) continue;
          // A push a previous process was running will not finish: say so (on PostgreSQL only
          // when its heartbeat has stopped, since another replica may be running it).
          const staleMs = this.store.kind === 'sqlite' ? 0 : 60_000;
          await this.store.interruptRuns({
            source: pushSource(spec.slug),
            staleBefore: new Date(this.now().getTime() - staleMs).toISOString(),
            error: 'Interrupted: the sidecar stopped during the push',
          });
          const worker = new TargetWorker(target, print, spec.name, this);
          this.workers.set(spec.slug, worker);
          this.logger.info(
            { target: spec.slug, kind: worker.target.kind },
            'outbound: target added',
          );
          worker.start();
        }
      } finally {
        this.reloading = null;
      }
    });
    return this.reloading;
  }

  /**
   * Acknowledges the plugin up to the lowest stored cursor of the targets (or everything,
   * without targets): the store's, so the replica holding no lease acknowledges too.
   */
  async syncAck(): Promise<void> {
    if (this.acking) {
      // Cursors moved while acknowledging: go again once this one is done.
      this.ackAgain = true;
      return this.acking;
    }
    // Started on the next tick, so that `acking` is set before the work can finish.
    this.acking = Promise.resolve().then(async () => {
      try {
        let upTo: number;
        if (this.workers.size === 0) {
          if (this.loadedAt === 0) return; // Peers not known yet: acknowledge nothing.
          upTo = (await this.feed.changes(Number.MAX_SAFE_INTEGER, 1)).latest;
        } else {
          const cursors = await Promise.all(
            [...this.workers.keys()].map(async (slug) => {
              const saved = await this.store.getCursor(cursorKey(slug));
              return saved && Number.isInteger(Number(saved.value)) ? Number(saved.value) : null;
            }),
          );
          // A target without a cursor yet starts where the plugin acknowledged: wait for it.
          if (cursors.some((cursor) => cursor === null)) return;
          upTo = Math.min(...(cursors as number[]));
        }
        if (upTo > this.lastAcked) {
          const answer = await this.feed.ack(upTo);
          this.lastAcked = answer.acked;
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'outbound: acknowledging the feed failed');
      } finally {
        this.acking = null;
      }
      if (this.ackAgain) {
        this.ackAgain = false;
        await this.syncAck();
      }
    });
    return this.acking;
  }

  /**
   * Starts a full push to a target (or joins the one queued or running): records the run and
   * the command that the replica holding the target's lease carries out.
   */
  async requestPush(slug: string): Promise<{ run: Run; joined: boolean; command: Command }> {
    await this.targetOf(slug);
    const claim = await this.store.claimRun({
      source: pushSource(slug),
      trigger: 'on-demand',
      full: true,
      owner: this.owner,
    });
    // The command takes the run's id, so a request that joins the run finds it too.
    let command = await this.store.getCommand(claim.run.id);
    if (!command) {
      command = await this.store.addCommand({
        id: claim.run.id,
        scope: cursorKey(slug),
        kind: 'push',
        payload: { runId: claim.run.id },
      });
      await this.announce(command);
    }
    return { run: claim.run, joined: !claim.created, command };
  }

  /**
   * Asks for a dead letter's user to be delivered again (the letter is resolved when that
   * works): the command, or null when the letter is already resolved; undefined when there is
   * no such letter.
   */
  async requestRetry(id: number): Promise<Command | null | undefined> {
    const letter = await this.store.getDeadLetter(id);
    if (!letter) return undefined;
    if (letter.resolvedAt) return null;
    await this.targetOf(letter.target);
    const command = await this.store.addCommand({
      scope: cursorKey(letter.target),
      kind: 'retry',
      payload: { deadLetter: id },
    });
    await this.announce(command);
    return command;
  }

  /** Asks for one user's current state to be delivered to a target now ("Push now"). */
  async requestUserPush(slug: string, userId: number): Promise<Command> {
    await this.targetOf(slug);
    const command = await this.store.addCommand({
      scope: cursorKey(slug),
      kind: 'user',
      payload: { userId },
    });
    await this.announce(command);
    return command;
  }

  /** Delivers a dead letter's user again and waits for the outcome (at most `waitMs`). */
  async retryDeadLetter(id: number, waitMs = 60_000): Promise<RetryOutcome | null> {
    const command = await this.requestRetry(id);
    if (command === undefined) return null;
    if (command === null) return { resolved: true, error: null };
    const done = await this.waitForCommand(command.id, waitMs);
    return retryOutcome(done);
  }

  /** The command, once it has finished or `waitMs` has passed (read from the store). */
  async waitForCommand(id: string, waitMs: number): Promise<Command | null> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const command = await this.store.getCommand(id);
      if (!command || finished(command) || Date.now() >= deadline) return command;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, deadline - Date.now())));
    }
  }

  private async targetOf(slug: string): Promise<void> {
    if (!this.workers.has(slug)) await this.reload();
    if (!this.workers.has(slug))
      throw new TargetNotFoundError(`No target "${slug}" is set up to receive pushes`);
  }

  /** Wakes the lease holder of the command's target, on whichever replica it is. */
  private async announce(command: Command): Promise<void> {
    await this.store.signal('command', command.scope).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'outbound: could not signal a command; it waits for a poll');
    });
    for (const [slug, worker] of this.workers) if (cursorKey(slug) === command.scope) worker.wake();
  }

  async status(): Promise<{ targets: TargetStatus[]; acked: number }> {
    const dead = await this.store.countDeadLetters();
    const targets = await Promise.all(
      [...this.workers.values()].map(async (worker) => {
        const status = worker.status(dead.get(worker.slug) ?? 0);
        if (status.cursor !== null || worker.leader) return status;
        // Delivered by another replica: its progress is the stored cursor.
        const saved = await this.store.getCursor(cursorKey(worker.slug));
        const cursor = saved && Number.isInteger(Number(saved.value)) ? Number(saved.value) : null;
        return {
          ...status,
          cursor,
          lag: cursor === null ? 0 : Math.max(0, status.latest - cursor),
        };
      }),
    );
    return { targets, acked: this.lastAcked };
  }

  /** Resolves when every target has handled the feed up to `id` (tests, benchmarks). */
  handled(id: number): boolean {
    return [...this.workers.values()].every((worker) => (worker.cursor ?? 0) >= id);
  }
}

/** What a finished retry command came to (still waiting: not resolved, no error). */
export function retryOutcome(command: Command | null): RetryOutcome {
  if (!command) return { resolved: false, error: 'The retry was lost' };
  if (command.state === 'succeeded') return { resolved: true, error: null };
  if (command.state === 'failed')
    return { resolved: false, error: command.error ?? 'The retry failed' };
  return { resolved: false, error: null };
}
