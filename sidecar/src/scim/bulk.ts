// /Bulk (RFC 7644 §3.7): operations run in order of their bulkId dependencies; runs of
// independent operations on the same resource type go to the store as one batch, so a
// thousand POSTs become two batch writes instead of a thousand. `bulkId:` references in
// paths and data (e.g. group members) resolve to the ids just created; failOnErrors
// stops processing once that many operations have failed.
import { badRequest, ScimError, toScimErrorBody } from './errors.js';
import { parsePatchRequest } from './patch.js';
import type { ScimContext, WriteOp, WriteResult } from './repository.js';
import { GROUP_RESOURCE, USER_RESOURCE } from './schemas/definitions.js';
import { getProp } from './schemas/model.js';
import type { ResourceTypeDef, ScimResource } from './schemas/model.js';
import type { ScimService } from './service.js';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

type Method = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface BulkOperation {
  index: number;
  method: Method;
  bulkId?: string;
  version?: string;
  path: string;
  data: unknown;
  /** bulkIds this operation refers to. */
  needs: Set<string>;
}

export interface BulkOperationResult {
  method: string;
  bulkId?: string;
  version?: string;
  location?: string;
  status: string;
  response?: unknown;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const BULK_REF = /^bulkId:(.+)$/;
const PATH_REF = /bulkId:([^/?#]+)/g;

function pathRefs(path: string, into: Set<string>) {
  for (const match of path.matchAll(PATH_REF)) into.add(decodeURIComponent(match[1]!));
}

function substitutePath(path: string, ids: Map<string, string>): string {
  return path.replace(PATH_REF, (whole, ref: string) => {
    const id = ids.get(decodeURIComponent(ref));
    return id === undefined ? whole : encodeURIComponent(id);
  });
}

function collectRefs(value: unknown, into: Set<string>) {
  if (typeof value === 'string') {
    const match = BULK_REF.exec(value);
    if (match) into.add(match[1]!);
  } else if (Array.isArray(value)) {
    value.forEach((v) => collectRefs(v, into));
  } else if (isPlainObject(value)) {
    Object.values(value).forEach((v) => collectRefs(v, into));
  }
}

function substitute(value: unknown, ids: Map<string, string>): unknown {
  if (typeof value === 'string') {
    const match = BULK_REF.exec(value);
    return match && ids.has(match[1]!) ? ids.get(match[1]!) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, ids));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, ids)]));
  return value;
}

