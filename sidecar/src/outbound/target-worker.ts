// One target's worker in the outbound pipeline: holds the target's lease, reads the change feed
// from the target's own cursor, delivers each page (concurrently, retrying with backoff,
// dead-lettering what the target refuses for good), saves the cursor only while the lease is
// held, and carries out the target's stored commands (full pushes, dead-letter retries).
// The pipeline (`pipeline.ts`) starts, replaces and stops one worker per target.
import type { Logger } from '../logger.js';
import type {
  Command,
  CommandOutcome,
  LeaseHolder,
  Run,
  RunCounts,
  Store,
} from '../store/types.js';
import { emptyCounts, emptyDetails } from '../store/types.js';
import { coalesce, mainAction } from './coalesce.js';
import type { PluginFeed } from './feed.js';
import type { OutboundPipeline } from './pipeline.js';
import { backoffDelay, pause } from './retry.js';
import type { OutboundSettings } from './settings.js';
import { DeliveryError } from './types.js';
import type {
  DeliveryResult,
  OutboundTarget,
  PushProgress,
  TargetDescription,
  UserChange,
} from './types.js';

/** The push's run is no longer this replica's (taken over, or ended elsewhere). */
class PushRunLost extends Error {
  constructor() {
    super('The full push run is no longer this replica’s');
  }
}

export type TargetPhase =
  | 'starting'
  | 'idle'
  | 'delivering'
  | 'retrying'
  | 'pushing'
  /** Another replica sharing the store delivers to this target. */
  | 'standby'
  | 'stopped';

export interface TargetCounts {
  delivered: number;
  unchanged: number;
  excluded: number;
  skippedOrigin: number;
  notCovered: number;
  deadLetters: number;
  requests: number;
}

export interface TargetStatus extends TargetDescription {
  phase: TargetPhase;
  cursor: number | null;
  latest: number;
  lag: number;
  lastDeliveryAt: string | null;
  lastError: { message: string; code: string; at: string } | null;
  /** Since when the current page has been failing (target down, throttled, …). */
  retryingSince: string | null;
  /** Unresolved dead letters. */
  deadLetters: number;
  /** Since the sidecar started. */
  counts: TargetCounts;
  push: {
    runId: string;
    state: Run['state'];
    processed: number;
    total: number | null;
    counts: RunCounts;
  } | null;
}

class Stopped extends Error {
  override name = 'Stopped';
}

/** Another replica took the target over (this one stalled past its lease). */
class LeaseLost extends Error {
  override name = 'LeaseLost';
}

/** A target's cursor, and the name of its lease and of the scope of its commands. */
export const cursorKey = (slug: string) => `outbound:${slug}`;

export class TargetWorker {
  phase: TargetPhase = 'starting';
  cursor: number | null = null;
  latest = 0;
  lastDeliveryAt: string | null = null;
  lastError: TargetStatus['lastError'] = null;
  retryingSince: string | null = null;
  counts: TargetCounts = {
    delivered: 0,
    unchanged: 0,
    excluded: 0,
    skippedOrigin: 0,
    notCovered: 0,
    deadLetters: 0,
    requests: 0,
  };
  pushRun: Run | null = null;
  private readonly controller = new AbortController();
  private wakeUp: () => void = () => undefined;
  private woken: Promise<void> = Promise.resolve();
  done: Promise<void> = Promise.resolve();

  constructor(
    public target: OutboundTarget,
    public peerFingerprint: string,
    public name: string,
    private readonly pipeline: OutboundPipeline,
  ) {
    this.rearm();
  }

  get slug(): string {
    return this.target.slug;
  }

  private get settings(): OutboundSettings {
    return this.pipeline.settings;
  }

  private get log(): Logger {
    return this.pipeline.logger;
  }

  start(): void {
    // The loop handles its own failures; should one escape, it must not end the process.
    this.done = this.loop().catch((error: unknown) => {
      this.phase = 'stopped';
      this.log.error({ err: error, target: this.slug }, 'outbound: the target’s worker stopped');
    });
  }

