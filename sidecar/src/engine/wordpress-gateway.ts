// The engine's WordPress side, over the plugin's REST routes: configuration
// (`/usersync/v1/config`), configured sources with their secrets (service-only
// `/usersync/v1/sidecar/connections`), the batch write route (`/usersync/v1/users/batch`)
// and linked-user lookups (`/usersync/v1/users`).
import { z } from 'zod';
import { DEFAULT_ATTRIBUTE_MAP } from '../provisioning/index.js';
import { WordPressError } from '../wordpress/client.js';
import type { WordPressClient } from '../wordpress/client.js';
import type {
  AuditEntry,
  AvatarItem,
  AvatarResult,
  OperationResult,
  SourceConnection,
  SyncConfig,
  UserOperation,
  WordPressGateway,
  WpUserSnapshot,
} from './types.js';

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

export const syncConfigSchema = z.object({
  attributeMap: z.array(mappingSchema).default(defaultAttributeMap()),
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
});

export const connectionSchema = z.object({
  slug: z.string().regex(/^[a-z0-9-]{1,64}$/),
  name: z.string(),
  type: z.string(),
  enabled: z.boolean().default(true),
  schedule: z
    .string()
    .nullish()
    .transform((v) => (v ? v : null)),
  photos: z.boolean().default(true),
  settings: z.record(z.string(), z.unknown()).default({}),
  batchSize: z.number().int().min(1).max(500).optional(),
  batchConcurrency: z.number().int().min(1).max(8).optional(),
  createdAt: z.string().nullish(),
  modifiedAt: z.string().nullish(),
});

const snapshotSchema = z.looseObject({
  id: z.number(),
  login: z.string(),
  email: z.string().optional(),
  roles: z.array(z.string()).default([]),
  active: z.boolean().default(true),
  externalId: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  linked: z.boolean().optional(),
});

const resultSchema = z.union([
  z.object({
    ref: z.union([z.string(), z.number()]).transform(String),
    ok: z.literal(true),
    // Known: created, updated, unchanged, disabled, reactivated, deleted; a newer plugin's
    // other statuses count as updates rather than failing the run.
    status: z.string(),
    user: snapshotSchema.nullish().transform((v) => v ?? null),
  }),
  z.object({
    ref: z.union([z.string(), z.number()]).transform(String),
    ok: z.literal(false),
    error: z.looseObject({
      status: z.number(),
      code: z.string(),
      message: z.string(),
      scimType: z.string().nullish(),
    }),
  }),
]);

const avatarResultSchema = z.union([
  z.object({
    id: z.number(),
    ok: z.literal(true),
    status: z.enum(['updated', 'unchanged', 'removed']),
  }),
  z.object({
    id: z.number(),
    ok: z.literal(false),
    error: z.looseObject({ status: z.number(), code: z.string(), message: z.string() }),
  }),
]);

/** The plugin's default attribute map, for a config saved before it had one. */
function defaultAttributeMap() {
  return DEFAULT_ATTRIBUTE_MAP.map((row) => ({ ...row, transform: 'none' as const }));
}

export class PluginGateway implements WordPressGateway {
  constructor(private readonly wordpress: WordPressClient) {}

  async getConfig(): Promise<SyncConfig> {
    const { data } = await this.wordpress.get<unknown>('/usersync/v1/config');
    return syncConfigSchema.parse(data);
  }

  async listConnections(): Promise<SourceConnection[]> {
    let data: unknown;
    try {
      ({ data } = await this.wordpress.get<unknown>('/usersync/v1/sidecar/connections'));
    } catch (error) {
      // A plugin without connections (older version): nothing to pull from.
      if (error instanceof WordPressError && error.code === 'rest_no_route') return [];
      throw error;
    }
    const list = Array.isArray(data) ? data : [];
    const connections: SourceConnection[] = [];
    for (const item of list) {
      const parsed = connectionSchema.safeParse(item);
      if (parsed.success) connections.push(parsed.data);
    }
    return connections;
  }

  async applyUsers(
    connection: string,
    source: string,
    operations: UserOperation[],
  ): Promise<OperationResult[]> {
    const runId = source.startsWith('run:') ? source.slice(4) : undefined;
    // Safe to retry: a replayed create answers `usersync_external_id_exists`, which the
    // engine resolves into an update of the linked user.
    const { data } = await this.wordpress.post<{ results?: unknown }>(
      '/usersync/v1/users/batch',
      { connection, source, runId, operations },
      { retry: true, timeoutMs: 120_000 },
    );
    const results = Array.isArray(data?.results) ? data.results : [];
    return results.map((result) => resultSchema.parse(result) as OperationResult);
  }

  async setAvatars(
    connection: string,
    source: string,
    items: AvatarItem[],
  ): Promise<AvatarResult[]> {
    const runId = source.startsWith('run:') ? source.slice(4) : undefined;
    const { data } = await this.wordpress.post<{ results?: unknown }>(
      '/usersync/v1/sidecar/avatars',
      { connection, source, runId, items },
      { retry: true, timeoutMs: 60_000 },
    );
    const results = Array.isArray(data?.results) ? data.results : [];
    return results.map((result) => avatarResultSchema.parse(result) as AvatarResult);
  }

  async writeAudit(entries: AuditEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 100) {
      await this.wordpress.post(
        '/usersync/v1/sidecar/audit',
        { entries: entries.slice(i, i + 100) },
        { retry: true },
      );
    }
  }

  async listLinkedUsers(
    connection: string,
    page: number,
    perPage: number,
  ): Promise<{ total: number; users: WpUserSnapshot[] }> {
    const { data } = await this.wordpress.get<{ total?: number; users?: unknown[] }>(
      '/usersync/v1/users',
      { connection, linked: 1, page, per_page: perPage, orderby: 'id', order: 'asc' },
    );
    return {
      total: Number(data.total ?? 0),
      users: (data.users ?? []).map((user) => snapshotSchema.parse(user)),
    };
  }

  async findUser(
    connection: string,
    match: { login?: string; email?: string },
  ): Promise<WpUserSnapshot | null> {
    const { data } = await this.wordpress.get<{ users?: unknown[] }>('/usersync/v1/users', {
      connection,
      login: match.login,
      email: match.email,
      per_page: 1,
    });
    const user = data.users?.[0];
    return user ? snapshotSchema.parse(user) : null;
  }

  async link(
    connection: string,
    links: { userId: number; externalId: string }[],
  ): Promise<boolean[]> {
    const { data } = await this.wordpress.post<{ results?: { ok?: boolean }[] }>(
      '/usersync/v1/sidecar/links',
      { connection, links },
      { retry: true },
    );
    return links.map((_, index) => data.results?.[index]?.ok === true);
  }

  async findLinkedUser(connection: string, externalId: string): Promise<WpUserSnapshot | null> {
    const { data } = await this.wordpress.get<{ users?: unknown[] }>('/usersync/v1/users', {
      connection,
      external_id: externalId,
      per_page: 1,
    });
    const user = data.users?.[0];
    return user ? snapshotSchema.parse(user) : null;
  }
}
