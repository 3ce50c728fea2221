// Which part of a SCIM User filter WordPress can answer in SQL: the `match` clauses of
// GET /usersync/v1/users (any clause, all of its conditions), and whether they say exactly
// what the filter says. Exact: SQL pages and counts alone. Not exact: SQL gives a superset
// (the candidates) and the whole filter decides on them. Pure, no I/O.
//
// What is exact and why:
// - externalId (the connection's links, case-exact), meta.lastModified, and displayName when
//   the attribute map shows display_name as it is: the resource's value is the column's.
// - userName is a candidate only: the SCIM userName is what the IdP sent, the login its
//   sanitized form, perhaps suffixed (jane → jane-2). A value that sanitizes to itself is
//   contained in the login wherever it is in the userName, so `eq` also takes `v-…` and `ew`
//   takes `…v-…`; ordering is left to the whole filter (a suffix changes the order).
// - emails is a candidate only, compared with the account's email (the mapped primary one);
//   a further email kept only in the stored SCIM object is not found by a pushed-down filter.
import { sanitizeLogin } from '../provisioning/index.js';
import type { FilterNode } from './filter.js';
import type { AttributeMapEntry } from './mapping.js';

export type MatchAttribute = 'login' | 'email' | 'display_name' | 'external_id' | 'modified';
export type MatchOp = 'eq' | 'sw' | 'ew' | 'co' | 'gt' | 'ge' | 'lt' | 'le' | 'pr';

export interface MatchCondition {
  attr: MatchAttribute;
  op: MatchOp;
  value?: string;
}

/** All of its conditions hold. */
export type MatchClause = MatchCondition[];

export interface Pushdown {
  /** Any of the clauses holds; `all` when SQL cannot narrow at all. */
  clauses: MatchClause[] | 'all';
  /** Whether the clauses match exactly the users the filter matches. */
  exact: boolean;
}

/** What the attribute map lets SQL compare. */
export interface PushdownOptions {
  /** userName is the login (the map's userName → user_login, no template). */
  userName: boolean;
  /** emails' value is the account's email. */
  email: boolean;
  /** displayName is display_name as it is. */
  displayName: boolean;
}

/** The plugin route's limits on clauses and conditions per clause. */
export const MAX_CLAUSES = 16;
export const MAX_CONDITIONS = 16;

const ALL_EXACT: Pushdown = { clauses: 'all', exact: true };
const UNKNOWN: Pushdown = { clauses: 'all', exact: false };

const plain = (entry: AttributeMapEntry) =>
  entry.direction !== 'inbound' &&
  entry.transform !== 'template' &&
  (!entry.transform || entry.transform === 'none');

export function pushdownOptions(map: AttributeMapEntry[]): PushdownOptions {
  const maps = (source: RegExp, target: string) =>
    map.some((e) => source.test(e.source) && e.target === target && plain(e));
  return {
    userName: maps(/^username$/i, 'user_login'),
    email: maps(/^emails(\[[^\]]*\])?\.value$/i, 'user_email'),
    displayName: maps(/^displayname$/i, 'display_name'),
  };
}

const cond = (attr: MatchAttribute, op: MatchOp, value?: string): MatchCondition =>
  value === undefined ? { attr, op } : { attr, op, value };

const one = (condition: MatchCondition, exact: boolean): Pushdown => ({
  clauses: [[condition]],
  exact,
});

const ORDERING = new Set(['gt', 'ge', 'lt', 'le']);
const SUBSTRING = new Set(['sw', 'ew', 'co']);

/** A filter value as SQL compares it: the stored shape, YYYY-MM-DDTHH:MM:SSZ. */
function secondsIso(ms: number): string | undefined {
  const text = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text) ? text : undefined;
}

function lastModified(op: string, value: unknown): Pushdown {
  if (op === 'pr') return ALL_EXACT;
  if (op !== 'eq' && !ORDERING.has(op)) return UNKNOWN;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) return UNKNOWN;
  // Stored times are whole seconds: s > t ⇔ s > ⌊t⌋, s ≥ t ⇔ s ≥ ⌈t⌉ and so on.
  const floor = Math.floor(ms / 1000) * 1000;
  const ceil = Math.ceil(ms / 1000) * 1000;
  if (op === 'eq' && floor !== ms) return UNKNOWN;
  const bound = op === 'gt' || op === 'le' || op === 'eq' ? floor : ceil;
  const iso = secondsIso(bound);
  return iso ? one(cond('modified', op as MatchOp, iso), true) : UNKNOWN;
}

