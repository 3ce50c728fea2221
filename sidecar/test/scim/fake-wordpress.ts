// The plugin's routes as the contract describes them, in memory, at the transport level
// (the real typed client talks to it): users, groups, config and the batch routes the SCIM
// store uses, and the outbox feed, ack, clock, peers, connections, tokens, links, audit and
// password routes pushes use. One WordPress for both, so what a SCIM write does is what the feed
// serves (the real plugin is exercised by the e2e suite).
import { createHash } from 'node:crypto';
import { WordPressError } from '../../src/wordpress/client.js';
import type {
  WordPressClient,
  WordPressRequest,
  WordPressResponse,
} from '../../src/wordpress/client.js';
import { PluginFeed } from '../../src/wordpress/feed.js';
import type { WordPressTransport } from '../../src/wordpress/plugin.js';
import { syncConfigSchema } from '../../src/wordpress/types.js';
import type {
  AuditEntry,
  ChangeAction,
  GroupSnapshot,
  OutboxChange,
  PeerSettings,
  SourceConnection,
  SyncConfig,
  UserSnapshot,
} from '../../src/wordpress/types.js';
import { DEFAULT_ATTRIBUTE_MAP } from '../../src/scim/mapping.js';

interface User {
  id: number;
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  nickname: string;
  url: string;
  description: string;
  avatarUrl: string | null;
  password?: string;
  roles: string[];
  active: boolean;
  registered: string;
  modified: string;
  links: Map<string, string>;
  scim: Map<string, Record<string, unknown>>;
  meta: Record<string, unknown>;
  createdBy: string | null;
  /** The password hash WordPress keeps (served to peers that send passwords). */
  pass: string;
}

interface Group {
  id: number;
  connection: string;
  displayName: string;
  externalId: string | null;
  created: string;
  modified: string;
  members: Set<number>;
}

const version = (value: unknown) =>
  `W/"${createHash('sha1').update(JSON.stringify(value)).digest('hex').slice(0, 16)}"`;

export type FakeUser = User;

const hashOf = (login: string) => `$P$B${login.padEnd(30, 'x').slice(0, 30)}`;

export class FakeWordPress implements WordPressTransport {
  readonly baseUrl = 'http://wordpress.test';
  users = new Map<number, User>();
  groups = new Map<number, Group>();
  /** Every request, for assertions on what the store asked. */
  requests: WordPressRequest[] = [];
  unreachable = false;
  config: Record<string, unknown> = { attributeMap: DEFAULT_ATTRIBUTE_MAP };
  private nextId = 1;
  private clock = Date.parse('2025-01-01T00:00:00Z');

  // The outbound side: the outbox, its acknowledgement and what pushes read and write.
  outbox: OutboxChange[] = [];
  acked = 0;
  peerList: PeerSettings[] = [];
  /** Connections as `GET sidecar/connections` serves them (secrets included). */
  connectionList: SourceConnection[] = [];
  auditLog: AuditEntry[] = [];
  /** Connections holding a SCIM token of this site (they write to it). */
  inbound = new Set<string>();
  clocks = new Map<number, Record<string, string>>();
  /** Hashes handed to WordPress through the passwords route, with the connection. */
  accepted: { connection: string; users: { id: number; hash: string }[] }[] = [];
  private nextChange = 1;

  /** The users, by id (what pushes call the local people). */
  get people(): Map<number, User> {
    return this.users;
  }

  /** Every call fails as if WordPress were down. */
  get down(): boolean {
    return this.unreachable;
  }
  set down(value: boolean) {
    this.unreachable = value;
  }

  /** The sync configuration as the plugin serves it (defaults filled in). */
  get syncConfig(): SyncConfig {
    return syncConfigSchema.parse(this.config);
  }

  /** The real feed over this plugin. */
  asFeed(): PluginFeed {
    return new PluginFeed(this);
  }

