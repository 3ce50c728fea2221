/**
 * Shapes of the plugin's REST answers (namespace `usersync/v1`), as agreed in the
 * contracts between the plugin, the sidecar and this app.
 *
 * Glossary:
 * - connection: the slug (`[a-z0-9-]{1,64}`) that names one identity provider link; users
 *   created through a connection's tokens are linked to it.
 * - SCIM token: a bearer secret an identity provider sends to the sidecar's SCIM service.
 *   WordPress keeps only its hash; it is shown once, when it is created.
 * - sidecar: the Node service that speaks SCIM and runs the sync work.
 */

/** Result of the sidecar's own `/healthz`, as relayed by the plugin. */
export interface SidecarHealth {
  /** `ok` when every check passed, `degraded` otherwise. */
  status?: 'ok' | 'degraded' | string;
  /** Version of the sidecar. */
  version?: string;
  /** The sidecar's store (SQLite or PostgreSQL). */
  store?: { ok: boolean; kind?: string; error?: string };
  /** Whether the sidecar can reach WordPress with its service credentials. */
  wordpress?: { ok: boolean; error?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** What the plugin knows about the sidecar. */
export interface SidecarStatus {
  /** Whether `USERSYNC_SIDECAR_URL` is set. */
  configured: boolean;
  /** The configured sidecar URL. */
  url: string | null;
  /** Whether `GET {url}/healthz` answered. */
  reachable: boolean;
  /** The `/healthz` answer, when there was one. */
  health: SidecarHealth | null;
  /** Why the probe failed, when it did. */
  error: string | null;
}

/** `GET /usersync/v1/status`. */
export interface Status {
  plugin: { version: string; dbVersion: string | null };
  wordpress: { version: string; php: string; multisite: boolean };
  /** Whether each of the plugin's tables exists, by short name (`outbox`, `audit`, …). */
  tables: Record<string, boolean>;
  sidecar: SidecarStatus;
}

/** A SCIM token as listed: never the secret itself. */
export interface Token {
  /** `tok_…` */
  id: string;
  name: string;
  /** Connection slug the token belongs to. */
  connection: string;
  /** First characters of the token, to recognise it (`us_ab12`). */
  prefix: string;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601, or null when the token was never used. */
  lastUsedAt: string | null;
}

/** `POST /usersync/v1/tokens` body. */
export interface CreateTokenInput {
  name: string;
  /** Connection slug; the plugin derives one from the name when it is left out. */
  connection?: string;
}

/** `POST /usersync/v1/tokens` answer: the only time the secret is returned. */
export interface CreatedToken extends Token {
  /** The bearer token, `us_…`. */
  token: string;
  /** The SCIM base URL to configure in the identity provider, or null when unknown. */
  scimUrl: string | null;
}

/** `DELETE /usersync/v1/tokens/<id>` answer. */
export interface RevokedToken {
  deleted: boolean;
  id: string;
}

/** Where an attribute map row applies: pulls into WordPress, pushes out of it, or both. */
export type MappingDirection = 'inbound' | 'outbound' | 'both';

/**
 * How a value is changed on its way in (the plugin's `Config::TRANSFORMS`); `template` builds
 * it from the row's `template` instead of reading `source`.
 */
export type MappingTransform = 'none' | 'lowercase' | 'uppercase' | 'trim' | 'template';

/** One row of the attribute map. */
export interface AttributeMapping {
  /**
   * SCIM attribute path of the source user, e.g. `name.givenName`, `emails[primary].value`;
   * empty on template rows.
   */
  source: string;
  /** `user_login`, `user_email`, …, `avatar` or `meta:<key>`. */
  target: string;
  direction: MappingDirection;
  transform: MappingTransform;
  /** Value used when the source has none (or a template cannot be filled); null for none. */
  default: string | null;
  /**
   * Only with the transform `template` (inbound rows): source paths in braces, e.g.
   * `{name.givenName}.{name.familyName}`. Absent on other rows.
   */
  template?: string | null;
}

/** One group → role rule. */
export interface RoleRule {
  /** Display name of the source group (matched case-insensitively). */
  group: string;
  /** Role slug, e.g. `editor`. */
  role: string;
  /** Orders the roles a user gets from several rules. */
  priority: number;
  /**
   * Connections whose groups the rule applies to; `['*']` for any connection. Left out, the
   * plugin stores `['*']`.
   */
  connections?: string[];
}

/** A connection a role rule can be scoped to: a SCIM token's, a directory's or a peer's. */
export interface RuleConnection {
  slug: string;
  /** What the admin named it (a token, directory connection or peer name). */
  name: string;
}

export interface RoleMap {
  rules: RoleRule[];
  /** Role of users in none of the mapped groups. */
  defaultRole: string;
  /** Whether a rule may grant `administrator`. Off by default. */
  allowAdministrator: boolean;
  /** Per connection slug, what syncs do to existing users' roles; absent means `replace`. */
  updateModes?: Record<string, RoleUpdateMode>;
}

/** `replace` the roles the role map manages, only `add` roles, or `keep` roles as they are. */
export type RoleUpdateMode = 'replace' | 'add' | 'keep';

/** What happens when a source removes or deactivates a user. */
export interface DeprovisionPolicy {
  /** When a source removes a user. */
  action: 'disable' | 'delete';
  /** When a source deactivates a user; stored policies without it disable. */
  deactivate: 'disable' | 'delete';
  /** User who receives the content of deleted users; null deletes their content. */
  reassignTo: number | null;
  /** Whether users not linked to the source (not created by UserSync) may be touched. */
  touchUnlinked: boolean;
  /** Whether administrators may be touched. */
  touchAdministrators: boolean;
  /** Days a deprovisioned user stays disabled before it is deleted (delete policy). */
  graceDays: number;
}

/** `GET /usersync/v1/deprovision/pending`: deletions the grace period has scheduled. */
export interface PendingDeletions {
  /** Users disabled by deprovisioning and waiting for the daily job to delete them. */
  count: number;
  /** When the first of them becomes due (ISO 8601, UTC); null when none waits. */
  nextDueAt: string | null;
  /** The first 100, soonest first. */
  users?: PendingDeletion[];
}

/** One user waiting for the daily job to delete them. */
export interface PendingDeletion {
  id: number;
  login: string;
  /** ISO 8601, UTC. */
  dueAt: string;
  /** The connection whose deprovisioning scheduled it. */
  connection: string | null;
}

export interface AuditSettings {
  /** Entries older than this many days are deleted daily; 0 keeps them forever. */
  retentionDays: number;
}

/** `GET /usersync/v1/config`. */
export interface SyncConfig {
  /** The site's time zone (read-only): an IANA name or an offset such as `+02:00`. */
  siteTimeZone?: string;
  attributeMap: AttributeMapping[];
  /**
   * Whether a source may rename existing users (the value that feeds `user_login` changed).
   * Off by default: logins do not change after creation (plugins before 0.2 left it out).
   */
  renameLogins?: boolean;
  roleMap: RoleMap;
  deprovision: DeprovisionPolicy;
  audit: AuditSettings;
  /** WordPress peers (their tokens never appear). */
  peers?: Peer[];
  /** In the answer to a save of the role map: how many current group members got other roles. */
  rolesUpdated?: number;
}

/** Whose roles saving a role map would change, `POST /usersync/v1/config/role-impact`. */
export interface RoleImpact {
  count: number;
  /** The first 20, by user id. */
  users: { id: number; login: string; connection: string; from: string[]; to: string[] }[];
}

/** A WordPress role, `GET /usersync/v1/roles`. */
export interface Role {
  slug: string;
  /** Name in the site language. */
  name: string;
  /**
   * Whether the role can manage users, plugins or settings (judged by its capabilities):
   * a rule grants it only when the role map allows administrators.
   */
  privileged?: boolean;
}

/** The parts of the plugin's user snapshot the settings page shows. */
export interface UserSummary {
  id: number;
  login: string;
  email: string;
  displayName: string;
  roles: string[];
}

/** One audit log entry. */
export interface AuditEntry {
  id: number;
  /** ISO-8601, UTC. */
  createdAt: string;
  /** WordPress login, `sidecar` or `system`. */
  actor: string;
  /** `scim:<token name>`, `run:<id>`, `wp-admin`, … */
  source: string;
  action: string;
  userId: number | null;
  userLogin: string;
  /** Names of the attributes that changed. */
  fields: string[];
  result: 'success' | 'failure' | 'skipped' | string;
  error: string | null;
  runId: string | null;
  /** The connection a sync's entry belongs to (entries written before it was kept have none). */
  connection?: string | null;
}

/** Filters of the audit log (empty strings are left out of the request). */
export interface AuditFilters {
  source?: string;
  action?: string;
  result?: string;
  /** A login or a user id. */
  user?: string;
  run?: string;
  search?: string;
  /** ISO-8601 date-time, inclusive. */
  after?: string;
  /** ISO-8601 date-time, exclusive. */
  before?: string;
}

/** One page of the audit log. */
export interface AuditPage {
  entries: AuditEntry[];
  total: number;
  totalPages: number;
}

/** `GET /usersync/v1/audit/facets`: values to offer in the filters. */
export interface AuditFacets {
  sources: string[];
  actions: string[];
  /** Whether any entry was written by a run (offers "All runs"). */
  hasRuns: boolean;
}

/** A pull connection as admins see it (`GET /usersync/v1/connections`): secrets never appear. */
export interface Connection {
  /** `[a-z0-9-]{1,64}`; names runs and identity links; never changes. */
  slug: string;
  name: string;
  /** Connector kind: `microsoft-graph` (Entra ID and Azure AD B2C); `salesforce` ones are `SalesforceConnection`s. */
  type: string;
  /** Scheduled runs happen only for enabled connections. */
  enabled: boolean;
  /** Cron expression, or null for Sync now only. */
  schedule: string | null;
  /** Bring profile photos as WordPress profile pictures. */
  photos: boolean;
  tenantId: string;
  clientId: string;
  /** Write-only: reads only say whether one is stored. */
  clientSecret: { set: boolean };
  cloud: 'global' | 'usgov' | 'usgovdod' | 'china';
  /** An Azure AD B2C tenant (every run is a full scan). */
  b2c: boolean;
  authorityUrl: string | null;
  graphUrl: string | null;
  pageSize: number;
  concurrency: number;
  batchSize: number;
  batchConcurrency: number;
  createdAt: string;
  modifiedAt: string;
}

/** Fields sent to create or update a connection; a secret is sent only to set or replace it. */
export type ConnectionInput = Partial<
  Omit<Connection, 'clientSecret' | 'createdAt' | 'modifiedAt'>
> & { clientSecret?: string };

/** How a Salesforce connection signs in. */
export type SalesforceFlow = 'client_credentials' | 'jwt' | 'refresh_token';

/** Who may create, update or delete: `push` (WordPress → Salesforce), `pull` (the reverse). */
export type SalesforceDirection = 'push' | 'pull';

export type SalesforceTransform =
  | 'none'
  | 'lowercase'
  | 'uppercase'
  | 'trim'
  | 'template'
  | 'picklist-map'
  | 'date'
  | 'datetime'
  | 'boolean';

/** One row of an object map's field map. */
export interface SalesforceFieldRow {
  /** WordPress target as in the attribute map: `user_email`, `meta:phone`, `xprofile:Bio`. */
  wp: string;
  /** Salesforce field API name, dotted for a compound field's part (`MailingAddress.city`). */
  sf: string;
  /** `inbound` = Salesforce → WordPress, `outbound` = WordPress → Salesforce. */
  direction: MappingDirection;
  transform: SalesforceTransform;
  /** Used when the source side is empty. */
  default: string | null;
  /** `template` transform: e.g. `{FirstName} {LastName}`. */
  template: string | null;
  /** `picklist-map` transform: WordPress value → Salesforce value. */
  valueMap: Record<string, string> | null;
  /** `propagate`: clearing one side clears the other; `ignore`: empty values are not sent. */
  nulls: 'propagate' | 'ignore';
}

/** How a record is found after the identity link: upsert by an external ID, or a lookup. */
export type SalesforceMatchKey =
  | { kind: 'externalId'; sf: string }
  | { kind: 'idLookup'; sf: string; wp: string; caseInsensitive?: boolean };

/** Which Salesforce object WordPress users sync with, and how. */
export interface SalesforceObjectMap {
  /** `[a-z0-9-]{1,40}`, stable: names the map's sync position. */
  id: string;
  wpObject: 'user';
  sfObject: string;
  recordTypeId: string | null;
  /** SOQL WHERE condition ('' for none). */
  filter: string;
  operations: Record<'create' | 'update' | 'delete', SalesforceDirection[]>;
  match: SalesforceMatchKey[];
  deletePolicy: { pull: 'disable' | 'delete' | 'ignore'; push: 'delete' | 'ignore' };
  conflict: 'last-writer-wins' | 'wordpress-wins' | 'salesforce-wins';
  fields: SalesforceFieldRow[];
}

/** A Salesforce connection as admins see it: its three secrets only as `{ set }`. */
export interface SalesforceConnection {
  slug: string;
  name: string;
  type: 'salesforce';
  enabled: boolean;
  schedule: string | null;
  photos: boolean;
  /** `https://login.salesforce.com`, `https://test.salesforce.com` or the My Domain URL. */
  loginUrl: string;
  flow: SalesforceFlow;
  /** Consumer key of the connected app. */
  clientId: string;
  /** JWT bearer flow: the user signed in as. */
  username: string;
  /** E.g. `62.0`. */
  apiVersion: string;
  callOptionsClient: string;
  apiBudgetShare: number;
  /** Deliver WordPress user changes to Salesforce. */
  push: boolean;
  realtime: 'none' | 'cometd';
  objectMaps: SalesforceObjectMap[];
  batchSize: number;
  batchConcurrency: number;
  clientSecret: { set: boolean };
  privateKey: { set: boolean };
  refreshToken: { set: boolean };
  createdAt: string;
  modifiedAt: string;
}

/** Fields sent to create or update a Salesforce connection; secrets only to set or replace them. */
export type SalesforceConnectionInput = Partial<
  Omit<
    SalesforceConnection,
    'clientSecret' | 'privateKey' | 'refreshToken' | 'createdAt' | 'modifiedAt'
  >
> & { clientSecret?: string; privateKey?: string; refreshToken?: string };

/** An object of the org (`GET …/salesforce/objects`). */
export interface SalesforceObjectSummary {
  name: string;
  label: string;
  queryable: boolean;
  createable: boolean;
  updateable: boolean;
}

/** A field of an object's describe. */
export interface SalesforceFieldInfo {
  name: string;
  label: string;
  type: string;
  length: number;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  defaultedOnCreate: boolean;
  externalId: boolean;
  idLookup: boolean;
  /** createable, not nillable and not defaulted on create: a create without it fails. */
  requiredOnCreate: boolean;
  picklistValues: { value: string; label: string; active: boolean }[];
}

/** `GET …/salesforce/objects/<object>`. */
export interface SalesforceDescribe {
  name: string;
  label: string;
  fields: SalesforceFieldInfo[];
  recordTypes: { id: string; name: string; default: boolean }[];
}

/** One check of Test connection. */
export interface ConnectionCheck {
  /** What was checked, e.g. "Sign in", "Read users (User.Read.All)". */
  name: string;
  ok: boolean;
  message: string;
}

/** `POST /usersync/v1/sources/<slug>/test`. */
export interface ConnectionTest {
  ok: boolean;
  checks: ConnectionCheck[];
  /** Permissions the application lacks, e.g. `User.Read.All`. */
  missingPermissions: string[];
}

/** `interrupted`: stopped by an outage or a restart; the sidecar resumes it on its own. */
export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** What a running run waits for: a throttled or unreachable system. */
export interface RunWaiting {
  target: string;
  reason: 'throttled' | 'unavailable';
  /** When the next attempt is made (ISO 8601). */
  until: string;
  /** E.g. "waiting for Microsoft Graph (throttled) until 10:42:07 UTC". */
  message: string;
}

export interface RunCounts {
  created: number;
  updated: number;
  unchanged: number;
  disabled: number;
  deleted: number;
  failed: number;
}

/** A user a run could not apply. */
export interface RunFailure {
  externalId: string;
  login: string | null;
  action: string;
  code: string;
  message: string;
}

/** A change a run made (or, in a dry run, would make) to one user. */
export interface RunChange {
  action: 'create' | 'update' | 'disable' | 'reactivate' | 'deprovision' | 'delete';
  externalId: string;
  login: string | null;
  wpUserId: number | null;
  /** Names of the WordPress fields that differ, when known. */
  fields?: string[];
}

/** A run of one source, with live progress. */
export interface Run {
  id: string;
  /** The connection's slug. */
  source: string;
  trigger: 'schedule' | 'on-demand' | 'catch-up' | 'realtime-gap' | string;
  state: RunState;
  dryRun: boolean;
  full: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Users handled so far. */
  processed: number;
  /** Users in the run, when the source says (null while unknown). */
  total: number | null;
  counts: RunCounts;
  error: string | null;
  cancelRequested: boolean;
  /** Users per second so far. */
  rate: number | null;
  elapsedSeconds: number | null;
  /** One run: the failures and the changes (first 100 of each); in lists: their number. */
  details?: {
    failures: RunFailure[];
    changes?: RunChange[];
    waiting?: RunWaiting | null;
    interruptions?: number;
    /** Users left alone because the connection's pulls may not create / update them. */
    withheld?: { create: number; update: number };
  };
  failures?: number;
  /** In a Sync now answer: true when the run was already going and was joined. */
  joined?: boolean;
}

/** A WordPress site running UserSync that users are pushed to or accepted from. */
export interface Peer {
  /** The connection the peer writes here with (its SCIM token's connection). */
  slug: string;
  name: string;
  /** The peer's SCIM base URL; null for a peer this site only receives from. */
  scimUrl: string | null;
  /** Write-only: whether the token the peer issued to this site is stored. */
  tokenSet: boolean;
  push: boolean;
  roles: boolean;
  sendPasswords: boolean;
  acceptPasswords: boolean;
  includeAdministrators: boolean;
  createdAt: string | null;
  modifiedAt: string | null;
}

/** A peer as sent: `token` replaces the stored one, null removes it, absent keeps it. */
export type PeerInput = Omit<Peer, 'tokenSet' | 'createdAt' | 'modifiedAt'> & {
  token?: string | null;
};

/** What "Sync now" did to one person. */
export interface RefreshResult {
  userId: number | null;
  login: string;
  outcome: 'synced' | 'skipped' | 'failed';
  connection: string | null;
  /** Why it was skipped or failed, or what was done. */
  message: string | null;
  externalId?: string;
}

/** `POST /usersync/v1/users/refresh`: counts and a result per person. */
export interface RefreshSummary {
  synced: number;
  skipped: number;
  failed: number;
  results: RefreshResult[];
}

/** A change the sidecar could not deliver to a peer after its retries. */
export interface DeadLetter {
  id: number;
  /** The peer's slug. */
  target: string;
  outboxId: number;
  userId: number;
  action: string;
  changed: string[];
  code: string;
  message: string;
  attempts: number;
  createdAt: string;
  resolvedAt: string | null;
}

/** `POST /usersync/v1/outbound/dead-letters/<id>/retry`. */
export interface DeadLetterRetry {
  id: number;
  resolved: boolean;
  error: string | null;
}

/** `POST /usersync/v1/sources/<slug>/user-preview`: "Test with a user". */
export interface UserPreview {
  source: string;
  lookup: string;
  found: boolean;
  externalId: string | null;
  active: boolean | null;
  /** As the source returned them (SCIM shape). */
  attributes: Record<string, unknown> | null;
  groups: string[] | null;
  /** The WordPress fields the attribute map makes of them. */
  fields: Record<string, unknown> | null;
  login: string | null;
  /** Roles the role map gives; null when it leaves roles alone. */
  roles: string[] | null;
  /** Why the person could not become a WordPress user. */
  error: string | null;
}
