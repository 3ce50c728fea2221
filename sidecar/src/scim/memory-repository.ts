// An in-memory store with the WordPress store's rules — logins unique site-wide and
// case-insensitively, externalId unique per connection, group names unique per
// connection, members must be users of the connection, ETags checked — for unit tests
// and for trying the protocol without a site.
import { ScimError } from './errors.js';
import { etagMatches, weakEtag } from './etag.js';
import { queryInMemory } from './list.js';
import type { ListQuery } from './list.js';
import type {
  ListResult,
  Repositories,
  ResourceRepository,
  ScimContext,
  WriteOp,
  WriteResult,
} from './repository.js';
import type { ScimResource } from './schemas/model.js';

interface Stored {
  id: string;
  connection: string;
  resource: ScimResource;
  created: string;
  modified: string;
  version: string;
}

interface StoredUser extends Stored {
  password?: string;
}

interface StoredGroup extends Stored {
  members: Set<string>;
}

const clone = <T>(value: T): T => structuredClone(value);
const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : undefined);

export class MemoryDirectory {
  readonly users = new Map<string, StoredUser>();
  readonly groups = new Map<string, StoredGroup>();
  /** Count of successful writes: tests assert bad requests wrote nothing. */
  writes = 0;
  /** Size of each write() call: /Bulk must reach the store in batches. */
  readonly batches: number[] = [];
  private nextId = 1;
  private tick = Date.parse('2024-01-01T00:00:00Z');

  newId(): string {
    return String(this.nextId++);
  }

  now(): string {
    // Strictly increasing timestamps keep meta.lastModified meaningful in fast tests.
    this.tick = Math.max(this.tick + 1000, Date.now());
    return new Date(this.tick).toISOString();
  }

  repositories(): Repositories {
    return { users: new MemoryUserRepository(this), groups: new MemoryGroupRepository(this) };
  }
}

const conflict = (detail: string) => new ScimError(409, 'uniqueness', detail);
const missing = (kind: string, id: string) =>
  new ScimError(404, undefined, `${kind} ${id} not found`);
const precondition = () =>
  new ScimError(412, undefined, 'The resource has changed: its version does not match If-Match');

abstract class MemoryRepository<T extends Stored> implements ResourceRepository {
  readonly maxBatch = 500;
  constructor(protected readonly dir: MemoryDirectory) {}

  protected abstract store(): Map<string, T>;
  protected abstract render(ctx: ScimContext, item: T): ScimResource;
  protected abstract apply(ctx: ScimContext, op: WriteOp): WriteResult;

  protected visible(ctx: ScimContext, id: string): T | undefined {
    const item = this.store().get(id);
    return item && item.connection === ctx.connection ? item : undefined;
  }

  async get(ctx: ScimContext, id: string): Promise<ScimResource | null> {
    const item = this.visible(ctx, id);
    return item ? this.render(ctx, item) : null;
  }

  async list(ctx: ScimContext, query: ListQuery): Promise<ListResult> {
    const all = [...this.store().values()]
      .filter((item) => item.connection === ctx.connection)
      .map((item) => this.render(ctx, item));
    return queryInMemory(all, query);
  }

  async write(ctx: ScimContext, ops: WriteOp[]): Promise<WriteResult[]> {
    this.dir.batches.push(ops.length);
    return ops.map((op) => {
      try {
        const result = this.apply(ctx, op);
        if (result.ok && result.status !== 'unchanged') this.dir.writes++;
        return result;
      } catch (error) {
        if (error instanceof ScimError) return { ok: false, error };
        throw error;
      }
    });
  }

  protected checkVersion(item: T, ifMatch: string | undefined) {
    if (ifMatch && !etagMatches(ifMatch, item.version)) throw precondition();
  }

  protected meta(ctx: ScimContext, item: T, resourceType: string, endpoint: string) {
    return {
      resourceType,
      created: item.created,
      lastModified: item.modified,
      location: `${ctx.baseUrl}${endpoint}/${item.id}`,
      version: item.version,
    };
  }
}

class MemoryUserRepository extends MemoryRepository<StoredUser> {
  protected store() {
    return this.dir.users;
  }

  protected render(ctx: ScimContext, user: StoredUser): ScimResource {
    const groups = [...this.dir.groups.values()]
      .filter((g) => g.connection === ctx.connection && g.members.has(user.id))
      .map((g) => ({
        value: g.id,
        display: g.resource.displayName,
        $ref: `${ctx.baseUrl}/Groups/${g.id}`,
      }));
    const resource: ScimResource = { ...clone(user.resource), id: user.id };
    if (groups.length) resource.groups = groups;
    resource.meta = this.meta(ctx, user, 'User', '/Users');
    return resource;
  }

  private checkUnique(ctx: ScimContext, resource: ScimResource, self?: string) {
    const userName = lower(resource.userName);
    for (const other of this.dir.users.values()) {
      if (other.id === self) continue;
      if (lower(other.resource.userName) === userName)
        throw conflict(`A user with userName '${String(resource.userName)}' already exists`);
      if (
        other.connection === ctx.connection &&
        resource.externalId !== undefined &&
        other.resource.externalId === resource.externalId
      )
        throw conflict(`A user with externalId '${String(resource.externalId)}' already exists`);
    }
  }

