// SCIM Users and Groups stored in WordPress through the plugin's routes. Reads use
// GET /usersync/v1/users (linked to the token's connection) and /groups. A User filter
// goes to SQL as far as it can (pushdown.ts): when SQL answers it exactly, WordPress pages
// and counts; otherwise the whole filter is evaluated on the candidates SQL leaves, page by
// page, and a filter leaving too many is refused (tooMany); writes go through the batch routes, a SCIM request being a
// batch of one and /Bulk a real batch. The attribute map is cached for a few seconds, so a
// write is one request to WordPress. A create that collides with an existing WordPress
// account of the same person adopts it when the plugin allows (the deprovisioning policy,
// protected accounts, and accounts this connection provisioned before: see afterCollision).
import { planRecovery } from '../provisioning/index.js';
import type { FoundAccount } from '../provisioning/index.js';
import type { Logger } from '../logger.js';
import { WordPressError } from '../wordpress/client.js';
import type { QueryValue } from '../wordpress/client.js';
import { WordPressPlugin, WordPressResponseError } from '../wordpress/plugin.js';
import type { WordPressTransport } from '../wordpress/plugin.js';
import { ScimError } from './errors.js';
import type { ScimType } from './errors.js';
import { equalityHints } from './filter.js';
import { matchParams, pushDown, pushdownOptions } from './pushdown.js';
import type { ListQuery } from './list.js';
import { sortResources } from './list.js';
import {
  DEFAULT_ATTRIBUTE_MAP,
  groupFromWordPress,
  memberIds,
  sanitizeLogin,
  toUserId,
  userFromWordPress,
  userToWordPress,
} from './mapping.js';
import type { AttributeMapEntry, UserSnapshot, WordPressUserInput } from './mapping.js';
import type { OperationError, SyncConfig } from '../wordpress/types.js';
import type {
  ListResult,
  Repositories,
  ResourceRepository,
  ScimContext,
  WriteOp,
  WriteResult,
  WriteStatus,
} from './repository.js';
import type { ScimResource } from './schemas/model.js';

export interface WordPressRepositoryOptions {
  wordpress: WordPressTransport | WordPressPlugin;
  logger: Logger;
  /** How long the attribute map is reused before asking WordPress again. */
  configTtlMs?: number;
  /**
   * How many users a filter SQL cannot answer exactly may leave to check here (beyond:
   * 400 tooMany, RFC 7644 §3.4.2.2). Default 10,000.
   */
  maxFilterCandidates?: number;
}

const PAGE = 500;
const MAX_BATCH = 500;

/** A refused operation as the plugin says it (its `scimType`, when it gives one, is SCIM's). */
type BatchError = OperationError;

/** A user write on its way to the batch route, possibly tried again in another form. */
interface PendingUserWrite {
  /** Position of the SCIM operation the answer goes to. */
  index: number;
  body: Record<string, unknown>;
  userName?: string;
  /** The login the attribute map gave (the userName's, or a template's): suffixes go on it. */
  plannedLogin?: string;
  /** Logins tried before this one (name, name-2 …). */
  attempt: number;
  /** For a create: what was POSTed, to apply to an existing account it adopts. */
  create?: { resource: ScimResource; password?: string };
  /** The update adopting an existing account for a create: answered like a create. */
  adopting?: { user: UserSnapshot; by: 'login' | 'email' };
}

