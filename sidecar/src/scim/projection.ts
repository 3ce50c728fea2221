// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) with each attribute's
// `returned` characteristic: `always` attributes (id) are always there, `never` (password)
// never is, `request` only when asked for.
import { badRequest } from './errors.js';
import { COMMON_ATTRIBUTES, getProp, resolveAttribute } from './schemas/model.js';
import type {
  AttributeDef,
  ResolvedAttribute,
  ResourceTypeDef,
  ScimResource,
} from './schemas/model.js';

export interface Projection {
  attributes?: string[];
  excludedAttributes?: string[];
}

/** Splits a comma-separated attribute list from a query string or a .search body. */
export function parseAttributeList(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (!list || list.some((item) => typeof item !== 'string'))
    throw badRequest('invalidValue', `'${name}' must be a comma-separated list of attribute names`);
  const names = (list as string[]).map((item) => item.trim()).filter(Boolean);
  return names.length ? names : undefined;
}

interface Selection {
  /** Whole attributes, keyed by container ('' = core) and lower-case name. */
  whole: Set<string>;
  /** Sub-attributes: container|parent → lower-case sub names. */
  subs: Map<string, Set<string>>;
}

function select(rt: ResourceTypeDef, names: string[]): Selection {
  const selection: Selection = { whole: new Set(), subs: new Map() };
  for (const name of names) {
    const resolved = resolveAttribute(rt, name);
    // Unknown names select nothing (RFC 7644 leaves it to the provider; clients probe).
    if (!resolved) continue;
    const container = resolved.schema ?? '';
    if (resolved.path === resolved.schema) {
      selection.whole.add(`${container}|`);
    } else if (resolved.parent) {
      const key = `${container}|${resolved.parent.name.toLowerCase()}`;
      const subs = selection.subs.get(key) ?? new Set<string>();
      subs.add(resolved.attribute.name.toLowerCase());
      selection.subs.set(key, subs);
    } else {
      selection.whole.add(`${container}|${resolved.attribute.name.toLowerCase()}`);
    }
  }
  return selection;
}

function projectObject(
  source: Record<string, unknown>,
  attributes: AttributeDef[],
  container: string,
  include: Selection | undefined,
  exclude: Selection | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const wholeContainer = include?.whole.has(`${container}|`) ?? false;
  for (const attribute of attributes) {
    const value = getProp(source, attribute.name);
    if (value === undefined || attribute.returned === 'never') continue;
    const key = `${container}|${attribute.name.toLowerCase()}`;
    if (attribute.returned === 'always') {
      out[attribute.name] = value;
      continue;
    }
    if (exclude?.whole.has(key)) continue;
    const subsIncluded = include?.subs.get(key);
    const subsExcluded = exclude?.subs.get(key);
    const requested = include
      ? wholeContainer || include.whole.has(key) || !!subsIncluded
      : attribute.returned !== 'request';
    if (!requested) continue;
    if (
      attribute.subAttributes &&
      (subsIncluded || subsExcluded) &&
      !include?.whole.has(key) &&
      !wholeContainer
    ) {
      const keep = (sub: AttributeDef) =>
        sub.returned !== 'never' &&
        (sub.returned === 'always' ||
          ((!subsIncluded || subsIncluded.has(sub.name.toLowerCase())) &&
            !subsExcluded?.has(sub.name.toLowerCase())));
      const pick = (item: unknown) => {
        const picked: Record<string, unknown> = {};
        for (const sub of attribute.subAttributes!) {
          const v = getProp(item, sub.name);
          if (v !== undefined && keep(sub)) picked[sub.name] = v;
        }
        return picked;
      };
      const projected = Array.isArray(value)
        ? value.map(pick).filter((item) => Object.keys(item).length > 0)
        : pick(value);
      if (Array.isArray(projected) ? projected.length : Object.keys(projected).length)
        out[attribute.name] = projected;
      continue;
    }
    out[attribute.name] = value;
  }
  return out;
}

/** Applies a projection to a full resource (as the repository returns it). */
export function project(
  rt: ResourceTypeDef,
  resource: ScimResource,
  projection: Projection = {},
): ScimResource {
  const include = projection.attributes ? select(rt, projection.attributes) : undefined;
  // excludedAttributes is ignored when attributes is given (RFC 7644 §3.4.2.5: one or the other).
  const exclude =
    !include && projection.excludedAttributes
      ? select(rt, projection.excludedAttributes)
      : undefined;
  const out: ScimResource = { schemas: resource.schemas };
  Object.assign(
    out,
    projectObject(resource, [...COMMON_ATTRIBUTES, ...rt.schema.attributes], '', include, exclude),
  );
  for (const ext of rt.extensions) {
    const value = getProp(resource, ext.schema.id);
    if (value === undefined) continue;
    const container = ext.schema.id;
    if (exclude?.whole.has(`${container}|`)) continue;
    const projected = projectObject(
      value as Record<string, unknown>,
      ext.schema.attributes,
      container,
      include,
      exclude,
    );
    if (Object.keys(projected).length) out[ext.schema.id] = projected;
  }
  return out;
}

/** True when the projection can use the attribute (for stores that skip expensive reads). */
export function wants(
  rt: ResourceTypeDef,
  projection: Projection,
  resolved: ResolvedAttribute | undefined,
): boolean {
  if (!resolved) return true;
  const name = resolved.attribute.name.toLowerCase();
  if (projection.attributes) {
    const include = select(rt, projection.attributes);
    return (
      include.whole.has(`${resolved.schema ?? ''}|${name}`) ||
      include.subs.has(`${resolved.schema ?? ''}|${name}`)
    );
  }
  if (projection.excludedAttributes) {
    const exclude = select(rt, projection.excludedAttributes);
    return !exclude.whole.has(`${resolved.schema ?? ''}|${name}`);
  }
  return true;
}
