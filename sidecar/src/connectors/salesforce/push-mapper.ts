// A WordPress user as a Salesforce record, for pushes: the object map's rows whose direction
// lets WordPress write out (`outbound` or `both`), each WordPress value read (or its template
// filled with WordPress values), defaulted, transformed and converted to the Salesforce
// field's type as describe gives it (checkbox, date, datetime, number, picklist,
// multi-select picklist). `nulls: propagate` sends null so that clearing a value in
// WordPress clears it in Salesforce; `ignore` leaves Salesforce alone when WordPress has
// nothing. The values sent are kept as strings by Salesforce field name (OutboundState.sent),
// so that a pull can tell our own writes coming back (echo) from changes made in Salesforce.
import { createHash } from 'node:crypto';
import { applyTransform, fillTemplate, targetKind } from '../../provisioning/index.js';
import type { MappedValues } from '../../store/types.js';
import type { UserSnapshot } from '../../wordpress/types.js';

/** The account state of the WordPress user (`true`/`false`), mappable to a checkbox. */
export const ACTIVE_TARGET = 'active';

/** One field row of an object map (sf-contract: `objectMaps[].fields[]`). */
export interface PushFieldMap {
  wp: string;
  sf: string;
  direction: 'inbound' | 'outbound' | 'both';
  transform?: string | null;
  default?: string | null;
  template?: string | null;
  valueMap?: Record<string, string> | null;
  nulls?: 'propagate' | 'ignore';
}

export type PushMatchKey =
  { kind: 'externalId'; sf: string; wp?: string } | { kind: 'idLookup'; sf: string; wp: string };

/** What a push reads of an object map (sf-contract: `objectMaps[]`). */
export interface PushObjectMap {
  id: string;
  wpObject: string;
  sfObject: string;
  recordTypeId?: string | null;
  operations: { create: string[]; update: string[]; delete: string[] };
  match: PushMatchKey[];
  deletePolicy: { pull?: string; push: string };
  fields: PushFieldMap[];
}

/** What describe says of one field (the subset a push needs). */
export interface FieldDescribe {
  name: string;
  type: string;
  createable?: boolean;
  updateable?: boolean;
  nillable?: boolean;
  compoundFieldName?: string | null;
  picklistValues?: { value: string; active?: boolean }[];
}

