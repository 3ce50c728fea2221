// SCIM filters (RFC 7644 §3.4.2.2): parse the full grammar — eq ne co sw ew pr gt ge lt le,
// and / or / not, parentheses, value paths such as emails[type eq "work"].value — resolve
// attribute names case-insensitively against the schema, and evaluate with each
// attribute's type and caseExact. Also parses PATCH paths (RFC 7644 §3.5.2).
//
// SCIMMY's Filter was evaluated first and is not used: it rewrites `not (a or b)` as
// `not a or not b`, distributes `x and (a or b) and y` into wrong branches, accepts
// `userName eq` and a trailing `or`, rejects escaped quotes and nested parentheses, and
// compares strings case-sensitively whatever the attribute's caseExact says.
import { badRequest } from './errors.js';
import { findByName, getProp, resolveAttribute } from './schemas/model.js';
import type {
  AttributeDef,
  ResolvedAttribute,
  ResourceTypeDef,
  ScimResource,
} from './schemas/model.js';

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type CompValue = string | number | boolean | null;

/** A parsed filter. `path` is as written until compiled, then canonical (e.g. `name.givenName`). */
export type FilterNode =
  | { op: 'and' | 'or'; filters: FilterNode[] }
  | { op: 'not'; filter: FilterNode }
  | { op: 'pr'; path: string }
  | { op: CompareOp; path: string; value: CompValue }
  | { op: 'valuePath'; path: string; filter: FilterNode };

const COMPARE_OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const MAX_FILTER_LENGTH = 10_000;
const MAX_DEPTH = 32;

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'value'; value: CompValue; at: number }
  | { kind: '(' | ')' | '[' | ']'; at: number }
  | { kind: 'sub'; text: string; at: number };

const invalid = (detail: string) => badRequest('invalidFilter', detail);

