// The two contracts a connector (one folder per external system) implements, whatever the
// system behind it (Microsoft Graph, a peer WordPress, Salesforce, …): a pull source
// (`Connector`, read by engine/) and a push target (`OutboundTarget`, fed by outbound/). A
// connector provides one or both; engine/ and outbound/ know nothing else about it, and
// build it through registry.ts.
//
// Glossary
// - canonical user: a source user in SCIM shape (core User + enterprise extension + source
//   extras such as B2C `identities`), which the attribute map reads with SCIM paths.
// - page: one batch of changes from the source; the engine applies it, then saves its
//   `nextCursor`, so a crash resumes at the first page not applied.
// - full listing: pages that list every user of the source (first sync, B2C scans, expired
//   cursors); users such a listing does not contain are gone and get deprovisioned.

import type { Store } from '../store/types.js';
import type {
  AttributeMapping,
  ChangeAction,
  OutboxChange,
  PeerSettings,
  SourceConnection,
  SyncConfig,
} from '../wordpress/types.js';

// =======================================================================================
// Pull sources

/** A user as the source describes it, in SCIM shape. */
export interface CanonicalUser {
  /** The source's stable id for the user: the identity link's external id. */
  externalId: string;
  /**
   * SCIM-shaped attributes: `userName`, `name.givenName`, `emails[]`, `phoneNumbers[]`,
   * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` … plus source extras.
   */
  attributes: Record<string, unknown>;
  /** False when the account is disabled in the source. */
  active: boolean;
  /**
   * Display names of the user's groups when the connector reads them with the user. When
   * absent, the engine uses the memberships it tracked from `groups` pages.
   */
  groups?: string[];
  /** The profile photo, if the source has one and photos were asked for. */
  photo?: SourcePhoto | null;
}

export interface SourcePhoto {
  /** Changes whenever the picture changes (e.g. Graph's media ETag). */
  version: string;
  /** Downloads the picture; only called when `version` differs from the one applied. */
  load(): Promise<{ contentType: string; data: Buffer }>;
}

/** A user that left the source. */
export interface SourceDeletion {
  externalId: string;
  /**
   * True when the user is gone for good (hard delete); false when it may come back (e.g.
   * Entra's recycle bin), so WordPress keeps the identity link.
   */
  permanent: boolean;
}

/** A group change, feeding the role map. */
export interface GroupChange {
  externalId: string;
  /** Null when the group was deleted. */
  displayName: string | null;
  /** Members (external user ids): the complete list, or what was added and removed. */
  members?: { all: string[] } | { added: string[]; removed: string[] };
}

export interface SourcePage {
  upserts: CanonicalUser[];
  deletes: SourceDeletion[];
  /** Group changes, delivered before the user pages they affect. */
  groups?: GroupChange[];
  /** Where the next page (or, after the last page, the next run) starts. */
  nextCursor: string | null;
  /** This page belongs to a full listing of the source. */
  full: boolean;
  /** How many users the source holds, when it says. */
  total?: number;
}

export interface PullOptions {
  /** Group display names the role map refers to; empty when roles are not mapped. */
  groupNames: string[];
  /** Source attribute paths the attribute map reads (to select only those). */
  attributes: string[];
  /** Fetch profile photos. */
  photos: boolean;
  signal?: AbortSignal;
}

/**
 * What a source's real-time feed reports in one batch (e.g. Salesforce Change Data Capture):
 * which users changed — by id only, the engine fetches them as the source describes them
 * now — which left, and whether changes were lost. Applied in order; `cursor` is saved once
 * the batch is applied, so a crash replays from the last applied batch.
 */
export interface SourceNotification {
  /** External ids of users created, changed or restored (distinct). */
  upserts: string[];
  /** Users that left the source, by the source's delete policy. */
  deletes: SourceDeletion[];
  /**
   * Changes were lost (the feed overflowed, or the saved position is older than the feed
   * keeps): only a full run brings the source and WordPress back in line.
   */
  gap: boolean;
  /** Where the feed resumes after this batch. */
  cursor: string;
  /**
   * Where the feed resumes to replay this batch: the position before it (a feed started
   * without a cursor learns its position from its first batch).
   */
  since: string;
  /** Commit time of the oldest change in the batch (epoch ms), for the delay metric. */
  committedAt: number | null;
  /** Changes skipped as this connection's own writes (echoes of pushes). */
  echoes: number;
}

export interface WatchOptions {
  signal: AbortSignal;
}

