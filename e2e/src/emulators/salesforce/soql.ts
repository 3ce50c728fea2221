// SOQL evaluation over the emulated org. Parsing is done by @jetstreamapp/soql-parser-js (a
// maintained SOQL grammar: literals with `\'` escapes, unquoted datetime and date literals,
// IN lists, ORDER BY … NULLS FIRST|LAST, LIMIT, OFFSET); its WHERE output is a flat chain with
// parenthesis counts, which this file turns into a tree and evaluates.
//
// Behaviour follows the SOQL and SOSL Reference: "Conditional Expression Syntax (WHERE
// Clause)" — "you must use parentheses to specify the order in which AND and OR are evaluated"
// when both appear (otherwise MALFORMED_QUERY); string comparison with = and LIKE is
// case-insensitive; ORDER BY sorts nulls first ascending and last descending unless NULLS
// FIRST|LAST says otherwise; "The maximum offset is 2,000 rows. Requesting an offset greater
// than 2,000 results in a NUMBER_OUTSIDE_VALID_RANGE error"; COUNT() answers totalSize with no
// records. Deleted records are seen only by queryAll ("QueryAll" resource of the REST API).
import { parseQuery } from '@jetstreamapp/soql-parser-js';
import type { Query, WhereClause } from '@jetstreamapp/soql-parser-js';

import { formatDatetime, normalizeId, parseDatetime } from './org.js';
import type { Org, StoredRecord, Value } from './org.js';
import type { FieldDef, ObjectDef } from './objects.js';

export class SoqlError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** A column of the SELECT: a field of the object or of a parent (`Account.Name`). */
interface Column {
  path: FieldDef[];
  /** Relationship names walked before the last field. */
  relationships: string[];
}

type Node =
  | { kind: 'cond'; field: Column; operator: string; literals: Literal[] }
  | { kind: 'not'; child: Node }
  | { kind: 'and'; children: Node[] }
  | { kind: 'or'; children: Node[] };

export interface QueryPlan {
  object: ObjectDef;
  columns: Column[];
  count: boolean;
  where: Node | null;
  order: { column: Column; desc: boolean; nullsFirst: boolean }[];
  limit?: number;
  offset: number;
}

const NO_SUCH_COLUMN = (field: string, entity: string) =>
  `No such column '${field}' on entity '${entity}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`;

/** The error text real orgs give: the query, a caret, the position, the reason. */
function positioned(soql: string, token: string, reason: string): string {
  const at = Math.max(0, soql.toLowerCase().indexOf(token.toLowerCase()));
  return `${soql}\n${' '.repeat(at)}^\nERROR at Row:1:Column:${at + 1}\n${reason}`;
}

export function plan(org: Org, soql: string): QueryPlan {
  let parsed: Query;
  try {
    parsed = parseQuery(soql) as Query;
  } catch (error) {
    throw new SoqlError('MALFORMED_QUERY', `unexpected token: ${firstBadToken(error)}`);
  }
  const typeName = parsed.sObject ?? '';
  const object = org.object(typeName);
  if (!object) {
    throw new SoqlError(
      'INVALID_TYPE',
      positioned(
        soql,
        typeName,
        `sObject type '${typeName}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      ),
    );
  }
  const resolve = (raw: string): Column => resolveColumn(org, object, raw, soql);
  const columns: Column[] = [];
  let count = false;
  for (const f of parsed.fields ?? []) {
    if (f.type === 'Field') columns.push(resolve(f.field));
    else if (f.type === 'FieldRelationship') columns.push(resolve(f.rawValue ?? f.field));
    else if (
      f.type === 'FieldFunctionExpression' &&
      f.functionName.toUpperCase() === 'COUNT' &&
      (f.parameters ?? []).length === 0
    ) {
      count = true;
    } else {
      throw new SoqlError(
        'MALFORMED_QUERY',
        'Only fields, parent fields and COUNT() are supported by this org',
      );
    }
  }
  if (count && columns.length) {
    throw new SoqlError(
      'MALFORMED_QUERY',
      positioned(soql, 'COUNT', 'COUNT() cannot be combined with other fields'),
    );
  }
  if (parsed.offset !== undefined && parsed.offset > 2000) {
    throw new SoqlError('NUMBER_OUTSIDE_VALID_RANGE', 'Maximum SOQL offset allowed is 2000');
  }
  const orderBy = parsed.orderBy
    ? Array.isArray(parsed.orderBy)
      ? parsed.orderBy
      : [parsed.orderBy]
    : [];
  const order = orderBy.map((o) => {
    if (!('field' in o)) throw new SoqlError('MALFORMED_QUERY', 'ORDER BY takes fields only');
    const desc = o.order === 'DESC';
    return {
      column: resolve(o.field),
      desc,
      nullsFirst: o.nulls ? o.nulls === 'FIRST' : !desc,
    };
  });
  const where = parsed.where
    ? buildTree(flatten(parsed.where), soql, resolve, org.clock.now())
    : null;
  return { object, columns, count, where, order, limit: parsed.limit, offset: parsed.offset ?? 0 };
}

function firstBadToken(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /token[^'"]*['"]([^'"]+)['"]/i.exec(message);
  return match ? match[1]! : message.split('\n')[0]!;
}

function resolveColumn(org: Org, object: ObjectDef, raw: string, soql: string): Column {
  const parts = raw.split('.');
  const path: FieldDef[] = [];
  const relationships: string[] = [];
  let current = object;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i < parts.length - 1) {
      const ref = current.fields.find(
        (f) => f.relationshipName?.toLowerCase() === part.toLowerCase(),
      );
      const target = ref ? org.object(ref.referenceTo[0] ?? '') : undefined;
      if (!ref || !target) {
        throw new SoqlError(
          'INVALID_FIELD',
          positioned(
            soql,
            raw,
            `Didn't understand relationship '${part}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
          ),
        );
      }
      path.push(ref);
      relationships.push(ref.relationshipName!);
      current = target;
    } else {
      const f = org.field(current, part);
      if (!f)
        throw new SoqlError(
          'INVALID_FIELD',
          positioned(soql, raw, NO_SUCH_COLUMN(part, current.name)),
        );
      path.push(f);
    }
  }
  return { path, relationships };
}