  async stop(): Promise<void> {
    this.controller.abort('stop');
    this.wakeUp();
    await this.done;
    this.phase = 'stopped';
    if (this.leasedAt > 0) {
      await this.pipeline.store
        .releaseLease(cursorKey(this.slug), this.pipeline.owner)
        .catch(() => undefined);
    }
  }

  private leasedAt = 0;

  private get lease(): LeaseHolder {
    return { name: cursorKey(this.slug), owner: this.pipeline.owner };
  }

  /** Whether this replica holds the target's lease (as far as it knows). */
  get leader(): boolean {
    return this.leasedAt > 0;
  }

  /**
   * Whether this replica delivers to the target: takes the target's lease when it is free or
   * expired (one replica at a time), or renews it while held. Throws LeaseLost when a held
   * lease expired or was taken over: the work in hand must stop.
   */
  private async holdLease(): Promise<boolean> {
    const { store } = this.pipeline;
    const { name, owner } = this.lease;
    if (this.leasedAt > 0) {
      if (Date.now() - this.leasedAt < this.settings.leaseMs / 3) return true;
      if (await store.renewLease(name, owner, this.settings.leaseMs)) {
        this.leasedAt = Date.now();
        return true;
      }
      this.leasedAt = 0;
      throw new LeaseLost();
    }
    if (!(await store.acquireLease(name, owner, this.settings.leaseMs))) return false;
    this.leasedAt = Date.now();
    // Another replica may have moved the cursor, and may have left commands half done.
    this.cursor = null;
    const requeued = await store.requeueCommands(name, owner);
    if (requeued > 0)
      this.log.info(
        { target: this.slug, requeued },
        'outbound: commands left running queued again',
      );
    return true;
  }

  /** Saves the cursor while this replica holds the lease; throws LeaseLost when it does not. */
  private async saveCursor(value: number): Promise<void> {
    const saved = await this.pipeline.store.saveCursorLeased(
      cursorKey(this.slug),
      String(value),
      this.lease,
    );
    if (!saved) {
      this.leasedAt = 0;
      throw new LeaseLost();
    }
    this.cursor = value;
  }

  wake(): void {
    this.wakeUp();
  }

  private rearm(): void {
    this.woken = new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  private get signal(): AbortSignal {
    return this.controller.signal;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.signal.aborted) {
      try {
        if (!(await this.holdLease())) {
          this.phase = 'standby';
          await pause(Math.min(this.settings.pollMs, this.settings.leaseMs / 3), this.signal);
          continue;
        }
        const commands = await this.runCommands();
        const more = await this.processPage();
        failures = 0;
        this.retryingSince = null;
        if (!more && commands === 0) {
          this.phase = 'idle';
          const woken = this.woken;
          await pause(this.settings.pollMs, this.signal, woken);
          this.rearm();
        }
      } catch (error) {
        if (error instanceof Stopped || this.signal.aborted) break;
        if (error instanceof LeaseLost) {
          this.log.warn(
            { target: this.slug },
            'outbound: this replica’s lease on the target expired or was taken over; stopped',
          );
          this.leasedAt = 0;
          this.cursor = null;
          this.phase = 'standby';
          continue;
        }
        failures++;
        this.fail(error, 'feed');
        const delay = backoffDelay(failures, {
          baseMs: this.settings.retryBaseMs,
          maxMs: this.settings.retryMaxMs,
        });
        this.log.warn({ err: error, target: this.slug, delay }, 'outbound: page failed; retrying');
        await pause(delay, this.signal);
      }
    }
  }

  private fail(error: unknown, fallbackCode: string): void {
    const message = error instanceof Error ? error.message : String(error);
    const code =
      error instanceof DeliveryError
        ? error.code
        : ((error as { code?: unknown })?.code as string | undefined) || fallbackCode;
    this.lastError = { message, code: String(code), at: this.pipeline.now().toISOString() };
    this.phase = 'retrying';
    this.retryingSince ??= this.lastError.at;
  }

