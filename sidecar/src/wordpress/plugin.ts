// The plugin's REST API (`usersync/v1/*`) as typed calls: one method per route the sidecar
// uses, each answer checked against its schema (types.ts) before anyone reads it. A
// malformed answer is a `WordPressResponseError` naming the route and what was wrong, never
// a crash further down. Transport concerns (auth, timeouts, retries) stay in client.ts;
// tests put an in-memory plugin behind the same `WordPressTransport`.
import { z } from 'zod';
import { WordPressError } from './client.js';
import type { QueryValue, WordPressRequest, WordPressResponse } from './client.js';
import {
  avatarResultSchema,
  phpRecord,
  connectionSchema,
  feedPageSchema,
  groupBatchResultSchema,
  groupPageSchema,
  linkResultSchema,
  passwordResultSchema,
  peerSettingsSchema,
  statusSchema,
  storedTokenSchema,
  syncConfigSchema,
  userBatchResultSchema,
  userPageSchema,
} from './types.js';
import type {
  AuditEntry,
  AvatarItem,
  AvatarResult,
  BatchOperation,
  BatchRequest,
  FeedPage,
  GroupBatchResult,
  GroupSnapshot,
  LinkResult,
  PasswordResult,
  PeerSettings,
  PluginStatus,
  SourceConnection,
  StoredToken,
  SyncConfig,
  UserBatchResult,
  UserSnapshot,
} from './types.js';

/** What carries a request to the plugin: the HTTP client, or an in-memory plugin in tests. */
export interface WordPressTransport {
  readonly baseUrl: string;
  request<T>(req: WordPressRequest): Promise<WordPressResponse<T>>;
}

/** The plugin answered, but not in the shape its contract promises. */
export class WordPressResponseError extends WordPressError {
  constructor(route: string, status: number, issues: string) {
    super(`WordPress answered ${route} unexpectedly: ${issues}`, status, 'invalid_response');
    this.name = 'WordPressResponseError';
  }
}

const MAX_IDS = 100;
const MAX_AUDIT = 100;
const MAX_LINKS = 500;

export interface UserQuery {
  connection?: string;
  linked?: boolean;
  id?: number | number[];
  login?: string;
  email?: string;
  externalId?: string;
  page?: number;
  perPage?: number;
  orderby?: string;
  order?: 'asc' | 'desc';
  /** Further filters the route understands (pushed-down SCIM filters, search). */
  [param: string]: QueryValue | number[] | boolean | undefined;
}

export class WordPressPlugin {
  constructor(readonly transport: WordPressTransport) {}

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  // --- reading -------------------------------------------------------------------------

  /** The plugin's and WordPress's versions (GET status). */
  async status(timeoutMs = 5_000): Promise<PluginStatus> {
    return this.read(
      { path: '/usersync/v1/status', query: { sidecar: 0 }, timeoutMs, retry: false },
      statusSchema,
    );
  }

  /** Attribute map, role map, deprovisioning policy and the site's time zone. */
  async config(): Promise<SyncConfig> {
    return this.read({ path: '/usersync/v1/config' }, syncConfigSchema);
  }

  /** Configured sources with their secrets; [] from a plugin without the route. */
  async connections(): Promise<SourceConnection[]> {
    return this.listOf('/usersync/v1/sidecar/connections', connectionSchema);
  }

  /** Peers with their tokens; [] from a plugin without the route. */
  async peers(): Promise<PeerSettings[]> {
    return this.listOf('/usersync/v1/sidecar/peers', peerSettingsSchema);
  }

  /** The SCIM tokens' hashes and connections. */
  async tokens(): Promise<StoredToken[]> {
    const route = '/usersync/v1/sidecar/tokens';
    const data = await this.read({ path: route }, null);
    if (!Array.isArray(data)) throw this.malformed(route, 200, 'expected a list of tokens');
    return data.map((item, i) => this.check(route, 200, storedTokenSchema, item, `[${i}]`));
  }

  /** A page of users as a connection sees them. */
  async users(query: UserQuery): Promise<{ total: number; users: UserSnapshot[] }> {
    const page = await this.read(
      { path: '/usersync/v1/users', query: userParams(query) },
      userPageSchema,
    );
    return { total: page.total ?? page.users.length, users: page.users };
  }