function userName(op: string, value: unknown): Pushdown {
  if (op === 'pr') return ALL_EXACT; // every user has one
  if (typeof value !== 'string' || value === '' || sanitizeLogin(value) !== value) return UNKNOWN;
  switch (op) {
    case 'eq':
      return {
        clauses: [[cond('login', 'eq', value)], [cond('login', 'sw', `${value}-`)]],
        exact: false,
      };
    case 'sw':
    case 'co':
      return one(cond('login', op, value), false);
    case 'ew':
      return {
        clauses: [[cond('login', 'ew', value)], [cond('login', 'co', `${value}-`)]],
        exact: false,
      };
    default:
      return UNKNOWN;
  }
}

function comparison(node: FilterNode, options: PushdownOptions): Pushdown {
  if (node.op !== 'pr' && !('value' in node)) return UNKNOWN;
  const path = node.path.toLowerCase();
  const op = node.op;
  if (op === 'ne') return UNKNOWN;
  const value = 'value' in node ? node.value : undefined;
  if (path === 'meta.lastmodified') return lastModified(op, value);
  if (path === 'username') return options.userName ? userName(op, value) : UNKNOWN;
  if (op !== 'pr' && typeof value !== 'string') return UNKNOWN;
  const text = value as string | undefined;
  if (path === 'externalid') return one(cond('external_id', op, text), true);
  if (path === 'displayname' && options.displayName)
    return one(cond('display_name', op, text), true);
  if (path === 'emails.value' && options.email && (op === 'eq' || SUBSTRING.has(op)))
    return one(cond('email', op, text), false);
  return UNKNOWN;
}

function and(parts: Pushdown[]): Pushdown {
  let clauses: MatchClause[] | 'all' = 'all';
  let exact = true;
  for (const part of parts) {
    exact &&= part.exact;
    if (part.clauses === 'all') continue;
    if (clauses === 'all') {
      clauses = part.clauses;
      continue;
    }
    const product: MatchClause[] = [];
    for (const left of clauses) for (const right of part.clauses) product.push([...left, ...right]);
    // Too many to send: this part is left to the whole filter (the rest still narrows).
    if (product.length > MAX_CLAUSES || product.some((c) => c.length > MAX_CONDITIONS)) {
      exact = false;
      continue;
    }
    clauses = product;
  }
  return { clauses, exact };
}

function or(parts: Pushdown[]): Pushdown {
  if (parts.some((p) => p.clauses === 'all' && p.exact)) return ALL_EXACT; // true or …
  const clauses: MatchClause[] = [];
  for (const part of parts) {
    // One side SQL cannot narrow: neither can it narrow the whole.
    if (part.clauses === 'all') return UNKNOWN;
    clauses.push(...part.clauses);
  }
  if (clauses.length > MAX_CLAUSES) return UNKNOWN;
  return { clauses, exact: parts.every((p) => p.exact) };
}

/** Inside emails[…]: `value` is the email; anything else (type, primary) the whole filter checks. */
function emailsValuePath(node: FilterNode, options: PushdownOptions): Pushdown {
  switch (node.op) {
    case 'and':
      return and(node.filters.map((f) => emailsValuePath(f, options)));
    case 'or':
      return or(node.filters.map((f) => emailsValuePath(f, options)));
    case 'not':
    case 'valuePath':
      return UNKNOWN;
    default: {
      if (node.path.toLowerCase() !== 'value') return UNKNOWN;
      const inner = comparison({ ...node, path: 'emails.value' }, options);
      return { ...inner, exact: false };
    }
  }
}

/** The SQL part of a compiled SCIM User filter. */
export function pushDown(node: FilterNode, options: PushdownOptions): Pushdown {
  switch (node.op) {
    case 'and':
      return and(node.filters.map((f) => pushDown(f, options)));
    case 'or':
      return or(node.filters.map((f) => pushDown(f, options)));
    case 'not':
      return UNKNOWN;
    case 'valuePath':
      return node.path.toLowerCase() === 'emails' ? emailsValuePath(node.filter, options) : UNKNOWN;
    default:
      return comparison(node, options);
  }
}

/** The clauses as query parameters of GET /usersync/v1/users (PHP reads them as arrays). */
export function matchParams(clauses: MatchClause[]): Record<string, string> {
  const params: Record<string, string> = {};
  clauses.forEach((clause, i) =>
    clause.forEach((condition, j) => {
      params[`match[${i}][${j}][attr]`] = condition.attr;
      params[`match[${i}][${j}][op]`] = condition.op;
      if (condition.value !== undefined) params[`match[${i}][${j}][value]`] = condition.value;
    }),
  );
  return params;
}
