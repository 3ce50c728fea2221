// The outbound side's view of the local WordPress, over the plugin's routes: the change feed
// (`/usersync/v1/changes`, its ack and per-attribute clock), user snapshots, the sync
// configuration, peers with their tokens, identity links, audit entries and password hashes.
import { z } from 'zod';
import type { SyncConfig } from '../engine/types.js';
import { syncConfigSchema } from '../engine/wordpress-gateway.js';
import type { UserSnapshot } from '../scim/mapping.js';
import { WordPressError } from '../wordpress/client.js';
import type { WordPressClient } from '../wordpress/client.js';
import type { OutboxChange } from './types.js';

const changeSchema = z.object({
  id: z.number().int(),
  userId: z.number().int(),
  action: z.enum(['create', 'update', 'disable', 'enable', 'delete', 'password']),
  changed: z.array(z.string()).default([]),
  origin: z.string().default('local'),
  createdAt: z.string(),
});

const pageSchema = z.object({
  changes: z.array(changeSchema),
  last: z.number().int(),
  latest: z.number().int(),
  acked: z.number().int(),
});

export type FeedPage = z.infer<typeof pageSchema> & { changes: OutboxChange[] };

export const peerSettingsSchema = z.object({
  slug: z.string().regex(/^[a-z0-9-]{1,64}$/),
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

export type PeerSettings = z.infer<typeof peerSettingsSchema>;

/** An audit entry the sidecar writes (dead letters, conflicts). */
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

export interface LinkResult {
  userId: number;
  ok: boolean;
  status?: string;
  error?: { status: number; code: string; message: string };
}

export interface PasswordResult {
  id: number;
  ok: boolean;
  status?: string;
  error?: { status: number; code: string; message: string };
}

const CONFIG_TTL_MS = 5_000;
const TOKENS_TTL_MS = 10_000;
const MAX_IDS = 100;

export class PluginFeed {
  private config: { value: SyncConfig; at: number } | null = null;
  private inbound: { value: Set<string>; at: number } | null = null;

  constructor(private readonly wordpress: WordPressClient) {}

  /** Outbox rows after `after`, oldest first. */
  async changes(after: number, limit: number): Promise<FeedPage> {
    const { data } = await this.wordpress.get<unknown>('/usersync/v1/changes', { after, limit });
    return pageSchema.parse(data) as FeedPage;
  }

  /** Acknowledges delivery up to an id; the plugin prunes old delivered rows. */
  async ack(upTo: number): Promise<{ acked: number; pruned: number }> {
    const { data } = await this.wordpress.post<{ acked: number; pruned: number }>(
      '/usersync/v1/changes/ack',
      { upTo },
      { retry: true },
    );
    return data;
  }

  /** When each attribute of these users last changed, leaving out changes by `excludeOrigin`. */
  async clock(
    ids: number[],
    excludeOrigin: string | null,
  ): Promise<Map<number, Record<string, string>>> {
    const clock = new Map<number, Record<string, string>>();
    for (let i = 0; i < ids.length; i += MAX_IDS) {
      const { data } = await this.wordpress.get<{ clock?: Record<string, Record<string, string>> }>(
        '/usersync/v1/changes/clock',
        {
          ids: ids.slice(i, i + MAX_IDS).join(','),
          ...(excludeOrigin ? { exclude_origin: excludeOrigin } : {}),
        },
      );
      for (const [id, times] of Object.entries(data?.clock ?? {})) clock.set(Number(id), times);
    }
    return clock;
  }

  /** Current snapshots of users as a connection sees them (deleted users are absent). */
  async users(ids: number[], connection: string): Promise<Map<number, UserSnapshot>> {
    const found = new Map<number, UserSnapshot>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += MAX_IDS) {
      const chunk = unique.slice(i, i + MAX_IDS);
      const { data } = await this.wordpress.get<{ users?: UserSnapshot[] }>('/usersync/v1/users', {
        id: chunk.join(','),
        connection,
        per_page: chunk.length,
      });
      for (const user of data?.users ?? []) found.set(user.id, user);
    }
    return found;
  }

  /** One page of every user, by id, as a connection sees them. */
  async listUsers(
    connection: string,
    page: number,
    perPage: number,
  ): Promise<{ total: number; users: UserSnapshot[] }> {
    const { data } = await this.wordpress.get<{ total?: number; users?: UserSnapshot[] }>(
      '/usersync/v1/users',
      { connection, page, per_page: perPage, orderby: 'id', order: 'asc' },
    );
    return { total: Number(data?.total ?? 0), users: data?.users ?? [] };
  }

  /** The sync configuration (attribute map, role map, …), cached for a few seconds. */
  async syncConfig(): Promise<SyncConfig> {
    if (this.config && Date.now() - this.config.at < CONFIG_TTL_MS) return this.config.value;
    const { data } = await this.wordpress.get<unknown>('/usersync/v1/config');
    const value = syncConfigSchema.parse(data);
    this.config = { value, at: Date.now() };
    return value;
  }

  /** Peers with their tokens; [] when the plugin has no peers route (older version). */
  async peers(): Promise<PeerSettings[]> {
    let data: unknown;
    try {
      ({ data } = await this.wordpress.get<unknown>('/usersync/v1/sidecar/peers'));
    } catch (error) {
      if (error instanceof WordPressError && error.code === 'rest_no_route') return [];
      throw error;
    }
    const peers: PeerSettings[] = [];
    for (const item of Array.isArray(data) ? data : []) {
      const parsed = peerSettingsSchema.safeParse(item);
      if (parsed.success) peers.push(parsed.data);
    }
    return peers;
  }

  /** Connections that hold a SCIM token of this site, i.e. that write to it. */
  async inboundConnections(): Promise<Set<string>> {
    if (this.inbound && Date.now() - this.inbound.at < TOKENS_TTL_MS) return this.inbound.value;
    const { data } = await this.wordpress.get<{ connection?: unknown }[]>(
      '/usersync/v1/sidecar/tokens',
    );
    const value = new Set(
      (Array.isArray(data) ? data : [])
        .map((token) => token.connection)
        .filter((c): c is string => typeof c === 'string'),
    );
    this.inbound = { value, at: Date.now() };
    return value;
  }

  /** Records identity links (`externalId: null` removes one). */
  async links(
    connection: string,
    links: { userId: number; externalId: string | null }[],
  ): Promise<LinkResult[]> {
    const results: LinkResult[] = [];
    for (let i = 0; i < links.length; i += 500) {
      const { data } = await this.wordpress.post<{ results?: LinkResult[] }>(
        '/usersync/v1/sidecar/links',
        { connection, links: links.slice(i, i + 500) },
        { retry: true },
      );
      results.push(...(data?.results ?? []));
    }
    return results;
  }

  /** Writes audit entries (at most 100 per request). */
  async audit(entries: AuditEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 100) {
      await this.wordpress.post(
        '/usersync/v1/sidecar/audit',
        { entries: entries.slice(i, i + 100) },
        { retry: true },
      );
    }
  }

  /** Password hashes of users that may be sent (only when a peer sends passwords). */
  async passwordHashes(ids: number[]): Promise<Map<number, string>> {
    const hashes = new Map<number, string>();
    for (let i = 0; i < ids.length; i += MAX_IDS) {
      const { data } = await this.wordpress.get<{ hashes?: { id: number; hash: string }[] }>(
        '/usersync/v1/sidecar/passwords',
        { ids: ids.slice(i, i + MAX_IDS).join(',') },
      );
      for (const item of data?.hashes ?? []) hashes.set(item.id, item.hash);
    }
    return hashes;
  }

  /** Hands hashes a peer sent to WordPress (refused unless it accepts them from `connection`). */
  async acceptPasswordHashes(
    connection: string,
    users: { id: number; hash: string }[],
  ): Promise<PasswordResult[]> {
    const { data } = await this.wordpress.post<{ results?: PasswordResult[] }>(
      '/usersync/v1/sidecar/passwords',
      { connection, users },
      { retry: true },
    );
    return data?.results ?? [];
  }
}