/** A WordPress failure as the SCIM error an IdP can act on. */
export function scimErrorFromWordPress(error: unknown): ScimError {
  if (!(error instanceof WordPressError)) {
    return new ScimError(500, undefined, 'Internal error while talking to WordPress');
  }
  if (error instanceof WordPressResponseError)
    return new ScimError(502, undefined, `${error.message} (is the plugin up to date?)`);
  if (error.status === 0)
    return new ScimError(
      503,
      undefined,
      `WordPress is unreachable (${error.code}); try again later`,
      {
        'Retry-After': '30',
      },
    );
  if (error.status === 401 || error.status === 403)
    return new ScimError(
      503,
      undefined,
      'WordPress refused the sidecar’s credentials (check WP_USER and WP_APP_PASSWORD and the usersync_service role)',
    );
  if (error.status === 404 && /rest_no_route/.test(error.code))
    return new ScimError(
      503,
      undefined,
      'The UserSync plugin’s routes are missing: is the plugin active?',
    );
  return fromBatchError({
    status: error.status,
    code: error.code,
    scimType: (error.data as { scimType?: ScimType } | undefined)?.scimType ?? null,
    message: error.message,
  });
}

function fromBatchError(error: BatchError): ScimError {
  const status = error.status;
  const scimType = (error.scimType ?? null) as ScimType | null;
  const message = error.message || error.code;
  if (status === 409) return new ScimError(409, scimType ?? 'uniqueness', message);
  if (status === 412) return new ScimError(412, undefined, message);
  if (status === 404) return new ScimError(404, undefined, message);
  if (status === 400) return new ScimError(400, scimType ?? 'invalidValue', message);
  if (status === 403) return new ScimError(403, undefined, message);
  if (status >= 400 && status < 500) return new ScimError(status, scimType ?? undefined, message);
  if (status === 429 || status === 503)
    return new ScimError(503, undefined, message, { 'Retry-After': '30' });
  return new ScimError(502, undefined, `WordPress could not apply the change: ${message}`);
}

/**
 * The SCIM error of a failed write. Whatever the plugin says of an id the token cannot see
 * (no such user, or not linked to its connection), the answer is the same 404 as a GET's.
 */
function answered(kind: 'User' | 'Group', op: WriteOp, error: BatchError): ScimError {
  if (error.status === 404 && op.action !== 'create')
    return new ScimError(404, undefined, `${kind} ${op.id} not found`);
  return fromBatchError(error);
}

/**
 * The plugin compares ifMatch exactly with a snapshot version (W/"…"). A client's header
 * may drop the W/ or say `*` (any version: nothing to check once the resource exists).
 */
export function pluginIfMatch(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const tags = header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tags.length === 0 || tags.includes('*')) return undefined;
  const tag = tags[0]!;
  return /^W\//i.test(tag) ? `W/${tag.slice(2)}` : `W/${tag}`;
}

function statusOf(status: string): WriteStatus {
  switch (status) {
    case 'created':
      return 'created';
    case 'deleted':
      return 'deleted';
    case 'unchanged':
      return 'unchanged';
    default:
      return 'updated';
  }
}

/** Which existing users a SCIM connection may take over (the deprovisioning policy). */
export interface AdoptionPolicy {
  touchUnlinked: boolean;
  touchAdministrators: boolean;
}

/**
 * The attribute map, reused for `ttlMs` (a map saved in wp-admin applies within that), so a
 * SCIM write is one request to WordPress. Concurrent refreshes share one request.
 */
class ConfigCache {
  private value?: SyncConfig;
  private loadedAt = 0;
  private loading: Promise<SyncConfig> | null = null;
  constructor(
    private readonly wordpress: WordPressPlugin,
    private readonly ttlMs: number,
  ) {}

  private async load(fresh: boolean): Promise<SyncConfig | undefined> {
    if (fresh || !this.value || Date.now() - this.loadedAt > this.ttlMs) {
      this.loading ??= this.wordpress
        .config()
        .then((config) => {
          this.value = config;
          this.loadedAt = Date.now();
          return config;
        })
        // Whoever asked for the map answers the IdP: with SCIM's error, never a 500.
        .catch((error: unknown) => {
          throw scimErrorFromWordPress(error);
        })
        .finally(() => (this.loading = null));
      await this.loading;
    }
    return this.value;
  }

  async attributeMap(): Promise<AttributeMapEntry[]> {
    const map = (await this.load(false))?.attributeMap;
    return Array.isArray(map) && map.length ? map : DEFAULT_ATTRIBUTE_MAP;
  }
}