function target(path: string): { rt: ResourceTypeDef; id?: string } {
  const match = /^\/?(Users|Groups)(?:\/([^/?#]+))?\/?$/i.exec(path.trim());
  if (!match)
    throw badRequest('invalidPath', `Bulk path '${path}' must be /Users, /Groups or /<type>/<id>`);
  const rt = match[1]!.toLowerCase() === 'users' ? USER_RESOURCE : GROUP_RESOURCE;
  return { rt, id: match[2] ? decodeURIComponent(match[2]) : undefined };
}

/** Parses the BulkRequest envelope; per-operation problems are reported per operation. */
export function parseBulkRequest(body: unknown, maxOperations: number) {
  if (!isPlainObject(body))
    throw badRequest('invalidSyntax', 'The Bulk body must be a JSON object');
  const schemas = getProp(body, 'schemas');
  if (
    !Array.isArray(schemas) ||
    !schemas.some(
      (s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase(),
    )
  )
    throw badRequest('invalidSyntax', `'schemas' must be ["${BULK_REQUEST_SCHEMA}"]`);
  const operations = getProp(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0)
    throw badRequest('invalidSyntax', "'Operations' must be a non-empty list");
  if (operations.length > maxOperations)
    throw new ScimError(413, 'tooMany', `At most ${maxOperations} operations per Bulk request`);
  const failOnErrors = getProp(body, 'failOnErrors');
  if (
    failOnErrors !== undefined &&
    failOnErrors !== null &&
    (typeof failOnErrors !== 'number' || !Number.isInteger(failOnErrors) || failOnErrors < 1)
  )
    throw badRequest('invalidValue', "'failOnErrors' must be a positive integer");
  return {
    operations: operations as unknown[],
    failOnErrors: (failOnErrors as number | undefined) ?? undefined,
  };
}

export async function runBulk(
  service: ScimService,
  ctx: ScimContext,
  body: unknown,
): Promise<{ schemas: string[]; Operations: BulkOperationResult[] }> {
  const { operations: raw, failOnErrors } = parseBulkRequest(
    body,
    service.limits.bulkMaxOperations,
  );
  const results = new Map<number, BulkOperationResult>();
  const ids = new Map<string, string>();
  const failedBulkIds = new Set<string>();
  const pending: BulkOperation[] = [];
  const seenBulkIds = new Set<string>();
  let errors = 0;

  const fail = (index: number, method: string, bulkId: string | undefined, error: ScimError) => {
    results.set(index, {
      method,
      ...(bulkId ? { bulkId } : {}),
      status: String(error.status),
      response: toScimErrorBody(error),
    });
    if (bulkId) failedBulkIds.add(bulkId);
    errors++;
  };

  raw.forEach((item, index) => {
    const method = isPlainObject(item) ? getProp(item, 'method') : undefined;
    const methodName = typeof method === 'string' ? method.toUpperCase() : String(method);
    const bulkIdRaw = isPlainObject(item) ? getProp(item, 'bulkId') : undefined;
    const bulkId = typeof bulkIdRaw === 'string' && bulkIdRaw !== '' ? bulkIdRaw : undefined;
    try {
      if (!isPlainObject(item))
        throw badRequest('invalidSyntax', `Operation ${index + 1} must be an object`);
      if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(methodName))
        throw badRequest(
          'invalidSyntax',
          `Operation ${index + 1}: 'method' must be POST, PUT, PATCH or DELETE`,
        );
      if (bulkIdRaw !== undefined && !bulkId)
        throw badRequest(
          'invalidValue',
          `Operation ${index + 1}: 'bulkId' must be a non-empty string`,
        );
      if (methodName === 'POST' && !bulkId)
        throw badRequest('invalidValue', `Operation ${index + 1}: POST needs a 'bulkId'`);
      if (bulkId && seenBulkIds.has(bulkId))
        throw badRequest('uniqueness', `Operation ${index + 1}: bulkId '${bulkId}' is used twice`);
      if (bulkId) seenBulkIds.add(bulkId);
      const path = getProp(item, 'path');
      if (typeof path !== 'string')
        throw badRequest('invalidPath', `Operation ${index + 1}: 'path' is required`);
      const version = getProp(item, 'version');
      const data = getProp(item, 'data');
      if (
        (methodName === 'POST' || methodName === 'PUT' || methodName === 'PATCH') &&
        data === undefined
      )
        throw badRequest('invalidSyntax', `Operation ${index + 1}: ${methodName} needs 'data'`);
      const needs = new Set<string>();
      pathRefs(path, needs);
      collectRefs(data, needs);
      pending.push({
        index,
        method: methodName as Method,
        bulkId,
        version: typeof version === 'string' ? version : undefined,
        path,
        data,
        needs,
      });
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
      fail(index, methodName, bulkId, error);
    }
  });

  const stop = () => failOnErrors !== undefined && errors >= failOnErrors;

  while (pending.length > 0 && !stop()) {
    // Operations whose references are all resolved run now; the rest wait for them.
    const ready = pending.filter((op) =>
      [...op.needs].every((id) => ids.has(id) || failedBulkIds.has(id) || !seenBulkIds.has(id)),
    );
    if (ready.length === 0) {
      // Only circular references remain (RFC 7644 §3.7.1): each fails with 409.
      for (const op of pending.splice(0))
        fail(
          op.index,
          op.method,
          op.bulkId,
          new ScimError(
            409,
            'invalidValue',
            `Operation ${op.index + 1}: circular bulkId reference`,
          ),
        );
      break;
    }
    for (const op of ready) pending.splice(pending.indexOf(op), 1);
    ready.sort((a, b) => a.index - b.index);
    let i = 0;
    while (i < ready.length && !stop()) {
      const allowance = failOnErrors === undefined ? Infinity : failOnErrors - errors;
      const chunk: { op: BulkOperation; rt: ResourceTypeDef; id?: string }[] = [];
      const touched = new Set<string>();
      while (i < ready.length && chunk.length < allowance) {
        const op = ready[i]!;
        const unresolved = [...op.needs].filter((id) => !ids.has(id));
        if (unresolved.length) {
          const reason = unresolved.some((id) => failedBulkIds.has(id))
            ? 'failed'
            : 'does not exist';
          fail(
            op.index,
            op.method,
            op.bulkId,
            new ScimError(
              409,
              'invalidValue',
              `Operation ${op.index + 1}: the operation with bulkId '${unresolved[0]}' ${reason}`,
            ),
          );
          i++;
          if (stop()) break;
          continue;
        }
        let parsed: { rt: ResourceTypeDef; id?: string };
        try {
          parsed = target(substitutePath(op.path, ids));
          if (op.method === 'POST' && parsed.id)
            throw badRequest('invalidPath', `POST goes to /${parsed.rt.name}s`);
          if (op.method !== 'POST' && !parsed.id)
            throw badRequest('invalidPath', `${op.method} needs /${parsed.rt.name}s/<id>`);
        } catch (error) {
          if (!(error instanceof ScimError)) throw error;
          fail(op.index, op.method, op.bulkId, error);
          i++;
          continue;
        }
        const first = chunk[0];
        const key = `${parsed.rt.name}/${parsed.id ?? ''}`;
        if (
          first &&
          (first.rt !== parsed.rt ||
            (parsed.id && touched.has(key)) ||
            chunk.length >= service.repository(parsed.rt).maxBatch)
        )
          break;
        if (parsed.id) touched.add(key);
        chunk.push({ op, rt: parsed.rt, id: parsed.id });
        i++;
      }
      if (chunk.length) await runChunk(service, ctx, chunk, ids, fail, results);
    }
  }

  const ordered = [...results.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
  return { schemas: [BULK_RESPONSE_SCHEMA], Operations: ordered };
}

async function runChunk(
  service: ScimService,
  ctx: ScimContext,
  chunk: { op: BulkOperation; rt: ResourceTypeDef; id?: string }[],
  ids: Map<string, string>,
  fail: (index: number, method: string, bulkId: string | undefined, error: ScimError) => void,
  results: Map<number, BulkOperationResult>,
) {
  const rt = chunk[0]!.rt;
  const repository = service.repository(rt);
  const writes: {
    op: BulkOperation;
    write: WriteOp | null;
    current?: ScimResource;
    id?: string;
    data?: unknown;
  }[] = [];
  await Promise.all(
    chunk.map(async ({ op, id }, position) => {
      try {
        const data = substitute(op.data, ids);
        let write: WriteOp | null;
        let current: ScimResource | undefined;
        switch (op.method) {
          case 'POST':
            write = service.createOp(rt, data);
            break;
          case 'PUT':
            write = service.replaceOp(rt, id!, data, op.version);
            break;
          case 'PATCH': {
            const operations = parsePatchRequest(data);
            current = await service.get(ctx, rt, id!);
            ({ op: write } = await service.patchOp(rt, current, operations, op.version));
            break;
          }
          case 'DELETE':
            write = { action: 'delete', id: id!, ifMatch: op.version };
            break;
        }
        writes[position] = { op, write, current, id, data };
      } catch (error) {
        if (!(error instanceof ScimError)) throw error;
        writes[position] = { op, write: null };
        fail(op.index, op.method, op.bulkId, error);
      }
    }),
  );
  const toWrite = writes.filter((w) => w.write !== null);
  const written: WriteResult[] = toWrite.length
    ? await repository.write(
        ctx,
        toWrite.map((w) => w.write!),
      )
    : [];
  const raced: typeof toWrite = [];
  toWrite.forEach((w, n) => {
    const result = written[n];
    if (!result) return;
    // A PATCH without a version lost the race for the version it read: it is done again on
    // its own, as a single PATCH is, and never answered 412.
    if (!result.ok && result.error.status === 412 && w.op.method === 'PATCH' && !w.op.version) {
      raced.push(w);
      return;
    }
    if (!result.ok) {
      fail(w.op.index, w.op.method, w.op.bulkId, result.error);
      return;
    }
    record(
      w.op,
      result.resource,
      result.status === 'created' ? 201 : result.status === 'deleted' ? 204 : 200,
    );
  });
  for (const w of raced) {
    try {
      record(w.op, await service.patch(ctx, rt, w.id!, w.data), 200);
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
      fail(w.op.index, w.op.method, w.op.bulkId, error);
    }
  }
  // PATCHes that changed nothing are successes without a write.
  for (const w of writes) {
    if (w && w.write === null && w.current && !results.has(w.op.index))
      record(w.op, w.current, 200);
  }

  function record(op: BulkOperation, resource: ScimResource | null, status: number) {
    const meta = (resource?.meta ?? {}) as Record<string, unknown>;
    if (op.bulkId && resource?.id !== undefined) ids.set(op.bulkId, String(resource.id));
    const result: BulkOperationResult = { method: op.method, status: String(status) };
    if (op.bulkId) result.bulkId = op.bulkId;
    if (typeof meta.version === 'string') result.version = meta.version;
    if (typeof meta.location === 'string') result.location = meta.location;
    results.set(op.index, result);
  }
}