function tokenise(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')' || ch === '[' || ch === ']') {
      tokens.push({ kind: ch, at: i });
      i++;
      // A sub-attribute may follow a value filter: emails[type eq "work"].value
      if (ch === ']' && text[i] === '.') {
        const match = /^\.([A-Za-z$][\w$-]*)/.exec(text.slice(i));
        if (!match) throw invalid(`Expected a sub-attribute name after '].' at position ${i + 1}`);
        tokens.push({ kind: 'sub', text: match[1]!, at: i });
        i += match[0].length;
      }
    } else if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw invalid(`Unterminated string starting at position ${i + 1}`);
      let value: string;
      try {
        value = JSON.parse(text.slice(i, j + 1)) as string;
      } catch {
        throw invalid(`Invalid escape in string starting at position ${i + 1}`);
      }
      tokens.push({ kind: 'value', value, at: i });
      i = j + 1;
    } else if (/[-\d]/.test(ch)) {
      const match = /^-?\d+(\.\d+)?([eE][-+]?\d+)?(?![\w.])/.exec(text.slice(i));
      if (!match) throw invalid(`Invalid number at position ${i + 1}`);
      tokens.push({ kind: 'value', value: Number(match[0]), at: i });
      i += match[0].length;
    } else {
      const match = /^[A-Za-z$][\w:.$-]*/.exec(text.slice(i));
      if (!match) throw invalid(`Unexpected character '${ch}' at position ${i + 1}`);
      const word = match[0];
      const lower = word.toLowerCase();
      if (lower === 'true' || lower === 'false') {
        tokens.push({ kind: 'value', value: lower === 'true', at: i });
      } else if (lower === 'null') {
        tokens.push({ kind: 'value', value: null, at: i });
      } else {
        tokens.push({ kind: 'word', text: word, at: i });
      }
      i += word.length;
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  parse(): FilterNode {
    if (this.tokens.length === 0) throw invalid('The filter is empty');
    const node = this.parseOr(0, false);
    const rest = this.tokens[this.pos];
    if (rest) throw invalid(`Unexpected ${describe(rest)} at position ${rest.at + 1}`);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private keyword(token: Token | undefined, ...words: string[]): boolean {
    return token?.kind === 'word' && words.includes(token.text.toLowerCase());
  }

  private parseOr(depth: number, inValuePath: boolean): FilterNode {
    const filters = [this.parseAnd(depth, inValuePath)];
    while (this.keyword(this.peek(), 'or')) {
      this.pos++;
      filters.push(this.parseAnd(depth, inValuePath));
    }
    return filters.length === 1 ? filters[0]! : { op: 'or', filters };
  }

  private parseAnd(depth: number, inValuePath: boolean): FilterNode {
    const filters = [this.parseUnary(depth, inValuePath)];
    while (this.keyword(this.peek(), 'and')) {
      this.pos++;
      filters.push(this.parseUnary(depth, inValuePath));
    }
    return filters.length === 1 ? filters[0]! : { op: 'and', filters };
  }

  private parseUnary(depth: number, inValuePath: boolean): FilterNode {
    if (depth > MAX_DEPTH) throw invalid('The filter is nested too deeply');
    const token = this.peek();
    if (!token) throw invalid(`The filter '${this.source}' ends where an expression was expected`);
    if (this.keyword(token, 'not')) {
      this.pos++;
      return { op: 'not', filter: this.parseUnary(depth + 1, inValuePath) };
    }
    if (token.kind === '(') {
      this.pos++;
      const inner = this.parseOr(depth + 1, inValuePath);
      this.expect(')');
      return inner;
    }
    if (token.kind !== 'word' || this.keyword(token, 'and', 'or'))
      throw invalid(
        `Expected an attribute name at position ${token.at + 1}, found ${describe(token)}`,
      );
    this.pos++;
    const path = token.text;
    const next = this.peek();
    if (next?.kind === '[') {
      if (inValuePath) throw invalid('Value filters cannot be nested');
      this.pos++;
      let inner = this.parseOr(depth + 1, true);
      this.expect(']');
      const sub = this.peek();
      if (sub?.kind === 'sub') {
        // emails[type eq "work"].value co "x" ≡ emails[type eq "work" and value co "x"]
        this.pos++;
        const condition = this.parseCondition(sub.text);
        inner = { op: 'and', filters: [inner, condition] };
      }
      return { op: 'valuePath', path, filter: inner };
    }
    return this.parseCondition(path);
  }

  private parseCondition(path: string): FilterNode {
    const operator = this.peek();
    if (!operator || operator.kind !== 'word')
      throw invalid(
        `Expected an operator after '${path}'${operator ? ` at position ${operator.at + 1}` : ''}`,
      );
    const op = operator.text.toLowerCase();
    this.pos++;
    if (op === 'pr') return { op: 'pr', path };
    if (!COMPARE_OPS.has(op))
      throw invalid(`Unknown operator '${operator.text}' at position ${operator.at + 1}`);
    const value = this.peek();
    if (!value || value.kind !== 'value')
      throw invalid(
        `Expected a value (string, number, true, false or null) after '${path} ${operator.text}'`,
      );
    this.pos++;
    return { op: op as CompareOp, path, value: value.value };
  }

  private expect(kind: ')' | ']') {
    const token = this.peek();
    if (token?.kind !== kind)
      throw invalid(
        `Expected '${kind}'${token ? ` at position ${token.at + 1}, found ${describe(token)}` : ' before the end of the filter'}`,
      );
    this.pos++;
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'word':
      return `'${token.text}'`;
    case 'value':
      return `value ${JSON.stringify(token.value)}`;
    case 'sub':
      return `'.${token.text}'`;
    default:
      return `'${token.kind}'`;
  }
}

/** Parses a filter expression without schema knowledge. */
export function parseFilter(text: string): FilterNode {
  if (typeof text !== 'string') throw invalid('The filter must be a string');
  if (text.length > MAX_FILTER_LENGTH)
    throw invalid(`The filter is longer than ${MAX_FILTER_LENGTH} characters`);
  return new Parser(tokenise(text), text).parse();
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

function orderCompare<T extends number | string>(op: CompareOp, actual: T, expected: T): boolean {
  if (typeof actual === 'number' && Number.isNaN(actual)) return false;
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'gt':
      return actual > expected;
    case 'ge':
      return actual >= expected;
    case 'lt':
      return actual < expected;
    case 'le':
      return actual <= expected;
    default:
      return false;
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

// ---------------------------------------------------------------------------------------
// PATCH paths: attrPath, or valuePath with an optional sub-attribute (RFC 7644 §3.5.2).

export interface PatchPath {
  /** Attribute path before any value filter, as written (may carry a URN prefix). */
  attribute: string;
  filter?: FilterNode;
  /** Sub-attribute after the value filter: emails[type eq "work"].value → "value". */
  subAttribute?: string;
}

export function parsePatchPath(text: string): PatchPath {
  const fail = (why: string) => badRequest('invalidPath', `Invalid path '${text}': ${why}`);
  const open = text.indexOf('[');
  if (open === -1) {
    if (!/^[A-Za-z$][\w:.$-]*$/.test(text.trim())) throw fail('not an attribute path');
    return { attribute: text.trim() };
  }
  const close = text.lastIndexOf(']');
  if (close < open) throw fail("missing ']'");
  const attribute = text.slice(0, open).trim();
  if (!/^[A-Za-z$][\w:.$-]*$/.test(attribute)) throw fail('not an attribute path');
  let filter: FilterNode;
  try {
    filter = parseFilter(text.slice(open + 1, close));
  } catch (error) {
    throw fail(error instanceof Error ? error.message : 'invalid value filter');
  }
  const rest = text.slice(close + 1);
  if (rest === '') return { attribute, filter };
  const sub = /^\.([A-Za-z$][\w$-]*)$/.exec(rest);
  if (!sub) throw fail(`unexpected '${rest}' after the value filter`);
  return { attribute, filter, subAttribute: sub[1] };
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
