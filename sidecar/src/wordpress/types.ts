// What the plugin's routes answer and accept, defined once: the types every sidecar folder
// uses, and the zod schemas that check each answer before anything reads it. A schema is
// lenient where the plugin's older versions differ (defaults for fields they left out) and
// strict where a wrong value would mislead a write (ids, actions, result statuses).
import { DEFAULT_ATTRIBUTE_MAP } from '../provisioning/index.js';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------
// Configuration: GET usersync/v1/config

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
  /** `ignore`: an empty source value leaves the WordPress value alone (default `propagate`). */
  nulls?: 'propagate' | 'ignore';
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
  /** The site's time zone (IANA name or a `+02:00` offset), when the plugin says. */
  siteTimeZone?: string;
}

/**
 * A JSON object as PHP encodes it: an empty associative array comes out as `[]`.
 */
export function phpRecord<V extends z.ZodType>(value: V) {
  return z.preprocess(
    (v) => (Array.isArray(v) && v.length === 0 ? {} : v),
    z.record(z.string(), value),
  );
}

const mappingSchema = z.object({
  source: z.string(),
  target: z.string(),
  direction: z.enum(['inbound', 'outbound', 'both']).catch('both'),
  transform: z.enum(['none', 'lowercase', 'uppercase', 'trim', 'template']).catch('none'),
  default: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  // Absent on other rows (the plugin sends it only on template rows), so the mapping
  // fingerprint of a map without templates stays what it was.
  template: z.string().nullish(),
});

/** The attribute map WordPress uses when the admin has not changed it (provisioning's). */
export function defaultAttributeMap(): AttributeMapping[] {
  return DEFAULT_ATTRIBUTE_MAP.map((row) => ({ ...row, transform: 'none' as const }));
}

export const syncConfigSchema = z.object({
  attributeMap: z.array(mappingSchema).default(defaultAttributeMap),
  roleMap: z
    .object({
      rules: z
        .array(
          z.object({
            group: z.string(),
            role: z.string(),
            priority: z.number().optional(),
            // Rules saved before rules were scoped to connections apply to any connection.
            connections: z.array(z.string()).default(['*']),
          }),
        )
        .default([]),
      defaultRole: z.string().default('subscriber'),
      allowAdministrator: z.boolean().default(false),
    })
    .default({ rules: [], defaultRole: 'subscriber', allowAdministrator: false }),
  deprovision: z
    .object({
      action: z.enum(['disable', 'delete']).default('disable'),
      reassignTo: z
        .number()
        .int()
        .nullish()
        .transform((v) => v ?? null),
      touchUnlinked: z.boolean().default(false),
      touchAdministrators: z.boolean().default(false),
    })
    .default({
      action: 'disable',
      reassignTo: null,
      touchUnlinked: false,
      touchAdministrators: false,
    }),
  siteTimeZone: z
    .string()
    .nullish()
    .transform((v) => v || undefined),
}) satisfies z.ZodType<SyncConfig>;

// ---------------------------------------------------------------------------------------
// Sources and peers: GET usersync/v1/sidecar/connections, /sidecar/peers, /sidecar/tokens

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

const slugSchema = z.string().regex(/^[a-z0-9-]{1,64}$/);

export const connectionSchema = z.object({
  slug: slugSchema,
  name: z.string(),
  type: z.string(),
  enabled: z.boolean().default(true),
  schedule: z
    .string()
    .nullish()
    .transform((v) => (v ? v : null)),
  photos: z.boolean().default(true),
  settings: phpRecord(z.unknown()).default({}),
  batchSize: z.number().int().min(1).max(500).optional(),
  batchConcurrency: z.number().int().min(1).max(8).optional(),
  createdAt: z.string().nullish(),
  modifiedAt: z.string().nullish(),
}) satisfies z.ZodType<SourceConnection>;

export const peerSettingsSchema = z.object({
  slug: slugSchema,
  name: z.string(),
  scimUrl: z
    .string()
    .nullish()
    .transform((v) => (v ? v.replace(/\/+$/, '') : null)),
  token: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  push: z.boolean().default(true),
  roles: z.boolean().default(true),
  sendPasswords: z.boolean().default(false),
  acceptPasswords: z.boolean().default(false),
  includeAdministrators: z.boolean().default(false),
});

/** A peer WordPress site this one pushes to, with its SCIM token. */
export type PeerSettings = z.infer<typeof peerSettingsSchema>;