  /** The cursor, read once from the store; a new target starts where the plugin acked. */
  private async currentCursor(): Promise<number> {
    if (this.cursor !== null) return this.cursor;
    const saved = await this.pipeline.store.getCursor(cursorKey(this.slug));
    if (saved && Number.isInteger(Number(saved.value))) {
      this.cursor = Number(saved.value);
    } else {
      const page = await this.pipeline.feed.changes(Number.MAX_SAFE_INTEGER, 1);
      await this.saveCursor(page.acked);
    }
    return this.cursor!;
  }

  /** Handles one page; true when more are waiting. */
  private async processPage(): Promise<boolean> {
    const cursor = await this.currentCursor();
    const feed = this.pipeline.feed;
    const page = await feed.changes(cursor, this.settings.pageSize);
    if (page.latest < cursor) {
      // The outbox was emptied or restored from a backup: ids start lower again. Re-deliver
      // from what was acknowledged (harmless: targets receive current state).
      const restart = Math.min(page.acked, page.latest);
      this.log.warn(
        { target: this.slug, cursor, latest: page.latest, restart },
        'outbound: the change feed is behind this target’s cursor; starting again from its acknowledged position',
      );
      await this.saveCursor(restart);
      return true;
    }
    this.latest = page.latest;
    this.pipeline.metrics?.lag.set({ target: this.slug }, Math.max(0, page.latest - cursor));
    if (page.changes.length === 0) {
      if (page.last > cursor) await this.advance(page.last);
      return false;
    }
    this.phase = 'delivering';
    const config = await feed.syncConfig();
    const target = this.target;
    const relevant = page.changes.filter((change) => {
      if (change.origin === target.slug) {
        this.count('skippedOrigin', 'skipped_origin');
        return false;
      }
      if (!target.covers(change, config)) {
        this.count('notCovered', 'not_covered');
        return false;
      }
      return true;
    });
    const users = coalesce(relevant);
    await this.deliverAll(users, config);
    await this.advance(page.last);
    return page.last < page.latest;
  }

  private async advance(last: number): Promise<void> {
    await this.saveCursor(last);
    this.pipeline.metrics?.lag.set({ target: this.slug }, Math.max(0, this.latest - last));
    await this.pipeline.syncAck();
  }

  private count(key: keyof TargetCounts, outcome: string, n = 1): void {
    this.counts[key] += n;
    this.pipeline.metrics?.changes.inc({ target: this.slug, outcome }, n);
  }

  /** Delivers every user change; returns when each is delivered or dead-lettered. */
  private async deliverAll(
    users: UserChange[],
    config: Awaited<ReturnType<PluginFeed['syncConfig']>>,
  ): Promise<void> {
    let pending = users;
    const attempts = new Map<number, number>();
    let round = 0;
    while (pending.length > 0) {
      if (this.signal.aborted) throw new Stopped();
      if (!(await this.holdLease())) throw new LeaseLost();
      const results = await this.deliverConcurrently(pending, config);
      const failed: UserChange[] = [];
      let retryAfter: number | undefined;
      let firstError: DeliveryError | null = null;
      for (const change of pending) {
        const result: DeliveryResult = results.get(change.userId) ?? {
          ok: false,
          error: new DeliveryError('The target gave no result', 'no_result', true),
        };
        if (result.ok) {
          this.counts.requests += result.outcome.requests;
          this.pipeline.metrics?.requests.inc({ target: this.slug }, result.outcome.requests);
          if (result.outcome.status === 'unchanged') this.count('unchanged', 'unchanged');
          else if (result.outcome.status === 'excluded') this.count('excluded', 'excluded');
          else {
            this.count('delivered', 'delivered');
            this.lastDeliveryAt = this.pipeline.now().toISOString();
            const delay = (Date.now() - Date.parse(change.firstAt)) / 1000;
            if (Number.isFinite(delay) && delay >= 0)
              this.pipeline.metrics?.delay.observe({ target: this.slug }, delay);
          }
          continue;
        }
        const error = result.error;
        const n = (attempts.get(change.userId) ?? 0) + 1;
        attempts.set(change.userId, n);
        firstError ??= error;
        if (!error.transient && n >= this.settings.maxAttempts) {
          await this.deadLetter(change, error, n);
          continue;
        }
        if (error.retryAfterSeconds !== undefined)
          retryAfter = Math.max(retryAfter ?? 0, error.retryAfterSeconds);
        failed.push(change);
      }
      if (failed.length === 0) break;
      round++;
      this.fail(firstError, 'delivery_failed');
      const delay = backoffDelay(
        round,
        { baseMs: this.settings.retryBaseMs, maxMs: this.settings.retryMaxMs },
        retryAfter,
      );
      this.log.warn(
        {
          target: this.slug,
          users: failed.length,
          code: firstError?.code,
          error: firstError?.message,
          round,
          delay,
        },
        'outbound: delivery failed; retrying',
      );
      await pause(delay, this.signal);
      pending = failed;
    }
    if (this.phase === 'retrying') this.phase = 'delivering';
    this.retryingSince = null;
  }