/** A literal ready to compare: a value, or a range for date literals such as LAST_N_DAYS:7. */
type Literal = Value | { from: number; to: number };

type Token =
  | { t: '(' }
  | { t: ')' }
  | { t: 'AND' }
  | { t: 'OR' }
  | { t: 'NOT' }
  | { t: 'cond'; c: Record<string, unknown> };

/** The parser's chain of conditions as tokens with explicit parentheses. */
function flatten(where: WhereClause): Token[] {
  const out: Token[] = [];
  let node: WhereClause | undefined = where;
  while (node) {
    const left = (node as { left: Record<string, unknown> | null }).left;
    const operator = (node as { operator?: string }).operator;
    if (operator === 'NOT' && (!left || !('field' in left))) {
      out.push({ t: 'NOT' });
      for (let i = 0; i < Number(left?.openParen ?? 0); i++) out.push({ t: '(' });
    } else if (left) {
      for (let i = 0; i < Number(left.openParen ?? 0); i++) out.push({ t: '(' });
      out.push({ t: 'cond', c: left });
      for (let i = 0; i < Number(left.closeParen ?? 0); i++) out.push({ t: ')' });
      if (operator) out.push({ t: operator as 'AND' | 'OR' | 'NOT' });
    }
    node = (node as { right?: WhereClause }).right;
  }
  return out;
}

function buildTree(
  tokens: Token[],
  soql: string,
  resolve: (raw: string) => Column,
  now: number,
): Node {
  let i = 0;
  const expression = (): Node => {
    const terms: Node[] = [unary()];
    let op: 'AND' | 'OR' | null = null;
    while (i < tokens.length && (tokens[i]!.t === 'AND' || tokens[i]!.t === 'OR')) {
      const next = tokens[i]!.t as 'AND' | 'OR';
      if (op && op !== next) {
        throw new SoqlError(
          'MALFORMED_QUERY',
          positioned(soql, ` ${next} `, `unexpected token: '${next}'`),
        );
      }
      op = next;
      i++;
      terms.push(unary());
    }
    if (terms.length === 1) return terms[0]!;
    return op === 'AND' ? { kind: 'and', children: terms } : { kind: 'or', children: terms };
  };
  const unary = (): Node => {
    const token = tokens[i++];
    if (!token) throw new SoqlError('MALFORMED_QUERY', 'unexpected end of WHERE clause');
    if (token.t === 'NOT') return { kind: 'not', child: unary() };
    if (token.t === '(') {
      const inner = expression();
      if (tokens[i]?.t !== ')') throw new SoqlError('MALFORMED_QUERY', "unexpected token: '('");
      i++;
      return inner;
    }
    if (token.t === 'cond') {
      const c = token.c;
      if (typeof c.field !== 'string' || typeof c.operator !== 'string') {
        throw new SoqlError('MALFORMED_QUERY', 'Only field comparisons are supported in WHERE');
      }
      const values = Array.isArray(c.value) ? c.value : [c.value];
      const types = Array.isArray(c.literalType)
        ? (c.literalType as string[])
        : values.map(() => String(c.literalType ?? 'STRING'));
      const field = resolve(c.field);
      const f = field.path[field.path.length - 1]!;
      return {
        kind: 'cond',
        field,
        operator: c.operator.toUpperCase(),
        literals: values.map((v, n) => literal(f, v, types[n] ?? 'STRING', now)),
      };
    }
    throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${token.t}'`);
  };
  const tree = expression();
  if (i !== tokens.length) throw new SoqlError('MALFORMED_QUERY', "unexpected token: ')'");
  return tree;
}

