// One run of one source: pull pages from the connector, plan each page (map, hash, compare
// with the sync state), apply the real changes to WordPress in batches with a bounded number
// in flight, record the outcome per user, then save the cursor — page after page, so a crash
// resumes at the first page not applied. A full listing ends by deprovisioning the users it
// did not contain. A dry run plans and reports but writes nothing, neither to WordPress nor
// to the sync state or cursor.
//
// Its parts: plan.ts (what a user becomes), recovery.ts (collided creates), run-report.ts
// (counts, details, audit of failures), run-photos.ts (avatars), run-groups.ts (group
// changes for the role map), run-cursor.ts (the cursor and the directory it belongs to).
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Logger } from '../logger.js';
import type {
  CanonicalUser,
  Connector,
  PullOptions,
  SourceDeletion,
  SourcePage,
} from '../connectors/types.js';
import { CursorExpiredError } from '../connectors/types.js';
import type { Run, Store, SyncStateInput } from '../store/types.js';
import { isCollision } from '../provisioning/index.js';
import {
  MappingError,
  inboundMappings,
  mapUser,
  mappingFingerprint,
  roleGroups,
  rolesFor,
  sameRoles,
  sourcePaths,
  wantsPhotos,
} from './mapping.js';
import type { MappedUser } from './mapping.js';
import { MemoryBudget } from './memory.js';
import type { PhotoJob, PlannedOp } from './plan.js';
import { deprovisionOp, dryRunStatus, failedState, planUser, stateInput } from './plan.js';
import { recoverCollision } from './recovery.js';
import { RunCursor, sourceIdentity } from './run-cursor.js';
import { applyGroupChanges } from './run-groups.js';
import { RunReport } from './run-report.js';
import type { RunProgress } from './run-report.js';
import { applyPhotos } from './run-photos.js';
import type { OperationResult, SourceConnection, SyncConfig, WordPressGateway } from './types.js';

export type { PhotoJob, PlannedOp } from './plan.js';
export type { RunProgress } from './run-report.js';

export interface RunDeps {
  store: Store;
  /**
   * The run record was reopened after an interruption: continue from the cursor and the
   * record's counts, even when the run began as a full sync.
   */
  resumed?: boolean;
  wordpress: WordPressGateway;
  connector: Connector;
  source: SourceConnection;
  config: SyncConfig;
  logger: Logger;
  signal: AbortSignal;
  /** Called after every batch with the live progress (kept in memory, persisted per page). */
  onProgress?: (progress: RunProgress) => void;
  /**
   * The audit source of failures WordPress never saw (default `run:<id>`); writes outside a
   * run name their connection (`connection:<slug>`) so the connection's log finds them.
   */
  auditSource?: string;
}

/** Thrown when the run was cancelled; the engine records the run as cancelled. */
export class RunCancelled extends Error {
  override name = 'RunCancelled';
}

const RELINK_PAGE = 500;

export class SyncRun {
  private readonly report: RunReport;
  private readonly dryRun: boolean;
  private readonly batchSize: number;
  private readonly batchConcurrency: number;
  private readonly photos: boolean;
  private readonly pull: PullOptions;
  private readonly cursor: RunCursor;
  private readonly mappings;
  private scanId: string | null = null;
  /** Incremental runs: users whose groups changed, and users this run already upserted. */
  private readonly affected = new Set<string>();
  private readonly upserted = new Set<string>();
  /** Dry run of a full listing: who was seen (only kept when there is state to compare). */
  private dryRunSeen: Set<string> | null = null;
  private readonly memory = new MemoryBudget();

