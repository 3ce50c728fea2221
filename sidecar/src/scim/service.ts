// The SCIM operations, independent of HTTP: validate, read, apply PATCH, write through the
// repository, project the answer. The router turns requests into calls here; /Bulk calls
// the same steps for many operations at once.
import { badRequest, ScimError } from './errors.js';
import { etagMatches } from './etag.js';
import { compileFilter } from './filter.js';
import { listResponse, toListQuery } from './list.js';
import type { ListParams } from './list.js';
import { applyPatch, parsePatchRequest } from './patch.js';
import type { PatchOperation } from './patch.js';
import { project, wants } from './projection.js';
import type { Projection } from './projection.js';
import type {
  Repositories,
  ResourceRepository,
  ScimContext,
  WriteOp,
  WriteResult,
} from './repository.js';
import { GROUP_RESOURCE, USER_RESOURCE } from './schemas/definitions.js';
import { resolveAttribute } from './schemas/model.js';
import type { ResourceTypeDef, ScimResource } from './schemas/model.js';
import { validateResource } from './validate.js';

export interface ServiceLimits {
  defaultCount: number;
  maxResults: number;
  bulkMaxOperations: number;
  bulkMaxPayloadSize: number;
}

export const DEFAULT_LIMITS: ServiceLimits = {
  defaultCount: 100,
  maxResults: 1000,
  bulkMaxOperations: 1000,
  bulkMaxPayloadSize: 10 * 1024 * 1024,
};

const versionOf = (resource: ScimResource) =>
  (resource.meta as Record<string, unknown> | undefined)?.version as string | undefined;

/** Splits the write-only password from a validated User body. */
export function splitPassword(resource: ScimResource): {
  resource: ScimResource;
  password?: string;
} {
  const { password, ...rest } = resource;
  return { resource: rest, password: typeof password === 'string' ? password : undefined };
}

/** A validated body without the read-only attributes the store computes. */
function writable(resource: ScimResource): ScimResource {
  const { id: _id, meta: _meta, groups: _groups, ...rest } = resource;
  return rest;
}

/** Whether a list answer leaves out Group members (Entra asks excludedAttributes=members). */
function excludesMembers(rt: ResourceTypeDef, projection: Projection): boolean {
  return rt.name === 'Group' && !wants(rt, projection, resolveAttribute(rt, 'members'));
}