  /** Users by id (at most 100 a request; deleted users are absent). */
  async usersById(ids: number[], connection: string): Promise<Map<number, UserSnapshot>> {
    const found = new Map<number, UserSnapshot>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += MAX_IDS) {
      const chunk = unique.slice(i, i + MAX_IDS);
      const { users } = await this.users({ id: chunk, connection, perPage: chunk.length });
      for (const user of users) found.set(user.id, user);
    }
    return found;
  }

  /** A page of a connection's groups. */
  async groups(
    query: Record<string, QueryValue>,
  ): Promise<{ total: number; groups: GroupSnapshot[] }> {
    const page = await this.read({ path: '/usersync/v1/groups', query }, groupPageSchema);
    return { total: page.total ?? page.groups.length, groups: page.groups };
  }

  /** Outbox rows after `after`, oldest first. */
  async changes(after: number, limit: number): Promise<FeedPage> {
    return this.read({ path: '/usersync/v1/changes', query: { after, limit } }, feedPageSchema);
  }

  /** When each attribute of these users last changed, leaving out changes by `excludeOrigin`. */
  async clock(
    ids: number[],
    excludeOrigin: string | null,
  ): Promise<Map<number, Record<string, string>>> {
    const clock = new Map<number, Record<string, string>>();
    for (let i = 0; i < ids.length; i += MAX_IDS) {
      const data = await this.read(
        {
          path: '/usersync/v1/changes/clock',
          query: {
            ids: ids.slice(i, i + MAX_IDS).join(','),
            ...(excludeOrigin ? { exclude_origin: excludeOrigin } : {}),
          },
        },
        clockSchema,
      );
      for (const [id, times] of Object.entries(data.clock)) clock.set(Number(id), times);
    }
    return clock;
  }

  /** Password hashes of users that may be sent (only when a peer sends passwords). */
  async passwordHashes(ids: number[]): Promise<Map<number, string>> {
    const hashes = new Map<number, string>();
    for (let i = 0; i < ids.length; i += MAX_IDS) {
      const data = await this.read(
        {
          path: '/usersync/v1/sidecar/passwords',
          query: { ids: ids.slice(i, i + MAX_IDS).join(',') },
        },
        hashesSchema,
      );
      for (const item of data.hashes) hashes.set(item.id, item.hash);
    }
    return hashes;
  }

  // --- writing -------------------------------------------------------------------------

  /**
   * One users/batch request: each operation applied (or refused) on its own, one result per
   * operation. `retry` only where a replay is harmless (the engine's creates are keyed by
   * external id; a SCIM request is answered once).
   */
  async usersBatch(
    batch: BatchRequest,
    options: { retry?: boolean; timeoutMs?: number } = {},
  ): Promise<UserBatchResult[]> {
    return this.results('/usersync/v1/users/batch', batch, userBatchResultSchema, options);
  }

  /** One groups/batch request. */
  async groupsBatch(batch: BatchRequest): Promise<GroupBatchResult[]> {
    return this.results('/usersync/v1/groups/batch', batch, groupBatchResultSchema, {});
  }

  /** Sets or removes the avatars of linked users. */
  async avatars(connection: string, source: string, items: AvatarItem[]): Promise<AvatarResult[]> {
    const runId = source.startsWith('run:') ? source.slice(4) : undefined;
    return this.results(
      '/usersync/v1/sidecar/avatars',
      { connection, source, runId, items },
      avatarResultSchema,
      { retry: true, timeoutMs: 60_000 },
    );
  }

  /** Records identity links (`externalId: null` removes one), 500 a request. */
  async links(
    connection: string,
    links: { userId: number; externalId: string | null }[],
  ): Promise<LinkResult[]> {
    const results: LinkResult[] = [];
    for (let i = 0; i < links.length; i += MAX_LINKS) {
      results.push(
        ...(await this.results(
          '/usersync/v1/sidecar/links',
          { connection, links: links.slice(i, i + MAX_LINKS) },
          linkResultSchema,
          { retry: true },
        )),
      );
    }
    return results;
  }

  /** Appends entries to the site's audit log (100 a request). */
  async audit(entries: AuditEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += MAX_AUDIT) {
      await this.transport.request({
        method: 'POST',
        path: '/usersync/v1/sidecar/audit',
        body: { entries: entries.slice(i, i + MAX_AUDIT) },
        retry: true,
      });
    }
  }

  /** Acknowledges delivery up to an outbox id; the plugin prunes old delivered rows. */
  async ack(upTo: number): Promise<{ acked: number; pruned: number }> {
    const route = '/usersync/v1/changes/ack';
    const response = await this.transport.request<unknown>({
      method: 'POST',
      path: route,
      body: { upTo },
      retry: true,
    });
    return this.check(route, response.status, ackSchema, response.data);
  }

  /** Hands hashes a peer sent to WordPress (refused unless it accepts them from `connection`). */
  async acceptPasswordHashes(
    connection: string,
    users: { id: number; hash: string }[],
  ): Promise<PasswordResult[]> {
    return this.results(
      '/usersync/v1/sidecar/passwords',
      { connection, users },
      passwordResultSchema,
      { retry: true },
    );
  }

  /** Reports which SCIM tokens were used (shown as "last used" in wp-admin). */
  async tokensUsed(ids: string[]): Promise<void> {
    await this.transport.request({
      method: 'POST',
      path: '/usersync/v1/sidecar/tokens/used',
      body: { ids },
      retry: true,
    });
  }

  // --- plumbing ------------------------------------------------------------------------

  private async read<S extends z.ZodType>(
    req: WordPressRequest,
    schema: S | null,
  ): Promise<z.output<S>> {
    const response = await this.transport.request<unknown>({ method: 'GET', ...req });
    if (!schema) return response.data as z.output<S>;
    return this.check(req.path, response.status, schema, response.data);
  }

  private async listOf<S extends z.ZodType>(route: string, schema: S): Promise<z.output<S>[]> {
    let data: unknown;
    try {
      data = await this.read({ path: route }, null);
    } catch (error) {
      // An older plugin without the route: nothing configured.
      if (error instanceof WordPressError && error.code === 'rest_no_route') return [];
      throw error;
    }
    if (!Array.isArray(data)) throw this.malformed(route, 200, 'expected a list');
    // One entry a newer plugin shapes differently must not hide the others.
    const items: z.output<S>[] = [];
    for (const item of data) {
      const parsed = schema.safeParse(item);
      if (parsed.success) items.push(parsed.data);
    }
    return items;
  }

  private async results<S extends z.ZodType>(
    route: string,
    body: BatchRequest<BatchOperation> | Record<string, unknown>,
    schema: S,
    options: { retry?: boolean; timeoutMs?: number },
  ): Promise<z.output<S>[]> {
    const response = await this.transport.request<unknown>({
      method: 'POST',
      path: route,
      body,
      ...options,
    });
    const data = response.data as { results?: unknown } | null | undefined;
    if (!data || typeof data !== 'object' || !Array.isArray(data.results))
      throw this.malformed(route, response.status, 'expected `results`, a list');
    return data.results.map((item, i) =>
      this.check(route, response.status, schema, item, `results[${i}]`),
    );
  }

  private check<S extends z.ZodType>(
    route: string,
    status: number,
    schema: S,
    data: unknown,
    at = '',
  ): z.output<S> {
    const parsed = schema.safeParse(data);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => {
        const path = [at, ...issue.path.map(String)].filter(Boolean).join('.');
        return path ? `${path}: ${issue.message}` : issue.message;
      })
      .join('; ');
    throw this.malformed(route, status, issues);
  }

  private malformed(route: string, status: number, issues: string): WordPressResponseError {
    return new WordPressResponseError(route, status, issues);
  }
}

const clockSchema = z.object({
  clock: phpRecord(phpRecord(z.string())).default({}),
});
const hashesSchema = z.object({
  hashes: z.array(z.object({ id: z.number().int(), hash: z.string() })).default([]),
});
const ackSchema = z.object({
  acked: z.number().int(),
  pruned: z.number().int().default(0),
});

/** GET users parameters as the route reads them (PHP takes comma lists for ids). */
function userParams(query: UserQuery): Record<string, QueryValue> {
  const { linked, id, externalId, perPage, ...rest } = query;
  const params: Record<string, QueryValue> = {};
  for (const [key, value] of Object.entries(rest))
    if (!Array.isArray(value)) params[key] = typeof value === 'boolean' ? Number(value) : value;
  if (linked !== undefined) params.linked = linked ? 1 : 0;
  if (id !== undefined) params.id = Array.isArray(id) ? id.join(',') : id;
  if (externalId !== undefined) params.external_id = externalId;
  if (perPage !== undefined) params.per_page = perPage;
  return params;
}
