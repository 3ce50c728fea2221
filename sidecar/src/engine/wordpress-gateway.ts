// The engine's WordPress side: the `WordPressGateway` seam over the plugin's typed client
// (`wordpress/plugin.ts`), which checks every answer. Configuration, configured sources, the
// batch write route, avatars, audit entries, identity links and linked-user lookups.
import { WordPressPlugin } from '../wordpress/plugin.js';
import type { WordPressTransport } from '../wordpress/plugin.js';
import type {
  AuditEntry,
  AvatarItem,
  AvatarResult,
  OperationResult,
  OperationStatus,
  SourceConnection,
  SyncConfig,
  UserOperation,
  WordPressGateway,
  WpUserSnapshot,
} from './types.js';

export { connectionSchema, syncConfigSchema } from '../wordpress/types.js';

export class PluginGateway implements WordPressGateway {
  private readonly plugin: WordPressPlugin;

  constructor(wordpress: WordPressTransport | WordPressPlugin) {
    this.plugin = wordpress instanceof WordPressPlugin ? wordpress : new WordPressPlugin(wordpress);
  }

  getConfig(): Promise<SyncConfig> {
    return this.plugin.config();
  }

  listConnections(): Promise<SourceConnection[]> {
    return this.plugin.connections();
  }

  async applyUsers(
    connection: string,
    source: string,
    operations: UserOperation[],
  ): Promise<OperationResult[]> {
    const runId = source.startsWith('run:') ? source.slice(4) : undefined;
    // Safe to retry: a replayed create answers `usersync_external_id_exists`, which the
    // engine resolves into an update of the linked user.
    const results = await this.plugin.usersBatch(
      { connection, source, runId, operations },
      { retry: true, timeoutMs: 120_000 },
    );
    return results.map((result) =>
      result.ok ? { ...result, status: result.status as OperationStatus } : result,
    );
  }

  setAvatars(connection: string, source: string, items: AvatarItem[]): Promise<AvatarResult[]> {
    return this.plugin.avatars(connection, source, items);
  }

  writeAudit(entries: AuditEntry[]): Promise<void> {
    return this.plugin.audit(entries);
  }

  listLinkedUsers(
    connection: string,
    page: number,
    perPage: number,
  ): Promise<{ total: number; users: WpUserSnapshot[] }> {
    return this.plugin.users({
      connection,
      linked: true,
      page,
      perPage,
      orderby: 'id',
      order: 'asc',
    });
  }

  async findUser(
    connection: string,
    match: { login?: string; email?: string },
  ): Promise<WpUserSnapshot | null> {
    const { users } = await this.plugin.users({
      connection,
      login: match.login,
      email: match.email,
      perPage: 1,
    });
    return users[0] ?? null;
  }

  async link(
    connection: string,
    links: { userId: number; externalId: string }[],
  ): Promise<boolean[]> {
    const results = await this.plugin.links(connection, links);
    return links.map((_, index) => results[index]?.ok === true);
  }

  async findLinkedUser(connection: string, externalId: string): Promise<WpUserSnapshot | null> {
    const { users } = await this.plugin.users({ connection, externalId, perPage: 1 });
    return users[0] ?? null;
  }
}