/**
 * The 409 of a value someone else holds. It names the attribute, never who holds it or
 * whether that account is unmanaged or an administrator (a token must learn nothing about
 * accounts it cannot see): the plugin's audit log tells the admin why.
 */
function notUnique(attribute: 'userName' | 'email' | 'externalId'): ScimError {
  return new ScimError(
    409,
    'uniqueness',
    `The ${attribute} is already in use by another account; it must be unique`,
  );
}

/** Which WordPress `orderby` a SCIM sortBy can use natively. */
const USER_ORDER: Record<string, string> = {
  id: 'id',
  username: 'login',
  'emails.value': 'email',
  'meta.created': 'registered',
  'meta.lastmodified': 'modified',
};

interface Page<T> {
  total: number;
  items: T[];
}

/**
 * Lists through WordPress pages. Without an in-memory filter or sort, only the pages that
 * cover the window are read; otherwise pages are streamed and only matches are kept.
 */
async function listThrough<T>(
  query: ListQuery,
  inMemory: { filter: boolean; sort: boolean },
  fetchPage: (page: number, perPage: number) => Promise<Page<T>>,
  render: (item: T) => ScimResource,
  maxCandidates = Infinity,
): Promise<ListResult> {
  const start = query.startIndex - 1;
  if (!inMemory.filter && !inMemory.sort) {
    if (query.count === 0) return { total: (await fetchPage(1, 1)).total, resources: [] };
    const perPage = Math.min(PAGE, query.count);
    let page = Math.floor(start / perPage) + 1;
    let offset = start % perPage;
    const resources: ScimResource[] = [];
    let total = 0;
    for (;;) {
      const result = await fetchPage(page, perPage);
      total = result.total;
      resources.push(...result.items.slice(offset).map(render));
      offset = 0;
      if (resources.length >= query.count || result.items.length < perPage) break;
      page++;
    }
    return { total, resources: resources.slice(0, query.count) };
  }
  const kept: ScimResource[] = [];
  let matched = 0;
  for (let page = 1; ; page++) {
    const result = await fetchPage(page, PAGE);
    if (page === 1 && result.total > maxCandidates)
      throw new ScimError(
        400,
        'tooMany',
        `The filter leaves ${result.total} candidates to check, more than ${maxCandidates}: narrow it with userName, emails, externalId, displayName or meta.lastModified`,
      );
    for (const item of result.items) {
      const resource = render(item);
      if (query.filter && !query.filter.matches(resource)) continue;
      if (inMemory.sort) kept.push(resource);
      else if (matched >= start && matched < start + query.count) kept.push(resource);
      matched++;
    }
    if (result.items.length < PAGE) break;
  }
  if (!inMemory.sort) return { total: matched, resources: kept };
  sortResources(kept, query.sortBy!, query.sortOrder);
  return {
    total: kept.length,
    resources: query.count === 0 ? [] : kept.slice(start, start + query.count),
  };
}

abstract class WordPressRepository implements ResourceRepository {
  readonly maxBatch = MAX_BATCH;
  constructor(
    protected readonly wordpress: WordPressPlugin,
    protected readonly config: ConfigCache,
    protected readonly logger: Logger,
  ) {}

  abstract get(ctx: ScimContext, id: string): Promise<ScimResource | null>;
  abstract list(ctx: ScimContext, query: ListQuery): Promise<ListResult>;
  abstract write(ctx: ScimContext, ops: WriteOp[]): Promise<WriteResult[]>;

  protected async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw scimErrorFromWordPress(error);
    }
  }
}

/**
 * Snapshots read in the last few seconds, by connection and user id. A PATCH reads the user,
 * then writes the full new state with the version it read as ifMatch: when that version is
 * the one remembered here, the snapshot the write needs is known without reading it again.
 */
class RecentSnapshots {
  private readonly entries = new Map<string, { snapshot: UserSnapshot; at: number }>();
  constructor(
    private readonly ttlMs = 10_000,
    private readonly max = 2_000,
  ) {}

