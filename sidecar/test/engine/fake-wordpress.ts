// An in-memory WordPress behind the WordPressGateway seam, following the plugin's batch route
// contract: identity links per connection, uniqueness of logins/emails/external ids (409),
// updates only of linked users (404), `unchanged` when nothing differs, deprovisioning per the
// policy, and one result per operation. It counts writes so tests can assert "no write".
// It also answers at the transport level (`request`), so an engine built on
// `gateway()` goes through the real PluginGateway and typed client, whose checks every
// answer passes.
import { PluginGateway } from '../../src/engine/wordpress-gateway.js';
import { WordPressError } from '../../src/wordpress/client.js';
import type { WordPressRequest, WordPressResponse } from '../../src/wordpress/client.js';
import type { WordPressTransport } from '../../src/wordpress/plugin.js';
import type {
  AuditEntry,
  AvatarItem,
  AvatarResult,
  OperationResult,
  SourceConnection,
  SyncConfig,
  UserOperation,
  WordPressGateway,
  WpUserInput,
  WpUserSnapshot,
} from '../../src/engine/types.js';

export interface FakeUser {
  id: number;
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  nickname: string;
  url: string;
  roles: string[];
  rememberedRoles: string[];
  active: boolean;
  meta: Record<string, string>;
  links: Map<string, string>;
  avatar: { contentType: string; data: string; version: string } | null;
  administrator?: boolean;
}

export const defaultConfig = (): SyncConfig => ({
  attributeMap: [
    ['userName', 'user_login'],
    ['emails[primary].value', 'user_email'],
    ['name.givenName', 'first_name'],
    ['name.familyName', 'last_name'],
    ['displayName', 'display_name'],
    ['nickName', 'nickname'],
    ['title', 'meta:title'],
    ['phoneNumbers[type eq "work"].value', 'meta:phone'],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', 'meta:department'],
    ['photos[type eq "photo"].value', 'avatar'],
  ].map(([source, target]) => ({
    source: source!,
    target: target!,
    direction: target === 'avatar' ? ('inbound' as const) : ('both' as const),
    transform: 'none' as const,
    default: null,
  })),
  roleMap: { rules: [], defaultRole: 'subscriber', allowAdministrator: false },
  deprovision: {
    action: 'disable',
    reassignTo: null,
    touchUnlinked: false,
    touchAdministrators: false,
  },
});

const FIELDS = [
  'login',
  'email',
  'firstName',
  'lastName',
  'displayName',
  'nickname',
  'url',
] as const;

export class FakeWordPress implements WordPressGateway, WordPressTransport {
  readonly baseUrl = 'http://wordpress.test';
  readonly users = new Map<number, FakeUser>();
  config: SyncConfig = defaultConfig();
  connections: SourceConnection[] = [];
  /** Every batch request, as sent. */
  readonly requests: { connection: string; source: string; operations: UserOperation[] }[] = [];
  /** Operations that changed something. */
  writes = 0;
  avatarRequests = 0;
  /** Entries the sidecar wrote to the audit log itself. */
  readonly audit: AuditEntry[] = [];
  private nextId = 1;
  /** Throws instead of answering (after applying, when `afterApply`) — a lost answer or an outage. */
  failure: { error: Error; afterApply: boolean; remaining: number } | null = null;
  /** Called before each batch (tests pause or inspect here). */
  beforeBatch: ((operations: UserOperation[]) => Promise<void> | void) | null = null;

  /** The engine's real gateway over this in-memory plugin. */
  gateway(): PluginGateway {
    return new PluginGateway(this);
  }

  async request<T>(req: WordPressRequest): Promise<WordPressResponse<T>> {
    const q = req.query ?? {};
    const body = (req.body ?? {}) as Record<string, unknown>;
    const connection = String(q.connection ?? body.connection ?? '');
    const page = (users: WpUserSnapshot[]) => ({ total: users.length, users });
    const answer = async (): Promise<unknown> => {
      switch (`${req.method ?? 'GET'} ${req.path}`) {
        case 'GET /usersync/v1/config':
          return this.getConfig();
        case 'GET /usersync/v1/sidecar/connections':
          return this.listConnections();
        case 'POST /usersync/v1/users/batch':
          return {
            results: await this.applyUsers(
              connection,
              String(body.source),
              body.operations as UserOperation[],
            ),
          };
        case 'POST /usersync/v1/sidecar/avatars':
          return {
            results: await this.setAvatars(
              connection,
              String(body.source),
              body.items as AvatarItem[],
            ),
          };
        case 'POST /usersync/v1/sidecar/audit':
          await this.writeAudit(body.entries as AuditEntry[]);
          return { written: (body.entries as unknown[]).length };
        case 'POST /usersync/v1/sidecar/links': {
          const links = body.links as { userId: number; externalId: string }[];
          const ok = await this.link(connection, links);
          return { results: links.map((l, i) => ({ userId: l.userId, ok: ok[i] === true })) };
        }
        case 'GET /usersync/v1/users': {
          if (q.external_id !== undefined) {
            const user = await this.findLinkedUser(connection, String(q.external_id));
            return page(user ? [user] : []);
          }
          if (q.login !== undefined || q.email !== undefined) {
            const user = await this.findUser(connection, {
              login: q.login === undefined || q.login === null ? undefined : String(q.login),
              email: q.email === undefined || q.email === null ? undefined : String(q.email),
            });
            return page(user ? [user] : []);
          }
          if (Number(q.linked) === 1)
            return this.listLinkedUsers(connection, Number(q.page ?? 1), Number(q.per_page));
          throw new WordPressError('Unsupported users query', 400, 'rest_invalid_param');
        }
        default:
          throw new WordPressError('No route was found', 404, 'rest_no_route');
      }
    };
    return { status: 200, data: (await answer()) as T, headers: {} };
  }