  /** Splits users into bounded concurrent groups for the target. */
  private async deliverConcurrently(
    users: UserChange[],
    config: Awaited<ReturnType<PluginFeed['syncConfig']>>,
  ): Promise<Map<number, DeliveryResult>> {
    const results = new Map<number, DeliveryResult>();
    const size = Math.max(1, Math.ceil(users.length / this.settings.concurrency));
    const groups: UserChange[][] = [];
    for (let i = 0; i < users.length; i += size) groups.push(users.slice(i, i + size));
    await Promise.all(
      groups.map(async (group) => {
        try {
          const answer = await this.target.deliver(group, { config, signal: this.signal });
          for (const [id, result] of answer) results.set(id, result);
        } catch (error) {
          // A target that throws fails the whole group; retried like any transient failure.
          const failure =
            error instanceof DeliveryError
              ? error
              : new DeliveryError((error as Error).message || String(error), 'internal', true);
          for (const change of group) results.set(change.userId, { ok: false, error: failure });
        }
      }),
    );
    return results;
  }

  private async deadLetter(change: UserChange, error: DeliveryError, attempts: number) {
    const action = mainAction(change);
    this.count('deadLetters', 'dead_letter');
    this.log.error(
      { target: this.slug, user: change.userId, action, code: error.code, error: error.message },
      'outbound: change could not be delivered; dead letter',
    );
    await this.pipeline.store.addDeadLetter({
      target: this.slug,
      outboxId: change.ids[change.ids.length - 1] ?? 0,
      userId: change.userId,
      action,
      changed: change.changed,
      origin: change.origins.join(','),
      code: error.code,
      message: error.message,
      attempts,
    });
    await this.pipeline.feed
      .audit([
        {
          source: `peer:${this.name}`,
          action,
          result: 'failure',
          userId: change.userId,
          fields: change.changed,
          message: `Not delivered to ${this.name} after ${attempts} attempts: ${error.message}`,
        },
      ])
      .catch((auditError: unknown) =>
        this.log.warn({ err: auditError }, 'outbound: could not write the dead letter audit entry'),
      );
  }

  /** Carries out the target's stored commands, oldest first; how many there were. */
  private async runCommands(): Promise<number> {
    let count = 0;
    for (;;) {
      if (this.signal.aborted) throw new Stopped();
      const [command] = await this.pipeline.store.claimCommands(
        cursorKey(this.slug),
        this.lease,
        1,
      );
      if (!command) return count;
      count++;
      const log = this.log.child({ target: this.slug, command: command.id, kind: command.kind });
      let outcome: CommandOutcome;
      try {
        if (command.kind === 'push') outcome = await this.pushCommand(command);
        else if (command.kind === 'retry') outcome = await this.retryCommand(command);
        else if (command.kind === 'user') outcome = await this.userCommand(command);
        else outcome = { state: 'failed', error: `Unknown command "${command.kind}"` };
      } catch (error) {
        // Left running: whoever holds the lease next queues it again.
        if (error instanceof Stopped || error instanceof LeaseLost || this.signal.aborted)
          throw error;
        log.error({ err: error }, 'outbound: command failed');
        outcome = { state: 'failed', error: (error as Error).message || String(error) };
      }
      const recorded = await this.pipeline.store.finishCommand(
        command.id,
        this.pipeline.owner,
        outcome,
      );
      if (!recorded) log.warn('outbound: the command was taken over before it finished');
    }
  }