  /** A WordPress user with these fields (not linked to any connection unless `links` says). */
  addUser(login: string, fields: Partial<User> = {}): User {
    const now = this.now();
    const user: User = {
      id: this.nextId++,
      login,
      email: `${login}@example.com`,
      firstName: '',
      lastName: '',
      displayName: login,
      nickname: login,
      url: '',
      description: '',
      avatarUrl: null,
      roles: ['subscriber'],
      active: true,
      registered: now,
      modified: now,
      links: new Map(),
      scim: new Map(),
      meta: {},
      createdBy: null,
      pass: hashOf(login),
      ...fields,
    };
    this.users.set(user.id, user);
    return user;
  }

  /** Appends an outbox row. */
  change(userId: number, action: ChangeAction, changed: string[] = [], origin = 'local'): number {
    const id = this.nextChange++;
    this.outbox.push({ id, userId, action, changed, origin, createdAt: new Date().toISOString() });
    return id;
  }

  latest(): number {
    return this.outbox.length ? this.outbox[this.outbox.length - 1]!.id : 0;
  }

  /** A user that exists in WordPress but is not linked to any connection. */
  addLocalUser(login: string, email: string, roles = ['subscriber']): number {
    const id = this.nextId++;
    const now = this.now();
    this.users.set(id, {
      id,
      login,
      email,
      firstName: '',
      lastName: '',
      displayName: login,
      nickname: login,
      url: '',
      description: '',
      avatarUrl: null,
      roles,
      active: true,
      registered: now,
      modified: now,
      links: new Map(),
      scim: new Map(),
      meta: {},
      createdBy: null,
      pass: hashOf(login),
    });
    return id;
  }

  client(): WordPressClient {
    const request = <T>(req: WordPressRequest) => this.request<T>(req);
    return {
      request,
      get: <T>(path: string, query?: WordPressRequest['query']) =>
        request<T>({ method: 'GET', path, query }),
      post: <T>(path: string, body: unknown) => request<T>({ method: 'POST', path, body }),
    } as unknown as WordPressClient;
  }