  remember(connection: string, snapshots: UserSnapshot[]) {
    const now = Date.now();
    for (const snapshot of snapshots) {
      const key = `${connection}:${snapshot.id}`;
      this.entries.delete(key);
      this.entries.set(key, { snapshot, at: now });
    }
    // Oldest first in a Map: trim from the front.
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(key);
    }
  }

  /** The remembered snapshot of a user when its version is `version` (W/"…"). */
  at(connection: string, id: number, version: string | undefined): UserSnapshot | undefined {
    if (!version) return undefined;
    const entry = this.entries.get(`${connection}:${id}`);
    if (!entry || Date.now() - entry.at > this.ttlMs || entry.snapshot.version !== version)
      return undefined;
    return entry.snapshot;
  }
}

class WordPressUserRepository extends WordPressRepository {
  private readonly recent = new RecentSnapshots();
  constructor(
    wordpress: WordPressPlugin,
    config: ConfigCache,
    logger: Logger,
    private readonly maxCandidates: number,
  ) {
    super(wordpress, config, logger);
  }

  private async fetchUsers(ctx: ScimContext, params: Record<string, QueryValue>) {
    const map = await this.config.attributeMap();
    const { total, users } = await this.call(() =>
      this.wordpress.users({ connection: ctx.connection, linked: true, ...params }),
    );
    this.recent.remember(ctx.connection, users);
    return { total, users, map };
  }

  async get(ctx: ScimContext, id: string): Promise<ScimResource | null> {
    const userId = toUserId(id);
    if (userId === undefined) return null;
    const { users, map } = await this.fetchUsers(ctx, { id: userId });
    const user = users.find((u) => u.id === userId);
    return user ? userFromWordPress(user, map, ctx.baseUrl) : null;
  }

  async list(ctx: ScimContext, query: ListQuery): Promise<ListResult> {
    const map = await this.config.attributeMap();
    const params: Record<string, QueryValue> = {};
    let fallbackSearch: string | undefined;
    const pushdown = query.filter ? pushDown(query.filter.ast, pushdownOptions(map)) : undefined;
    if (query.filter && pushdown && pushdown.clauses !== 'all') {
      Object.assign(params, matchParams(pushdown.clauses));
      const id = equalityHints(query.filter.ast).get('id');
      if (id !== undefined) {
        const userId = toUserId(String(id));
        if (userId === undefined) return { total: 0, resources: [] };
        params.id = userId;
      }
    } else if (query.filter) {
      // Nothing SQL can compare exactly: equality conjuncts still narrow the candidates.
      const hints = equalityHints(query.filter.ast);
      const userName = hints.get('username');
      const externalId = hints.get('externalid');
      const email = hints.get('emails.value');
      const id = hints.get('id');
      if (id !== undefined) {
        const userId = toUserId(String(id));
        if (userId === undefined) return { total: 0, resources: [] };
        params.id = userId;
      }
      if (typeof userName === 'string') {
        params.login = sanitizeLogin(userName);
        // A suffixed login (name-2) is found by search when the exact login is someone else.
        fallbackSearch = params.login;
      }
      if (typeof externalId === 'string') params.external_id = externalId;
      if (typeof email === 'string') params.email = email;
    }
    const orderby = query.sortBy ? USER_ORDER[query.sortBy.path.toLowerCase()] : 'id';
    if (query.sortBy && !query.sortBy.schema && orderby) {
      params.orderby = orderby;
      params.order = query.sortOrder === 'descending' ? 'desc' : 'asc';
    } else {
      params.orderby = 'id';
      params.order = 'asc';
    }
    const inMemory = {
      filter: !!query.filter && !pushdown?.exact,
      sort: !!query.sortBy && !(orderby && !query.sortBy.schema),
    };
    const render = (u: UserSnapshot) => userFromWordPress(u, map, ctx.baseUrl);
    const fetch = (extra: Record<string, QueryValue>) => (page: number, perPage: number) =>
      this.fetchUsers(ctx, { ...params, ...extra, page, per_page: perPage }).then((r) => ({
        total: r.total,
        items: r.users,
      }));
    const result = await listThrough(query, inMemory, fetch({}), render, this.maxCandidates);
    if (result.total === 0 && fallbackSearch !== undefined) {
      return listThrough(
        query,
        inMemory,
        fetch({ login: undefined, search: fallbackSearch }),
        render,
        this.maxCandidates,
      );
    }
    return result;
  }

