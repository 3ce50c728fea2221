// Request body validation (RFC 7643 §2, §7): a User or Group body becomes a normalised
// resource — canonical attribute names, values of the declared type ("True" → true, as
// Entra ID sends), read-only attributes dropped — or a 400 naming what is wrong. Unknown
// attributes are refused rather than silently lost.
import { badRequest } from './errors.js';
import { findByName, getProp } from './schemas/model.js';
import type { AttributeDef, ResourceTypeDef, ScimResource } from './schemas/model.js';

export type ValidationMode = 'create' | 'replace' | 'patched';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Deepest nesting of objects and lists a body may have (a User is 4 deep at most). */
export const MAX_DEPTH = 32;

/**
 * 400 when a value nests deeper than MAX_DEPTH: checked once on the parsed body, without
 * recursion, so no later step can overflow the stack on a hostile value.
 */
export function assertDepth(value: unknown, max = MAX_DEPTH): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > max)
      throw badRequest('invalidSyntax', `The request body nests deeper than ${max} levels`);
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
}

/** A short rendering of an offending value, for error messages. */
export function preview(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Coerces one (non-multi-valued) value to an attribute's type, or throws 400 invalidValue. */
export function coerceSingle(attribute: AttributeDef, value: unknown, where: string): unknown {
  const fail = (expected: string) =>
    badRequest('invalidValue', `Attribute '${where}' must be ${expected}, got ${preview(value)}`);
  switch (attribute.type) {
    case 'string':
    case 'reference':
    case 'binary':
      // A number is refused, not turned into text: 1e999 would be stored as "Infinity".
      if (typeof value === 'string') return value;
      throw fail('a string');
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim()))
        return value.trim().toLowerCase() === 'true';
      throw fail('true or false');
    case 'integer': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number === 'number' && Number.isInteger(number)) return number;
      throw fail('an integer');
    }
    case 'decimal': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number === 'number' && Number.isFinite(number)) return number;
      throw fail('a number');
    }
    case 'dateTime':
      if (typeof value === 'string' && ISO_DATE.test(value) && Number.isFinite(Date.parse(value)))
        return value;
      throw fail('an ISO 8601 date-time');
    case 'complex':
      return coerceComplex(attribute, value, where);
  }
}

function coerceComplex(attribute: AttributeDef, value: unknown, where: string) {
  // Entra ID sends the manager as a bare id string; it means { value: id }.
  if (
    typeof value === 'string' &&
    !attribute.multiValued &&
    attribute.subAttributes?.some((s) => s.name === 'value')
  )
    return { value };
  if (!isPlainObject(value))
    throw badRequest('invalidValue', `Attribute '${where}' must be an object`);
  const result: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const sub = attribute.subAttributes && findByName(attribute.subAttributes, key);
    if (!sub) throw badRequest('invalidSyntax', `Unknown sub-attribute '${where}.${key}'`);
    if (raw === null || raw === undefined) continue;
    if (sub.mutability === 'readOnly') continue;
    result[sub.name] = coerceSingle(sub, raw, `${where}.${sub.name}`);
  }
  return result;
}

/** Coerces an attribute value (single or multi-valued); null means "no value". */
export function coerceValue(
  attribute: AttributeDef,
  value: unknown,
  where: string,
  /** PATCH values may give one item for a multi-valued attribute. */
  singleItemAllowed = false,
): unknown {
  if (value === null || value === undefined) return undefined;
  if (!attribute.multiValued) {
    if (Array.isArray(value))
      throw badRequest('invalidValue', `Attribute '${where}' takes a single value, not a list`);
    return coerceSingle(attribute, value, where);
  }
  if (!Array.isArray(value) && !singleItemAllowed)
    throw badRequest('invalidValue', `Attribute '${where}' takes a list of values`);
  const items = Array.isArray(value) ? value : [value];
  const coerced = items
    .filter((item) => item !== null && item !== undefined)
    .map((item, i) => coerceSingle(attribute, item, `${where}[${i}]`));
  if (attribute.type === 'complex') {
    const primaries = coerced.filter((item) => (item as Record<string, unknown>).primary === true);
    if (primaries.length > 1)
      throw badRequest('invalidValue', `Only one of '${where}' may be primary`);
  }
  return coerced.length ? coerced : undefined;
}

