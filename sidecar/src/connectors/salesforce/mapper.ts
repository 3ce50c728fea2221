// Salesforce records ↔ the canonical user, and an object map's field rows as the engine's
// attribute map. Pure: no I/O.
//
// A pulled record becomes a canonical user whose attributes are the record keyed by field
// API name (`Email`, `MailingAddress: { city }`, `Account: { Name }`), each value converted by
// its describe type: booleans, numbers, dates as `YYYY-MM-DD`, datetimes in UTC ISO 8601,
// picklists as their value, multi-select picklists as Salesforce writes them (`a;b`).
// Its external id is the 18-character Id.
//
// The field rows become attribute map rows reading those paths (source = the SF path, target
// = `wp`, the row's direction, its transform when the engine has it). A row the engine cannot
// read by path — a transform only Salesforce rows have (picklist-map, date, datetime,
// boolean), or a WordPress field mapped differently by two object maps — reads a value the
// connector computes from the record's own object map, under `usersync_rows.<key>` (no
// Salesforce field name can clash: standard names have no `_`, custom ones end in `__c`).
import {
  applyTransform,
  fillTemplate,
  mapPerson,
  templatePaths,
} from '../../provisioning/index.js';
import type { AttributeMapping } from '../../wordpress/types.js';
import type { CanonicalUser } from '../types.js';
import { findField, resolveFieldPath } from './describe.js';
import type { DescribeField, ObjectDescribe } from './describe.js';
import { parseSalesforceDateTime } from './soql.js';
import type { SalesforceFieldRow, SalesforceObjectMap } from './settings.js';

/** Attribute holding the values the connector computes for rows read through it. */
export const DERIVED = 'usersync_rows';

/** The engine's own transforms: rows with these read the Salesforce path directly. */
const ENGINE_TRANSFORMS = new Set(['none', 'lowercase', 'uppercase', 'trim', 'template']);

/** The WordPress side of a row that sets the user's active flag instead of a field. */
export const ACTIVE_TARGET = 'active';

export class SalesforceMappingError extends Error {
  override name = 'SalesforceMappingError';
}

const inbound = (row: Pick<SalesforceFieldRow, 'direction'>) => row.direction !== 'outbound';

/** The 18-character, case-safe form of a 15- or 18-character Salesforce Id. */
export function toId18(id: string): string {
  if (id.length === 18) return id;
  if (!/^[A-Za-z0-9]{15}$/.test(id)) throw new SalesforceMappingError(`Not a Salesforce Id: ${id}`);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const char = id[chunk * 5 + i]!;
      if (char >= 'A' && char <= 'Z') bits |= 1 << i;
    }
    suffix += alphabet[bits];
  }
  return id + suffix;
}

/** A datetime in UTC ISO 8601 (`2024-01-02T03:04:05.000Z`); undefined when unreadable. */
function utc(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  const date = parseSalesforceDateTime(value);
  return date ? date.toISOString() : undefined;
}

/** A record value converted by its describe type, for the canonical user. */
export function fromSalesforceValue(field: DescribeField | undefined, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') return stripAttributes(value);
  switch (field?.type) {
    case 'boolean':
      return value === true || value === 'true';
    case 'int':
      return typeof value === 'number' ? Math.trunc(value) : Number.parseInt(String(value), 10);
    case 'double':
    case 'currency':
    case 'percent': {
      const number = typeof value === 'number' ? value : Number(value);
      return Number.isFinite(number) ? number : null;
    }
    case 'date':
      return typeof value === 'string' ? value.slice(0, 10) : null;
    case 'datetime':
      return utc(value) ?? null;
    default:
      return typeof value === 'string' ? value : String(value);
  }
}

/** Nested objects (compound fields, parent relationships) without their `attributes`. */
function stripAttributes(value: object): unknown {
  if (Array.isArray(value))
    return value.map((item) => (item && typeof item === 'object' ? stripAttributes(item) : item));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'attributes') continue;
    out[key] = inner && typeof inner === 'object' ? stripAttributes(inner) : inner;
  }
  return out;
}