  private async currentSnapshots(
    ctx: ScimContext,
    ids: number[],
  ): Promise<Map<number, UserSnapshot>> {
    const found = new Map<number, UserSnapshot>();
    for (let i = 0; i < ids.length; i += PAGE) {
      const chunk = ids.slice(i, i + PAGE);
      const { users } = await this.fetchUsers(ctx, { id: chunk.join(','), per_page: PAGE });
      for (const user of users) found.set(user.id, user);
    }
    return found;
  }

  async write(ctx: ScimContext, ops: WriteOp[]): Promise<WriteResult[]> {
    const map = await this.config.attributeMap();
    const results: WriteResult[] = new Array(ops.length);
    // The state each replace starts from: remembered when its ifMatch is a version just read
    // (a PATCH), else read now, all in one request.
    const current = new Map<number, UserSnapshot>();
    const unknown: number[] = [];
    for (const op of ops) {
      if (op.action !== 'replace') continue;
      const id = toUserId(op.id);
      if (id === undefined) continue;
      const known = this.recent.at(ctx.connection, id, pluginIfMatch(op.ifMatch));
      if (known) current.set(id, known);
      else unknown.push(id);
    }
    if (unknown.length)
      for (const [id, snapshot] of await this.currentSnapshots(ctx, unknown))
        current.set(id, snapshot);
    let pending: PendingUserWrite[] = [];
    ops.forEach((op, index) => {
      if (op.action === 'create') {
        const user = userToWordPress(op.resource, map, { password: op.password, creating: true });
        const userName = String(op.resource.userName);
        user.login ??= sanitizeLogin(userName);
        pending.push({
          index,
          body: { action: 'create', user },
          userName,
          plannedLogin: user.login,
          attempt: 0,
          create: { resource: op.resource, password: op.password },
        });
        return;
      }
      const id = toUserId(op.id);
      if (id === undefined) {
        results[index] = {
          ok: false,
          error: new ScimError(404, undefined, `User ${op.id} not found`),
        };
        return;
      }
      if (op.action === 'delete') {
        pending.push({
          index,
          body: { action: 'delete', id, ifMatch: pluginIfMatch(op.ifMatch) },
          attempt: 0,
        });
        return;
      }
      if (op.action !== 'replace') {
        results[index] = {
          ok: false,
          error: new ScimError(400, 'invalidSyntax', 'Users are changed with PUT or PATCH'),
        };
        return;
      }
      const snapshot = current.get(id);
      if (!snapshot) {
        results[index] = {
          ok: false,
          error: new ScimError(404, undefined, `User ${op.id} not found`),
        };
        return;
      }
      const user = userToWordPress(op.resource, map, {
        password: op.password,
        current: snapshot,
        creating: false,
      });
      pending.push({
        index,
        body: { action: 'update', id, ifMatch: pluginIfMatch(op.ifMatch), user },
        attempt: 0,
      });
    });

    while (pending.length) {
      const retry: PendingUserWrite[] = [];
      for (let i = 0; i < pending.length; i += MAX_BATCH) {
        const chunk = pending.slice(i, i + MAX_BATCH);
        const answer = await this.call(() =>
          this.wordpress.usersBatch({
            connection: ctx.connection,
            source: ctx.source,
            operations: chunk.map((p, n) => ({ ref: String(n), ...p.body })),
          }),
        );
        const byRef = new Map(answer.map((r) => [r.ref, r]));
        for (const [n, p] of chunk.entries()) {
          const result = byRef.get(String(n));
          if (!result) {
            results[p.index] = {
              ok: false,
              error: new ScimError(502, undefined, 'WordPress gave no result for the operation'),
            };
            continue;
          }
          if (result.ok) {
            const user = result.user ?? null;
            if (user) this.recent.remember(ctx.connection, [user]);
            if (p.adopting && user)
              this.logger.info(
                { connection: ctx.connection, userId: user.id, login: user.login },
                'SCIM create adopted an existing WordPress user',
              );
            results[p.index] = {
              ok: true,
              // An adopted user is new to the connection: the POST answers 201 all the same.
              status: p.adopting ? 'created' : statusOf(result.status),
              resource: user ? userFromWordPress(user, map, ctx.baseUrl) : null,
            };
            continue;
          }
          const code = result.error.code;
          if (
            p.create &&
            p.userName !== undefined &&
            (code === 'usersync_login_exists' || code === 'usersync_email_exists')
          ) {
            const next = await this.afterCollision(ctx, p, result.error, map);
            if ('retry' in next) retry.push(next.retry);
            else results[p.index] = { ok: false, error: next.error };
            continue;
          }
          // The plugin decides (and audits) whether an existing account may be adopted:
          // its refusal, whatever the reason, is the account's login or email taken.
          if (p.adopting && (result.error.status === 403 || result.error.status === 404))
            results[p.index] = {
              ok: false,
              error: notUnique(p.adopting.by === 'login' ? 'userName' : 'email'),
            };
          else
            results[p.index] = { ok: false, error: answered('User', ops[p.index]!, result.error) };
        }
      }
      pending = retry;
    }
    return results;
  }