  protected apply(ctx: ScimContext, op: WriteOp): WriteResult {
    if (op.action === 'create') {
      this.checkUnique(ctx, op.resource);
      const now = this.dir.now();
      const resource = { ...clone(op.resource), active: op.resource.active ?? true };
      const user: StoredUser = {
        id: this.dir.newId(),
        connection: ctx.connection,
        resource,
        created: now,
        modified: now,
        version: weakEtag([resource, now]),
        password: op.password,
      };
      this.dir.users.set(user.id, user);
      return { ok: true, status: 'created', resource: this.render(ctx, user) };
    }
    const user = this.visible(ctx, op.id);
    if (!user) throw missing('User', op.id);
    this.checkVersion(user, op.ifMatch);
    if (op.action === 'delete') {
      this.dir.users.delete(user.id);
      for (const group of this.dir.groups.values()) group.members.delete(user.id);
      return { ok: true, status: 'deleted', resource: null };
    }
    this.checkUnique(ctx, op.resource, user.id);
    const next: ScimResource = {
      ...clone(op.resource),
      active: op.resource.active ?? user.resource.active,
    };
    delete next.groups;
    const password = op.action === 'replace' ? op.password : undefined;
    if (JSON.stringify(next) === JSON.stringify(user.resource) && password === undefined)
      return { ok: true, status: 'unchanged', resource: this.render(ctx, user) };
    user.resource = next;
    if (password !== undefined) user.password = password;
    user.modified = this.dir.now();
    user.version = weakEtag([next, user.modified]);
    return { ok: true, status: 'updated', resource: this.render(ctx, user) };
  }
}

class MemoryGroupRepository extends MemoryRepository<StoredGroup> {
  protected store() {
    return this.dir.groups;
  }

  protected render(ctx: ScimContext, group: StoredGroup): ScimResource {
    const resource: ScimResource = { ...clone(group.resource), id: group.id };
    const members = [...group.members].map((id) => {
      const user = this.dir.users.get(id);
      return {
        value: id,
        display: user?.resource.displayName ?? user?.resource.userName,
        $ref: `${ctx.baseUrl}/Users/${id}`,
        type: 'User',
      };
    });
    if (members.length) resource.members = members;
    resource.meta = this.meta(ctx, group, 'Group', '/Groups');
    return resource;
  }

  private memberIds(ctx: ScimContext, resource: ScimResource): string[] {
    const members = Array.isArray(resource.members) ? resource.members : [];
    return members.map((m) => String((m as Record<string, unknown>).value));
  }

  private checkMembers(ctx: ScimContext, ids: Iterable<string>) {
    for (const id of ids) {
      const user = this.dir.users.get(id);
      if (!user || user.connection !== ctx.connection)
        throw new ScimError(400, 'invalidValue', `Member ${id} is not a user of this connection`);
    }
  }

  private checkUnique(ctx: ScimContext, resource: ScimResource, self?: string) {
    for (const other of this.dir.groups.values()) {
      if (other.id === self || other.connection !== ctx.connection) continue;
      if (lower(other.resource.displayName) === lower(resource.displayName))
        throw conflict(`A group named '${String(resource.displayName)}' already exists`);
    }
  }

  protected apply(ctx: ScimContext, op: WriteOp): WriteResult {
    if (op.action === 'create') {
      this.checkUnique(ctx, op.resource);
      const ids = this.memberIds(ctx, op.resource);
      this.checkMembers(ctx, ids);
      const { members: _members, ...resource } = clone(op.resource);
      const now = this.dir.now();
      const group: StoredGroup = {
        id: this.dir.newId(),
        connection: ctx.connection,
        resource,
        members: new Set(ids),
        created: now,
        modified: now,
        version: weakEtag([resource, [...ids], now]),
      };
      this.dir.groups.set(group.id, group);
      return { ok: true, status: 'created', resource: this.render(ctx, group) };
    }
    const group = this.visible(ctx, op.id);
    if (!group) throw missing('Group', op.id);
    this.checkVersion(group, op.ifMatch);
    if (op.action === 'delete') {
      this.dir.groups.delete(group.id);
      return { ok: true, status: 'deleted', resource: null };
    }
    this.checkUnique(ctx, op.resource, group.id);
    let members: Set<string>;
    if (op.action === 'patch' && op.members) {
      members = new Set(op.members.replace ?? group.members);
      for (const id of op.members.add) members.add(id);
      for (const id of op.members.remove) members.delete(id);
      this.checkMembers(ctx, [...op.members.add, ...(op.members.replace ?? [])]);
    } else if (op.action === 'patch') {
      members = new Set(group.members);
    } else {
      members = new Set(this.memberIds(ctx, op.resource));
      this.checkMembers(ctx, members);
    }
    const { members: _members, ...resource } = clone(op.resource);
    const same =
      JSON.stringify(resource) === JSON.stringify(group.resource) &&
      members.size === group.members.size &&
      [...members].every((id) => group.members.has(id));
    if (same) return { ok: true, status: 'unchanged', resource: this.render(ctx, group) };
    group.resource = resource;
    group.members = members;
    group.modified = this.dir.now();
    group.version = weakEtag([resource, [...members], group.modified]);
    return { ok: true, status: 'updated', resource: this.render(ctx, group) };
  }
}
