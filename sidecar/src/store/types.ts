// The sidecar's durable state: runs, cursors and the migrations that shape them.
//
// Glossary
// - source: something users are synced from or to, e.g. `graph:contoso` or `peer:child-site`.
// - run: one pass of a sync over a source (scheduled, on demand or catch-up), with live
//   progress and final counts.
// - cursor: where the next incremental run of a source starts (a delta link, a watermark, an
//   outbox id); saved only after the page it follows has been applied.
// - sync state: per source and external id, the WordPress user it is linked to and the hash of
//   the mapped attributes last applied, so unchanged users cause no WordPress write.
// - scan: one full listing of a source (possibly spread over several runs after a crash); users
//   the scan did not see are gone from the source and get deprovisioned.
// - source group: a group in the source, tracked (with members) to feed the role map.
// - outbound target: a system WordPress user changes are pushed to (e.g. a peer WordPress site);
//   named by its connection slug, whose writes to WordPress carry that origin.
// - outbound state: per target and local user, the target's id for the user and the mapped
//   values last sent and confirmed, so unchanged users are not sent again and two-way
//   conflicts can be told apart from echoes.
// - dead letter: a change that could not be delivered to a target after its retries.
// - lease: a named, expiring claim, so that one replica at a time delivers to a target.
// - lease holder: the owner of a lease by name; writes guarded by a lease (cursor saves,
//   command claims) succeed only while that owner holds it unexpired, so a replica that
//   stalled past its lease can write nothing after another took over.
// - command: a request (a full push, a dead-letter retry) stored for the replica that owns
//   the work to carry out, whichever replica received it; its state and result are stored.
// - fenced run write: a write a run makes (status, progress, heartbeat, end, cursor) that
//   succeeds only while the run is still running under the replica that writes it.
// - signal: a short message one replica sends to every replica sharing the store (itself
//   included), e.g. "this SCIM token was revoked"; not stored, so a replica that was not
//   listening hears `null` ("you may have missed some") and resynchronises instead.
//
// Two implementations satisfy `Store`: SQLite (embedded default, one process) and PostgreSQL
// (`DATABASE_URL`, several replicas sharing one database).

/**
 * `interrupted`: the run stopped on an outage (or its process stopped) and is resumed from its
 * cursor, continuing the same run record.
 */
export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
/** `realtime-gap`: a full run started because the source's real-time feed lost changes. */
export type RunTrigger = 'schedule' | 'on-demand' | 'catch-up' | 'realtime-gap';

export interface RunCounts {
  created: number;
  updated: number;
  unchanged: number;
  disabled: number;
  deleted: number;
  failed: number;
}

export const emptyCounts = (): RunCounts => ({
  created: 0,
  updated: 0,
  unchanged: 0,
  disabled: 0,
  deleted: 0,
  failed: 0,
});

/** A user the run could not apply, with the reason (kept for the first 100 per run). */
export interface RunFailure {
  externalId: string;
  login: string | null;
  action: string;
  code: string;
  message: string;
}

/** A change a run made or (dry run) would make (the first 100 per run). */
export interface RunChange {
  action: 'create' | 'update' | 'disable' | 'reactivate' | 'deprovision' | 'delete';
  externalId: string;
  login: string | null;
  wpUserId: number | null;
  /** Names of the WordPress fields that differ, when known. */
  fields?: string[];
}

/** What a running run waits for (a throttled or unreachable system), for its live status. */
export interface RunWaiting {
  /** `Microsoft Graph`, `WordPress`, `the store`. */
  target: string;
  reason: 'throttled' | 'unavailable';
  /** When the next attempt is made, and since when the system has failed (ISO 8601). */
  until: string;
  since: string;
  /** E.g. "waiting for Microsoft Graph (throttled) until 10:42:07 UTC". */
  message: string;
}

export interface RunDetails {
  failures: RunFailure[];
  changes: RunChange[];
  /** Set while the run waits out an outage. */
  waiting?: RunWaiting | null;
  /** How many times the run was interrupted and resumed. */
  interruptions?: number;
  /**
   * Source users left alone because the source may not write them (its connector's
   * `writes`): people with no WordPress user not created, linked users not updated.
   * Counted among the unchanged.
   */
  withheld?: { create: number; update: number };
  /**
   * External ids already counted in the page under way: a resumed run replays that page and
   * must not count them twice.
   */
  pageCounted?: string[];
}

