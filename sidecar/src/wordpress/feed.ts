// The view of the local WordPress that pushes use (the outbound pipeline and push targets),
// over the plugin's typed client (`plugin.ts`, which checks every answer): the change feed, its ack and
// per-attribute clock, user snapshots, the sync configuration and the connections holding
// this site's SCIM tokens (both cached for a few seconds), peers and connections (push
// targets), identity links, audit entries and password hashes.
import type { UserSnapshot } from './types.js';
import type {
  AuditEntry,
  FeedPage,
  LinkResult,
  PasswordResult,
  PeerSettings,
  SourceConnection,
  SyncConfig,
} from './types.js';
import { WordPressPlugin } from './plugin.js';
import type { WordPressTransport } from './plugin.js';

export { peerSettingsSchema } from './types.js';
export type { AuditEntry, FeedPage, LinkResult, PasswordResult, PeerSettings } from './types.js';

const CONFIG_TTL_MS = 5_000;
const TOKENS_TTL_MS = 10_000;

export class PluginFeed {
  private config: { value: SyncConfig; at: number } | null = null;
  private inbound: { value: Set<string>; at: number } | null = null;
  private readonly plugin: WordPressPlugin;

  constructor(wordpress: WordPressTransport | WordPressPlugin) {
    this.plugin = wordpress instanceof WordPressPlugin ? wordpress : new WordPressPlugin(wordpress);
  }

  /** The WordPress URL the sidecar talks to. */
  get baseUrl(): string {
    return this.plugin.baseUrl;
  }

  /** Outbox rows after `after`, oldest first. */
  changes(after: number, limit: number): Promise<FeedPage> {
    return this.plugin.changes(after, limit);
  }

  /** Acknowledges delivery up to an id; the plugin prunes old delivered rows. */
  ack(upTo: number): Promise<{ acked: number; pruned: number }> {
    return this.plugin.ack(upTo);
  }

  /** When each attribute of these users last changed, leaving out changes by `excludeOrigin`. */
  clock(ids: number[], excludeOrigin: string | null): Promise<Map<number, Record<string, string>>> {
    return this.plugin.clock(ids, excludeOrigin);
  }

  /** Current snapshots of users as a connection sees them (deleted users are absent). */
  users(ids: number[], connection: string): Promise<Map<number, UserSnapshot>> {
    return this.plugin.usersById(ids, connection);
  }

  /** One page of every user, by id, as a connection sees them. */
  listUsers(
    connection: string,
    page: number,
    perPage: number,
  ): Promise<{ total: number; users: UserSnapshot[] }> {
    return this.plugin.users({ connection, page, perPage, orderby: 'id', order: 'asc' });
  }

  /** The sync configuration (attribute map, role map, …), cached for a few seconds. */
  async syncConfig(): Promise<SyncConfig> {
    if (this.config && Date.now() - this.config.at < CONFIG_TTL_MS) return this.config.value;
    const value = await this.plugin.config();
    this.config = { value, at: Date.now() };
    return value;
  }

  /** Peers with their tokens; [] when the plugin has no peers route (older version). */
  peers(): Promise<PeerSettings[]> {
    return this.plugin.peers();
  }

  /** Configured connections with their settings and secrets (those that push are targets). */
  connections(): Promise<SourceConnection[]> {
    return this.plugin.connections();
  }

  /** Connections that hold a SCIM token of this site, i.e. that write to it. */
  async inboundConnections(): Promise<Set<string>> {
    if (this.inbound && Date.now() - this.inbound.at < TOKENS_TTL_MS) return this.inbound.value;
    const value = new Set((await this.plugin.tokens()).map((token) => token.connection));
    this.inbound = { value, at: Date.now() };
    return value;
  }

  /** Records identity links (`externalId: null` removes one). */
  links(
    connection: string,
    links: { userId: number; externalId: string | null }[],
  ): Promise<LinkResult[]> {
    return this.plugin.links(connection, links);
  }

  /** Writes audit entries (at most 100 per request). */
  audit(entries: AuditEntry[]): Promise<void> {
    return this.plugin.audit(entries);
  }

  /** Password hashes of users that may be sent (only when a peer sends passwords). */
  passwordHashes(ids: number[]): Promise<Map<number, string>> {
    return this.plugin.passwordHashes(ids);
  }

  /** Hands hashes a peer sent to WordPress (refused unless it accepts them from `connection`). */
  acceptPasswordHashes(
    connection: string,
    users: { id: number; hash: string }[],
  ): Promise<PasswordResult[]> {
    return this.plugin.acceptPasswordHashes(connection, users);
  }
}