  private now() {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  async request<T>(req: WordPressRequest): Promise<WordPressResponse<T>> {
    this.requests.push(structuredClone(req));
    if (this.unreachable) throw new WordPressError('connect ECONNREFUSED', 0, 'network_error');
    const query = Object.fromEntries(
      Object.entries(req.query ?? {})
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k, v]) => [k, String(v)]),
    );
    const ok = (data: unknown) => ({ status: 200, data: data as T, headers: {} });
    switch (`${req.method ?? 'GET'} ${req.path}`) {
      case 'GET /usersync/v1/config':
        return ok(this.config);
      case 'GET /usersync/v1/users':
        return ok(this.listUsers(query));
      case 'POST /usersync/v1/users/batch':
        return ok(this.userBatch(req.body as Record<string, unknown>));
      case 'GET /usersync/v1/groups':
        return ok(this.listGroups(query));
      case 'POST /usersync/v1/groups/batch':
        return ok(this.groupBatch(req.body as Record<string, unknown>));
      case 'GET /usersync/v1/changes':
        return ok(this.changes(Number(query.after ?? 0), Number(query.limit ?? 100)));
      case 'POST /usersync/v1/changes/ack':
        return ok(this.ack(Number((req.body as { upTo?: unknown }).upTo)));
      case 'GET /usersync/v1/changes/clock': {
        const ids = idList(query.ids).filter((id) => this.clocks.has(id));
        return ok({ clock: Object.fromEntries(ids.map((id) => [id, this.clocks.get(id)!])) });
      }
      case 'GET /usersync/v1/sidecar/peers':
        return ok(this.peerList);
      case 'GET /usersync/v1/sidecar/connections':
        return ok(this.connectionList);
      case 'GET /usersync/v1/sidecar/tokens':
        return ok(
          [...this.inbound].map((connection, i) => ({
            id: `token-${i + 1}`,
            name: connection,
            connection,
            hash: '0'.repeat(64),
          })),
        );
      case 'POST /usersync/v1/sidecar/links':
        return ok(this.link(req.body as Record<string, unknown>));
      case 'POST /usersync/v1/sidecar/audit': {
        const entries = (req.body as { entries: AuditEntry[] }).entries;
        this.auditLog.push(...structuredClone(entries));
        return ok({ written: entries.length });
      }
      case 'GET /usersync/v1/sidecar/passwords':
        return ok({
          hashes: idList(query.ids)
            .filter((id) => this.users.has(id))
            .map((id) => ({ id, hash: this.users.get(id)!.pass })),
        });
      case 'POST /usersync/v1/sidecar/passwords': {
        const body = req.body as { connection: string; users: { id: number; hash: string }[] };
        this.accepted.push({ connection: body.connection, users: body.users });
        return ok({ results: body.users.map((u) => ({ id: u.id, ok: true, status: 'updated' })) });
      }
      default:
        throw new WordPressError('No route', 404, 'rest_no_route');
    }
  }

  private changes(after: number, limit: number) {
    const changes = this.outbox.filter((row) => row.id > after).slice(0, limit);
    const last = changes.length ? changes[changes.length - 1]!.id : after;
    const latest = Math.max(this.latest(), changes.length ? last : 0);
    return { changes, last, latest, acked: this.acked };
  }

  private ack(upTo: number) {
    this.acked = Math.max(this.acked, Math.min(upTo, this.latest()));
    return { acked: this.acked, pruned: 0 };
  }

  private link(body: Record<string, unknown>) {
    const connection = String(body.connection);
    const links = body.links as { userId: number; externalId: string | null }[];
    return {
      results: links.map(({ userId, externalId }) => {
        const user = this.users.get(userId);
        if (!user)
          return {
            userId,
            ok: false,
            error: { status: 404, code: 'usersync_not_found', message: 'No such user' },
          };
        if (externalId === null) user.links.delete(connection);
        else user.links.set(connection, externalId);
        return { userId, ok: true, status: 'linked' };
      }),
    };
  }

  snapshot(user: User, connection: string | null): UserSnapshot {
    const groups = [...this.groups.values()]
      .filter((g) => g.connection === connection && g.members.has(user.id))
      .map((g) => ({ id: g.id, displayName: g.displayName }));
    const base = {
      id: user.id,
      login: user.login,
      email: user.email,
      firstName: user.firstName,
      lastName: user.lastName,
      displayName: user.displayName,
      nickname: user.nickname,
      url: user.url,
      description: user.description,
      avatarUrl: user.avatarUrl,
      roles: user.roles,
      active: user.active,
      registered: user.registered,
      modified: user.modified,
      connection,
      externalId:
        connection && user.links.has(connection) ? user.links.get(connection) || null : null,
      linked: !!connection && user.links.has(connection),
      createdBy: user.createdBy,
      groups,
      scim: (connection && user.scim.get(connection)) || null,
      meta: { ...user.meta },
    };
    return { ...base, version: version(base) };
  }

  private listUsers(q: Record<string, string>) {
    let list = [...this.users.values()];
    const connection = q.connection ?? null;
    if (q.linked === '1') list = list.filter((u) => connection && u.links.has(connection));
    if (q.id) {
      const ids = q.id.split(',').map(Number);
      list = list.filter((u) => ids.includes(u.id));
    }
    if (q.login) list = list.filter((u) => u.login.toLowerCase() === q.login!.toLowerCase());
    if (q.email) list = list.filter((u) => u.email.toLowerCase() === q.email!.toLowerCase());
    if (q.external_id)
      list = list.filter((u) => connection && u.links.get(connection) === q.external_id);
    const clauses = matchClauses(q);
    if (clauses.length)
      list = list.filter((u) =>
        clauses.some((clause) => clause.every((c) => matchesCondition(u, c, connection))),
      );
    if (q.search) {
      const s = q.search.toLowerCase();
      list = list.filter((u) =>
        [u.login, u.email, u.displayName].some((f) => f.toLowerCase().includes(s)),
      );
    }
    const key = (u: User) =>
      ({
        id: u.id,
        login: u.login.toLowerCase(),
        email: u.email.toLowerCase(),
        registered: u.registered,
        modified: u.modified,
      })[(q.orderby ?? 'id') as 'id'];
    list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
    if (q.order === 'desc') list.reverse();
    const perPage = Math.min(500, Number(q.per_page ?? 100));
    const page = Number(q.page ?? 1);
    return {
      total: list.length,
      users: list
        .slice((page - 1) * perPage, page * perPage)
        .map((u) => this.snapshot(u, connection)),
    };
  }

  private userBatch(body: Record<string, unknown>) {
    const connection = String(body.connection);
    const operations = body.operations as Record<string, unknown>[];
    return {
      results: operations.map((op) => {
        try {
          return { ref: op.ref, ok: true, ...this.userOp(connection, op) };
        } catch (error) {
          if (!(error instanceof OpError)) throw error;
          return { ref: op.ref, ok: false, error: error.toJSON() };
        }
      }),
    };
  }

  private userOp(connection: string, op: Record<string, unknown>) {
    const input = (op.user ?? {}) as Record<string, unknown>;
    const taken = (field: 'login' | 'email', value: unknown, self?: number) =>
      typeof value === 'string' &&
      [...this.users.values()].some(
        (u) => u.id !== self && u[field].toLowerCase() === value.toLowerCase(),
      );
    if (op.action === 'create') {
      if (taken('login', input.login))
        throw new OpError(409, 'usersync_login_exists', 'uniqueness');
      if (taken('email', input.email))
        throw new OpError(409, 'usersync_email_exists', 'uniqueness');
      if (
        typeof input.externalId === 'string' &&
        [...this.users.values()].some((u) => u.links.get(connection) === input.externalId)
      )
        throw new OpError(409, 'usersync_external_id_exists', 'uniqueness');
      if (typeof input.login !== 'string' || !/^[a-z0-9 _.\-@]{1,60}$/i.test(input.login))
        throw new OpError(400, 'usersync_invalid_login', 'invalidValue');
      const now = this.now();
      const user: User = {
        id: this.nextId++,
        login: input.login,
        email: String(input.email ?? ''),
        firstName: String(input.firstName ?? ''),
        lastName: String(input.lastName ?? ''),
        displayName: String(input.displayName ?? input.login),
        nickname: String(input.nickname ?? input.login),
        url: String(input.url ?? ''),
        description: String(input.description ?? ''),
        avatarUrl: typeof input.avatarUrl === 'string' && input.avatarUrl ? input.avatarUrl : null,
        password: input.password as string | undefined,
        roles: input.active === false ? [] : ['subscriber'],
        active: input.active !== false,
        registered: now,
        modified: now,
        links: new Map([[connection, String(input.externalId ?? '')]]),
        scim: new Map(input.scim ? [[connection, input.scim as Record<string, unknown>]] : []),
        meta: Object.fromEntries(
          Object.entries((input.meta ?? {}) as object).filter(([, v]) => v !== null),
        ),
        createdBy: connection,
        pass: hashOf(input.login),
      };
      this.users.set(user.id, user);
      return { status: 'created', user: this.snapshot(user, connection) };
    }
    const user = this.users.get(Number(op.id));
    const policy = (this.config.deprovision ?? {}) as Record<string, unknown>;
    // Users not linked to the connection only under touchUnlinked; administrators only under
    // touchAdministrators (the plugin's writer checks both before any update).
    if (!user || (!user.links.has(connection) && policy.touchUnlinked !== true))
      throw new OpError(404, 'usersync_not_found', null);
    if (user.roles.includes('administrator') && policy.touchAdministrators !== true)
      throw new OpError(403, 'usersync_administrator_protected', null);
    if (op.ifMatch !== undefined && op.ifMatch !== this.snapshot(user, connection).version)
      throw new OpError(412, 'usersync_precondition_failed', null);
    if (op.action === 'delete') {
      this.users.delete(user.id);
      for (const g of this.groups.values()) g.members.delete(user.id);
      return { status: 'deleted', user: null };
    }
    if (op.action !== 'update')
      throw new OpError(400, 'usersync_invalid_operation', 'invalidValue');
    if (taken('login', input.login, user.id))
      throw new OpError(409, 'usersync_login_exists', 'uniqueness');
    if (taken('email', input.email, user.id))
      throw new OpError(409, 'usersync_email_exists', 'uniqueness');
    const before = JSON.stringify(this.snapshot(user, connection)) + (user.password ?? '');
    for (const field of [
      'login',
      'email',
      'firstName',
      'lastName',
      'displayName',
      'nickname',
      'url',
      'description',
    ] as const)
      if (typeof input[field] === 'string') user[field] = input[field] as string;
    if ('avatarUrl' in input)
      user.avatarUrl =
        typeof input.avatarUrl === 'string' && input.avatarUrl ? input.avatarUrl : null;
    if (typeof input.password === 'string') user.password = input.password;
    if (typeof input.active === 'boolean' && input.active !== user.active) {
      user.active = input.active;
      user.roles = input.active ? ['subscriber'] : [];
    }
    // An update links an unlinked user (with the external id it names, or none).
    if ('externalId' in input || !user.links.has(connection))
      user.links.set(connection, String(input.externalId ?? ''));
    if (input.scim) user.scim.set(connection, input.scim as Record<string, unknown>);
    for (const [key, value] of Object.entries((input.meta ?? {}) as Record<string, unknown>)) {
      if (value === null) delete user.meta[key];
      else user.meta[key] = value;
    }
    if (JSON.stringify(this.snapshot(user, connection)) + (user.password ?? '') === before)
      return { status: 'unchanged', user: this.snapshot(user, connection) };
    user.modified = this.now();
    return {
      status:
        typeof input.active === 'boolean' ? (input.active ? 'reactivated' : 'disabled') : 'updated',
      user: this.snapshot(user, connection),
    };
  }

  groupSnapshot(group: Group, members = true): GroupSnapshot {
    const base = {
      id: group.id,
      connection: group.connection,
      displayName: group.displayName,
      externalId: group.externalId,
      created: group.created,
      modified: group.modified,
      scim: null,
      memberIds: [...group.members].sort(),
    };
    const { memberIds, ...rest } = base;
    return {
      ...rest,
      version: version(base),
      ...(members
        ? {
            members: memberIds.map((id) => {
              const u = this.users.get(id)!;
              return { id, login: u.login, displayName: u.displayName };
            }),
          }
        : {}),
    };
  }

  private listGroups(q: Record<string, string>) {
    let list = [...this.groups.values()].filter((g) => g.connection === q.connection);
    if (q.id) list = list.filter((g) => q.id!.split(',').map(Number).includes(g.id));
    if (q.display_name)
      list = list.filter((g) => g.displayName.toLowerCase() === q.display_name!.toLowerCase());
    if (q.external_id) list = list.filter((g) => g.externalId === q.external_id);
    if (q.member) list = list.filter((g) => g.members.has(Number(q.member)));
    const perPage = Math.min(500, Number(q.per_page ?? 100));
    const page = Number(q.page ?? 1);
    return {
      total: list.length,
      groups: list
        .slice((page - 1) * perPage, page * perPage)
        .map((g) => this.groupSnapshot(g, q.members !== '0')),
    };
  }

  private groupBatch(body: Record<string, unknown>) {
    const connection = String(body.connection);
    return {
      results: (body.operations as Record<string, unknown>[]).map((op) => {
        try {
          return { ref: op.ref, ok: true, ...this.groupOp(connection, op) };
        } catch (error) {
          if (!(error instanceof OpError)) throw error;
          return { ref: op.ref, ok: false, error: error.toJSON() };
        }
      }),
    };
  }

  private checkMembers(connection: string, ids: unknown[]) {
    for (const id of ids) {
      const user = this.users.get(Number(id));
      if (!user || !user.links.has(connection))
        throw new OpError(400, 'usersync_invalid_member', 'invalidValue');
    }
  }

  private groupOp(connection: string, op: Record<string, unknown>) {
    const input = (op.group ?? {}) as Record<string, unknown>;
    const nameTaken = (name: unknown, self?: number) =>
      typeof name === 'string' &&
      [...this.groups.values()].some(
        (g) =>
          g.id !== self &&
          g.connection === connection &&
          g.displayName.toLowerCase() === name.toLowerCase(),
      );
    if (op.action === 'create') {
      if (nameTaken(input.displayName))
        throw new OpError(409, 'usersync_group_exists', 'uniqueness');
      const members = (input.members ?? []) as number[];
      this.checkMembers(connection, members);
      const now = this.now();
      const group: Group = {
        id: this.nextId++,
        connection,
        displayName: String(input.displayName),
        externalId: (input.externalId as string | null) ?? null,
        created: now,
        modified: now,
        members: new Set(members),
      };
      this.groups.set(group.id, group);
      return { status: 'created', group: this.groupSnapshot(group) };
    }
    const group = this.groups.get(Number(op.id));
    if (!group || group.connection !== connection)
      throw new OpError(404, 'usersync_group_not_found', null);
    if (op.ifMatch !== undefined && op.ifMatch !== this.groupSnapshot(group).version)
      throw new OpError(412, 'usersync_precondition_failed', null);
    if (op.action === 'delete') {
      this.groups.delete(group.id);
      return { status: 'deleted', group: null };
    }
    if (nameTaken(input.displayName, group.id))
      throw new OpError(409, 'usersync_group_exists', 'uniqueness');
    const before = JSON.stringify(this.groupSnapshot(group));
    if (typeof input.displayName === 'string') group.displayName = input.displayName;
    if ('externalId' in input) group.externalId = (input.externalId as string | null) ?? null;
    if (Array.isArray(input.members)) {
      this.checkMembers(connection, input.members);
      group.members = new Set(input.members as number[]);
    }
    const add = (op.addMembers ?? []) as number[];
    this.checkMembers(connection, add);
    for (const id of add) group.members.add(id);
    for (const id of (op.removeMembers ?? []) as number[]) group.members.delete(id);
    if (JSON.stringify(this.groupSnapshot(group)) === before)
      return { status: 'unchanged', group: this.groupSnapshot(group) };
    group.modified = this.now();
    return { status: 'updated', group: this.groupSnapshot(group) };
  }
}

class OpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly scimType: string | null,
  ) {
    super(code);
  }
  toJSON() {
    return {
      status: this.status,
      code: this.code,
      scimType: this.scimType,
      message: `${this.code} (${this.status})`,
    };
  }
}

interface Condition {
  attr: string;
  op: string;
  value?: string;
}

/** The `match[i][j][attr|op|value]` parameters as the plugin reads them. */
function matchClauses(q: Record<string, string>): Condition[][] {
  const clauses: Condition[][] = [];
  for (const [key, value] of Object.entries(q)) {
    const m = /^match\[(\d+)\]\[(\d+)\]\[(attr|op|value)\]$/.exec(key);
    if (!m) continue;
    const clause = (clauses[Number(m[1])] ??= []);
    const condition = (clause[Number(m[2])] ??= { attr: '', op: '' });
    condition[m[3] as 'attr'] = value;
  }
  return clauses.filter(Boolean).map((c) => c.filter(Boolean));
}

/** One condition as the plugin's SQL decides it (case-insensitive but external ids). */
function matchesCondition(u: User, c: Condition, connection: string | null): boolean {
  const raw =
    c.attr === 'external_id'
      ? connection
        ? u.links.get(connection)
        : undefined
      : { login: u.login, email: u.email, display_name: u.displayName, modified: u.modified }[
          c.attr
        ];
  if (raw === undefined) return false;
  if (c.op === 'pr') return raw !== '';
  const exact = c.attr === 'external_id' || c.attr === 'modified';
  const actual = exact ? raw : raw.toLowerCase();
  const want = exact ? (c.value ?? '') : (c.value ?? '').toLowerCase();
  switch (c.op) {
    case 'eq':
      return actual === want;
    case 'sw':
      return actual.startsWith(want);
    case 'ew':
      return actual.endsWith(want);
    case 'co':
      return actual.includes(want);
    case 'gt':
      return actual > want;
    case 'ge':
      return actual >= want;
    case 'lt':
      return actual < want;
    case 'le':
      return actual <= want;
    default:
      return false;
  }
}

function idList(value: string | undefined): number[] {
  return (value ?? '').split(',').filter(Boolean).map(Number);
}