export const emptyDetails = (): RunDetails => ({ failures: [], changes: [] });

export interface Run {
  id: string;
  source: string;
  trigger: RunTrigger;
  state: RunState;
  dryRun: boolean;
  /** A full listing of the source (reconciles vanished users) rather than an incremental pull. */
  full: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  processed: number;
  total: number | null;
  counts: RunCounts;
  error: string | null;
  /** The sidecar process executing the run (`host:pid:random`). */
  owner: string | null;
  /** Last sign of life of the executing process; a stale one means it died. */
  heartbeatAt: string | null;
  /** The schedule tick a scheduled run belongs to (one run per tick across replicas). */
  scheduleSlot: string | null;
  cancelRequested: boolean;
  details: RunDetails;
}

export interface NewRun {
  source: string;
  trigger: RunTrigger;
  dryRun?: boolean;
  full?: boolean;
  owner?: string;
  scheduleSlot?: string;
  /** An interrupted run of the source to continue (reopened) instead of a new one. */
  resume?: string;
}

export type RunUpdate = Partial<
  Pick<
    Run,
    | 'state'
    | 'startedAt'
    | 'finishedAt'
    | 'processed'
    | 'total'
    | 'counts'
    | 'error'
    | 'full'
    | 'heartbeatAt'
    | 'cancelRequested'
    | 'details'
    | 'owner'
  >
>;

/**
 * The condition a fenced run write carries: a replica whose run was taken over (its heartbeat
 * went stale while it was paused) matches nothing and writes nothing.
 */
export interface RunGuard {
  owner?: string;
  states: RunState[];
}

/** A run and the replica executing it, for writes made on the run's behalf. */
export interface RunHolder {
  id: string;
  owner: string;
}

/** Result of asking for a run: the new run, or the one already active for the source. */
export interface RunClaim {
  run: Run;
  /** False when another active run (or the same schedule tick) already existed. */
  created: boolean;
}

export type SyncStatus = 'active' | 'disabled' | 'deprovisioned' | 'failed';

/** What the sidecar last applied to WordPress for one source user. */
export interface SyncState {
  source: string;
  externalId: string;
  wpUserId: number | null;
  /** Hash of the mapped attributes last applied (without roles and photo). */
  hash: string | null;
  /** Roles last applied, null when the sync does not manage roles. */
  roles: string[] | null;
  /** Version (e.g. media ETag) of the profile photo last applied. */
  photoVersion: string | null;
  status: SyncStatus;
  /** The last full scan that saw this user in the source. */
  seenScan: string | null;
  error: string | null;
  updatedAt: string;
}

export type SyncStateInput = Omit<SyncState, 'source' | 'updatedAt' | 'seenScan'> & {
  seenScan?: string | null;
};

export interface SourceGroup {
  externalId: string;
  displayName: string;
}

export interface Cursor {
  source: string;
  value: string;
  updatedAt: string;
}

export interface StoreHealth {
  ok: boolean;
  kind: 'sqlite' | 'postgres';
  schemaVersion: number;
  error?: string;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies the numbered migrations not applied yet; safe to call from several replicas. */
  migrate(): Promise<number>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;

  createRun(run: NewRun): Promise<Run>;
  /**
   * Updates a run; with `guard`, only while the run is in one of `guard.states` (and, when
   * given, owned by `guard.owner`): null when no run matched, and nothing was written.
   */
  updateRun(id: string, update: RunUpdate, guard?: RunGuard): Promise<Run | null>;
  getRun(id: string): Promise<Run | null>;
  listRuns(options?: { source?: string; limit?: number }): Promise<Run[]>;

