// One run of one source: pull pages from the connector, plan each page (map, hash, compare
// with the sync state), apply the real changes to WordPress in batches with a bounded number
// in flight, record the outcome per user, then save the cursor — page after page, so a crash
// resumes at the first page not applied. A full listing ends by deprovisioning the users it
// did not contain. A dry run plans and reports but writes nothing, neither to WordPress nor
// to the sync state or cursor.
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Logger } from '../logger.js';
import type {
  CanonicalUser,
  Connector,
  GroupChange,
  PullOptions,
  SourceDeletion,
  SourcePage,
  SourcePhoto,
} from '../connectors/types.js';
import { CursorExpiredError } from '../connectors/types.js';
import type {
  Run,
  RunChange,
  RunCounts,
  RunDetails,
  RunFailure,
  Store,
  SyncState,
  SyncStateInput,
} from '../store/types.js';
import { emptyCounts, emptyDetails } from '../store/types.js';
import { isCollision } from '../provisioning/index.js';
import {
  MappingError,
  changedFields,
  hashOf,
  inboundMappings,
  mapUser,
  mappingFingerprint,
  readPath,
  roleGroups,
  rolesFor,
  sameRoles,
  sourcePaths,
  wantsPhotos,
} from './mapping.js';
import type { MappedUser } from './mapping.js';
import { MemoryBudget } from './memory.js';
import { recoverCollision } from './recovery.js';
import type {
  AuditEntry,
  AvatarItem,
  AvatarResult,
  OperationResult,
  SourceConnection,
  SyncConfig,
  UserOperation,
  WordPressGateway,
  WpUserInput,
} from './types.js';

/** What the engine keeps as a source's cursor: the connector's cursor plus scan bookkeeping. */
interface EngineCursor {
  v: 1;
  /** The connector's own cursor (opaque here). */
  connector: string | null;
  /** The full listing under way (spans runs after a crash), if any. */
  scan: string | null;
  /** A full listing that ended but whose vanished users are not deprovisioned yet. */
  reconcile: string | null;
  /** Mapping fingerprint the cursor was made with; another one means re-plan everyone. */
  fingerprint: string;
  /** Which directory the cursor belongs to; another one means start this source afresh. */
  identity?: string;
}

/** Settings that say which directory a source reads (not how): a change means another one. */
const IDENTITY_SETTINGS = [
  'tenantId',
  'b2c',
  'cloud',
  'graphUrl',
  'authorityUrl',
  'url',
  'instanceUrl',
];

export interface RunProgress {
  processed: number;
  total: number | null;
  counts: RunCounts;
  details: RunDetails;
  full: boolean;
}

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

const MAX_DETAILS = 100;

const AVATARS_PER_REQUEST = 20;
const RELINK_PAGE = 500;

/** One user write a page plans, with what the run records when it is applied. */
export interface PlannedOp {
  op: UserOperation;
  externalId: string;
  login: string | null;
  /** The state to save when the operation succeeds. */
  next: SyncStateInput | null;
  /** Drop the state instead (user deleted from WordPress). */
  forget?: boolean;
  mapped?: MappedUser;
  /** Already a fallback attempt: no further fallback. */
  retried?: boolean;
  /**
   * Logins a create tried before this one (the planned login, login-2 …): the planned login
   * belongs to someone else. Counted apart from `retried`, which guards the one-off fallbacks.
   */
  loginAttempt?: number;
  /** The person's own identifier at the source (its userName), for the recovery planner. */
  userName?: string;
  /** The update adopting an existing account for a create. */
  adopting?: boolean;
  /** WordPress accepted the operation. */
  applied?: boolean;
  /**
   * A create whose answer never reached the sidecar (lost, or the process stopped), sent again
   * as an update of the user it made: nobody counted that creation, so this one does.
   */
  replayedCreate?: boolean;
  change: RunChange;
  /** A changed profile photo to send once the user write succeeded. */
  photo?: PhotoJob;
}

export interface PhotoJob {
  externalId: string;
  wpUserId: number | null;
  /** The new picture, or null to remove the avatar. */
  photo: SourcePhoto | null;
  version: string | null;
}