  constructor(
    private readonly run: Run,
    private readonly deps: RunDeps,
  ) {
    this.dryRun = run.dryRun;
    this.report = new RunReport({
      run,
      dryRun: run.dryRun,
      source: deps.source.slug,
      auditSource: deps.auditSource ?? `run:${run.id}`,
      wordpress: deps.wordpress,
      logger: deps.logger,
    });
    this.batchSize = Math.min(Math.max(deps.source.batchSize ?? 100, 1), 500);
    this.batchConcurrency = Math.min(Math.max(deps.source.batchConcurrency ?? 2, 1), 8);
    this.photos = deps.source.photos && wantsPhotos(deps.config);
    this.mappings = inboundMappings(deps.config);
    this.pull = {
      groupNames: roleGroups(deps.config.roleMap, deps.source.slug),
      attributes: sourcePaths(deps.config),
      photos: this.photos,
      signal: deps.signal,
    };
    this.cursor = new RunCursor(
      deps.store,
      deps.source.slug,
      mappingFingerprint(deps.config, this.photos, deps.source.slug),
      sourceIdentity(deps.source),
    );
  }

  get progress(): RunProgress {
    return this.report.progress;
  }

  /** Persists the counts with every batch, so an interruption loses none of them. */
  private async persistProgress(): Promise<void> {
    if (this.dryRun) return;
    const progress = this.progress;
    await this.deps.store.updateRun(this.run.id, {
      processed: progress.processed,
      total: progress.total,
      counts: progress.counts,
      details: progress.details,
    });
  }

  async execute(): Promise<RunProgress> {
    const { store, source } = this.deps;
    let saved = await this.cursor.load();
    if (saved && saved.identity !== this.cursor.identity) {
      // The connection now points at another directory (or was deleted and created again
      // under the same slug): its cursor, sync state and groups are not this one's.
      this.deps.logger.warn({ source: source.slug }, 'the source changed; starting afresh');
      if (!this.dryRun) await store.resetSource(source.slug);
      saved = null;
    }
    let connectorCursor: string | null = saved?.connector ?? null;
    this.scanId = saved?.scan ?? null;
    const freshStart = this.run.full && !this.deps.resumed;
    if (freshStart || !saved || saved.fingerprint !== this.cursor.fingerprint) {
      // A full listing from scratch: the first sync, an admin's "full sync", or a mapping
      // change that can alter any user.
      connectorCursor = null;
      this.scanId = null;
    }

    if ((await store.countSyncStates(source.slug)) === 0) await this.relink();
    if (saved?.reconcile && !this.dryRun) await this.reconcile(saved.reconcile);

    let expiredOnce = false;
    for (;;) {
      try {
        await this.consume(this.deps.connector.pull(connectorCursor, this.pull));
        break;
      } catch (error) {
        if (!(error instanceof CursorExpiredError) || expiredOnce) throw error;
        // The source no longer accepts the saved cursor: start a full listing, once.
        expiredOnce = true;
        this.deps.logger.warn({ source: source.slug, reason: error.message }, 'cursor expired');
        connectorCursor = null;
        this.scanId = null;
      }
    }

    if (this.scanId) {
      const scan = this.scanId;
      this.scanId = null;
      if (!this.dryRun) {
        await this.cursor.save({ connector: this.lastCursor, scan: null, reconcile: scan });
      }
      await this.reconcile(scan);
      if (!this.dryRun) {
        await this.cursor.save({ connector: this.lastCursor, scan: null, reconcile: null });
      }
    } else {
      await this.applyRoleChanges();
    }
    return this.progress;
  }

  /**
   * Applies these users as the source describes them now, outside the change feed ("Sync
   * now" of chosen users): planned and written like a page of a run, but no cursor moves and
   * no one is deprovisioned. Users the source no longer has are the caller's to report.
   */
  async applyUsers(users: CanonicalUser[]): Promise<RunProgress> {
    if (users.length === 0) return this.progress;
    const planned = await this.planUpserts(users, false);
    this.memory.check();
    await this.applyOps(planned.ops);
    const photos = [...planned.photos];
    for (const item of planned.ops) {
      if (item.photo && item.change.wpUserId !== null && item.applied) {
        photos.push({ ...item.photo, wpUserId: item.change.wpUserId });
      }
    }
    await this.applyPhotos(photos);
    this.report.addProcessed(users.length);
    await this.report.flushAudit();
    this.notify();
    return this.progress;
  }