function coerceObject(
  attributes: AttributeDef[],
  input: Record<string, unknown>,
  where: string,
  target: Record<string, unknown>,
) {
  for (const [key, raw] of Object.entries(input)) {
    const attribute = findByName(attributes, key);
    if (!attribute) throw badRequest('invalidSyntax', `Unknown attribute '${where}${key}'`);
    if (attribute.mutability === 'readOnly') continue;
    const value = coerceValue(attribute, raw, `${where}${attribute.name}`);
    if (value !== undefined) target[attribute.name] = value;
  }
}

/**
 * Validates a User or Group body and returns the normalised resource (no id/meta: the
 * service sets those). `patched` checks a resource produced by applying a PATCH.
 */
export function validateResource(
  rt: ResourceTypeDef,
  body: unknown,
  mode: ValidationMode,
): ScimResource {
  if (!isPlainObject(body))
    throw badRequest('invalidSyntax', `The request body must be a JSON object (a ${rt.name})`);
  const schemas = getProp(body, 'schemas');
  const known = new Map(
    [rt.schema.id, ...rt.extensions.map((e) => e.schema.id)].map((id) => [id.toLowerCase(), id]),
  );
  const listed = new Set<string>();
  if (mode !== 'patched' || schemas !== undefined) {
    if (!Array.isArray(schemas) || schemas.some((s) => typeof s !== 'string'))
      throw badRequest(
        'invalidSyntax',
        `'schemas' must be a list of schema URNs including '${rt.schema.id}'`,
      );
    for (const urn of schemas as string[]) {
      const canonical = known.get(urn.toLowerCase());
      if (!canonical)
        throw badRequest('invalidValue', `Schema '${urn}' is not supported for ${rt.name}`);
      listed.add(canonical);
    }
  }
  if (mode !== 'patched' && !listed.has(rt.schema.id))
    throw badRequest('invalidValue', `'schemas' must include '${rt.schema.id}'`);
  listed.add(rt.schema.id);

  const resource: ScimResource = {};
  const core: Record<string, unknown> = {};
  const coreAttributes = rt.schema.attributes;
  const corePrefix = rt.schema.id.toLowerCase() + ':';
  for (const [key, raw] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (lower === 'schemas' || lower === 'id' || lower === 'meta') continue;
    if (lower === 'externalid') {
      if (raw === null || raw === undefined) continue;
      if (typeof raw !== 'string' || raw.length > 255)
        throw badRequest('invalidValue', `'externalId' must be a string of at most 255 characters`);
      resource.externalId = raw;
      continue;
    }
    const extension = known.get(lower);
    if (extension && extension !== rt.schema.id) {
      if (raw === null || raw === undefined) continue;
      if (!isPlainObject(raw))
        throw badRequest('invalidSyntax', `'${extension}' must be an object`);
      const attributes = rt.extensions.find((e) => e.schema.id === extension)!.schema.attributes;
      const values: Record<string, unknown> = {};
      coerceObject(attributes, raw, `${extension}:`, values);
      if (Object.keys(values).length) {
        resource[extension] = values;
        listed.add(extension);
      }
      continue;
    }
    // A core attribute may be written with its schema URN: urn:…:core:2.0:User:userName
    const name = lower.startsWith(corePrefix) ? key.slice(corePrefix.length) : key;
    coerceObject(coreAttributes, { [name]: raw }, '', core);
  }
  Object.assign(resource, core);
  // Extensions first listed but sent empty are not worth keeping in `schemas`.
  for (const ext of rt.extensions)
    if (!(ext.schema.id in resource) && mode === 'patched') listed.delete(ext.schema.id);
  resource.schemas = [...listed];

  for (const attribute of coreAttributes) {
    if (!attribute.required) continue;
    const value = resource[attribute.name];
    if (value === undefined || (typeof value === 'string' && value.trim() === ''))
      throw badRequest(
        mode === 'patched' ? 'mutability' : 'invalidValue',
        `'${attribute.name}' is required for a ${rt.name}`,
      );
  }
  return orderKeys(resource);
}

/** `schemas` first, then attributes in the order the client sent them. */
function orderKeys(resource: ScimResource): ScimResource {
  const { schemas, ...rest } = resource;
  return { schemas, ...rest };
}