  /**
   * Creates a queued run unless the source already has a queued or running run (or, for a
   * scheduled run, the same schedule tick already has a run): then returns that one. Atomic
   * across replicas sharing the store.
   */
  claimRun(run: NewRun): Promise<RunClaim>;
  /** The queued or running run of a source, if any. */
  activeRun(source: string): Promise<Run | null>;
  /**
   * Marks queued/running runs as interrupted with `error`: those of `source` (or all sources)
   * whose heartbeat is older than `staleBefore`, or whose owner is in `owners`.
   */
  interruptRuns(options: {
    source?: string;
    staleBefore?: string;
    owners?: string[];
    error: string;
  }): Promise<Run[]>;

  getCursor(source: string): Promise<Cursor | null>;
  saveCursor(source: string, value: string): Promise<Cursor>;
  /**
   * Saves a cursor only while the run `run.id` is running and owned by `run.owner` (its
   * owner was not replaced by a replica that took the run over); null when not.
   */
  saveCursorOfRun(source: string, value: string, run: RunHolder): Promise<Cursor | null>;
  deleteCursor(source: string): Promise<void>;

  getSyncStates(source: string, externalIds: string[]): Promise<Map<string, SyncState>>;
  saveSyncStates(source: string, states: SyncStateInput[]): Promise<void>;
  deleteSyncStates(source: string, externalIds: string[]): Promise<void>;
  countSyncStates(source: string): Promise<number>;
  /** Records that the scan `scanId` saw these users. */
  markSeen(source: string, externalIds: string[], scanId: string): Promise<void>;
  /**
   * Users applied before (not deprovisioned) that the scan `scanId` did not see, in external
   * id order after `after`, at most `limit`.
   */
  listUnseen(
    source: string,
    scanId: string,
    after: string | null,
    limit: number,
  ): Promise<SyncState[]>;
  /** Forgets everything about a source (its cursor, sync states and groups). */
  resetSource(source: string): Promise<void>;

  saveGroups(source: string, groups: SourceGroup[], scanId?: string): Promise<void>;
  deleteGroups(source: string, externalIds: string[]): Promise<void>;
  /** Groups (with members) that the scan `scanId` did not see; they are gone from the source. */
  deleteUnseenGroups(source: string, scanId: string): Promise<string[]>;
  /** Replaces (`all`) or edits (`add`/`remove`) the members of a group. */
  setGroupMembers(
    source: string,
    groupId: string,
    change: { all?: string[]; add?: string[]; remove?: string[] },
  ): Promise<void>;
  /** Member external ids of the given groups. */
  groupMembers(source: string, groupIds: string[]): Promise<string[]>;
  /** Display names of the groups each user belongs to. */
  groupsOfUsers(source: string, userIds: string[]): Promise<Map<string, string[]>>;

  /** Outbound state of local users for a target (users without state are absent). */
  getOutboundStates(target: string, userIds: number[]): Promise<Map<number, OutboundState>>;
  saveOutboundStates(target: string, states: OutboundStateInput[]): Promise<void>;
  deleteOutboundStates(target: string, userIds: number[]): Promise<void>;
  /** Forgets everything about a target (its states and dead letters). */
  resetOutboundTarget(target: string): Promise<void>;

  addDeadLetter(letter: NewDeadLetter): Promise<DeadLetter>;
  getDeadLetter(id: number): Promise<DeadLetter | null>;
  /** Newest first; unresolved only unless `includeResolved`. */
  listDeadLetters(options?: {
    target?: string;
    includeResolved?: boolean;
    limit?: number;
  }): Promise<DeadLetter[]>;
  /** Marks dead letters resolved (delivered on retry, or superseded). */
  resolveDeadLetters(ids: number[]): Promise<void>;
  /** Unresolved dead letters per target. */
  countDeadLetters(): Promise<Map<string, number>>;

  /**
   * Takes or renews the lease `name` for `owner` for `ttlMs`: true when `owner` holds it now
   * (it was free, expired, or already its own). Atomic across replicas sharing the store.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives a lease up (only when `owner` holds it). */
  releaseLease(name: string, owner: string): Promise<void>;

  /** Sends a signal to every replica listening on the topic (this one included). */
  signal(topic: SignalTopic, message: string): Promise<void>;
  /**
   * Listens on a topic; resolves once listening. The listener gets each message, or `null`
   * when messages may have been lost (the connection to the database dropped and came back).
   * Returns the function that stops listening.
   */
  onSignal(topic: SignalTopic, listener: SignalListener): Promise<() => void>;

