/**
 * Reading a source path from a SCIM user, the way the sidecar does when it maps one: names
 * are case-insensitive, `[primary]` takes the primary item (else the first), `[type eq "work"]`
 * the matching item, and a multi-valued attribute without a filter its primary (else first)
 * value. Only `eq` comparisons joined by `and` are evaluated here, which covers the paths the
 * attribute map uses.
 */

/**
 * Internal dependencies
 */
import { parseAttributePath } from './attribute-path';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A property by case-insensitive name. */
function prop(holder: unknown, name: string): unknown {
  if (!isObject(holder)) {
    return undefined;
  }
  const key = Object.keys(holder).find(
    (candidate) => candidate.toLowerCase() === name.toLowerCase(),
  );
  return key === undefined ? undefined : holder[key];
}

interface Comparison {
  attribute: string;
  value: string | boolean | null;
}

/** Parses `type eq "work" and primary eq true`; null when it uses anything else. */
function parseFilter(filter: string): Comparison[] | null {
  if (/^\s*primary\s*$/i.test(filter)) {
    return [{ attribute: 'primary', value: true }];
  }
  const comparisons: Comparison[] = [];
  for (const part of filter.split(/\s+and\s+/i)) {
    const match =
      /^\s*([A-Za-z_$][A-Za-z0-9_$-]*)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false|null)\s*$/i.exec(part);
    if (!match) {
      return null;
    }
    const raw = match[2];
    let value: Comparison['value'];
    if (raw.startsWith('"')) {
      value = JSON.parse(raw) as string;
    } else if (raw.toLowerCase() === 'null') {
      value = null;
    } else {
      value = raw.toLowerCase() === 'true';
    }
    comparisons.push({ attribute: match[1], value });
  }
  return comparisons;
}

function matches(item: unknown, comparisons: Comparison[]): boolean {
  return comparisons.every(({ attribute, value }) => {
    const actual = prop(item, attribute);
    if (typeof value === 'string' && typeof actual === 'string') {
      // SCIM compares strings case-insensitively unless the attribute is caseExact.
      return actual.toLowerCase() === value.toLowerCase();
    }
    return (actual ?? null) === value;
  });
}

function primaryOrFirst(list: unknown[]): unknown {
  return list.find((item) => prop(item, 'primary') === true) ?? list[0];
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '' || typeof value === 'object') {
    return undefined;
  }
  return String(value);
}

/** The value of a source path as a string, or undefined when the user has none. */
export function readSource(user: Json, path: string): string | undefined {
  const parsed = parseAttributePath(path);
  if (!parsed) {
    return undefined;
  }
  const holder = parsed.schema ? prop(user, parsed.schema) : user;
  const value = prop(holder, parsed.attribute);

  if (parsed.filter) {
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    const isPrimaryShorthand = /^\s*primary\s*$/i.test(parsed.filter);
    const comparisons = parseFilter(parsed.filter);
    if (!comparisons) {
      return undefined;
    }
    const item =
      list.find((candidate) => matches(candidate, comparisons)) ??
      (isPrimaryShorthand ? list[0] : undefined);
    return text(prop(item, parsed.sub ?? 'value'));
  }
  if (parsed.sub) {
    const parent = Array.isArray(value) ? primaryOrFirst(value) : value;
    return text(prop(parent, parsed.sub));
  }
  if (isObject(value)) {
    return text(prop(value, 'value'));
  }
  if (Array.isArray(value)) {
    const item = primaryOrFirst(value);
    return isObject(item) ? text(prop(item, 'value')) : text(item);
  }
  return text(value);
}

const MAX_LOGIN = 60;

/**
 * The login WordPress gets for a userName: PHP's `sanitize_user( $name, true )` (accents
 * folded, anything but letters, digits, space, `_ . - @` removed), at most 60 characters.
 * Null when nothing is left (the sidecar then makes one up from a hash).
 */
export function sanitizeLogin(userName: string): string | null {
  let login = userName
    .replace(/<[^>]*>/g, '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/%[a-fA-F0-9]{2}/g, '')
    .replace(/&.+?;/g, '')
    .replace(/[^a-z0-9 _.\-@]/gi, '')
    .trim()
    .replace(/\s+/g, ' ');
  if (login.length > MAX_LOGIN) {
    login = login.slice(0, MAX_LOGIN).trim();
  }
  return login === '' ? null : login;
}