  /**
   * Deprovisions these users as a page's deletions would (the source's real-time feed said
   * they left), outside the change feed: no cursor moves.
   */
  async applyDeletes(deletes: SourceDeletion[]): Promise<RunProgress> {
    if (deletes.length === 0) return this.progress;
    await this.applyOps(await this.planDeletes(deletes));
    this.report.addProcessed(deletes.length);
    await this.report.flushAudit();
    this.notify();
    return this.progress;
  }

  private lastCursor: string | null = null;

  /** Applies pages one after the other, fetching the next while the current one is written. */
  private async consume(pages: AsyncIterable<SourcePage>): Promise<void> {
    const iterator = pages[Symbol.asyncIterator]();
    let next = iterator.next();
    for (;;) {
      const result = await next;
      if (result.done) break;
      this.checkCancelled();
      next = iterator.next();
      // Keep the prefetch from surfacing as an unhandled rejection while this page applies.
      next.catch(() => undefined);
      await this.applyPage(result.value);
    }
  }

  private async applyPage(page: SourcePage): Promise<void> {
    const { store, source } = this.deps;
    this.report.beginPage();
    if (page.full) {
      this.report.full = true;
      if (!this.scanId) {
        this.scanId = randomUUID();
        // A new full listing rebuilds group memberships from scratch. A dry run leaves them
        // alone (it reports roles from the memberships known so far): rebuilt half-way, they
        // would be lost to the incremental runs that follow.
        if (this.pull.groupNames.length > 0 && !this.dryRun) {
          await store.deleteUnseenGroups(source.slug, this.scanId);
        }
        if (this.dryRun && (await store.countSyncStates(source.slug)) > 0) {
          this.dryRunSeen = new Set();
        }
      }
    }
    if (page.total !== undefined) this.report.total = page.total;
    if (page.groups && page.groups.length > 0 && !this.dryRun) {
      await applyGroupChanges(page.groups, {
        store,
        source: source.slug,
        full: page.full,
        scanId: this.scanId,
        affected: this.affected,
      });
    }
    const ops: PlannedOp[] = [];
    const photos: PhotoJob[] = [];
    if (page.upserts.length > 0) {
      const planned = await this.planUpserts(page.upserts, page.full);
      ops.push(...planned.ops);
      photos.push(...planned.photos);
    }
    if (page.deletes.length > 0) ops.push(...(await this.planDeletes(page.deletes)));
    this.memory.check();
    await this.applyOps(ops);
    // Photos of users whose write succeeded (their WordPress id is known now).
    for (const item of ops) {
      if (item.photo && item.change.wpUserId !== null && item.applied) {
        photos.push({ ...item.photo, wpUserId: item.change.wpUserId });
      }
    }
    await this.applyPhotos(photos);
    this.report.endPage(page.upserts.length + page.deletes.length);
    await this.report.flushAudit();
    this.notify();
    this.lastCursor = page.nextCursor;
    if (!this.dryRun) {
      await this.cursor.save({ connector: page.nextCursor, scan: this.scanId, reconcile: null });
      await this.persistProgress();
    }
    this.memory.check();
  }