  /**
   * The user with this login or email in WordPress (linked to the connection or not), or
   * the connection's user with this external id.
   */
  private async findAnyUser(
    ctx: ScimContext,
    match: { login?: string; email?: string; external_id?: string },
  ): Promise<UserSnapshot | null> {
    const { users } = await this.call(() =>
      this.wordpress.users({ connection: ctx.connection, ...match, perPage: 1 }),
    );
    return users[0] ?? null;
  }

  /**
   * What to do after a create (or the update adopting a user) collided on a login or email:
   * the accounts involved are looked up and provisioning/recovery.ts decides, as it does for
   * scheduled pulls. Over SCIM every disagreement is a 409 `uniqueness`, never a merge or a
   * rename; an adopting update carries the link, and the plugin applies the policy
   * (touchUnlinked, touchAdministrators, protected accounts, reprovisioning after a DELETE)
   * in the same write, refusing otherwise, audited.
   */
  private async afterCollision(
    ctx: ScimContext,
    p: PendingUserWrite,
    error: BatchError,
    map: AttributeMapEntry[],
  ): Promise<{ retry: PendingUserWrite } | { error: ScimError }> {
    const userName = p.userName!;
    const user = p.body.user as WordPressUserInput;
    const { resource, password } = p.create!;
    const externalId = typeof resource.externalId === 'string' ? resource.externalId : null;
    const loginTaken = error.code === 'usersync_login_exists' && user.login !== undefined;
    // The accounts the planner weighs: the holder of the login, then (for a create) the
    // connection's user with the external id and the holder of the email.
    const loginHolder = loginTaken ? await this.findAnyUser(ctx, { login: user.login }) : null;
    const linked =
      !p.adopting && externalId ? await this.findAnyUser(ctx, { external_id: externalId }) : null;
    const emailHolder =
      !p.adopting && !linked && user.email
        ? await this.findAnyUser(ctx, { email: user.email })
        : null;
    const step = planRecovery(
      {
        code: error.code,
        externalId,
        userName,
        plannedLogin: p.plannedLogin ?? sanitizeLogin(userName),
        login: user.login,
        email: user.email,
        attempt: p.attempt,
        adopting: !!p.adopting,
      },
      { linked: found(linked), loginHolder: found(loginHolder), emailHolder: found(emailHolder) },
      // A POST sent again answers 409; the plugin applies the adoption policy itself.
      { replay: 'refuse' },
    );
    switch (step.step) {
      case 'suffix':
        return {
          retry: {
            ...p,
            body: { ...p.body, user: { ...user, login: step.login } },
            attempt: step.attempt,
          },
        };
      case 'adopt': {
        const account = step.account.id === loginHolder?.id ? loginHolder : emailHolder!;
        // The update links the user in the same write (the plugin links an unlinked user
        // that an update reaches under touchUnlinked), so a refused update leaves no link.
        return {
          retry: {
            ...p,
            body: {
              action: 'update',
              id: account.id,
              user: userToWordPress(resource, map, {
                password,
                current: account,
                creating: false,
                adopting: true,
              }),
            },
            attempt: 0,
            adopting: { user: account, by: step.by },
          },
        };
      }
      case 'update-linked':
        return { error: notUnique('externalId') };
      default:
        return { error: step.uniqueness ? notUnique(step.uniqueness) : fromBatchError(error) };
    }
  }
}

