// SOQL text, built rather than concatenated: string literals escaped as SOQL's lexer reads
// them, datetime literals unquoted in UTC, names checked, and the keyset condition the pulls
// page with. Pure: no I/O.

/** SOQL's escape sequences inside a quoted string (SOQL and SOSL reference, "Quoted String Escape Sequences"). */
const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

export class SoqlError extends Error {
  override name = 'SoqlError';
}

/** A quoted SOQL string literal: `O'Brien` → `'O\'Brien'`. */
export function soqlString(value: string): string {
  return `'${value.replace(/[\\'"\n\r\t\b\f]/g, (char) => ESCAPES[char]!)}'`;
}

/** A LIKE pattern matching `value` literally (its `%` and `_` escaped too). */
export function soqlLikeLiteral(value: string): string {
  return soqlString(value).replace(/[%_]/g, (char) => `\\${char}`);
}

/**
 * An unquoted SOQL datetime literal in UTC: `2024-01-01T00:00:00Z` (milliseconds kept only
 * when there are some). Accepts a Date or anything Date.parse reads, including Salesforce's
 * own `2024-01-01T00:00:00.000+0000`.
 */
export function soqlDateTime(value: Date | string): string {
  const date = typeof value === 'string' ? parseSalesforceDateTime(value) : value;
  if (!date || Number.isNaN(date.getTime())) {
    throw new SoqlError(`Not a datetime: ${String(value)}`);
  }
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

/** An unquoted SOQL date literal: `2024-01-31`. */
export function soqlDate(value: Date | string): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return soqlDateTime(value).slice(0, 10);
}

/**
 * Salesforce datetimes (`2013-05-20T20:49:32.000+0000`: an offset without a colon, which
 * not every Date.parse reads) as a Date; null when it is not one.
 */
export function parseSalesforceDateTime(value: string): Date | null {
  const normalized = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const time = Date.parse(normalized);
  return Number.isNaN(time) ? null : new Date(time);
}

/** A field, object or relationship path name (`Email`, `Account.Name`, `Member__c`). */
export function soqlName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/.test(name)) {
    throw new SoqlError(`Not a Salesforce API name: ${JSON.stringify(name)}`);
  }
  return name;
}

/** A SOQL literal for a value: strings quoted, numbers, booleans and null as they are. */
export function soqlValue(value: string | number | boolean | null | Date): string {
  if (value === null) return 'null';
  if (value instanceof Date) return soqlDateTime(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new SoqlError(`Not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return soqlString(value);
}

/** `Id IN ('a','b')`. */
export function soqlIn(field: string, values: (string | number)[]): string {
  if (values.length === 0) throw new SoqlError('IN needs at least one value');
  return `${soqlName(field)} IN (${values.map((v) => soqlValue(v)).join(', ')})`;
}

/** A position in `ORDER BY SystemModstamp, Id` order. */
export interface KeysetPosition {
  /** SystemModstamp of the last record read (any format `soqlDateTime` reads). */
  modstamp: string;
  /** Its Id ('' to start before every record of that instant). */
  id: string;
}

/**
 * Records after `after` in `(SystemModstamp, Id)` order:
 * `(SystemModstamp > t OR (SystemModstamp = t AND Id > 'id'))`. The parentheses are needed:
 * SOQL refuses AND and OR mixed without them.
 */
export function keysetAfter(after: KeysetPosition): string {
  const t = soqlDateTime(after.modstamp);
  if (!after.id) return `SystemModstamp >= ${t}`;
  return `(SystemModstamp > ${t} OR (SystemModstamp = ${t} AND Id > ${soqlString(after.id)}))`;
}

export interface SelectQuery {
  fields: string[];
  from: string;
  /** Conditions joined with AND, each parenthesized (free text fragments stay grouped). */
  where?: (string | null | undefined | false)[];
  orderBy?: string[];
  limit?: number;
}

/** `SELECT … FROM … WHERE (a) AND (b) ORDER BY … LIMIT n`. */
export function buildSelect(query: SelectQuery): string {
  const fields = [...new Set(query.fields.map(soqlName))];
  if (fields.length === 0) throw new SoqlError('SELECT needs at least one field');
  let soql = `SELECT ${fields.join(', ')} FROM ${soqlName(query.from)}`;
  const where = (query.where ?? []).filter(
    (part): part is string => typeof part === 'string' && part.trim() !== '',
  );
  if (where.length > 0) {
    soql += ` WHERE ${where.map((part) => (where.length > 1 ? `(${part})` : part)).join(' AND ')}`;
  }
  if (query.orderBy && query.orderBy.length > 0) {
    soql += ` ORDER BY ${query.orderBy
      .map((part) =>
        part
          .split(/\s+/)
          .map((w, i) => (i === 0 ? soqlName(w) : w))
          .join(' '),
      )
      .join(', ')}`;
  }
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 1) {
      throw new SoqlError(`LIMIT must be a positive integer, not ${query.limit}`);
    }
    soql += ` LIMIT ${query.limit}`;
  }
  return soql;
}

/**
 * Checks an admin's WHERE fragment before it is put in a query: balanced parentheses and
 * quotes, no statement keywords (ORDER BY, LIMIT, a second SELECT outside a semi-join…) that
 * would change the query around it. Salesforce itself validates fields and syntax
 * (MALFORMED_QUERY, INVALID_FIELD); Test connection reports those.
 */
export function filterProblem(filter: string): string | null {
  let depth = 0;
  let quoted = false;
  let outside = '';
  for (let i = 0; i < filter.length; i++) {
    const char = filter[i]!;
    if (quoted) {
      if (char === '\\') i++;
      else if (char === "'") quoted = false;
      continue;
    }
    if (char === "'") quoted = true;
    else if (char === '(') depth++;
    else if (char === ')') {
      depth--;
      if (depth < 0) return 'has a ")" without its "("';
    }
    outside += depth === 0 ? char : ' ';
  }
  if (quoted) return 'has an unterminated string';
  if (depth !== 0) return 'has a "(" without its ")"';
  if (
    /\b(ORDER\s+BY|GROUP\s+BY|LIMIT|OFFSET|FOR\s+(UPDATE|VIEW|REFERENCE)|WITH|HAVING)\b/i.test(
      outside,
    )
  ) {
    return 'may only hold conditions (no ORDER BY, LIMIT, OFFSET, GROUP BY, WITH or FOR clauses)';
  }
  if (/;/.test(outside)) return 'may not contain ";"';
  return null;
}