  private async planUpserts(
    users: CanonicalUser[],
    full: boolean,
  ): Promise<{ ops: PlannedOp[]; photos: PhotoJob[] }> {
    const { store, source, config } = this.deps;
    const ids = users.map((user) => user.externalId);
    const states = await store.getSyncStates(source.slug, ids);
    const needGroups = config.roleMap.rules.length > 0 && users.some((user) => !user.groups);
    const groupsOf = needGroups ? await store.groupsOfUsers(source.slug, ids) : new Map();
    const ops: PlannedOp[] = [];
    const photos: PhotoJob[] = [];
    const seen: string[] = [];

    for (const user of users) {
      if (!full) this.upserted.add(user.externalId);
      if (this.dryRunSeen) this.dryRunSeen.add(user.externalId);
      const state = states.get(user.externalId);
      let mapped: MappedUser;
      try {
        mapped = mapUser(user, this.mappings);
      } catch (error) {
        if (!(error instanceof MappingError)) throw error;
        this.report.fail(
          user.externalId,
          null,
          state?.wpUserId ? 'update' : 'create',
          'usersync_mapping',
          error.message,
          { audit: true, userId: state?.wpUserId ?? null },
        );
        if (!this.dryRun) {
          await store.saveSyncStates(source.slug, [
            failedState(user.externalId, state, error.message, this.scanId),
          ]);
        }
        continue;
      }
      const roles = rolesFor(
        user.groups ?? (groupsOf.get(user.externalId) as string[] | undefined) ?? [],
        config.roleMap,
        source.slug,
      );
      const plan = planUser(user, mapped, state, roles, {
        photos: this.photos,
        scanId: this.scanId,
        writes: this.deps.connector.writes,
      });
      // Linked users a full listing contains are still at the source.
      const linked = state && state.wpUserId !== null && state.status !== 'failed';
      if (full && linked) seen.push(user.externalId);
      if (plan.kind === 'write') ops.push(plan.item);
      else if (plan.kind === 'skipped' && plan.withheld) {
        this.report.withheld(user.externalId, plan.withheld);
      } else this.report.unchanged(user.externalId);
      if (plan.kind === 'unchanged' && plan.photo) photos.push(plan.photo);
    }
    if (seen.length > 0 && this.scanId && !this.dryRun) {
      await store.markSeen(source.slug, seen, this.scanId);
    }
    return { ops, photos };
  }

  private async planDeletes(deletes: SourceDeletion[]): Promise<PlannedOp[]> {
    const { store, source } = this.deps;
    const states = await store.getSyncStates(
      source.slug,
      deletes.map((d) => d.externalId),
    );
    const ops: PlannedOp[] = [];
    const removal = this.deps.connector.removal ?? 'disable';
    for (const deletion of deletes) {
      this.upserted.add(deletion.externalId);
      // The source's users stay as they are when they leave it.
      if (removal === 'ignore') continue;
      const state = states.get(deletion.externalId);
      if (!state || state.wpUserId === null) {
        if (state && !this.dryRun) await store.deleteSyncStates(source.slug, [deletion.externalId]);
        continue;
      }
      const permanent = deletion.permanent || removal === 'delete';
      if (!permanent && state.status === 'deprovisioned') {
        this.report.unchanged(deletion.externalId);
        continue;
      }
      ops.push(deprovisionOp(state, permanent ? 'delete' : 'deprovision', removal === 'delete'));
    }
    return ops;
  }

  /**
   * Users a full listing did not contain are gone from the source: deprovision them (delete
   * them, or leave them alone, as the source's `removal` says).
   */
  private async reconcile(scanId: string): Promise<void> {
    const { store, source } = this.deps;
    if (this.pull.groupNames.length > 0 && !this.dryRun) {
      await store.deleteUnseenGroups(source.slug, scanId);
    }
    const removal = this.deps.connector.removal ?? 'disable';
    if (removal === 'ignore') return;
    let after: string | null = null;
    for (;;) {
      this.checkCancelled();
      const batch = await store.listUnseen(source.slug, scanId, after, 500);
      if (batch.length === 0) break;
      after = batch.at(-1)!.externalId;
      const ops: PlannedOp[] = [];
      for (const state of batch) {
        if (this.dryRun && this.dryRunSeen?.has(state.externalId)) continue;
        if (this.dryRun && !this.dryRunSeen) continue;
        if (state.wpUserId === null) {
          if (!this.dryRun) await store.deleteSyncStates(source.slug, [state.externalId]);
          continue;
        }
        ops.push(
          removal === 'delete'
            ? deprovisionOp(state, 'delete', true)
            : deprovisionOp(state, 'deprovision'),
        );
      }
      await this.applyOps(ops);
      this.notify();
    }
  }

