// What the sync engine reads and writes besides its store: the site's sync configuration
// (attribute map, role map, deprovisioning policy), the configured sources, and the WordPress
// write path. `WordPressGateway` is the seam: the plugin's REST routes in production, an
// in-memory WordPress in unit tests.
//
// Glossary
// - source: a configured connection (its slug names runs, cursors and identity links).
// - operation: one user write in a batch (`create`, `update`, `deprovision`, `reactivate`,
//   `delete`), keyed by the WordPress user id the identity link resolves to.

// The plugin's configuration and answers are defined once, with their schemas, in wordpress/.
export type {
  AttributeMapping,
  AuditEntry,
  AvatarItem,
  AvatarResult,
  DeprovisionPolicy,
  OperationError,
  RoleMap,
  RoleRule,
  SourceConnection,
  SyncConfig,
} from '../wordpress/types.js';
import type {
  AuditEntry,
  OperationError,
  AvatarItem,
  AvatarResult,
  SourceConnection,
  SyncConfig,
} from '../wordpress/types.js';

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

export type OperationAction = 'create' | 'update' | 'deprovision' | 'reactivate' | 'delete';

export interface UserOperation {
  ref: string;
  action: OperationAction;
  id?: number;
  user?: WpUserInput;
  /**
   * With `delete`: the source's own removal policy deletes the WordPress user, whatever the
   * site's deprovisioning action (its reassign rule and protections still apply).
   */
  purge?: boolean;
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

export type OperationResult =
  | { ref: string; ok: true; status: OperationStatus; user: WpUserSnapshot | null }
  | { ref: string; ok: false; error: OperationError };

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