/** A snapshot as the recovery planner reads it. */
function found(snapshot: UserSnapshot | null): FoundAccount | null {
  if (!snapshot) return null;
  const sent = snapshot.scim?.userName;
  return {
    id: snapshot.id,
    login: snapshot.login,
    linked: snapshot.linked,
    externalId: snapshot.externalId,
    roles: snapshot.roles,
    sentUserName: typeof sent === 'string' ? sent : null,
  };
}

class WordPressGroupRepository extends WordPressRepository {
  private async fetchGroups(ctx: ScimContext, params: Record<string, QueryValue>) {
    return this.call(() => this.wordpress.groups({ connection: ctx.connection, ...params }));
  }

  async get(ctx: ScimContext, id: string): Promise<ScimResource | null> {
    const groupId = toUserId(id);
    if (groupId === undefined) return null;
    const { groups } = await this.fetchGroups(ctx, { id: groupId });
    const group = groups.find((g) => g.id === groupId);
    return group ? groupFromWordPress(group, ctx.baseUrl) : null;
  }

  async list(ctx: ScimContext, query: ListQuery): Promise<ListResult> {
    const params: Record<string, QueryValue> = {};
    if (query.filter) {
      const hints = equalityHints(query.filter.ast);
      const id = hints.get('id');
      if (id !== undefined) {
        const groupId = toUserId(String(id));
        if (groupId === undefined) return { total: 0, resources: [] };
        params.id = groupId;
      }
      const displayName = hints.get('displayname');
      if (typeof displayName === 'string') params.display_name = displayName;
      const externalId = hints.get('externalid');
      if (typeof externalId === 'string') params.external_id = externalId;
      const member = hints.get('members.value');
      if (member !== undefined) {
        const userId = toUserId(String(member));
        if (userId === undefined) return { total: 0, resources: [] };
        params.member = userId;
      }
    }
    if (query.excludeMembers && !JSON.stringify(query.filter?.ast ?? '').includes('members'))
      params.members = 0;
    return listThrough(
      query,
      { filter: !!query.filter, sort: !!query.sortBy },
      (page, perPage) =>
        this.fetchGroups(ctx, { ...params, page, per_page: perPage }).then((r) => ({
          total: r.total,
          items: r.groups,
        })),
      (g) => groupFromWordPress(g, ctx.baseUrl),
    );
  }