  /** Incremental runs: users whose groups changed but who did not change themselves. */
  private async applyRoleChanges(): Promise<void> {
    const { store, source, config } = this.deps;
    if (config.roleMap.rules.length === 0) return;
    const ids = [...this.affected].filter((id) => !this.upserted.has(id));
    for (let i = 0; i < ids.length; i += 500) {
      this.checkCancelled();
      const part = ids.slice(i, i + 500);
      const [states, groups] = await Promise.all([
        store.getSyncStates(source.slug, part),
        store.groupsOfUsers(source.slug, part),
      ]);
      const ops: PlannedOp[] = [];
      for (const id of part) {
        const state = states.get(id);
        if (!state || state.wpUserId === null || state.status === 'deprovisioned') continue;
        const roles = rolesFor(groups.get(id) ?? [], config.roleMap, source.slug);
        if (sameRoles(state.roles, roles)) continue;
        ops.push({
          op: { ref: '', action: 'update', id: state.wpUserId, user: { roles: roles ?? [] } },
          externalId: id,
          login: null,
          next: { ...stateInput(state), roles },
          change: {
            action: 'update',
            externalId: id,
            login: null,
            wpUserId: state.wpUserId,
            fields: ['roles'],
          },
        });
      }
      await this.applyOps(ops);
      this.notify();
    }
  }