  private async pushCommand(command: Command): Promise<CommandOutcome> {
    const runId = String(command.payload.runId);
    let run = await this.pipeline.store.getRun(runId);
    if (!run) return { state: 'failed', error: 'The push run no longer exists' };
    if (run.state === 'queued' || run.state === 'running') run = await this.runPush(run);
    return {
      state: run.state === 'succeeded' ? 'succeeded' : 'failed',
      result: { runId, state: run.state },
      error: run.error,
    };
  }

  private async retryCommand(command: Command): Promise<CommandOutcome> {
    const store = this.pipeline.store;
    const letter = await store.getDeadLetter(Number(command.payload.deadLetter));
    if (!letter) return { state: 'failed', error: 'No such dead letter' };
    if (letter.resolvedAt) return { state: 'succeeded', result: { resolved: true, error: null } };
    const config = await this.pipeline.feed.syncConfig();
    const change: UserChange = {
      userId: letter.userId,
      ids: [letter.outboxId],
      actions: [
        (['create', 'update', 'disable', 'enable', 'delete', 'password'] as const).find(
          (a) => a === letter.action,
        ) ?? 'update',
      ],
      changed: letter.changed,
      origins: letter.origin.split(','),
      firstAt: letter.createdAt,
    };
    if (!(await this.holdLease())) throw new LeaseLost();
    const results = await this.deliverConcurrently([change], config);
    const result = results.get(letter.userId);
    if (result?.ok) {
      await store.resolveDeadLetters([letter.id]);
      this.count('delivered', 'delivered');
      return { state: 'succeeded', result: { resolved: true, error: null } };
    }
    const error = result?.error.message ?? 'The target gave no result';
    return { state: 'failed', result: { resolved: false, error }, error };
  }

  /** "Push now" of one user: their current state, delivered like a change of every field. */
  private async userCommand(command: Command): Promise<CommandOutcome> {
    const userId = Number(command.payload.userId);
    if (!Number.isInteger(userId) || userId < 1) return { state: 'failed', error: 'No such user' };
    const config = await this.pipeline.feed.syncConfig();
    const change: UserChange = {
      userId,
      ids: [0],
      actions: ['update'],
      changed: [],
      origins: ['local'],
      firstAt: this.pipeline.now().toISOString(),
    };
    if (!(await this.holdLease())) throw new LeaseLost();
    const result = (await this.deliverConcurrently([change], config)).get(userId);
    if (result?.ok) {
      if (result.outcome.status !== 'unchanged' && result.outcome.status !== 'excluded')
        this.count('delivered', 'delivered');
      return { state: 'succeeded', result: { status: result.outcome.status, error: null } };
    }
    const error = result?.error.message ?? 'The target gave no result';
    return { state: 'failed', result: { status: 'failed', error }, error };
  }

