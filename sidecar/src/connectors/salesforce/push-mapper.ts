// A WordPress user as a Salesforce record, for pushes: the object map's rows whose direction
// lets WordPress write out (`outbound` or `both`), each WordPress value read (or its template
// filled with WordPress values, `{first_name} {last_name}`), then defaulted, transformed and
// converted to the field's describe type by the mapper's one conversion (`toSalesforceValue`:
// checkbox, number, date, datetime, picklist-map, multi-select picklist). Compound parts are
// written through their component field (`MailingAddress.city` → MailingCity).
// `nulls: propagate` sends null so that clearing a value in WordPress clears it in
// Salesforce (a checkbox becomes false: checkboxes are never null); `ignore` leaves
// Salesforce alone when WordPress has nothing. The values sent are kept as strings by
// Salesforce field name (OutboundState.sent), so a pull can tell our own writes coming back.
import { createHash } from 'node:crypto';
import { fillTemplate, targetKind } from '../../provisioning/index.js';
import type { MappedValues } from '../../store/types.js';
import type { UserSnapshot } from '../../wordpress/types.js';
import type { ObjectDescribe } from './describe.js';
import {
  ACTIVE_TARGET,
  SalesforceMappingError,
  toSalesforceValue,
  writableField,
} from './mapper.js';
import type { SalesforceFieldRow, SalesforceObjectMap } from './settings.js';

export { ACTIVE_TARGET } from './mapper.js';

/** A value of this map that cannot be sent (names the field). */
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
export function outboundRows(map: SalesforceObjectMap): SalesforceFieldRow[] {
  return map.fields.filter((row) => row.direction === 'outbound' || row.direction === 'both');
}

/** The WordPress attribute names a row reads (its target, or its template's placeholders). */
export function rowReads(row: SalesforceFieldRow): string[] {
  if (row.transform === 'template' && row.template)
    return [...row.template.matchAll(/\{\s*([^{}]+?)\s*\}/g)].map((m) => m[1]!);
  return [row.wp];
}

/** Every WordPress attribute a push of this map reads (what a change must touch to matter). */
export function attributesRead(map: SalesforceObjectMap): Set<string> {
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

/** What a user becomes in Salesforce. */
export interface PushRecord {
  /** Field API name → value as Salesforce takes it. */
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
  map: SalesforceObjectMap,
  describe: ObjectDescribe,
  externalId: { field: string; value: string } | null,
): PushRecord {
  const record: PushRecord = { fields: {}, sent: {} };
  for (const row of outboundRows(map)) {
    const field = writableField(describe, row.sf);
    if (!field)
      throw new PushValueError(
        `${map.sfObject} has no field ${row.sf} to write (the field map names it)`,
        row.sf,
      );
    const value =
      row.transform === 'template'
        ? fillTemplate(row.template ?? '', (name) => wordpressValue(snapshot, name))
        : wordpressValue(snapshot, row.wp);
    let converted: unknown;
    try {
      converted = toSalesforceValue(field, value, row);
    } catch (error) {
      if (!(error instanceof SalesforceMappingError)) throw error;
      throw new PushValueError(`${error.message} (${map.sfObject}.${field.name})`, field.name);
    }
    if (converted === null && row.nulls === 'ignore') continue;
    if (converted === null && field.type === 'boolean') converted = false;
    record.fields[field.name] = converted;
    record.sent[field.name] = converted === null ? null : String(converted);
  }
  if (externalId) {
    const field = writableField(describe, externalId.field);
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