  async write(ctx: ScimContext, ops: WriteOp[]): Promise<WriteResult[]> {
    const results: WriteResult[] = new Array(ops.length);
    const pending: { index: number; body: Record<string, unknown> }[] = [];
    const invalidMember = (index: number) =>
      (results[index] = {
        ok: false,
        error: new ScimError(
          400,
          'invalidValue',
          'Group members must be ids of Users of this connection',
        ),
      });
    ops.forEach((op, index) => {
      if (op.action === 'create' || op.action === 'replace') {
        const ids = memberIds(op.resource);
        if (ids.some((id) => id === undefined)) return invalidMember(index);
        const group = {
          displayName: op.resource.displayName,
          externalId: typeof op.resource.externalId === 'string' ? op.resource.externalId : null,
          members: ids,
        };
        if (op.action === 'create') {
          pending.push({ index, body: { action: 'create', group } });
          return;
        }
      }
      const id = toUserId(op.id);
      if (id === undefined) {
        results[index] = {
          ok: false,
          error: new ScimError(404, undefined, `Group ${op.id} not found`),
        };
        return;
      }
      switch (op.action) {
        case 'replace':
          pending.push({
            index,
            body: {
              action: 'replace',
              id,
              ifMatch: pluginIfMatch(op.ifMatch),
              group: {
                displayName: op.resource.displayName,
                externalId:
                  typeof op.resource.externalId === 'string' ? op.resource.externalId : null,
                members: memberIds(op.resource),
              },
            },
          });
          return;
        case 'delete':
          pending.push({
            index,
            body: { action: 'delete', id, ifMatch: pluginIfMatch(op.ifMatch) },
          });
          return;
        case 'patch': {
          const group: Record<string, unknown> = {
            displayName: op.resource.displayName,
            externalId: typeof op.resource.externalId === 'string' ? op.resource.externalId : null,
          };
          const body: Record<string, unknown> = {
            action: 'patch',
            id,
            ifMatch: pluginIfMatch(op.ifMatch),
            group,
          };
          const delta = op.members;
          const toIds = (list: string[]) => list.map(toUserId);
          if (delta) {
            const replace = delta.replace ? toIds(delta.replace) : undefined;
            const add = toIds(delta.add);
            const remove = toIds(delta.remove);
            if ([...(replace ?? []), ...add].some((id) => id === undefined))
              return invalidMember(index);
            if (replace) group.members = replace;
            if (add.length) body.addMembers = add;
            // An id that cannot be a user is not a member: nothing to remove.
            const removable = remove.filter((id) => id !== undefined);
            if (removable.length) body.removeMembers = removable;
          }
          pending.push({ index, body });
          return;
        }
        default:
          return;
      }
    });
    for (let i = 0; i < pending.length; i += MAX_BATCH) {
      const chunk = pending.slice(i, i + MAX_BATCH);
      const answer = await this.call(() =>
        this.wordpress.groupsBatch({
          connection: ctx.connection,
          source: ctx.source,
          operations: chunk.map((p, n) => ({ ref: String(n), ...p.body })),
        }),
      );
      const byRef = new Map(answer.map((r) => [r.ref, r]));
      chunk.forEach((p, n) => {
        const result = byRef.get(String(n));
        if (!result) {
          results[p.index] = {
            ok: false,
            error: new ScimError(502, undefined, 'WordPress gave no result for the operation'),
          };
        } else if (result.ok) {
          const group = result.group ?? null;
          results[p.index] = {
            ok: true,
            status: statusOf(result.status),
            resource: group ? groupFromWordPress(group, ctx.baseUrl) : null,
          };
        } else {
          results[p.index] = { ok: false, error: answered('Group', ops[p.index]!, result.error) };
        }
      });
    }
    return results;
  }
}

export function wordpressRepositories(options: WordPressRepositoryOptions): Repositories {
  const plugin =
    options.wordpress instanceof WordPressPlugin
      ? options.wordpress
      : new WordPressPlugin(options.wordpress);
  const config = new ConfigCache(plugin, options.configTtlMs ?? 5_000);
  return {
    users: new WordPressUserRepository(
      plugin,
      config,
      options.logger,
      options.maxFilterCandidates ?? 10_000,
    ),
    groups: new WordPressGroupRepository(plugin, config, options.logger),
  };
}