export const storedTokenSchema = z.object({
  id: z.string(),
  name: z.string().default(''),
  connection: z.string(),
  /** SHA-256 of the token, hex. */
  hash: z.string().regex(/^[0-9a-f]{64}$/i),
});

/** A SCIM bearer token as WordPress stores it: its hash, never the token. */
export type StoredToken = z.infer<typeof storedTokenSchema>;

export const statusSchema = z.looseObject({
  plugin: z.looseObject({ version: z.string().optional() }).optional(),
  wordpress: z.looseObject({ version: z.string().optional() }).optional(),
});

export type PluginStatus = z.infer<typeof statusSchema>;

// ---------------------------------------------------------------------------------------
// Users and groups: GET usersync/v1/users, /groups

export interface UserSnapshot {
  id: number;
  login: string;
  /** The login this connection asked for when WordPress kept its own (logins do not change). */
  sourceLogin?: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  nickname: string;
  url: string;
  /** Biographical info (plugins before 0.1 left it out). */
  description?: string;
  /** The profile picture URL a connection set, or null. */
  avatarUrl?: string | null;
  roles: string[];
  active: boolean;
  registered: string;
  modified: string;
  version: string;
  connection: string | null;
  externalId: string | null;
  linked: boolean;
  createdBy: string | null;
  groups: { id: number; displayName: string }[];
  scim: Record<string, unknown> | null;
  meta: Record<string, unknown>;
  /** BuddyPress profile fields named by the attribute map (when it names some). */
  xprofile?: Record<string, string | null>;
}

const nullable = <T extends z.ZodType>(schema: T) =>
  schema.nullish().transform((v) => (v ?? null) as z.output<T> | null);

export const userSnapshotSchema = z.object({
  id: z.number().int(),
  login: z.string(),
  sourceLogin: z.string().optional(),
  email: z.string().default(''),
  firstName: z.string().default(''),
  lastName: z.string().default(''),
  displayName: z.string().default(''),
  nickname: z.string().default(''),
  url: z.string().default(''),
  description: z.string().optional(),
  avatarUrl: z.string().nullish(),
  roles: z.array(z.string()).default([]),
  active: z.boolean().default(true),
  registered: z.string().default(''),
  modified: z.string().default(''),
  version: z.string().default(''),
  connection: nullable(z.string()),
  externalId: nullable(z.string()),
  linked: z.boolean().default(false),
  createdBy: nullable(z.string()),
  groups: z.array(z.object({ id: z.number().int(), displayName: z.string() })).default([]),
  scim: nullable(phpRecord(z.unknown())),
  meta: phpRecord(z.unknown()).default({}),
  xprofile: phpRecord(z.string().nullable()).optional(),
}) satisfies z.ZodType<UserSnapshot>;

export const userPageSchema = z.object({
  total: z.coerce.number().int().min(0).optional(),
  users: z.array(userSnapshotSchema),
});

export interface GroupSnapshot {
  id: number;
  connection: string;
  displayName: string;
  externalId: string | null;
  created: string;
  modified: string;
  version: string;
  members?: { id: number; login: string; displayName: string }[];
  scim: Record<string, unknown> | null;
}

export const groupSnapshotSchema = z.object({
  id: z.number().int(),
  connection: z.string(),
  displayName: z.string(),
  externalId: nullable(z.string()),
  created: z.string().default(''),
  modified: z.string().default(''),
  version: z.string().default(''),
  members: z
    .array(z.object({ id: z.number().int(), login: z.string(), displayName: z.string() }))
    .optional(),
  scim: nullable(phpRecord(z.unknown())),
}) satisfies z.ZodType<GroupSnapshot>;

export const groupPageSchema = z.object({
  total: z.coerce.number().int().min(0).optional(),
  groups: z.array(groupSnapshotSchema),
});

// ---------------------------------------------------------------------------------------
// Writes: POST usersync/v1/users/batch, /groups/batch

/** The `user` object of a users/batch operation. */
export interface WordPressUserInput {
  login?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  displayName?: string;
  nickname?: string;
  url?: string;
  description?: string;
  /** Profile picture URL (served as the WordPress avatar); null removes it. */
  avatarUrl?: string | null;
  password?: string;
  roles?: string[];
  meta?: Record<string, unknown>;
  /** BuddyPress profile fields by name; null clears one. */
  xprofile?: Record<string, string | null>;
  externalId?: string | null;
  scim?: Record<string, unknown> | null;
  active?: boolean;
}