/** A field's value on a record, following parent relationships. */
function valueOf(org: Org, record: StoredRecord | undefined, column: Column): Value | undefined {
  let current = record;
  for (let i = 0; i < column.path.length - 1; i++) {
    const ref = current?.values[column.path[i]!.name];
    current = typeof ref === 'string' ? org.get(ref) : undefined;
  }
  if (!current) return null;
  return current.values[column.path[column.path.length - 1]!.name] ?? null;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Date literals as ranges of the org's days in UTC ("Date Formats and Date Literals"):
 * TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n (today and the n days before), NEXT_N_DAYS:n,
 * N_DAYS_AGO:n.
 */
function dateRange(text: string, now: number): { from: number; to: number } {
  const today = Math.floor(now / DAY) * DAY;
  const [name, arg] = text.toUpperCase().split(':');
  const n = Number(arg ?? 0);
  switch (name) {
    case 'TODAY':
      return { from: today, to: today + DAY };
    case 'YESTERDAY':
      return { from: today - DAY, to: today };
    case 'TOMORROW':
      return { from: today + DAY, to: today + 2 * DAY };
    case 'LAST_N_DAYS':
      return { from: today - n * DAY, to: today + DAY };
    case 'NEXT_N_DAYS':
      return { from: today + DAY, to: today + (n + 1) * DAY };
    case 'N_DAYS_AGO':
      return { from: today - n * DAY, to: today - (n - 1) * DAY };
    default:
      throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${text}'`);
  }
}

/** A literal as a comparable value for the field's type. */
function literal(f: FieldDef, raw: unknown, type: string, now: number): Literal {
  const text = String(raw);
  if (type === 'NULL') return null;
  if (type === 'BOOLEAN') return text.toUpperCase() === 'TRUE';
  if (type === 'STRING') {
    const unquoted = text
      .replace(/^'|'$/g, '')
      .replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
    if (f.type === 'id' || f.type === 'reference') return normalizeId(unquoted) ?? unquoted;
    if (f.type === 'datetime' || f.type === 'date' || f.type === 'boolean') {
      throw new SoqlError(
        'INVALID_FIELD',
        `value of filter criterion for field '${f.name}' must be of type ${f.type} and should not be enclosed in quotes`,
      );
    }
    return unquoted;
  }
  if (type === 'DATETIME') {
    if (f.type !== 'datetime') {
      throw new SoqlError(
        'INVALID_FIELD',
        `value of filter criterion for field '${f.name}' must be of type ${f.type} and should not be enclosed in quotes`,
      );
    }
    return parseDatetime(text);
  }
  if (type === 'DATE') {
    if (f.type === 'datetime') return Date.parse(`${text}T00:00:00Z`);
    return text;
  }
  if (type === 'DATE_LITERAL' || type === 'DATE_N_LITERAL') {
    if (f.type !== 'datetime' && f.type !== 'date') {
      throw new SoqlError('INVALID_FIELD', `${f.name} is not a date or datetime field`);
    }
    return dateRange(text, now);
  }
  if (type === 'INTEGER' || type === 'DECIMAL') return Number(text);
  throw new SoqlError('MALFORMED_QUERY', `Unsupported literal: ${text}`);
}

function compare(a: Value, b: Value, f: FieldDef): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  if (f.type === 'id' || f.type === 'reference') return x < y ? -1 : x > y ? 1 : 0;
  const lx = x.toLowerCase();
  const ly = y.toLowerCase();
  return lx < ly ? -1 : lx > ly ? 1 : 0;
}