export class SyncRun {
  private readonly counts: RunCounts;
  private readonly details: RunDetails;
  /** Users of the pages completed (the page under way adds `pageCounted`). */
  private processed: number;
  /**
   * Users whose outcome is counted in the page under way; a run resumed after an
   * interruption starts with those its page counted before, so a replay counts them once.
   */
  private pageCounted: Set<string>;
  private replayed: Set<string>;
  private inPage = false;
  private total: number | null = null;
  private full = false;
  private readonly dryRun: boolean;
  private readonly batchSize: number;
  private readonly batchConcurrency: number;
  private readonly photos: boolean;
  private readonly pull: PullOptions;
  private readonly fingerprint: string;
  private readonly mappings;
  private scanId: string | null = null;
  /** Incremental runs: users whose groups changed, and users this run already upserted. */
  private readonly affected = new Set<string>();
  private readonly upserted = new Set<string>();
  /** Dry run of a full listing: who was seen (only kept when there is state to compare). */
  private dryRunSeen: Set<string> | null = null;
  private warnedAvatar = false;
  private readonly memory = new MemoryBudget();
  /** Failures WordPress never saw (so never audited): written to the audit log per page. */
  private readonly audit: AuditEntry[] = [];

  constructor(
    private readonly run: Run,
    private readonly deps: RunDeps,
  ) {
    this.dryRun = run.dryRun;
    // A reopened run continues its record: what happened before the interruption stays.
    this.counts = { ...emptyCounts(), ...run.counts };
    this.details = {
      ...emptyDetails(),
      failures: [...(run.details?.failures ?? [])],
      changes: [...(run.details?.changes ?? [])],
      interruptions: run.details?.interruptions ?? 0,
    };
    this.replayed = new Set(run.details?.pageCounted ?? []);
    this.pageCounted = new Set(this.replayed);
    this.processed = Math.max(0, (run.processed ?? 0) - this.replayed.size);
    this.total = run.total ?? null;
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
    this.fingerprint = mappingFingerprint(deps.config, this.photos, deps.source.slug);
    const settings = deps.source.settings;
    this.identity = hashOf({
      type: deps.source.type,
      createdAt: deps.source.createdAt ?? null,
      settings: Object.fromEntries(
        IDENTITY_SETTINGS.filter((key) => key in settings).map((key) => [key, settings[key]]),
      ),
    }).slice(0, 16);
  }

  private readonly identity: string;

  get progress(): RunProgress {
    return {
      processed: this.processed + this.pageCounted.size,
      total: this.total,
      counts: { ...this.counts },
      details: this.dryRun ? this.details : { ...this.details, pageCounted: [...this.pageCounted] },
      full: this.full,
    };
  }

