// Query parameters and ListResponse (RFC 7644 §3.4.2): filter, 1-based startIndex, count
// (0 = only totalResults), sortBy/sortOrder, attributes/excludedAttributes — from a GET
// query string or a POST /.search body alike.
import { badRequest } from './errors.js';
import { compileFilter } from './filter.js';
import type { CompiledFilter } from './filter.js';
import { getProp, resolveAttribute } from './schemas/model.js';
import type { ResolvedAttribute, ResourceTypeDef, ScimResource } from './schemas/model.js';
import { parseAttributeList } from './projection.js';
import type { Projection } from './projection.js';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

export interface ListParams extends Projection {
  filter?: string;
  startIndex: number;
  count: number;
  sortBy?: string;
  sortOrder: 'ascending' | 'descending';
}

export interface ListQuery {
  filter?: CompiledFilter;
  /** 1-based. */
  startIndex: number;
  count: number;
  sortBy?: ResolvedAttribute;
  sortOrder: 'ascending' | 'descending';
  /** The answer will not show Group members: a store may skip loading them. */
  excludeMembers?: boolean;
}

export interface ListLimits {
  defaultCount: number;
  maxResults: number;
}

function integerParam(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(number))
    throw badRequest('invalidValue', `'${name}' must be an integer, got ${JSON.stringify(value)}`);
  return number;
}

/** Reads list parameters from a query string object or a SearchRequest body. */
export function parseListParams(
  source: Record<string, unknown>,
  limits: ListLimits,
  fromBody = false,
): ListParams {
  const read = (name: string) => {
    const value = getProp(source, name);
    if (!fromBody && Array.isArray(value))
      throw badRequest('invalidValue', `'${name}' was given more than once`);
    return value;
  };
  if (fromBody) {
    const schemas = read('schemas');
    if (
      !Array.isArray(schemas) ||
      !schemas.some(
        (s) => typeof s === 'string' && s.toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase(),
      )
    )
      throw badRequest('invalidSyntax', `'schemas' must be ["${SEARCH_REQUEST_SCHEMA}"]`);
  }
  const filter = read('filter');
  if (filter !== undefined && filter !== null && typeof filter !== 'string')
    throw badRequest('invalidFilter', "'filter' must be a string");
  // RFC 7644 §3.4.2.4: startIndex below 1 means 1; a negative count means 0.
  const startIndex = Math.max(1, integerParam(read('startIndex'), 'startIndex') ?? 1);
  const requested = integerParam(read('count'), 'count');
  const count = Math.min(Math.max(0, requested ?? limits.defaultCount), limits.maxResults);
  const sortBy = read('sortBy');
  if (
    sortBy !== undefined &&
    sortBy !== null &&
    (typeof sortBy !== 'string' || sortBy.trim() === '')
  )
    throw badRequest('invalidValue', "'sortBy' must be an attribute name");
  const sortOrder = read('sortOrder');
  let order: 'ascending' | 'descending' = 'ascending';
  if (sortOrder !== undefined && sortOrder !== null && sortOrder !== '') {
    if (typeof sortOrder !== 'string' || !/^(ascending|descending)$/i.test(sortOrder))
      throw badRequest('invalidValue', "'sortOrder' must be 'ascending' or 'descending'");
    order = sortOrder.toLowerCase() as 'ascending' | 'descending';
  }
  return {
    filter: typeof filter === 'string' && filter.trim() !== '' ? filter : undefined,
    startIndex,
    count,
    sortBy: typeof sortBy === 'string' ? sortBy.trim() : undefined,
    sortOrder: order,
    attributes: parseAttributeList(read('attributes'), 'attributes'),
    excludedAttributes: parseAttributeList(read('excludedAttributes'), 'excludedAttributes'),
  };
}

/** Compiles list parameters for one resource type. */
export function toListQuery(rt: ResourceTypeDef, params: ListParams): ListQuery {
  let sortBy: ResolvedAttribute | undefined;
  if (params.sortBy) {
    sortBy = resolveAttribute(rt, params.sortBy);
    if (!sortBy || sortBy.attribute.type === 'complex')
      throw badRequest('invalidValue', `Cannot sort ${rt.name}s by '${params.sortBy}'`);
  }
  return {
    filter: params.filter ? compileFilter(params.filter, rt) : undefined,
    startIndex: params.startIndex,
    count: params.count,
    sortBy,
    sortOrder: params.sortOrder,
  };
}

/** The value a resource is sorted by: for multi-valued attributes the primary (or first). */
function sortValue(resource: ScimResource, by: ResolvedAttribute): string | number | undefined {
  const container = by.schema ? getProp(resource, by.schema) : resource;
  let value: unknown;
  if (by.parent) {
    const parent = getProp(container, by.parent.name);
    const item = Array.isArray(parent)
      ? (parent.find((p) => getProp(p, 'primary') === true) ?? parent[0])
      : parent;
    value = getProp(item, by.attribute.name);
  } else {
    value = getProp(container, by.attribute.name);
  }
  if (value === undefined || value === null) return undefined;
  switch (by.attribute.type) {
    case 'integer':
    case 'decimal':
      return Number(value);
    case 'dateTime':
      return Date.parse(String(value));
    case 'boolean':
      return value ? 1 : 0;
    default: {
      const text = String(value);
      return by.attribute.caseExact ? text : text.toLowerCase();
    }
  }
}

/** Sorts in place; resources without a value come last either way. Stable by id. */
export function sortResources(
  resources: ScimResource[],
  by: ResolvedAttribute,
  order: 'ascending' | 'descending',
) {
  const sign = order === 'descending' ? -1 : 1;
  const keyed = resources.map((r) => ({ r, k: sortValue(r, by) }));
  keyed.sort((a, b) => {
    if (a.k === undefined && b.k === undefined) return 0;
    if (a.k === undefined) return 1;
    if (b.k === undefined) return -1;
    if (a.k < b.k) return -sign;
    if (a.k > b.k) return sign;
    return 0;
  });
  keyed.forEach(({ r }, i) => (resources[i] = r));
}

/** Applies filter, sort and paging to resources held in memory. */
export function queryInMemory(
  resources: ScimResource[],
  query: ListQuery,
): { total: number; resources: ScimResource[] } {
  const matched = query.filter ? resources.filter((r) => query.filter!.matches(r)) : [...resources];
  if (query.sortBy) sortResources(matched, query.sortBy, query.sortOrder);
  const start = query.startIndex - 1;
  return {
    total: matched.length,
    resources: query.count === 0 ? [] : matched.slice(start, start + query.count),
  };
}

export function listResponse(
  total: number,
  startIndex: number,
  resources: ScimResource[],
  count: number,
) {
  if (count === 0)
    return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: total, startIndex, itemsPerPage: 0 };
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
