// The plugin's outbound routes in memory: an outbox with ids, acknowledgements, user
// snapshots with identity links, peers, tokens, audit entries, links, clock and password
// hashes — enough WordPress for the pipeline and the peer target to be checked request by
// request. It answers at the transport level, so the real typed client (and its checks of
// every answer) sits between it and the code under test.
import { WordPressError } from '../../src/wordpress/client.js';
import type { WordPressRequest, WordPressResponse } from '../../src/wordpress/client.js';
import { PluginFeed } from '../../src/wordpress/feed.js';
import type { WordPressTransport } from '../../src/wordpress/plugin.js';
import { syncConfigSchema } from '../../src/wordpress/types.js';
import type {
  AuditEntry,
  ChangeAction,
  FeedPage,
  LinkResult,
  OutboxChange,
  PeerSettings,
  SyncConfig,
  UserSnapshot,
} from '../../src/wordpress/types.js';

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
  active: boolean;
  meta: Record<string, string | null>;
  links: Map<string, string>;
  pass: string;
}

export class FakeFeed implements WordPressTransport {
  readonly baseUrl = 'http://wordpress.test';
  outbox: OutboxChange[] = [];
  acked = 0;
  people = new Map<number, FakeUser>();
  peerList: PeerSettings[] = [];
  auditLog: AuditEntry[] = [];
  inbound = new Set<string>();
  clocks = new Map<number, Record<string, string>>();
  config: SyncConfig = syncConfigSchema.parse({});
  /** Set to make every call fail as if WordPress were down. */
  down = false;
  calls: string[] = [];
  private nextId = 1;
  private nextUser = 1;

  /** The real feed over this in-memory plugin. */
  asFeed(): PluginFeed {
    return new PluginFeed(this);
  }

  async request<T>(req: WordPressRequest): Promise<WordPressResponse<T>> {
    const q = req.query ?? {};
    const body = (req.body ?? {}) as Record<string, unknown>;
    const ids = (value: unknown) =>
      String(value ?? '')
        .split(',')
        .filter(Boolean)
        .map(Number);
    const route = `${req.method ?? 'GET'} ${req.path}`;
    const answer = async (): Promise<unknown> => {
      switch (route) {
        case 'GET /usersync/v1/changes':
          return this.changes(Number(q.after), Number(q.limit));
        case 'POST /usersync/v1/changes/ack':
          return this.ack(Number(body.upTo));
        case 'GET /usersync/v1/changes/clock':
          return { clock: Object.fromEntries(await this.clock(ids(q.ids))) };
        case 'GET /usersync/v1/config':
          return this.syncConfig();
        case 'GET /usersync/v1/sidecar/peers':
          return this.peers();
        case 'GET /usersync/v1/sidecar/tokens':
          return this.tokens();
        case 'GET /usersync/v1/users': {
          const connection = String(q.connection ?? '');
          if (q.id !== undefined)
            return { users: [...(await this.users(ids(q.id), connection)).values()] };
          return this.listUsers(connection, Number(q.page ?? 1), Number(q.per_page ?? 100));
        }
        case 'POST /usersync/v1/sidecar/links':
          return {
            results: await this.links(
              String(body.connection),
              body.links as { userId: number; externalId: string | null }[],
            ),
          };
        case 'POST /usersync/v1/sidecar/audit':
          await this.audit(body.entries as AuditEntry[]);
          return { written: (body.entries as unknown[]).length };
        case 'GET /usersync/v1/sidecar/passwords':
          return {
            hashes: [...(await this.passwordHashes(ids(q.ids))).entries()].map(([id, hash]) => ({
              id,
              hash,
            })),
          };
        case 'POST /usersync/v1/sidecar/passwords':
          return {
            results: await this.acceptPasswordHashes(
              String(body.connection),
              body.users as { id: number; hash: string }[],
            ),
          };
        default:
          throw new WordPressError('No route was found', 404, 'rest_no_route');
      }
    };
    return { status: 200, data: (await answer()) as T, headers: {} };
  }

  /** Appends an outbox row. */
  change(userId: number, action: ChangeAction, changed: string[] = [], origin = 'local'): number {
    const id = this.nextId++;
    this.outbox.push({ id, userId, action, changed, origin, createdAt: new Date().toISOString() });
    return id;
  }

  addUser(login: string, fields: Partial<FakeUser> = {}): FakeUser {
    const id = this.nextUser++;
    const user: FakeUser = {
      id,
      login,
      email: `${login}@example.com`,
      firstName: '',
      lastName: '',
      displayName: login,
      nickname: login,
      url: '',
      roles: ['subscriber'],
      active: true,
      meta: {},
      links: new Map(),
      pass: `$P$B${login.padEnd(30, 'x').slice(0, 30)}`,
      ...fields,
    };
    this.people.set(id, user);
    return user;
  }