/** Attempts of a PATCH whose write keeps losing the version race to other writers. */
const PATCH_ATTEMPTS = 8;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs work one at a time per key, in arrival order. PATCHes of one resource in this
 * process wait for each other instead of racing for its version (other replicas still
 * race, and lose to the plugin's version check, which is why a PATCH also retries).
 */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export class ScimService {
  private readonly patches = new KeyedQueue();

  constructor(
    private readonly repos: Repositories,
    readonly limits: ServiceLimits = DEFAULT_LIMITS,
  ) {}

  repository(rt: ResourceTypeDef): ResourceRepository {
    return rt.name === 'User' ? this.repos.users : this.repos.groups;
  }

  private unwrap(result: WriteResult | undefined): Extract<WriteResult, { ok: true }> {
    if (!result) throw new ScimError(500, undefined, 'The store returned no result');
    if (!result.ok) throw result.error;
    return result;
  }

  async get(ctx: ScimContext, rt: ResourceTypeDef, id: string): Promise<ScimResource> {
    const resource = await this.repository(rt).get(ctx, id);
    if (!resource) throw new ScimError(404, undefined, `${rt.name} ${id} not found`);
    return resource;
  }

  async list(ctx: ScimContext, rt: ResourceTypeDef, params: ListParams) {
    const query = toListQuery(rt, params);
    query.excludeMembers = excludesMembers(rt, params);
    const { total, resources } = await this.repository(rt).list(ctx, query);
    return listResponse(
      total,
      params.startIndex,
      resources.map((r) => project(rt, r, params)),
      params.count,
    );
  }

  /** POST /.search at the root: Users then Groups, as one list. */
  async searchAll(ctx: ScimContext, params: ListParams) {
    const types = [USER_RESOURCE, GROUP_RESOURCE];
    // A filter naming attributes of one type only (userName) selects nothing of the other.
    const usable = types.filter((rt) => {
      if (!params.filter) return true;
      try {
        compileFilter(params.filter, rt);
        return true;
      } catch {
        return false;
      }
    });
    if (usable.length === 0) compileFilter(params.filter!, USER_RESOURCE);
    if (params.sortBy && usable.length > 1)
      throw badRequest(
        'invalidValue',
        'sortBy is supported per resource type: search /Users or /Groups',
      );
    let total = 0;
    const resources: ScimResource[] = [];
    let skip = params.startIndex - 1;
    for (const rt of usable) {
      const wanted = params.count - resources.length;
      const query = toListQuery(rt, {
        ...params,
        startIndex: skip + 1,
        count: Math.max(0, wanted),
      });
      query.excludeMembers = excludesMembers(rt, params);
      const page = await this.repository(rt).list(ctx, query);
      total += page.total;
      resources.push(...page.resources.map((r) => project(rt, r, params)));
      skip = Math.max(0, skip - page.total);
    }
    return listResponse(total, params.startIndex, resources, params.count);
  }

  async create(ctx: ScimContext, rt: ResourceTypeDef, body: unknown): Promise<ScimResource> {
    const op = this.createOp(rt, body);
    const result = this.unwrap((await this.repository(rt).write(ctx, [op]))[0]);
    return result.resource!;
  }

  createOp(rt: ResourceTypeDef, body: unknown): WriteOp {
    const validated = writable(validateResource(rt, body, 'create'));
    if (rt.name === 'Group') return { action: 'create', resource: validated };
    const { resource, password } = splitPassword(validated);
    return { action: 'create', resource, password };
  }

  replaceOp(rt: ResourceTypeDef, id: string, body: unknown, ifMatch?: string): WriteOp {
    const validated = writable(validateResource(rt, body, 'replace'));
    if (rt.name === 'Group') return { action: 'replace', id, resource: validated, ifMatch };
    const { resource, password } = splitPassword(validated);
    return { action: 'replace', id, resource, password, ifMatch };
  }

  async replace(
    ctx: ScimContext,
    rt: ResourceTypeDef,
    id: string,
    body: unknown,
    ifMatch?: string,
  ): Promise<ScimResource> {
    const op = this.replaceOp(rt, id, body, ifMatch);
    const result = this.unwrap((await this.repository(rt).write(ctx, [op]))[0]);
    return result.resource!;
  }

  /**
   * Turns a PATCH into a write against the current resource. Without a client If-Match the
   * version just read is used, so a concurrent change is retried rather than overwritten.
   */
  async patchOp(
    rt: ResourceTypeDef,
    current: ScimResource,
    operations: PatchOperation[],
    ifMatch?: string,
  ): Promise<{ op: WriteOp | null; current: ScimResource }> {
    const version = versionOf(current);
    if (ifMatch && !etagMatches(ifMatch, version))
      throw new ScimError(
        412,
        undefined,
        'The resource has changed: its version does not match If-Match',
      );
    const id = String(current.id);
    const result = await applyPatch(rt, current, operations);
    if (!result.changed) return { op: null, current };
    const resource = writable(result.resource);
    if (rt.name === 'Group') {
      const { members: _members, ...attributes } = resource;
      const onlyMembers =
        attributes.displayName === current.displayName &&
        attributes.externalId === current.externalId;
      if (result.members) {
        // Membership deltas commute: concurrent member PATCHes need no version check.
        return {
          op: {
            action: 'patch',
            id,
            resource: attributes,
            members: result.members,
            ifMatch: ifMatch ?? (onlyMembers ? undefined : version),
          },
          current,
        };
      }
      return {
        op: { action: 'patch', id, resource: attributes, ifMatch: ifMatch ?? version },
        current,
      };
    }
    return {
      op: {
        action: 'replace',
        id,
        resource,
        password: result.password,
        ifMatch: ifMatch ?? version,
      },
      current,
    };
  }

  async patch(
    ctx: ScimContext,
    rt: ResourceTypeDef,
    id: string,
    body: unknown,
    ifMatch?: string,
  ): Promise<ScimResource> {
    const operations = parsePatchRequest(body);
    return this.patches.run(`${ctx.connection}\n${rt.name}\n${id}`, async () => {
      for (let attempt = 1; ; attempt++) {
        const current = await this.get(ctx, rt, id);
        const { op } = await this.patchOp(rt, current, operations, ifMatch);
        if (!op) return current;
        const result = (await this.repository(rt).write(ctx, [op]))[0];
        // Our own version check lost a race with another writer: read again and re-apply.
        // A client that sent no If-Match never sees that race as a 412.
        if (result && !result.ok && result.error.status === 412 && !ifMatch) {
          if (attempt < PATCH_ATTEMPTS) {
            await pause(Math.random() * 20 * attempt);
            continue;
          }
          throw new ScimError(
            503,
            undefined,
            `${rt.name} ${id} is being changed by other requests; try again`,
            { 'Retry-After': '1' },
          );
        }
        return this.unwrap(result).resource ?? current;
      }
    });
  }

  async delete(ctx: ScimContext, rt: ResourceTypeDef, id: string, ifMatch?: string): Promise<void> {
    this.unwrap((await this.repository(rt).write(ctx, [{ action: 'delete', id, ifMatch }]))[0]);
  }

  /** Projection of a single resource for a response. */
  respond(rt: ResourceTypeDef, resource: ScimResource, projection: Projection): ScimResource {
    return project(rt, resource, projection);
  }
}
