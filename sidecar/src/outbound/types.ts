// The outbound side: WordPress user changes delivered to targets (a peer WordPress site now;
// Salesforce and Graph write-back later). The pipeline knows nothing about any target beyond
// `OutboundTarget`.
//
// Glossary
// - change: one row of the plugin's outbox (user, action, changed attributes, origin).
// - origin: `local` for a change made in WordPress, else the connection whose write it was. A
//   change is never delivered to the target whose connection it came from (no echo).
// - user change: the changes of one user within one page of the feed, merged. Targets bring
//   the user's *current* state over, so merging loses nothing and replays are harmless.
// - cursor: per target, the last outbox id it has fully handled (delivered, skipped or
//   dead-lettered); the plugin is acknowledged up to the lowest cursor of all targets.
// - dead letter: a user change that failed for good after its retries; kept in the store,
//   written to the audit log, and retried on request.
import type { SyncConfig } from '../engine/types.js';
import type { Store } from '../store/types.js';

// The outbox rows are defined once, with their schema, in wordpress/.
export type { ChangeAction, OutboxChange } from '../wordpress/types.js';
import type { ChangeAction, OutboxChange } from '../wordpress/types.js';

/** The changes of one user in one page, merged in order. */
export interface UserChange {
  userId: number;
  /** Outbox ids merged, ascending. */
  ids: number[];
  /** Actions seen, in order of first appearance. */
  actions: ChangeAction[];
  /** Union of the changed attributes. */
  changed: string[];
  origins: string[];
  /** createdAt of the first merged change (for delivery delay). */
  firstAt: string;
}

/** What delivering one user change did. */
export interface DeliveryOutcome {
  userId: number;
  status: 'created' | 'updated' | 'deleted' | 'unchanged' | 'excluded';
  /** Requests sent to the target for it. */
  requests: number;
}

/** Why delivering one user change failed; `transient` failures are retried without limit. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    /** Stable code, e.g. `peer_unreachable`, `uniqueness`, `invalidValue`. */
    readonly code: string,
    /** True when waiting may fix it (target down, throttled, token refused). */
    readonly transient: boolean,
    /** HTTP status from the target, 0 when it did not answer. */
    readonly status = 0,
    /** Seconds the target asked to wait (Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export type DeliveryResult =
  { ok: true; outcome: DeliveryOutcome } | { ok: false; error: DeliveryError };

/** What a target may use while delivering. */
export interface DeliveryContext {
  config: SyncConfig;
  signal: AbortSignal;
}

export interface PushProgress {
  processed: number;
  total: number | null;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

export interface PushContext {
  config: SyncConfig;
  signal: AbortSignal;
  /** Called after every page; throw (or abort) to stop. */
  onProgress(progress: PushProgress): Promise<void>;
  /** Records a user the push could not bring over (a dead letter). */
  onFailure(userId: number, error: DeliveryError): Promise<void>;
}

/** The state a target reports for the Overview. */
export interface TargetDescription {
  slug: string;
  name: string;
  kind: string;
  /** Where it delivers (no secrets). */
  endpoint: string | null;
  /** True when the target also writes to this site (conflicts are checked). */
  twoWay: boolean;
}

export interface OutboundTarget {
  /** The connection slug: changes with this origin are not delivered to it. */
  readonly slug: string;
  readonly kind: string;
  describe(): TargetDescription;
  /** Whether a change concerns the target at all (mapped attributes, roles, passwords). */
  covers(change: OutboxChange, config: SyncConfig): boolean;
  /**
   * Brings the target up to date for these users (distinct users; any order between them).
   * Never throws for one user's failure: each gets its own result.
   */
  deliver(changes: UserChange[], context: DeliveryContext): Promise<Map<number, DeliveryResult>>;
  /** Pushes every existing user (on demand), skipping those the target already has. */
  fullPush(context: PushContext): Promise<PushProgress>;
}

/** What targets are built from: the pipeline's shared services. */
export interface TargetDeps {
  store: Store;
}