/** The value at a dotted path of a record (case-insensitive names, as SOQL's). */
export function readPath(record: Record<string, unknown>, path: string): unknown {
  let value: unknown = record;
  for (const name of path.split('.')) {
    if (!value || typeof value !== 'object') return undefined;
    const holder = value as Record<string, unknown>;
    const key = Object.keys(holder).find((k) => k.toLowerCase() === name.toLowerCase());
    value = key === undefined ? undefined : holder[key];
  }
  return value;
}

/**
 * The WordPress value of one row with a Salesforce-only transform, from a record already
 * converted (`fromSalesforceValue`); undefined when the record has none.
 */
export function rowValueForWordPress(row: SalesforceFieldRow, value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  switch (row.transform) {
    case 'picklist-map': {
      // valueMap is { wpValue: sfValue }: read back, each part of a multi-select.
      const back = new Map(
        Object.entries(row.valueMap ?? {}).map(([wp, sf]) => [sf.toLowerCase(), wp]),
      );
      return String(value)
        .split(';')
        .map((part) => back.get(part.toLowerCase()) ?? part)
        .join(';');
    }
    case 'boolean':
      return value === true || /^(true|1)$/i.test(String(value)) ? '1' : '0';
    case 'date': {
      const text = String(value);
      return /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : utc(text)?.slice(0, 10);
    }
    case 'datetime': {
      const text = String(value);
      return /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00.000Z` : utc(text);
    }
    default:
      return typeof value === 'object' ? undefined : applyTransform(row.transform, String(value));
  }
}

/**
 * A WordPress value as Salesforce takes it for a field (the push direction): transform
 * applied, converted by describe type. Null clears the field; throws
 * SalesforceMappingError for a value the field cannot hold.
 */
export function toSalesforceValue(
  field: DescribeField | undefined,
  value: string | null | undefined,
  row: Pick<SalesforceFieldRow, 'transform' | 'valueMap' | 'default'>,
): string | number | boolean | null {
  let text = value === undefined || value === null || value === '' ? row.default : value;
  if (text === null || text === undefined || text === '') return null;
  switch (row.transform) {
    case 'lowercase':
      text = text.toLowerCase();
      break;
    case 'uppercase':
      text = text.toUpperCase();
      break;
    case 'trim':
      text = text.trim();
      break;
    case 'picklist-map':
      text = text
        .split(/[;,]/)
        .map((part) => row.valueMap?.[part.trim()] ?? part.trim())
        .join(';');
      break;
    default:
      break;
  }
  const name = field?.name ?? 'field';
  switch (field?.type) {
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(text.trim())) return true;
      if (/^(0|false|no|off|)$/i.test(text.trim())) return false;
      throw new SalesforceMappingError(`${name} takes true or false, not ${JSON.stringify(text)}`);
    case 'int': {
      const number = Number(text.trim());
      if (!Number.isInteger(number)) {
        throw new SalesforceMappingError(
          `${name} takes a whole number, not ${JSON.stringify(text)}`,
        );
      }
      return number;
    }
    case 'double':
    case 'currency':
    case 'percent': {
      const number = Number(text.trim());
      if (!Number.isFinite(number)) {
        throw new SalesforceMappingError(`${name} takes a number, not ${JSON.stringify(text)}`);
      }
      return number;
    }
    case 'date': {
      const date = /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? text.trim() : utc(text)?.slice(0, 10);
      if (!date)
        throw new SalesforceMappingError(`${name} takes a date, not ${JSON.stringify(text)}`);
      return date;
    }
    case 'datetime': {
      const at = utc(text.trim());
      if (!at)
        throw new SalesforceMappingError(
          `${name} takes a date and time, not ${JSON.stringify(text)}`,
        );
      return at;
    }
    case 'multipicklist':
      return text
        .split(/[;,]/)
        .map((part) => part.trim())
        .filter(Boolean)
        .join(';');
    default:
      return text;
  }
}

/**
 * The field a push writes for a row's `sf` path: compound parts are written through their
 * component field (`MailingAddress.city` → `MailingCity`); undefined when there is none.
 */
export function writableField(describe: ObjectDescribe, path: string): DescribeField | undefined {
  const resolved = resolveFieldPath(describe, path);
  if (!resolved) return undefined;
  if (!resolved.part) return resolved.field;
  const part = resolved.part.toLowerCase();
  return describe.fields.find(
    (field) =>
      field.compoundFieldName?.toLowerCase() === resolved.field.name.toLowerCase() &&
      field.name.toLowerCase().endsWith(part),
  );
}

/** How a connection's object maps read into the engine: rows and per-map computed values. */
export interface FieldPlan {
  attributeMap: AttributeMapping[];
  /** Per object map id: the rows whose value the connector computes, by derived key. */
  derived: Map<string, { key: string; row: SalesforceFieldRow }[]>;
}

/** The attribute map rows of a connection's user object maps (see the header). */
export function fieldPlan(maps: SalesforceObjectMap[]): FieldPlan {
  const userMaps = maps.filter((map) => map.wpObject === 'user');
  const plain = (row: SalesforceFieldRow): AttributeMapping => ({
    source: row.transform === 'template' ? '' : row.sf,
    target: row.wp,
    direction: row.direction,
    transform: row.transform as AttributeMapping['transform'],
    default: row.default,
    ...(row.transform === 'template' ? { template: row.template ?? '' } : {}),
    ...(row.nulls === 'ignore' ? { nulls: 'ignore' as const } : {}),
  });
  const signature = (row: SalesforceFieldRow) =>
    JSON.stringify([row.sf, row.transform, row.template, row.valueMap, row.default, row.nulls]);
  // A computed row ignores empty values only when every row of its target does.
  const ignoresNulls = (target: string) =>
    userMaps.every((map) =>
      map.fields
        .filter((row) => inbound(row) && row.wp === target)
        .every((row) => row.nulls === 'ignore'),
    );
  // A target the maps read differently goes through a computed value.
  const byTarget = new Map<string, Set<string>>();
  for (const map of userMaps) {
    for (const row of map.fields.filter(inbound)) {
      if (row.wp === ACTIVE_TARGET) continue;
      const set = byTarget.get(row.wp) ?? new Set<string>();
      set.add(signature(row));
      byTarget.set(row.wp, set);
    }
  }
  const attributeMap: AttributeMapping[] = [];
  const derived = new Map<string, { key: string; row: SalesforceFieldRow }[]>();
  const derivedKeys = new Map<string, string>();
  const seen = new Set<string>();
  for (const map of userMaps) {
    const own: { key: string; row: SalesforceFieldRow }[] = [];
    for (const row of map.fields) {
      if (row.wp === ACTIVE_TARGET) continue;
      if (!inbound(row)) {
        // Outbound rows stay in the map (the engine skips them on pulls) for completeness.
        const key = `out:${row.wp}:${row.sf}`;
        if (!seen.has(key)) attributeMap.push(plain(row));
        seen.add(key);
        continue;
      }
      const shared = (byTarget.get(row.wp)?.size ?? 0) > 1;
      if (!shared && ENGINE_TRANSFORMS.has(row.transform)) {
        const key = `in:${row.wp}:${signature(row)}`;
        if (!seen.has(key)) attributeMap.push(plain(row));
        seen.add(key);
        continue;
      }
      let key = derivedKeys.get(row.wp);
      if (!key) {
        key = `r${derivedKeys.size}`;
        derivedKeys.set(row.wp, key);
        attributeMap.push({
          source: `${DERIVED}.${key}`,
          target: row.wp,
          direction: 'inbound',
          transform: 'none',
          default: null,
          ...(ignoresNulls(row.wp) ? { nulls: 'ignore' as const } : {}),
        });
      }
      own.push({ key, row });
    }
    derived.set(map.id, own);
  }
  return { attributeMap, derived };
}

/** The fields a pull of an object map selects: Id, SystemModstamp and what inbound rows read. */
export function selectFields(map: SalesforceObjectMap, describe: ObjectDescribe): string[] {
  const fields = new Set<string>(['Id', 'SystemModstamp']);
  for (const row of map.fields.filter(inbound)) {
    const paths = row.transform === 'template' ? templatePaths(row.template ?? '') : [row.sf];
    for (const path of paths) {
      const head = path.split('.')[0]!;
      const field = findField(describe, head);
      // Compound fields are selected whole; parent paths (`Account.Name`) as written.
      if (field) fields.add(field.name);
      else if (path.includes('.')) fields.add(path);
      else fields.add(head); // Salesforce names an unknown field (INVALID_FIELD)
    }
  }
  return [...fields];
}

/** A pulled record as the canonical user of an object map. */
export function toCanonicalUser(
  record: Record<string, unknown>,
  map: SalesforceObjectMap,
  describe: ObjectDescribe,
  plan: FieldPlan,
): CanonicalUser {
  const id = record.Id;
  if (typeof id !== 'string') throw new SalesforceMappingError('A record came without its Id');
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'attributes') continue;
    attributes[key] = fromSalesforceValue(findField(describe, key), value);
  }
  attributes.Id = toId18(id);
  const derived: Record<string, string> = {};
  for (const { key, row } of plan.derived.get(map.id) ?? []) {
    const value =
      row.transform === 'template'
        ? (fillTemplate(row.template ?? '', (path) => {
            const part = readPath(attributes, path);
            return part === null || part === undefined || typeof part === 'object'
              ? undefined
              : String(part);
          }) ?? undefined)
        : rowValueForWordPress(row, readPath(attributes, row.sf));
    if (value !== undefined) derived[key] = value;
    else if (row.default !== null) derived[key] = row.default;
  }
  if (Object.keys(derived).length > 0) attributes[DERIVED] = derived;
  Object.assign(attributes, scimView(attributes, plan.attributeMap));
  let active = true;
  for (const row of map.fields) {
    if (row.wp !== ACTIVE_TARGET || !inbound(row)) continue;
    const value = readPath(attributes, row.sf);
    if (value === false || (typeof value === 'string' && /^(false|0|inactive|no)$/i.test(value))) {
      active = false;
    }
  }
  return { externalId: toId18(id), attributes, active };
}

/** SCIM attributes the WordPress core fields correspond to. */
const SCIM_OF_TARGET: Record<string, (value: string) => Record<string, unknown>> = {
  user_login: (value) => ({ userName: value }),
  user_email: (value) => ({ emails: [{ value, type: 'work', primary: true }] }),
  display_name: (value) => ({ displayName: value }),
  nickname: (value) => ({ nickName: value }),
  user_url: (value) => ({ profileUrl: value }),
};

/**
 * The record in SCIM shape as the object map reads it (`userName`, `name.givenName`,
 * `emails[primary]` …), beside the Salesforce fields, for what speaks SCIM (the contract of
 * connectors/types.ts). Salesforce's own `Name` keeps its case, so rows reading it get the
 * Salesforce value, never this view.
 */
export function scimView(
  attributes: Record<string, unknown>,
  rows: AttributeMapping[],
): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  const name: Record<string, string> = {};
  for (const { row, value } of mapPerson(attributes, rows)) {
    if (value === undefined || value === '') continue;
    if (row.target === 'first_name') name.givenName = value;
    else if (row.target === 'last_name') name.familyName = value;
    else if (
      SCIM_OF_TARGET[row.target] &&
      !(Object.keys(SCIM_OF_TARGET[row.target]!(value))[0]! in view)
    ) {
      Object.assign(view, SCIM_OF_TARGET[row.target]!(value));
    }
  }
  if (Object.keys(name).length > 0) view.name = name;
  return view;
}