/** One operation of a batch (`action`, `id`, `user`/group fields): `ref` comes back on its result. */
export interface BatchOperation {
  ref: string;
}

export interface BatchRequest<Op extends BatchOperation = BatchOperation> {
  connection: string;
  /** Who writes (`scim:<token>`, `run:<id>`, …): the outbox's origin and the audit's source. */
  source: string;
  runId?: string;
  operations: Op[];
}

export interface OperationError {
  status: number;
  code: string;
  message: string;
  scimType?: string | null;
}

const operationErrorSchema = z.looseObject({
  status: z.number().int(),
  code: z.string(),
  message: z.string().default(''),
  scimType: z.string().nullish(),
});

const refSchema = z.union([z.string(), z.number()]).transform(String);

const batchFailureSchema = z.object({
  ref: refSchema,
  ok: z.literal(false),
  error: operationErrorSchema,
});

// Known statuses: created, updated, unchanged, disabled, reactivated, deleted; a newer
// plugin's other statuses count as updates rather than failing the caller.
export const userBatchResultSchema = z.union([
  z.object({
    ref: refSchema,
    ok: z.literal(true),
    status: z.string(),
    user: userSnapshotSchema.nullish().transform((v) => v ?? null),
  }),
  batchFailureSchema,
]);

export const groupBatchResultSchema = z.union([
  z.object({
    ref: refSchema,
    ok: z.literal(true),
    status: z.string(),
    group: groupSnapshotSchema.nullish().transform((v) => v ?? null),
  }),
  batchFailureSchema,
]);

export type BatchResult<K extends string, T> =
  | ({ ref: string; ok: true; status: string } & Record<K, T | null>)
  | { ref: string; ok: false; error: OperationError };

export type UserBatchResult = BatchResult<'user', UserSnapshot>;
export type GroupBatchResult = BatchResult<'group', GroupSnapshot>;

// ---------------------------------------------------------------------------------------
// Sidecar-only routes: links, avatars, audit, passwords

/** An audit entry the sidecar writes itself (for what never reached a write route). */
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

export const linkResultSchema = z.object({
  userId: z.number().int(),
  ok: z.boolean(),
  status: z.string().optional(),
  error: operationErrorSchema.optional(),
});

export type LinkResult = z.infer<typeof linkResultSchema>;

/** A profile picture to set (bytes base64) or remove, for a linked user. */
export type AvatarItem =
  { id: number; contentType: string; data: string; version: string } | { id: number; remove: true };

export const avatarResultSchema = z.union([
  z.object({
    id: z.number().int(),
    ok: z.literal(true),
    status: z.enum(['updated', 'unchanged', 'removed']),
  }),
  z.object({ id: z.number().int(), ok: z.literal(false), error: operationErrorSchema }),
]);

export type AvatarResult =
  | { id: number; ok: true; status: 'updated' | 'unchanged' | 'removed' }
  | { id: number; ok: false; error: OperationError };

export const passwordResultSchema = z.object({
  id: z.number().int(),
  ok: z.boolean(),
  status: z.string().optional(),
  error: operationErrorSchema.optional(),
});

export type PasswordResult = z.infer<typeof passwordResultSchema>;

// ---------------------------------------------------------------------------------------
// The change feed: GET usersync/v1/changes, POST /changes/ack, GET /changes/clock

export type ChangeAction = 'create' | 'update' | 'disable' | 'enable' | 'delete' | 'password';

/** One outbox row as the plugin's feed serves it. */
export interface OutboxChange {
  id: number;
  userId: number;
  action: ChangeAction;
  changed: string[];
  origin: string;
  createdAt: string;
}

export const changeSchema = z.object({
  id: z.number().int(),
  userId: z.number().int(),
  action: z.enum(['create', 'update', 'disable', 'enable', 'delete', 'password']),
  changed: z.array(z.string()).default([]),
  origin: z.string().default('local'),
  createdAt: z.string(),
}) satisfies z.ZodType<OutboxChange>;

export const feedPageSchema = z.object({
  changes: z.array(changeSchema),
  last: z.number().int(),
  latest: z.number().int(),
  acked: z.number().int(),
});

export type FeedPage = z.infer<typeof feedPageSchema>;