  /**
   * Renews the lease `name` only while `owner` holds it and it has not expired: false when it
   * expired or another owner took it, and the work it guards must stop.
   */
  renewLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Saves a cursor only while `lease.owner` holds `lease.name` unexpired; null when not. */
  saveCursorLeased(source: string, value: string, lease: LeaseHolder): Promise<Cursor | null>;

  addCommand(command: NewCommand): Promise<Command>;
  getCommand(id: string): Promise<Command | null>;
  /**
   * Marks up to `limit` queued commands of `scope` running by `lease.owner`, oldest first, and
   * returns them; none unless that owner holds `lease.name` unexpired. Atomic across replicas.
   */
  claimCommands(scope: string, lease: LeaseHolder, limit?: number): Promise<Command[]>;
  /** Records the outcome of a running command; null unless `owner` is running it. */
  finishCommand(id: string, owner: string, outcome: CommandOutcome): Promise<Command | null>;
  /** Queues again the running commands of `scope` not run by `owner` (their owner is gone). */
  requeueCommands(scope: string, owner: string): Promise<number>;

  /**
   * Takes one request from the token bucket `key` (`burst` at once, refilled at
   * `perSecond`, on the database's clock): 0 when it may go ahead, else the seconds to wait.
   * Atomic across replicas sharing the store, so they share one allowance.
   */
  takeRateToken(key: string, limit: { perSecond: number; burst: number }): Promise<number>;
}

/** Topics of signals between replicas. */
export type SignalTopic =
  | 'scim-token-revoked'
  | 'command'
  /** A cancel of a run, for the replica executing it (message: the run id). */
  | 'run-cancel'
  /** The plugin told one replica that the sources changed (message: the sending replica). */
  | 'sources-reload'
  /** The plugin nudged one replica about the change feed (JSON: sending replica, reload). */
  | 'outbound-nudge';

export interface LeaseHolder {
  name: string;
  owner: string;
}

export type CommandState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface Command {
  id: string;
  /** The work it belongs to, named like that work's lease (e.g. `outbound:child`). */
  scope: string;
  kind: string;
  payload: Record<string, unknown>;
  state: CommandState;
  /** The replica carrying it out (once claimed). */
  owner: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** `id` defaults to a new UUID (a command may take the id of what it starts, e.g. a run). */
export type NewCommand = Pick<Command, 'scope' | 'kind' | 'payload'> & { id?: string };

export interface CommandOutcome {
  state: 'succeeded' | 'failed';
  result?: Record<string, unknown> | null;
  error?: string | null;
}

export type SignalListener = (message: string | null) => void;

/** Mapped values by WordPress target name (`first_name`, `meta:title`, …); null = empty. */
export type MappedValues = Record<string, string | null>;

/** What this site last sent to and confirmed with one outbound target, for one local user. */
export interface OutboundState {
  target: string;
  /** The local WordPress user id. */
  userId: number;
  /** The target's id for the user, once known. */
  remoteId: string | null;
  /** The mapped values (and `active`) last sent and accepted. */
  sent: MappedValues | null;
  /** The same attributes as the target held them after that write (or the last read). */
  confirmed: MappedValues | null;
  /** Hash of `sent`: an equal hash means there is nothing to send. */
  hash: string | null;
  /** Roles last sent (as memberships of groups named after them), null when never sent. */
  roles: string[] | null;
  /** The target's version (ETag) of the user after the last write or read. */
  remoteVersion: string | null;
  updatedAt: string;
}

export type OutboundStateInput = Omit<OutboundState, 'target' | 'updatedAt'>;

export interface DeadLetter {
  id: number;
  target: string;
  /** The outbox row that could not be delivered (0 for a full push). */
  outboxId: number;
  userId: number;
  action: string;
  changed: string[];
  origin: string;
  code: string;
  message: string;
  attempts: number;
  createdAt: string;
  resolvedAt: string | null;
}

export type NewDeadLetter = Omit<DeadLetter, 'id' | 'createdAt' | 'resolvedAt'>;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}