export interface ConnectionCheck {
  /** What was checked, e.g. "Sign in", "Read users (User.Read.All)". */
  name: string;
  ok: boolean;
  message: string;
}

export interface ConnectionTest {
  ok: boolean;
  checks: ConnectionCheck[];
  /** Permissions the application lacks, by their exact names (e.g. `User.Read.All`). */
  missingPermissions: string[];
}

export interface Connector {
  /** The kind of source, e.g. `microsoft-graph`. */
  readonly kind: string;
  /**
   * A source that brings its own field map (e.g. Salesforce's object maps): the engine maps
   * this source's users with these rows instead of the site attribute map. Absent: the site
   * attribute map.
   */
  readonly attributeMap?: AttributeMapping[];
  /**
   * What pulls of this source may write in WordPress (e.g. Salesforce's `operations` of its
   * object maps): `create` — a source user with no linked WordPress user becomes one;
   * `update` — linked users take the source's changes. What a source may not write is left
   * alone and counted unchanged (the run's details count what was withheld). Absent: both.
   */
  readonly writes?: { readonly create: boolean; readonly update: boolean };
  /**
   * What a user leaving the source does to its linked WordPress user, for deletions the
   * source reports and for the users a full listing lacks: `disable` (absent: the default)
   * deprovisions it under the site's policy; `delete` deletes it (the site's reassign policy
   * applies); `ignore` leaves it as it is.
   */
  readonly removal?: 'disable' | 'delete' | 'ignore';
  /**
   * Changes since `cursor` as a stream of pages; from scratch (a full listing) when
   * `cursor` is null or the source cannot pull increments. Throws `CursorExpiredError`
   * when the source no longer accepts the cursor.
   */
  pull(cursor: string | null, options: PullOptions): AsyncIterable<SourcePage>;
  /** A full listing of the source: `pull(null)`. */
  fullScan(options: PullOptions): AsyncIterable<SourcePage>;
  /** Checks credentials and permissions; says exactly what is missing. */
  testConnection(options: PullOptions): Promise<ConnectionTest>;
  /**
   * One person as the source describes them right now, looked up by the source's id or by
   * sign-in name / email (with their groups when the role map names groups); null when the
   * source has no such person. Absent on sources that cannot be asked for one person.
   */
  getUser?(lookup: string, options: PullOptions): Promise<CanonicalUser | null>;
  /**
   * The source's real-time change feed from `cursor` (null: from now on), batch after batch
   * until `options.signal` aborts; throws when the feed fails (the engine restarts it from
   * the last saved cursor). Absent on sources without one (the scheduled pull is all).
   */
  watch?(cursor: string | null, options: WatchOptions): AsyncIterable<SourceNotification>;
  /**
   * The current profile photos of these users (null: none), for sources whose change feed
   * does not report photo changes. Users the source could not answer for are absent.
   */
  photos?(
    externalIds: string[],
    options: { signal?: AbortSignal },
  ): Promise<Map<string, SourcePhoto | null>>;
}

/** The source refused the cursor (expired or unknown): the engine starts a full listing. */
export class CursorExpiredError extends Error {
  override name = 'CursorExpiredError';
}

/** A failure talking to the source that retries did not fix; stops the run. */
export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    message: string,
    /** HTTP status, or 0 when the source could not be reached. */
    readonly status: number,
    /** The source's error code, e.g. Graph's `Authorization_RequestDenied`. */
    readonly code: string,
  ) {
    super(message);
  }
}

/** A pull source: what engine/ runs. */
export type PullSource = Connector;

// =======================================================================================
// Push targets
//
// - user change: the changes of one user within one page of the outbox feed, merged.
//   Targets bring the user's *current* state over, so merging loses nothing and replays
//   are harmless.
// - origin: `local` for a change made in WordPress, else the connection whose write it was;
//   a change is never delivered to the target whose connection it came from (no echo).

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

/**
 * What a push target is built from: a peer WordPress site (pushes on), or a connection whose
 * settings say it receives pushes (Salesforce, `push: true`). The slug names the target's
 * cursor, lease, outbound states and dead letters.
 */
export type PushTargetSpec =
  | { kind: 'wordpress-peer'; slug: string; name: string; peer: PeerSettings }
  | { kind: 'salesforce'; slug: string; name: string; connection: SourceConnection };

/** What targets are built from: the pipeline's shared services. */
export interface TargetDeps {
  store: Store;
}

/** A push target: what outbound/ delivers to. */
export type PushTarget = OutboundTarget;
