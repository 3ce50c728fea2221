// The one reader of attribute map source paths over a source person's SCIM-shaped
// attributes: `userName`, `name.givenName`, `emails[primary].value`,
// `emails[type ne "home" and primary eq true].value`, `urn:…:enterprise:2.0:User:department`.
// The grammar is SCIM's (filter-syntax.ts); names are case-insensitive, strings compare
// case-insensitively (the attribute map reads values, it does not check caseExact), and a
// multi-valued attribute without a filter yields its primary (else first) value.
import { FilterSyntaxError, orderCompare, parsePatchPath } from './filter-syntax.js';
import type { CompareOp, CompValue, FilterNode } from './filter-syntax.js';

export type Attributes = Record<string, unknown>;

interface ParsedPath {
  /** `urn:…` prefix as written (resolved against the person's keys when read). */
  urn: boolean;
  /** Attribute names before any filter: `name.givenName` → ['name', 'givenName']. */
  names: string[];
  filter?: FilterNode;
  /** `[primary]`: the primary item, else the first. */
  primaryOrFirst: boolean;
  sub?: string;
}

const parsedPaths = new Map<string, ParsedPath | null>();

/** Parses a source path once; null when it is not a path the grammar accepts. */
export function parseSourcePath(path: string): ParsedPath | null {
  const cached = parsedPaths.get(path);
  if (cached !== undefined) return cached;
  let parsed: ParsedPath | null = null;
  try {
    const primaryOrFirst = /\[\s*primary\s*\]/i.test(path);
    const syntax = parsePatchPath(path.trim().replace(/\[\s*primary\s*\]/i, '[primary eq true]'));
    const urn = /^urn:/i.test(syntax.attribute);
    parsed = {
      urn,
      names: urn ? [syntax.attribute] : syntax.attribute.split('.'),
      filter: syntax.filter,
      primaryOrFirst,
      sub: syntax.subAttribute,
    };
  } catch (error) {
    if (!(error instanceof FilterSyntaxError)) throw error;
  }
  if (parsedPaths.size > 10_000) parsedPaths.clear();
  parsedPaths.set(path, parsed);
  return parsed;
}

/** Why a source path cannot be read, or null when it can. */
export function sourcePathProblem(path: string): string | null {
  try {
    parsePatchPath(path.trim().replace(/\[\s*primary\s*\]/i, '[primary eq true]'));
    return null;
  } catch (error) {
    if (error instanceof FilterSyntaxError) return error.message;
    throw error;
  }
}

const isObject = (value: unknown): value is Attributes =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A property by case-insensitive name. */
function prop(holder: unknown, name: string): unknown {
  if (!isObject(holder)) return undefined;
  if (name in holder) return holder[name];
  const lower = name.toLowerCase();
  for (const key in holder) if (key.toLowerCase() === lower) return holder[key];
  return undefined;
}

function primaryOrFirst(list: unknown[]): unknown {
  return list.find((item) => prop(item, 'primary') === true) ?? list[0];
}

/**
 * `urn:…:User:department`: the schema is the longest key of the person the path starts with
 * (URNs contain dots and colons, so the split depends on the keys), the rest a dotted path.
 */
function resolveUrn(attributes: Attributes, path: string): { holder: unknown; names: string[] } {
  const lower = path.toLowerCase();
  let schema: string | null = null;
  for (const key of Object.keys(attributes)) {
    if (lower.startsWith(`${key.toLowerCase()}:`) && (!schema || key.length > schema.length))
      schema = key;
  }
  if (!schema) return { holder: undefined, names: [] };
  return { holder: attributes[schema], names: path.slice(schema.length + 1).split('.') };
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '' || typeof value === 'object')
    return undefined;
  return String(value);
}

/** The value of a source path as a string; undefined when the person has none. */
export function readAttribute(attributes: Attributes, path: string): string | undefined {
  const parsed = parseSourcePath(path);
  if (!parsed) return undefined;
  let holder: unknown = attributes;
  let names = parsed.names;
  if (parsed.urn) ({ holder, names } = resolveUrn(attributes, names[0]!));
  if (names.length === 0) return undefined;
  let value: unknown = holder;
  for (const name of names) {
    if (Array.isArray(value)) value = primaryOrFirst(value);
    value = prop(value, name);
    if (value === undefined || value === null) return undefined;
  }
  if (parsed.filter) {
    const list = Array.isArray(value) ? value : [value];
    const filter = parsed.filter;
    const item =
      list.find((candidate) => matches(filter, candidate)) ??
      (parsed.primaryOrFirst ? list[0] : undefined);
    return text(prop(item, parsed.sub ?? 'value'));
  }
  if (Array.isArray(value)) value = primaryOrFirst(value);
  if (isObject(value)) return text(prop(value, 'value'));
  return text(value);
}

/** Every value a path within an item has (a multi-valued one counts each). */
function valuesOf(item: unknown, path: string): unknown[] {
  let scope: unknown[] = [item];
  for (const name of path.split('.')) {
    scope = scope.flatMap((holder) => {
      const value = prop(holder, name);
      return Array.isArray(value) ? value : [value];
    });
  }
  return scope.filter((value) => value !== undefined && value !== null);
}

const isPresent = (value: unknown) =>
  value !== '' && !(Array.isArray(value) && value.length === 0) && value !== undefined;

function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value))
    return value.toLowerCase() === 'true';
  return undefined;
}

function compare(op: CompareOp, actual: unknown, expected: CompValue): boolean {
  if (typeof actual === 'object') return false;
  if (typeof expected === 'boolean') return op === 'eq' && toBoolean(actual) === expected;
  if (typeof expected === 'number') {
    const number = Number(actual);
    if (Number.isNaN(number)) return false;
    return orderCompare(op, number, expected);
  }
  const have = String(actual).toLowerCase();
  const want = String(expected).toLowerCase();
  switch (op) {
    case 'co':
      return have.includes(want);
    case 'sw':
      return have.startsWith(want);
    case 'ew':
      return have.endsWith(want);
    default:
      return orderCompare(op, have, want);
  }
}

/** Whether one item of a multi-valued attribute passes a value filter. */
function matches(filter: FilterNode, item: unknown): boolean {
  switch (filter.op) {
    case 'and':
      return filter.filters.every((inner) => matches(inner, item));
    case 'or':
      return filter.filters.some((inner) => matches(inner, item));
    case 'not':
      return !matches(filter.filter, item);
    case 'pr':
      return valuesOf(item, filter.path).some(isPresent);
    case 'valuePath':
      return valuesOf(item, filter.path).some((inner) => matches(filter.filter, inner));
    default: {
      const values = valuesOf(item, filter.path);
      // `eq null`: has no value; `ne null`: has one; `ne x`: no value equals x.
      if (filter.value === null) return values.some(isPresent) === (filter.op === 'ne');
      if (filter.op === 'ne') return !values.some((value) => compare('eq', value, filter.value));
      return values.some((value) => compare(filter.op, value, filter.value));
    }
  }
}