  /** Sends planned operations in batches, `batchConcurrency` at a time, and records results. */
  private async applyOps(planned: PlannedOp[]): Promise<void> {
    if (planned.length === 0) return;
    if (this.dryRun) {
      for (const item of planned) this.report.record(item.change, dryRunStatus(item));
      return;
    }
    const batches: PlannedOp[][] = [];
    for (let i = 0; i < planned.length; i += this.batchSize) {
      batches.push(planned.slice(i, i + this.batchSize));
    }
    const retries: PlannedOp[] = [];
    let halted = false;
    const limit = pLimit(this.batchConcurrency);
    // Every batch in flight finishes (and is recorded) before a failure or a cancel goes up.
    const outcomes = await Promise.allSettled(
      batches.map((batch) =>
        limit(async () => {
          if (halted) return; // no new batch after a failure
          this.checkCancelled();
          try {
            retries.push(...(await this.applyBatch(batch)));
          } catch (error) {
            halted = true;
            throw error;
          }
          this.notify();
        }),
      ),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    if (retries.length > 0) await this.applyOps(retries);
  }

  /** One batch request; returns the operations to try again in another form. */
  private async applyBatch(batch: PlannedOp[]): Promise<PlannedOp[]> {
    const { wordpress, source, store } = this.deps;
    batch.forEach((item, index) => {
      item.op.ref = String(index);
    });
    const results = await wordpress.applyUsers(
      source.slug,
      `run:${this.run.id}`,
      batch.map((item) => item.op),
    );
    const byRef = new Map<string, OperationResult>(results.map((r) => [r.ref, r]));
    const save: SyncStateInput[] = [];
    const forget: string[] = [];
    const retries: PlannedOp[] = [];

    for (const [index, item] of batch.entries()) {
      const result = byRef.get(String(index));
      if (!result) {
        this.report.fail(
          item.externalId,
          item.login,
          item.op.action,
          'usersync_no_result',
          'WordPress returned no result for this operation',
        );
        continue;
      }
      if (result.ok) {
        const wpUserId = result.user?.id ?? item.op.id ?? null;
        if (result.status === 'deleted' || item.forget) {
          forget.push(item.externalId);
        } else if (item.next) {
          const deprovisioned = item.op.action === 'deprovision';
          save.push({
            ...item.next,
            wpUserId,
            status: deprovisioned
              ? 'deprovisioned'
              : result.user && !result.user.active
                ? 'disabled'
                : item.next.status,
          });
        }
        item.change.wpUserId = wpUserId;
        // The login WordPress holds (a suffixed one when the planned login was taken).
        if (item.change.login !== null && result.user?.login) item.change.login = result.user.login;
        item.applied = true;
        this.report.record(item.change, item.replayedCreate ? 'created' : result.status);
        continue;
      }
      const error = result.error;
      // A create (or the update adopting an account for one) that collided with an existing
      // account: provisioning's planner decides, from the accounts involved, what comes next.
      if (
        isCollision(error.code) &&
        (item.op.action === 'create' || (item.adopting && error.code === 'usersync_login_exists'))
      ) {
        const outcome = await recoverCollision(item, error, this.deps);
        if (outcome === 'retry') {
          retries.push(item);
          continue;
        }
        const planned = item.mapped?.fields.login ?? item.login;
        this.report.fail(item.externalId, planned, item.op.action, error.code, outcome);
        save.push(failedState(item.externalId, null, outcome, this.scanId, item.op.id ?? null));
        continue;
      }
      // The linked user was deleted or unlinked in WordPress: create it again.
      if (item.op.action === 'update' && error.status === 404 && item.mapped && !item.retried) {
        item.op = {
          ref: '',
          action: 'create',
          // A create decides the login again (updates carry none).
          user: { ...item.op.user, login: item.mapped.fields.login, externalId: item.externalId },
        };
        item.retried = true;
        item.change.action = 'create';
        item.change.wpUserId = null;
        if (item.next) item.next = { ...item.next, wpUserId: null, photoVersion: null };
        if (item.photo) item.photo.version = item.photo.photo?.version ?? null;
        retries.push(item);
        continue;
      }
      if (item.op.action !== 'create' && error.status === 404) {
        // Deprovisioning a user WordPress no longer has: nothing left to do.
        forget.push(item.externalId);
        continue;
      }
      this.report.fail(item.externalId, item.login, item.op.action, error.code, error.message);
      save.push(failedState(item.externalId, null, error.message, this.scanId, item.op.id ?? null));
    }
    // Counts first: a stop between the two writes replays the page without counting twice.
    await this.persistProgress();
    if (save.length > 0) await store.saveSyncStates(source.slug, save);
    if (forget.length > 0) await store.deleteSyncStates(source.slug, forget);
    return retries;
  }

  private async applyPhotos(jobs: PhotoJob[]): Promise<void> {
    await applyPhotos(jobs, {
      wordpress: this.deps.wordpress,
      store: this.deps.store,
      source: this.deps.source.slug,
      runId: this.run.id,
      dryRun: this.dryRun,
      signal: this.deps.signal,
      report: this.report,
      checkCancelled: () => this.checkCancelled(),
    });
  }

  private notify(): void {
    this.deps.onProgress?.(this.progress);
  }

  private checkCancelled(): void {
    if (this.deps.signal.aborted) throw new RunCancelled('The run was cancelled');
  }

  /** Re-creates the sync state from WordPress's identity links (a new or lost store). */
  private async relink(): Promise<void> {
    const { wordpress, store, source } = this.deps;
    for (let page = 1; ; page++) {
      this.checkCancelled();
      const { users } = await wordpress.listLinkedUsers(source.slug, page, RELINK_PAGE);
      const states: SyncStateInput[] = users
        .filter((user) => user.externalId)
        .map((user) => ({
          externalId: user.externalId!,
          wpUserId: user.id,
          hash: null,
          roles: null,
          photoVersion: null,
          status: user.active ? 'active' : 'disabled',
          error: null,
        }));
      // Reading WordPress's truth into the sidecar's bookkeeping: a dry run does it too.
      await store.saveSyncStates(source.slug, states);
      if (users.length < RELINK_PAGE) break;
    }
  }
}