  /**
   * Whether to count an outcome for this user: once per page, and not again for a user the
   * interrupted run counted before it stopped in the page now replayed.
   */
  private counts1(externalId: string): boolean {
    if (!this.inPage) return true;
    if (this.pageCounted.has(externalId)) return false;
    this.pageCounted.add(externalId);
    return true;
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
    let saved = await this.loadCursor();
    if (saved && saved.identity !== this.identity) {
      // The connection now points at another directory (or was deleted and created again
      // under the same slug): its cursor, sync state and groups are not this one's.
      this.deps.logger.warn({ source: source.slug }, 'the source changed; starting afresh');
      if (!this.dryRun) await store.resetSource(source.slug);
      saved = null;
    }
    let connectorCursor: string | null = saved?.connector ?? null;
    this.scanId = saved?.scan ?? null;
    const freshStart = this.run.full && !this.deps.resumed;
    if (freshStart || !saved || saved.fingerprint !== this.fingerprint) {
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
        await this.saveCursor({ connector: this.lastCursor, scan: null, reconcile: scan });
      }
      await this.reconcile(scan);
      if (!this.dryRun) {
        await this.saveCursor({ connector: this.lastCursor, scan: null, reconcile: null });
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
    this.processed += users.length;
    await this.flushAudit();
    this.report();
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
    this.inPage = true;
    if (page.full) {
      this.full = true;
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
    if (page.total !== undefined) this.total = page.total;
    if (page.groups && page.groups.length > 0 && !this.dryRun) {
      await this.applyGroups(page.groups, page.full);
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
    this.processed += page.upserts.length + page.deletes.length;
    this.pageCounted.clear();
    this.replayed.clear();
    this.inPage = false;
    await this.flushAudit();
    this.report();
    this.lastCursor = page.nextCursor;
    if (!this.dryRun) {
      await this.saveCursor({ connector: page.nextCursor, scan: this.scanId, reconcile: null });
      await this.persistProgress();
    }
    this.memory.check();
  }

  private async applyGroups(groups: GroupChange[], full: boolean): Promise<void> {
    const { store, source } = this.deps;
    const slug = source.slug;
    for (const group of groups) {
      if (group.displayName === null) {
        if (!full)
          for (const id of await store.groupMembers(slug, [group.externalId]))
            this.affected.add(id);
        await store.deleteGroups(slug, [group.externalId]);
        continue;
      }
      if (!full) {
        // A rename can change every member's roles.
        for (const id of await store.groupMembers(slug, [group.externalId])) this.affected.add(id);
      }
      await store.saveGroups(
        slug,
        [{ externalId: group.externalId, displayName: group.displayName }],
        this.scanId ?? undefined,
      );
      if (!group.members) continue;
      if ('all' in group.members) {
        await store.setGroupMembers(slug, group.externalId, { all: group.members.all });
        if (!full) group.members.all.forEach((id) => this.affected.add(id));
      } else {
        await store.setGroupMembers(slug, group.externalId, {
          add: group.members.added,
          remove: group.members.removed,
        });
        if (!full) {
          group.members.added.forEach((id) => this.affected.add(id));
          group.members.removed.forEach((id) => this.affected.add(id));
        }
      }
    }
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
        this.fail(
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
      const photoVersion = user.photo?.version ?? null;
      const linked = state && state.wpUserId !== null && state.status !== 'failed' ? state : null;
      const photoJob = (appliedVersion: string | null): PhotoJob | undefined =>
        this.photos && photoVersion !== appliedVersion
          ? {
              externalId: user.externalId,
              wpUserId: linked?.wpUserId ?? null,
              photo: user.photo ?? null,
              version: photoVersion,
            }
          : undefined;

      if (linked) {
        if (full) seen.push(user.externalId);
        const photo = photoJob(linked.photoVersion);
        if (linked.hash === mapped.hash && sameRoles(linked.roles, roles)) {
          if (this.counts1(user.externalId)) this.counts.unchanged++;
          if (photo) photos.push(photo);
          continue;
        }
        const fields: WpUserInput = { ...mapped.fields };
        if (roles) fields.roles = roles;
        // The link exists: resending the external id would only make WordPress look it up.
        delete fields.externalId;
        // A login is decided when the user is created; updates never rename it.
        delete fields.login;
        const wasOff = linked.status === 'deprovisioned' || linked.status === 'disabled';
        const action = mapped.fields.active ? (wasOff ? 'reactivate' : 'update') : 'disable';
        ops.push({
          op: { ref: '', action: 'update', id: linked.wpUserId!, user: fields },
          externalId: user.externalId,
          login: mapped.fields.login,
          mapped,
          photo,
          next: {
            externalId: user.externalId,
            wpUserId: linked.wpUserId,
            hash: mapped.hash,
            roles,
            photoVersion: linked.photoVersion,
            status: mapped.fields.active ? 'active' : 'disabled',
            error: null,
            seenScan: this.scanId,
          },
          change: {
            action,
            externalId: user.externalId,
            login: mapped.fields.login,
            wpUserId: linked.wpUserId,
            fields: linked.hash === mapped.hash ? ['roles'] : undefined,
          },
        });
        continue;
      }

      if (!mapped.fields.active) {
        // Accounts disabled at the source are not created in WordPress.
        if (this.counts1(user.externalId)) this.counts.unchanged++;
        continue;
      }
      const fields: WpUserInput = { ...mapped.fields };
      if (roles) fields.roles = roles;
      ops.push({
        op: { ref: '', action: 'create', user: fields },
        externalId: user.externalId,
        login: mapped.fields.login,
        userName: readPath(user.attributes, 'userName') ?? undefined,
        mapped,
        photo: photoJob(null),
        next: {
          externalId: user.externalId,
          wpUserId: null,
          hash: mapped.hash,
          roles,
          photoVersion: null,
          status: 'active',
          error: null,
          seenScan: this.scanId,
        },
        change: {
          action: 'create',
          externalId: user.externalId,
          login: mapped.fields.login,
          wpUserId: null,
          fields: changedFields(null, { ...mapped.fields }).filter((f) => f !== 'externalId'),
        },
      });
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
    for (const deletion of deletes) {
      this.upserted.add(deletion.externalId);
      const state = states.get(deletion.externalId);
      if (!state || state.wpUserId === null) {
        if (state && !this.dryRun) await store.deleteSyncStates(source.slug, [deletion.externalId]);
        continue;
      }
      if (!deletion.permanent && state.status === 'deprovisioned') {
        if (this.counts1(deletion.externalId)) this.counts.unchanged++;
        continue;
      }
      ops.push(this.deprovisionOp(state, deletion.permanent ? 'delete' : 'deprovision'));
    }
    return ops;
  }

  private deprovisionOp(state: SyncState, action: 'delete' | 'deprovision'): PlannedOp {
    return {
      op: { ref: '', action, id: state.wpUserId! },
      externalId: state.externalId,
      login: null,
      next:
        action === 'delete'
          ? null
          : {
              externalId: state.externalId,
              wpUserId: state.wpUserId,
              hash: null,
              roles: null,
              photoVersion: state.photoVersion,
              status: 'deprovisioned',
              error: null,
            },
      forget: action === 'delete',
      change: {
        action: action === 'delete' ? 'delete' : 'deprovision',
        externalId: state.externalId,
        login: null,
        wpUserId: state.wpUserId,
      },
    };
  }

  /** Users a full listing did not contain are gone from the source: deprovision them. */
  private async reconcile(scanId: string): Promise<void> {
    const { store, source } = this.deps;
    if (this.pull.groupNames.length > 0 && !this.dryRun) {
      await store.deleteUnseenGroups(source.slug, scanId);
    }
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
        ops.push(this.deprovisionOp(state, 'deprovision'));
      }
      await this.applyOps(ops);
      this.report();
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
      this.report();
    }
  }

  /** Sends planned operations in batches, `batchConcurrency` at a time, and records results. */
  private async applyOps(planned: PlannedOp[]): Promise<void> {
    if (planned.length === 0) return;
    if (this.dryRun) {
      for (const item of planned) this.record(item.change, dryRunStatus(item));
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
          this.report();
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
        this.fail(
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
        this.record(item.change, item.replayedCreate ? 'created' : result.status);
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
        this.fail(item.externalId, planned, item.op.action, error.code, outcome);
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
      this.fail(item.externalId, item.login, item.op.action, error.code, error.message);
      save.push(failedState(item.externalId, null, error.message, this.scanId, item.op.id ?? null));
    }
    // Counts first: a stop between the two writes replays the page without counting twice.
    await this.persistProgress();
    if (save.length > 0) await store.saveSyncStates(source.slug, save);
    if (forget.length > 0) await store.deleteSyncStates(source.slug, forget);
    return retries;
  }

  /** Downloads changed photos and hands them to WordPress as the users' avatars. */
  private async applyPhotos(jobs: PhotoJob[]): Promise<void> {
    const { wordpress, source, store } = this.deps;
    const ready = jobs.filter((job) => job.wpUserId !== null);
    if (ready.length === 0) return;
    if (this.dryRun) {
      for (const job of ready) {
        if (this.details.changes.length < MAX_DETAILS) {
          this.details.changes.push({
            action: 'update',
            externalId: job.externalId,
            login: null,
            wpUserId: job.wpUserId,
            fields: ['avatar'],
          });
        }
      }
      return;
    }
    const applied: { externalId: string; version: string | null }[] = [];
    // A few pictures per request: they are small, but not tiny.
    for (let i = 0; i < ready.length; i += AVATARS_PER_REQUEST) {
      this.checkCancelled();
      const part = ready.slice(i, i + AVATARS_PER_REQUEST);
      // Downloads a few at a time; a picture that cannot be downloaded is skipped.
      const loaded = await pLimit(4).map(part, async (job): Promise<AvatarItem | null> => {
        try {
          if (!job.photo) return { id: job.wpUserId!, remove: true };
          const photo = await job.photo.load();
          return {
            id: job.wpUserId!,
            contentType: photo.contentType,
            data: photo.data.toString('base64'),
            version: job.photo.version,
          };
        } catch (error) {
          if (this.deps.signal.aborted) throw error;
          this.warnPhoto(job, error);
          return null;
        }
      });
      const items = loaded.filter((item): item is AvatarItem => item !== null);
      const sent = part.filter((_, index) => loaded[index] !== null);
      if (items.length === 0) continue;
      let results: AvatarResult[];
      try {
        results = await wordpress.setAvatars(source.slug, `run:${this.run.id}`, items);
      } catch (error) {
        if (this.deps.signal.aborted) throw error;
        // Leave the applied versions as they were: the next run that sees the users retries.
        this.warnPhoto(sent[0]!, error);
        continue;
      }
      const byId = new Map(results.map((result) => [result.id, result]));
      for (const job of sent) {
        const result = byId.get(job.wpUserId!);
        if (result?.ok) applied.push({ externalId: job.externalId, version: job.version });
        else this.warnPhoto(job, new Error(result ? result.error.message : 'no result'));
      }
    }
    if (applied.length === 0) return;
    const states = await store.getSyncStates(
      source.slug,
      applied.map((a) => a.externalId),
    );
    await store.saveSyncStates(
      source.slug,
      applied
        .filter((a) => states.has(a.externalId))
        .map((a) => ({ ...stateInput(states.get(a.externalId)!), photoVersion: a.version })),
    );
  }

  private warnPhoto(job: PhotoJob, error: unknown): void {
    this.audit.push({
      source: `run:${this.run.id}`,
      action: 'update',
      result: 'failure',
      userId: job.wpUserId,
      userLogin: job.externalId,
      fields: ['avatar'],
      message: `Profile photo not applied: ${(error as Error).message ?? String(error)}`,
      runId: this.run.id,
    });
    if (this.warnedAvatar) return;
    this.warnedAvatar = true;
    this.deps.logger.warn(
      { source: this.deps.source.slug, externalId: job.externalId, err: error },
      'profile photo not applied',
    );
  }

  private record(change: RunChange, status: string): void {
    if (!this.counts1(change.externalId)) return;
    switch (status) {
      case 'created':
        this.counts.created++;
        break;
      case 'unchanged':
        this.counts.unchanged++;
        break;
      case 'disabled':
        this.counts.disabled++;
        break;
      case 'deleted':
        this.counts.deleted++;
        break;
      default:
        this.counts.updated++;
    }
    if (status !== 'unchanged' && this.details.changes.length < MAX_DETAILS) {
      this.details.changes.push(change);
    }
  }

  private fail(
    externalId: string,
    login: string | null,
    action: string,
    code: string,
    message: string,
    audit: { audit: boolean; userId?: number | null } = { audit: false },
  ) {
    if (!this.counts1(externalId)) return;
    this.counts.failed++;
    if (audit.audit && !this.dryRun) {
      this.audit.push({
        source: this.deps.auditSource ?? `run:${this.run.id}`,
        action,
        result: 'failure',
        userId: audit.userId ?? null,
        userLogin: login ?? externalId,
        fields: [],
        message: `${message} (external id ${externalId})`,
        runId: this.run.id,
      });
    }
    if (this.details.failures.length < MAX_DETAILS) {
      const failure: RunFailure = { externalId, login, action, code, message };
      this.details.failures.push(failure);
    }
    this.deps.logger.warn(
      { source: this.deps.source.slug, externalId, login, action, code, message },
      'user not applied',
    );
  }

  /** Writes the pending audit entries; the log is best effort and never stops a run. */
  private async flushAudit(): Promise<void> {
    if (this.audit.length === 0) return;
    const entries = this.audit.splice(0);
    try {
      await this.deps.wordpress.writeAudit(entries);
    } catch (error) {
      this.deps.logger.warn({ err: error, entries: entries.length }, 'audit entries not written');
    }
  }

  private report(): void {
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

  private async loadCursor(): Promise<EngineCursor | null> {
    const cursor = await this.deps.store.getCursor(this.deps.source.slug);
    if (!cursor) return null;
    try {
      const parsed = JSON.parse(cursor.value) as EngineCursor;
      return parsed.v === 1 ? parsed : null;
    } catch {
      return null;
    }
  }

  private async saveCursor(value: Omit<EngineCursor, 'v' | 'fingerprint'>): Promise<void> {
    const cursor: EngineCursor = {
      v: 1,
      ...value,
      fingerprint: this.fingerprint,
      identity: this.identity,
    };
    await this.deps.store.saveCursor(this.deps.source.slug, JSON.stringify(cursor));
  }
}

function stateInput(state: SyncState): SyncStateInput {
  return {
    externalId: state.externalId,
    wpUserId: state.wpUserId,
    hash: state.hash,
    roles: state.roles,
    photoVersion: state.photoVersion,
    status: state.status,
    error: state.error,
  };
}

function failedState(
  externalId: string,
  state: SyncState | undefined | null,
  error: string,
  scanId: string | null,
  wpUserId: number | null = state?.wpUserId ?? null,
): SyncStateInput {
  return {
    externalId,
    wpUserId,
    hash: null,
    roles: state?.roles ?? null,
    photoVersion: state?.photoVersion ?? null,
    // A failed user keeps its link, if it had one, so the next run updates rather than creates.
    status: wpUserId !== null ? 'active' : 'failed',
    error,
    seenScan: scanId,
  };
}

function dryRunStatus(item: PlannedOp): string {
  switch (item.op.action) {
    case 'create':
      return 'created';
    case 'delete':
      return 'deleted';
    case 'deprovision':
      return 'disabled';
    default:
      return item.change.action === 'disable' ? 'disabled' : 'updated';
  }
}