/** A value of this map that cannot be sent (names the row). */
export class PushValueError extends Error {
  override name = 'PushValueError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** Rows WordPress writes out. */
export function outboundRows(map: PushObjectMap): PushFieldMap[] {
  return map.fields.filter((row) => row.direction === 'outbound' || row.direction === 'both');
}

/** The WordPress attribute names a row reads (its target, or its template's placeholders). */
export function rowReads(row: PushFieldMap): string[] {
  if (row.transform === 'template' && row.template)
    return [...row.template.matchAll(/\{\s*([^{}]+?)\s*\}/g)].map((m) => m[1]!);
  return [row.wp];
}

/** Every WordPress attribute a push of this map reads (what a change must touch to matter). */
export function attributesRead(map: PushObjectMap): Set<string> {
  const names = new Set<string>();
  for (const row of outboundRows(map)) for (const name of rowReads(row)) names.add(name);
  for (const key of map.match) if (key.kind === 'idLookup') names.add(key.wp);
  return names;
}

const clean = (value: unknown): string | null => {
  if (value === undefined || value === null || value === '') return null;
  if (Array.isArray(value)) return value.length ? value.map(String).join(';') : null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

/** The value a WordPress user holds for an attribute map target (or `active`). */
export function wordpressValue(snapshot: UserSnapshot, target: string): string | null {
  if (target === ACTIVE_TARGET) return snapshot.active ? 'true' : 'false';
  const kind = targetKind(target);
  switch (kind?.kind) {
    case 'core':
      return clean(snapshot[kind.field]);
    case 'description':
      return clean(snapshot.description);
    case 'avatar':
      return clean(snapshot.avatarUrl);
    case 'meta':
      return clean(snapshot.meta?.[kind.key]);
    case 'xprofile':
      return clean(snapshot.xprofile?.[kind.field]);
    default:
      return null;
  }
}

/**
 * The describe entry of a mapped field: its API name, or a compound sub-field
 * (`MailingAddress.city` → MailingCity, `Name.FirstName` → FirstName).
 */
export function resolveField(
  fields: Map<string, FieldDescribe>,
  sf: string,
): FieldDescribe | undefined {
  const direct = fields.get(sf.toLowerCase());
  if (direct || !sf.includes('.')) return direct;
  const [compound, part] = sf.split('.', 2) as [string, string];
  const prefix = compound.replace(/Address$/i, '');
  const wanted = new Set([part.toLowerCase(), `${prefix}${part}`.toLowerCase()]);
  for (const field of fields.values()) {
    if (field.compoundFieldName?.toLowerCase() === compound.toLowerCase()) {
      if (wanted.has(field.name.toLowerCase())) return field;
    }
  }
  return undefined;
}

const TRUE = new Set(['true', '1', 'yes', 'on', 'y']);
const FALSE = new Set(['false', '0', 'no', 'off', 'n']);

/** A WordPress date or datetime (`2024-03-01`, `2024-03-01 10:00:00` in UTC, ISO 8601). */
function parseWhen(value: string): Date | null {
  const trimmed = value.trim();
  if (/^\d{9,11}$/.test(trimmed)) return new Date(Number(trimmed) * 1000); // Unix time
  const local = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2})?$/.exec(trimmed);
  const iso = local ? `${local[1]}T${local[2]}${local[3] ?? ':00'}Z` : trimmed;
  if (!/^\d{4}-\d{2}-\d{2}/.test(iso)) return null;
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso}T00:00:00Z` : iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * A string value as the Salesforce field's type wants it (Salesforce REST: `boolean` as JSON
 * true/false, `date` as `YYYY-MM-DD`, `datetime` as ISO 8601, numbers as JSON numbers,
 * multi-select picklists as values joined by `;`).
 */
export function convert(
  value: string | null,
  field: FieldDescribe | undefined,
  row: Pick<PushFieldMap, 'sf' | 'transform'>,
): unknown {
  const type = field?.type ?? 'string';
  const as =
    row.transform === 'boolean' || row.transform === 'date' || row.transform === 'datetime'
      ? row.transform
      : type;
  if (value === null) return as === 'boolean' ? false : null;
  switch (as) {
    case 'boolean': {
      const lower = value.trim().toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower) || lower === '') return false;
      throw new PushValueError(`"${value}" is not a yes/no value for ${row.sf}`, row.sf);
    }
    case 'date': {
      const when = parseWhen(value);
      if (!when) throw new PushValueError(`"${value}" is not a date for ${row.sf}`, row.sf);
      return when.toISOString().slice(0, 10);
    }
    case 'datetime': {
      const when = parseWhen(value);
      if (!when)
        throw new PushValueError(`"${value}" is not a date and time for ${row.sf}`, row.sf);
      return when.toISOString();
    }
    case 'int':
    case 'double':
    case 'currency':
    case 'percent': {
      const number = Number(value.trim());
      if (value.trim() === '' || !Number.isFinite(number))
        throw new PushValueError(`"${value}" is not a number for ${row.sf}`, row.sf);
      if (as === 'int' && !Number.isInteger(number))
        throw new PushValueError(`"${value}" is not a whole number for ${row.sf}`, row.sf);
      return number;
    }
    case 'multipicklist': {
      let items: string[];
      try {
        const parsed: unknown = JSON.parse(value);
        items = Array.isArray(parsed) ? parsed.map(String) : value.split(/[;,]/);
      } catch {
        items = value.split(/[;,]/);
      }
      return items
        .map((item) => item.trim())
        .filter(Boolean)
        .join(';');
    }
    default:
      return value;
  }
}

/** What a user becomes in Salesforce. */
export interface PushRecord {
  /** Field API name → value as Salesforce takes it (compound sub-fields resolved). */
  fields: Record<string, unknown>;
  /** The same, as strings, for the outbound state and the hash. */
  sent: MappedValues;
}

/**
 * The record for a WordPress user. `externalId` is the value of the map's external-id key
 * (`<site key>:<user id>`), sent on every write so later pushes find the record by it.
 */
export function pushRecord(
  snapshot: UserSnapshot,
  map: PushObjectMap,
  fields: Map<string, FieldDescribe>,
  externalId: { field: string; value: string } | null,
): PushRecord {
  const record: PushRecord = { fields: {}, sent: {} };
  for (const row of outboundRows(map)) {
    const field = resolveField(fields, row.sf);
    if (!field)
      throw new PushValueError(
        `${map.sfObject} has no field ${row.sf} (the field map names it)`,
        row.sf,
      );
    let value: string | null;
    if (row.transform === 'template') {
      value = fillTemplate(row.template ?? '', (name) => wordpressValue(snapshot, name));
    } else {
      value = wordpressValue(snapshot, row.wp);
    }
    if (value === null && row.default !== null && row.default !== undefined && row.default !== '')
      value = row.default;
    if (value !== null) {
      if (row.transform === 'picklist-map' || row.valueMap) {
        const mapped = row.valueMap?.[value];
        if (mapped !== undefined) value = mapped;
      } else if (row.transform && row.transform !== 'template') {
        value = applyTransform(row.transform, value);
      }
      if (value === '') value = null;
    }
    if (value === null && (row.nulls ?? 'propagate') === 'ignore') continue;
    const converted = convert(value, field, row);
    record.fields[field.name] = converted;
    record.sent[field.name] = converted === null ? null : String(converted);
  }
  if (externalId) {
    const field = resolveField(fields, externalId.field);
    if (!field)
      throw new PushValueError(
        `${map.sfObject} has no field ${externalId.field} (the external-id match key names it)`,
        externalId.field,
      );
    record.fields[field.name] = externalId.value;
    record.sent[field.name] = externalId.value;
  }
  return record;
}

/** Hash of a set of values, independent of key order. */
export function valuesHash(values: MappedValues): string {
  const sorted = Object.keys(values)
    .sort()
    .map((key) => [key, values[key] ?? null]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32);
}

/** The fields whose value differs from what was last sent (all of them without a state). */
export function changedFields(sent: MappedValues, before: MappedValues | null): string[] {
  if (!before) return Object.keys(sent);
  return Object.keys(sent).filter(
    (key) => !(key in before) || (sent[key] ?? null) !== (before[key] ?? null),
  );
}