  async getConfig(): Promise<SyncConfig> {
    return structuredClone(this.config);
  }

  async listConnections(): Promise<SourceConnection[]> {
    return structuredClone(this.connections);
  }

  linked(connection: string): FakeUser[] {
    return [...this.users.values()].filter((user) => user.links.has(connection));
  }

  byExternalId(connection: string, externalId: string): FakeUser | undefined {
    return [...this.users.values()].find((user) => user.links.get(connection) === externalId);
  }

  async applyUsers(
    connection: string,
    source: string,
    operations: UserOperation[],
  ): Promise<OperationResult[]> {
    await this.beforeBatch?.(operations);
    const failure = this.failure;
    if (failure && failure.remaining > 0 && !failure.afterApply) {
      failure.remaining--;
      throw failure.error;
    }
    this.requests.push({ connection, source, operations: structuredClone(operations) });
    const results = operations.map((op) => this.apply(connection, op));
    if (failure && failure.remaining > 0 && failure.afterApply) {
      failure.remaining--;
      throw failure.error;
    }
    return results;
  }

  async setAvatars(
    connection: string,
    _source: string,
    items: AvatarItem[],
  ): Promise<AvatarResult[]> {
    this.avatarRequests++;
    return items.map((item) => {
      const user = this.users.get(item.id);
      if (!user || !user.links.has(connection)) {
        return {
          id: item.id,
          ok: false,
          error: { status: 404, code: 'usersync_not_found', message: 'not linked' },
        };
      }
      if ('remove' in item) {
        const had = user.avatar !== null;
        user.avatar = null;
        return { id: item.id, ok: true, status: had ? 'removed' : 'unchanged' };
      }
      if (user.avatar?.version === item.version)
        return { id: item.id, ok: true, status: 'unchanged' };
      user.avatar = { contentType: item.contentType, data: item.data, version: item.version };
      this.writes++;
      return { id: item.id, ok: true, status: 'updated' };
    });
  }

  async writeAudit(entries: AuditEntry[]): Promise<void> {
    this.audit.push(...structuredClone(entries));
  }

  async listLinkedUsers(connection: string, page: number, perPage: number) {
    const linked = this.linked(connection).sort((a, b) => a.id - b.id);
    return {
      total: linked.length,
      users: linked
        .slice((page - 1) * perPage, page * perPage)
        .map((u) => this.snapshot(u, connection)),
    };
  }

  async findUser(
    connection: string,
    match: { login?: string; email?: string },
  ): Promise<WpUserSnapshot | null> {
    const user = [...this.users.values()].find(
      (u) =>
        (match.login !== undefined && u.login.toLowerCase() === match.login.toLowerCase()) ||
        (match.email !== undefined && u.email.toLowerCase() === match.email.toLowerCase()),
    );
    return user ? this.snapshot(user, connection) : null;
  }

  async link(connection: string, links: { userId: number; externalId: string }[]) {
    return links.map(({ userId, externalId }) => {
      const user = this.users.get(userId);
      if (!user || this.byExternalId(connection, externalId)) return false;
      user.links.set(connection, externalId);
      return true;
    });
  }

  async findLinkedUser(connection: string, externalId: string): Promise<WpUserSnapshot | null> {
    const user = this.byExternalId(connection, externalId);
    return user ? this.snapshot(user, connection) : null;
  }

  /** Adds a user directly (an existing WordPress user). */
  addUser(fields: Partial<FakeUser> & { login: string; email: string }): FakeUser {
    const user: FakeUser = {
      id: this.nextId++,
      firstName: '',
      lastName: '',
      displayName: fields.login,
      nickname: fields.login,
      url: '',
      roles: ['subscriber'],
      rememberedRoles: [],
      active: true,
      meta: {},
      links: new Map(),
      avatar: null,
      ...fields,
    };
    this.users.set(user.id, user);
    return user;
  }

