// What the sync engine reads and writes besides its store: the site's sync configuration
// (attribute map, role map, deprovisioning policy), the configured sources, and the WordPress
// write path. `WordPressGateway` is the seam: the plugin's REST routes in production, an
// in-memory WordPress in unit tests.
//
// Glossary
// - source: a configured connection (its slug names runs, cursors and identity links).
// - operation: one user write in a batch (`create`, `update`, `deprovision`, `reactivate`,
//   `delete`), keyed by the WordPress user id the identity link resolves to.

export interface AttributeMapping {
  /** SCIM path in the canonical user, e.g. `name.givenName`, `emails[primary].value`. */
  source: string;
  /** `user_login`, `user_email`, `first_name`, …, `avatar`, `meta:<key>` or `xprofile:<Field>`. */
  target: string;
  direction: 'inbound' | 'outbound' | 'both';
  transform: 'none' | 'lowercase' | 'uppercase' | 'trim' | 'template';
  default: string | null;
  /** With the transform `template`: e.g. `{name.givenName}.{name.familyName}` (source is empty). */
  template?: string | null;
}

export interface RoleRule {
  /** Source group display name (case-insensitive among the rules of one connection). */
  group: string;
  role: string;
  priority?: number;
  /**
   * Slugs of the connections whose groups the rule applies to; `*` means any connection.
   * Absent (rules saved before rules were scoped) means `["*"]`.
   */
  connections?: string[];
}

export interface RoleMap {
  rules: RoleRule[];
  defaultRole: string;
  allowAdministrator: boolean;
}

export interface DeprovisionPolicy {
  action: 'disable' | 'delete';
  reassignTo: number | null;
  touchUnlinked: boolean;
  touchAdministrators: boolean;
}

export interface SyncConfig {
  attributeMap: AttributeMapping[];
  roleMap: RoleMap;
  deprovision: DeprovisionPolicy;
}

/** A configured source, as the plugin serves it to the sidecar (secrets included). */
export interface SourceConnection {
  /** `[a-z0-9-]{1,64}`: names runs and cursors, and is the identity links' connection. */
  slug: string;
  name: string;
  /** Connector kind, e.g. `microsoft-graph`. */
  type: string;
  enabled: boolean;
  /** Cron expression (5 or 6 fields), or null for on-demand only. */
  schedule: string | null;
  /** Sync profile photos into the WordPress profile picture. */
  photos: boolean;
  /** Connector settings, secrets included (e.g. tenantId, clientId, clientSecret). */
  settings: Record<string, unknown>;
  /** Users per WordPress batch request (default 100, at most 500). */
  batchSize?: number;
  /** WordPress batch requests in flight (default 2). */
  batchConcurrency?: number;
  createdAt?: string | null;
  modifiedAt?: string | null;
}

/** The WordPress fields an operation sets (absent fields are left as they are). */
export interface WpUserInput {
  login?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  displayName?: string;
  nickname?: string;
  url?: string;
  roles?: string[];
  meta?: Record<string, string | null>;
  /** BuddyPress profile fields by name (`xprofile:<Field Name>` targets); null clears one. */
  xprofile?: Record<string, string | null>;
  externalId?: string | null;
  active?: boolean;
}

/** A profile picture to set (bytes base64) or remove, for a linked user. */
export type AvatarItem =
  { id: number; contentType: string; data: string; version: string } | { id: number; remove: true };

export type AvatarResult =
  | { id: number; ok: true; status: 'updated' | 'unchanged' | 'removed' }
  | { id: number; ok: false; error: OperationError };

export type OperationAction = 'create' | 'update' | 'deprovision' | 'reactivate' | 'delete';

export interface UserOperation {
  ref: string;
  action: OperationAction;
  id?: number;
  user?: WpUserInput;
}

export type OperationStatus =
  'created' | 'updated' | 'unchanged' | 'disabled' | 'reactivated' | 'deleted';

/** The parts of the plugin's user snapshot the engine reads. */
export interface WpUserSnapshot {
  id: number;
  login: string;
  email?: string;
  roles: string[];
  active: boolean;
  externalId: string | null;
  linked?: boolean;
}

export interface OperationError {
  status: number;
  code: string;
  message: string;
  scimType?: string | null;
}

export type OperationResult =
  | { ref: string; ok: true; status: OperationStatus; user: WpUserSnapshot | null }
  | { ref: string; ok: false; error: OperationError };

/** An audit log entry the sidecar writes itself (for what never reached a write route). */
export interface AuditEntry {
  source: string;
  action: string;
  result: 'success' | 'failure' | 'skipped';
  userId?: number | null;
  userLogin?: string;
  fields?: string[];
  message?: string | null;
  runId?: string | null;
}

export interface WordPressGateway {
  getConfig(): Promise<SyncConfig>;
  listConnections(): Promise<SourceConnection[]>;
  /** One batch request: each operation applied (or refused) on its own. */
  applyUsers(
    connection: string,
    source: string,
    operations: UserOperation[],
  ): Promise<OperationResult[]>;
  /** Users linked to the connection, a page at a time (for re-linking a lost store). */
  listLinkedUsers(
    connection: string,
    page: number,
    perPage: number,
  ): Promise<{ total: number; users: WpUserSnapshot[] }>;
  /** Sets or removes the avatars of linked users. */
  setAvatars(connection: string, source: string, items: AvatarItem[]): Promise<AvatarResult[]>;
  /** Appends entries to the site's audit log. */
  writeAudit(entries: AuditEntry[]): Promise<void>;
  /** The user linked to `externalId` in the connection, if any. */
  findLinkedUser(connection: string, externalId: string): Promise<WpUserSnapshot | null>;
  /** The user with this login or email (case-insensitive), linked or not. */
  findUser(
    connection: string,
    match: { login?: string; email?: string },
  ): Promise<WpUserSnapshot | null>;
  /** Links existing users to the connection (nothing else about them changes). */
  link(connection: string, links: { userId: number; externalId: string }[]): Promise<boolean[]>;
}