  /** Runs a full push to its end (or a stop, or a lost lease: left for the next holder). */
  private async runPush(run: Run): Promise<Run> {
    const store = this.pipeline.store;
    const log = this.log.child({ target: this.slug, run: run.id });
    this.phase = 'pushing';
    const started = this.pipeline.now().toISOString();
    const owner = this.pipeline.owner;
    // The run becomes this replica's; a run cancelled or finished meanwhile is left alone.
    const claimed = await store.updateRun(
      run.id,
      { state: 'running', owner, startedAt: started, heartbeatAt: started },
      { states: ['queued', 'running'] },
    );
    if (!claimed) {
      this.phase = 'delivering';
      return (await store.getRun(run.id)) ?? run;
    }
    this.pushRun = claimed;
    // Every later write is conditional on this replica still owning the running run: one
    // that was taken over (or cancelled) meanwhile writes nothing more.
    const mine = { owner, states: ['running' as const] };
    log.info('full push started');
    let progress: PushProgress = {
      processed: 0,
      total: null,
      created: 0,
      updated: 0,
      unchanged: 0,
      failed: 0,
    };
    const countsOf = (p: PushProgress): RunCounts => ({
      ...emptyCounts(),
      created: p.created,
      updated: p.updated,
      unchanged: p.unchanged,
      failed: p.failed,
    });
    let final: Parameters<Store['updateRun']>[1];
    try {
      const config = await this.pipeline.feed.syncConfig();
      progress = await this.target.fullPush({
        config,
        signal: this.signal,
        onProgress: async (p) => {
          progress = p;
          // A replica that lost the target writes nothing to the run the next one carries on.
          if (!(await this.holdLease())) throw new LeaseLost();
          const updated = await store.updateRun(
            run.id,
            {
              processed: p.processed,
              total: p.total,
              counts: countsOf(p),
              heartbeatAt: this.pipeline.now().toISOString(),
            },
            mine,
          );
          if (!updated) throw new PushRunLost();
          this.pushRun = updated;
          if (updated.cancelRequested) throw new Stopped('cancel');
          if (this.signal.aborted) throw new Stopped();
        },
        onFailure: async (userId, error) => {
          await this.deadLetter(
            {
              userId,
              ids: [0],
              actions: ['update'],
              changed: [],
              origins: ['local'],
              firstAt: started,
            },
            error,
            1,
          );
        },
      });
      final = {
        state: 'succeeded',
        processed: progress.processed,
        total: progress.total,
        counts: countsOf(progress),
      };
    } catch (error) {
      // The replica that takes the target over runs the push again.
      if (error instanceof LeaseLost) throw error;
      if (error instanceof PushRunLost) {
        log.warn('full push stopped: its run was taken over or ended elsewhere');
        this.phase = 'delivering';
        return (await store.getRun(run.id)) ?? run;
      }
      const cancelled = error instanceof Stopped && error.message === 'cancel';
      const message = cancelled
        ? 'Cancelled'
        : this.signal.aborted
          ? 'Interrupted: the sidecar stopped during the push'
          : (error as Error).message || String(error);
      if (!cancelled && !this.signal.aborted) log.error({ err: error }, 'full push failed');
      final = {
        state: cancelled ? 'cancelled' : 'failed',
        error: message,
        processed: progress.processed,
        total: progress.total,
        counts: countsOf(progress),
      };
    }
    const written = await store.updateRun(
      run.id,
      { ...final, details: emptyDetails(), finishedAt: this.pipeline.now().toISOString() },
      mine,
    );
    if (!written) log.warn('full push ended, but its run was taken over: its end is not written');
    const ended: Run = written ??
      (await store.getRun(run.id)) ?? { ...(this.pushRun ?? run), ...final };
    this.pushRun = ended;
    log.info({ state: final.state, counts: final.counts }, 'full push finished');
    this.phase = 'delivering';
    if (this.signal.aborted) throw new Stopped();
    return ended;
  }

  status(deadLetters: number): TargetStatus {
    const run = this.pushRun;
    return {
      ...this.target.describe(),
      name: this.name,
      phase: this.phase,
      cursor: this.cursor,
      latest: this.latest,
      lag: this.cursor === null ? 0 : Math.max(0, this.latest - this.cursor),
      lastDeliveryAt: this.lastDeliveryAt,
      lastError: this.lastError,
      retryingSince: this.retryingSince,
      deadLetters,
      counts: { ...this.counts },
      push: run
        ? {
            runId: run.id,
            state: run.state,
            processed: run.processed,
            total: run.total,
            counts: run.counts,
          }
        : null,
    };
  }
}