  private snapshot(user: FakeUser, connection: string): WpUserSnapshot {
    return {
      id: user.id,
      login: user.login,
      email: user.email,
      roles: [...user.roles],
      active: user.active,
      externalId: user.links.get(connection) ?? null,
      linked: user.links.has(connection),
    };
  }

  private apply(connection: string, op: UserOperation): OperationResult {
    const fail = (status: number, code: string, message: string): OperationResult => ({
      ref: op.ref,
      ok: false,
      error: { status, code, message, scimType: status === 409 ? 'uniqueness' : null },
    });
    const ok = (
      status: Extract<OperationResult, { ok: true }>['status'],
      user: FakeUser | null,
    ) => {
      if (status !== 'unchanged') this.writes++;
      return {
        ref: op.ref,
        ok: true as const,
        status,
        user: user ? this.snapshot(user, connection) : null,
      };
    };
    const input = op.user ?? {};
    if (input.roles?.includes('administrator') && !this.config.roleMap.allowAdministrator) {
      return fail(400, 'usersync_invalid_role', 'administrator is not allowed');
    }
    if (op.action === 'create') {
      if (!input.login) return fail(400, 'usersync_invalid_user', 'login is required');
      const clash = this.clash(input, null);
      if (clash) return fail(409, clash.code, clash.message);
      if (input.externalId && this.byExternalId(connection, input.externalId)) {
        return fail(409, 'usersync_external_id_exists', 'The external id is already linked');
      }
      const user = this.addUser({ login: input.login, email: input.email ?? '' });
      this.set(user, input);
      user.roles = input.roles ?? [this.config.roleMap.defaultRole];
      user.links.set(connection, input.externalId ?? '');
      if (input.active === false) this.disable(user);
      this.writes++;
      return { ref: op.ref, ok: true, status: 'created', user: this.snapshot(user, connection) };
    }
    const user = op.id === undefined ? undefined : this.users.get(op.id);
    if (!user || !user.links.has(connection)) {
      return fail(404, 'usersync_not_found', 'No user linked to this connection has this id');
    }
    const policy = this.config.deprovision;
    switch (op.action) {
      case 'update': {
        const clash = this.clash(input, user.id);
        if (clash) return fail(409, clash.code, clash.message);
        const before = JSON.stringify(user, replacer);
        this.set(user, input);
        if (input.roles) {
          if (user.active) user.roles = [...input.roles];
          else user.rememberedRoles = [...input.roles];
        }
        let status: 'updated' | 'unchanged' | 'disabled' | 'reactivated' = 'updated';
        if (input.active === false && user.active) {
          this.disable(user);
          status = 'disabled';
        } else if (input.active === true && !user.active) {
          this.reactivate(user, input.roles);
          status = 'reactivated';
        }
        if (JSON.stringify(user, replacer) === before) status = 'unchanged';
        return ok(status, user);
      }
      case 'deprovision':
      case 'delete': {
        // A purge (the connection's own removal policy) deletes whatever the site's action.
        if (policy.action === 'delete' || (op.action === 'delete' && op.purge === true)) {
          this.users.delete(user.id);
          return ok('deleted', null);
        }
        const wasActive = user.active;
        if (user.active) this.disable(user);
        if (op.action === 'delete') {
          // Gone for this connection: disabled and unlinked (the plugin answers `deleted`).
          user.links.delete(connection);
          return ok('deleted', user);
        }
        return ok(wasActive ? 'disabled' : 'unchanged', user);
      }
      case 'reactivate':
        if (user.active) return ok('unchanged', user);
        this.reactivate(user);
        return ok('reactivated', user);
    }
  }

  private clash(input: WpUserInput, self: number | null) {
    for (const other of this.users.values()) {
      if (other.id === self) continue;
      if (input.login && other.login.toLowerCase() === input.login.toLowerCase())
        return { code: 'usersync_login_exists', message: `The login ${input.login} is taken` };
      if (input.email && other.email.toLowerCase() === input.email.toLowerCase())
        return { code: 'usersync_email_exists', message: `The email ${input.email} is taken` };
    }
    return null;
  }

  private set(user: FakeUser, input: WpUserInput): void {
    for (const field of FIELDS) {
      const value = input[field];
      if (value !== undefined) user[field] = value;
    }
    for (const [key, value] of Object.entries(input.meta ?? {})) {
      if (value === null) delete user.meta[key];
      else user.meta[key] = value;
    }
  }

  private disable(user: FakeUser): void {
    user.rememberedRoles = user.roles;
    user.roles = [];
    user.active = false;
  }

  private reactivate(user: FakeUser, roles?: string[]): void {
    user.roles =
      roles ??
      (user.rememberedRoles.length > 0 ? user.rememberedRoles : [this.config.roleMap.defaultRole]);
    user.rememberedRoles = [];
    user.active = true;
  }
}

function replacer(key: string, value: unknown) {
  return value instanceof Map ? [...value] : value;
}