  private guard(name: string) {
    this.calls.push(name);
    if (this.down) throw new WordPressError('WordPress is down', 0, 'network_error');
  }

  latest(): number {
    return this.outbox.length ? this.outbox[this.outbox.length - 1]!.id : 0;
  }

  async changes(after: number, limit: number): Promise<FeedPage> {
    this.guard('changes');
    const changes = this.outbox.filter((row) => row.id > after).slice(0, limit);
    const last = changes.length ? changes[changes.length - 1]!.id : after;
    return {
      changes,
      last,
      latest: Math.max(this.latest(), changes.length ? last : 0),
      acked: this.acked,
    };
  }

  async ack(upTo: number) {
    this.guard('ack');
    this.acked = Math.max(this.acked, Math.min(upTo, this.latest()));
    return { acked: this.acked, pruned: 0 };
  }

  async syncConfig(): Promise<SyncConfig> {
    this.guard('config');
    return this.config;
  }

  async peers(): Promise<PeerSettings[]> {
    this.guard('peers');
    return this.peerList;
  }

  /** The SCIM tokens of this site: one for each connection in `inbound`. */
  async tokens() {
    this.guard('tokens');
    return [...this.inbound].map((connection, i) => ({
      id: `token-${i + 1}`,
      name: connection,
      connection,
      hash: '0'.repeat(64),
    }));
  }

  snapshot(user: FakeUser, connection: string): UserSnapshot {
    const link = user.links.get(connection);
    return {
      id: user.id,
      login: user.login,
      email: user.email,
      firstName: user.firstName,
      lastName: user.lastName,
      displayName: user.displayName,
      nickname: user.nickname,
      url: user.url,
      roles: user.active ? user.roles : [],
      active: user.active,
      registered: '2025-01-01T00:00:00Z',
      modified: '2025-01-01T00:00:00Z',
      version: 'W/"x"',
      connection,
      externalId: link ? link : null,
      linked: link !== undefined,
      createdBy: null,
      groups: [],
      scim: null,
      meta: {
        title: null,
        phone: null,
        department: null,
        employee_number: null,
        organization: null,
        ...user.meta,
      },
    };
  }

  async users(ids: number[], connection: string): Promise<Map<number, UserSnapshot>> {
    this.guard('users');
    const found = new Map<number, UserSnapshot>();
    for (const id of ids) {
      const user = this.people.get(id);
      if (user) found.set(id, this.snapshot(user, connection));
    }
    return found;
  }

  async listUsers(connection: string, page: number, perPage: number) {
    this.guard('listUsers');
    const all = [...this.people.values()].sort((a, b) => a.id - b.id);
    return {
      total: all.length,
      users: all
        .slice((page - 1) * perPage, page * perPage)
        .map((u) => this.snapshot(u, connection)),
    };
  }

  async links(
    connection: string,
    links: { userId: number; externalId: string | null }[],
  ): Promise<LinkResult[]> {
    this.guard('links');
    return links.map(({ userId, externalId }) => {
      const user = this.people.get(userId);
      if (!user)
        return {
          userId,
          ok: false,
          error: { status: 404, code: 'usersync_not_found', message: 'gone' },
        };
      if (externalId === null) user.links.delete(connection);
      else user.links.set(connection, externalId);
      return { userId, ok: true, status: 'linked' };
    });
  }

  async audit(entries: AuditEntry[]): Promise<void> {
    this.guard('audit');
    this.auditLog.push(...entries);
  }

  async clock(ids: number[]): Promise<Map<number, Record<string, string>>> {
    this.guard('clock');
    return new Map(ids.filter((id) => this.clocks.has(id)).map((id) => [id, this.clocks.get(id)!]));
  }

  /** Hashes handed to WordPress by acceptPasswordHashes(), with the connection. */
  accepted: { connection: string; users: { id: number; hash: string }[] }[] = [];

  async acceptPasswordHashes(connection: string, users: { id: number; hash: string }[]) {
    this.guard('acceptPasswords');
    this.accepted.push({ connection, users });
    return users.map((user) => ({ id: user.id, ok: true, status: 'updated' }));
  }

  async passwordHashes(ids: number[]): Promise<Map<number, string>> {
    this.guard('passwords');
    return new Map(
      ids.filter((id) => this.people.has(id)).map((id) => [id, this.people.get(id)!.pass]),
    );
  }
}
