// SCIM filters (RFC 7644 §3.4.2.2): the full grammar — eq ne co sw ew pr gt ge lt le,
// and / or / not, parentheses, value paths such as emails[type eq "work"].value — parsed by
// provisioning/filter-syntax.ts, then resolved here case-insensitively against the schema
// and evaluated with each attribute's type and caseExact. Also parses PATCH paths
// (RFC 7644 §3.5.2). Syntax errors answer as SCIM 400s.
import {
  FilterSyntaxError,
  parseFilter as parseFilterSyntax,
  parsePatchPath as parsePatchPathSyntax,
} from '../provisioning/filter-syntax.js';
import { orderCompare } from '../provisioning/filter-syntax.js';
import type { CompareOp, CompValue, FilterNode, PatchPath } from '../provisioning/filter-syntax.js';
import { badRequest } from './errors.js';
import { findByName, getProp, resolveAttribute } from './schemas/model.js';
import type {
  AttributeDef,
  ResolvedAttribute,
  ResourceTypeDef,
  ScimResource,
} from './schemas/model.js';

export type { CompareOp, CompValue, FilterNode, PatchPath };

const invalid = (detail: string) => badRequest('invalidFilter', detail);

function asScimError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof FilterSyntaxError) throw badRequest(error.scimType, error.message);
    throw error;
  }
}

/** Parses a filter expression without schema knowledge. */
export function parseFilter(text: string): FilterNode {
  return asScimError(() => parseFilterSyntax(text));
}

/** Parses a PATCH path: attrPath, or valuePath with an optional sub-attribute. */
export function parsePatchPath(text: string): PatchPath {
  return asScimError(() => parsePatchPathSyntax(text));
}

// ---------------------------------------------------------------------------------------
// Compilation: resolve names against the schema and check operators fit attribute types.

/** Attribute lookup scope: the resource type, or the sub-attributes of a value path. */
type Scope =
  { kind: 'resource'; rt: ResourceTypeDef } | { kind: 'complex'; parent: ResolvedAttribute };

interface CompiledCondition {
  attribute: AttributeDef;
  read(target: unknown): unknown[];
}

export interface CompiledFilter {
  /** The filter with canonical attribute paths. */
  ast: FilterNode;
  matches(resource: ScimResource): boolean;
}

function resolveIn(scope: Scope, path: string): ResolvedAttribute | undefined {
  if (scope.kind === 'resource') return resolveAttribute(scope.rt, path);
  const sub =
    scope.parent.attribute.subAttributes && findByName(scope.parent.attribute.subAttributes, path);
  if (!sub) return undefined;
  return { schema: null, attribute: sub, path: sub.name };
}

/** Every value a resolved attribute has on a target, flattened (multi-valued → each item). */
function readValues(target: unknown, resolved: ResolvedAttribute, inScope: boolean): unknown[] {
  let values: unknown[];
  if (inScope) {
    values = [getProp(target, resolved.attribute.name)];
  } else {
    const container = resolved.schema ? getProp(target, resolved.schema) : target;
    if (resolved.parent) {
      const parentValue = getProp(container, resolved.parent.name);
      const items = Array.isArray(parentValue) ? parentValue : [parentValue];
      values = items.map((item) => getProp(item, resolved.attribute.name));
    } else {
      values = [getProp(container, resolved.attribute.name)];
    }
  }
  return values
    .flatMap((v) => (Array.isArray(v) ? v : [v]))
    .filter((v) => v !== undefined && v !== null);
}

function compileNode(
  node: FilterNode,
  scope: Scope,
): { ast: FilterNode; test: (t: unknown) => boolean } {
  switch (node.op) {
    case 'and':
    case 'or': {
      const parts = node.filters.map((f) => compileNode(f, scope));
      const ast: FilterNode = { op: node.op, filters: parts.map((p) => p.ast) };
      return node.op === 'and'
        ? { ast, test: (t) => parts.every((p) => p.test(t)) }
        : { ast, test: (t) => parts.some((p) => p.test(t)) };
    }
    case 'not': {
      const inner = compileNode(node.filter, scope);
      return { ast: { op: 'not', filter: inner.ast }, test: (t) => !inner.test(t) };
    }
    case 'valuePath': {
      const resolved = resolveIn(scope, node.path);
      if (!resolved) throw invalid(`Unknown attribute '${node.path}' in filter`);
      if (resolved.attribute.type !== 'complex')
        throw invalid(`'${node.path}' is not a complex attribute and cannot take a value filter`);
      const inner = compileNode(node.filter, { kind: 'complex', parent: resolved });
      const canonical = qualified(resolved);
      return {
        ast: { op: 'valuePath', path: canonical, filter: inner.ast },
        test: (t) => {
          const container = resolved.schema ? getProp(t, resolved.schema) : t;
          const value = getProp(container, resolved.attribute.name);
          const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
          return items.some((item) => inner.test(item));
        },
      };
    }
    default: {
      const condition = compileCondition(node, scope);
      return condition;
    }
  }
}

/** Canonical path text: extension attributes keep their URN prefix. */
function qualified(resolved: ResolvedAttribute): string {
  return resolved.schema ? `${resolved.schema}:${resolved.path}` : resolved.path;
}