function like(value: string, pattern: string): boolean {
  const re = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${re}$`, 'is').test(value);
}

function test(org: Org, record: StoredRecord, node: Node): boolean {
  if (node.kind === 'and') return node.children.every((c) => test(org, record, c));
  if (node.kind === 'or') return node.children.some((c) => test(org, record, c));
  if (node.kind === 'not') return !test(org, record, node.child);
  const f = node.field.path[node.field.path.length - 1]!;
  const value = valueOf(org, record, node.field) ?? null;
  const literals = node.literals;
  const first = literals[0] ?? null;
  if (first !== null && typeof first === 'object') {
    if (value === null) return node.operator === '!=';
    const at = f.type === 'date' ? Date.parse(`${String(value)}T00:00:00Z`) : Number(value);
    const within = (l: Literal) =>
      l !== null && typeof l === 'object' ? at >= l.from && at < l.to : false;
    switch (node.operator) {
      case '=':
        return within(first);
      case '!=':
        return !within(first);
      case 'IN':
        return literals.some(within);
      case 'NOT IN':
        return !literals.some(within);
      case '<':
        return at < first.from;
      case '<=':
        return at < first.to;
      case '>':
        return at >= first.to;
      case '>=':
        return at >= first.from;
      default:
        throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${node.operator}'`);
    }
  }
  const equal = (l: Literal) => {
    const b = l as Value;
    return value === null || b === null ? value === b : compare(value, b, f) === 0;
  };
  switch (node.operator) {
    case '=':
      return equal(first);
    case '!=':
      return !equal(first);
    case 'IN':
      return literals.some(equal);
    case 'NOT IN':
      return !literals.some(equal);
    case 'LIKE':
      return value !== null && like(String(value), String(first));
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const b = first as Value;
      if (value === null || b === null) return false;
      const c = compare(value, b, f);
      return node.operator === '<'
        ? c < 0
        : node.operator === '<='
          ? c <= 0
          : node.operator === '>'
            ? c > 0
            : c >= 0;
    }
    default:
      throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${node.operator}'`);
  }
}

export interface QueryResult {
  totalSize: number;
  records: Record<string, unknown>[];
}

/** Runs a query; `all` = queryAll (deleted and merged records included). */
export function runQuery(org: Org, soql: string, all: boolean, version: string): QueryResult {
  const p = plan(org, soql);
  let rows = org.all(p.object.name).filter((r) => all || !r.values.IsDeleted);
  if (p.where) {
    const where = p.where;
    rows = rows.filter((r) => test(org, r, where));
  }
  if (p.order.length) {
    const keys = p.order;
    // Sort keys computed once per row; strings other than ids compare case-insensitively.
    const keyed = rows.map((r) => ({
      r,
      k: keys.map((key) => {
        const f = key.column.path[key.column.path.length - 1]!;
        const v = valueOf(org, r, key.column) ?? null;
        return typeof v === 'string' && f.type !== 'id' && f.type !== 'reference'
          ? v.toLowerCase()
          : v;
      }),
    }));
    keyed.sort((a, b) => {
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const x = a.k[i] ?? null;
        const y = b.k[i] ?? null;
        if (x === y) continue;
        if (x === null) return key.nullsFirst ? -1 : 1;
        if (y === null) return key.nullsFirst ? 1 : -1;
        const c = x < y ? -1 : 1;
        return key.desc ? -c : c;
      }
      return 0;
    });
    rows = keyed.map((e) => e.r);
  }
  rows = rows.slice(p.offset, p.limit !== undefined ? p.offset + p.limit : undefined);
  if (p.count) return { totalSize: rows.length, records: [] };
  return {
    totalSize: rows.length,
    records: rows.map((r) => project(org, r, p.columns, version)),
  };
}

export function attributes(type: string, id: string, version: string) {
  return { type, url: `/services/data/v${version}/sobjects/${type}/${id}` };
}

/** A record as the REST API shows it: `attributes`, then the selected fields. */
function project(
  org: Org,
  record: StoredRecord,
  columns: Column[],
  version: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { attributes: attributes(record.type, record.id, version) };
  for (const column of columns) {
    let target = out;
    let current: StoredRecord | undefined = record;
    let absent = false;
    for (let i = 0; i < column.path.length - 1; i++) {
      const name = column.relationships[i]!;
      const ref: Value | undefined = current?.values[column.path[i]!.name];
      current = typeof ref === 'string' ? org.get(ref) : undefined;
      if (!current) {
        target[name] = null;
        absent = true;
        break;
      }
      const existing = target[name] as Record<string, unknown> | undefined | null;
      target[name] = existing ?? { attributes: attributes(current.type, current.id, version) };
      target = target[name] as Record<string, unknown>;
    }
    if (absent || !current) continue;
    const f = column.path[column.path.length - 1]!;
    target[f.name] = output(org, current, f);
  }
  return out;
}

/** A stored value in the REST API's JSON form (datetimes, compound addresses). */
export function output(org: Org, record: StoredRecord, f: FieldDef): unknown {
  if (f.type === 'address' && f.components) {
    const parts = Object.entries(f.components).map(
      ([component, name]) => [component, record.values[name] ?? null] as const,
    );
    if (parts.every(([, v]) => v === null)) return null;
    return {
      ...Object.fromEntries(parts),
      geocodeAccuracy: null,
      latitude: null,
      longitude: null,
    };
  }
  const value = record.values[f.name] ?? null;
  if (f.type === 'datetime' && typeof value === 'number') return formatDatetime(value);
  void org;
  return value;
}