function compileCondition(
  node: Extract<FilterNode, { path: string; op: 'pr' | CompareOp }>,
  scope: Scope,
): { ast: FilterNode; test: (t: unknown) => boolean } {
  let resolved = resolveIn(scope, node.path);
  if (!resolved) throw invalid(`Unknown attribute '${node.path}' in filter`);
  // A complex attribute compared as a whole means its `value` sub-attribute (emails eq "x").
  if (resolved.attribute.type === 'complex' && node.op !== 'pr') {
    const valueSub =
      resolved.attribute.subAttributes && findByName(resolved.attribute.subAttributes, 'value');
    if (!valueSub)
      throw invalid(`'${node.path}' is a complex attribute; compare one of its sub-attributes`);
    resolved = {
      ...resolved,
      parent: resolved.attribute,
      attribute: valueSub,
      path: `${resolved.path}.value`,
    };
  }
  const inScope = scope.kind === 'complex';
  const condition: CompiledCondition = {
    attribute: resolved.attribute,
    read: (t) => readValues(t, resolved, inScope && !resolved.parent),
  };
  const canonical = inScope ? resolved.path : qualified(resolved);
  if (node.op === 'pr') {
    return { ast: { op: 'pr', path: canonical }, test: (t) => condition.read(t).some(isPresent) };
  }
  const compare = comparator(node.op, node.value, resolved.attribute, node.path);
  const ast: FilterNode = { op: node.op, path: canonical, value: node.value };
  if (node.value === null) {
    // `eq null` means "has no value"; `ne null` means "has a value".
    const wantPresent = node.op === 'ne';
    if (node.op !== 'eq' && node.op !== 'ne')
      throw invalid(`'${node.op}' cannot compare with null`);
    return { ast, test: (t) => condition.read(t).some(isPresent) === wantPresent };
  }
  if (node.op === 'ne') {
    const equal = comparator('eq', node.value, resolved.attribute, node.path);
    return { ast, test: (t) => !condition.read(t).some(equal) };
  }
  return { ast, test: (t) => condition.read(t).some(compare) };
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.values(value).some(isPresent);
  return true;
}

function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

function comparator(
  op: CompareOp,
  expected: CompValue,
  attribute: AttributeDef,
  path: string,
): (actual: unknown) => boolean {
  const ordering = op === 'gt' || op === 'ge' || op === 'lt' || op === 'le';
  const substring = op === 'co' || op === 'sw' || op === 'ew';
  switch (attribute.type) {
    case 'boolean': {
      if (ordering || substring)
        throw invalid(`'${op}' is not allowed on boolean attribute '${path}'`);
      const want = toBoolean(expected);
      if (want === undefined) throw invalid(`'${path}' is boolean; compare it with true or false`);
      return (actual) => toBoolean(actual) === want;
    }
    case 'binary':
      if (ordering) throw invalid(`'${op}' is not allowed on binary attribute '${path}'`);
      break;
    case 'complex':
      throw invalid(`'${op}' cannot compare complex attribute '${path}'`);
    case 'integer':
    case 'decimal': {
      const want = typeof expected === 'number' ? expected : Number(expected);
      if (substring || !Number.isFinite(want))
        throw invalid(`'${path}' is a number; compare it with a number`);
      return (actual) => orderCompare(op, Number(actual), want);
    }
    case 'dateTime': {
      if (!substring) {
        const want = typeof expected === 'string' ? Date.parse(expected) : NaN;
        if (!Number.isFinite(want))
          throw invalid(`'${path}' is a date; compare it with an ISO 8601 date-time string`);
        return (actual) => {
          const time = actual instanceof Date ? actual.getTime() : Date.parse(String(actual));
          return Number.isFinite(time) && orderCompare(op, time, want);
        };
      }
      break;
    }
    default:
      break;
  }
  if (typeof expected === 'boolean')
    throw invalid(`'${path}' is a ${attribute.type}; compare it with a string`);
  const fold = (value: unknown) => {
    const text = String(value);
    return attribute.caseExact ? text : text.toLowerCase();
  };
  const want = fold(expected);
  switch (op) {
    case 'co':
      return (actual) => typeof actual !== 'object' && fold(actual).includes(want);
    case 'sw':
      return (actual) => typeof actual !== 'object' && fold(actual).startsWith(want);
    case 'ew':
      return (actual) => typeof actual !== 'object' && fold(actual).endsWith(want);
    default:
      return (actual) => typeof actual !== 'object' && orderCompare(op, fold(actual), want);
  }
}

/** Parses and resolves a filter for a resource type; SCIM 400 invalidFilter when it can't. */
export function compileFilter(text: string | FilterNode, rt: ResourceTypeDef): CompiledFilter {
  const parsed = typeof text === 'string' ? parseFilter(text) : text;
  const compiled = compileNode(parsed, { kind: 'resource', rt });
  return { ast: compiled.ast, matches: (resource) => compiled.test(resource) };
}

/** Compiles a filter relative to a complex attribute (the inside of a value path). */
export function compileValueFilter(
  node: FilterNode,
  parent: ResolvedAttribute,
): (item: unknown) => boolean {
  return compileNode(node, { kind: 'complex', parent }).test;
}

/**
 * The top-level `and` conjuncts of a compiled filter: a store can use equality conjuncts
 * such as `userName eq "x"` as query parameters and evaluate the whole filter afterwards.
 */
export function conjuncts(ast: FilterNode): FilterNode[] {
  return ast.op === 'and' ? ast.filters.flatMap(conjuncts) : [ast];
}

/** `path eq "value"` conjuncts of a compiled filter, keyed by canonical path (lower-case). */
export function equalityHints(ast: FilterNode): Map<string, CompValue> {
  const hints = new Map<string, CompValue>();
  for (const node of conjuncts(ast)) {
    if (node.op === 'eq' && node.value !== null) hints.set(node.path.toLowerCase(), node.value);
    // emails[value eq "x"] and emails[type eq "work" and value eq "x"] narrow by email too.
    if (node.op === 'valuePath') {
      for (const inner of conjuncts(node.filter)) {
        if (inner.op === 'eq' && inner.value !== null)
          hints.set(`${node.path}.${inner.path}`.toLowerCase(), inner.value);
      }
    }
  }
  return hints;
}
