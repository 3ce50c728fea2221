// The emulated org's data: records of each object, the org clock, the delete log and the
// change stream. Writes are validated against the schema (objects.ts) the way the REST API
// answers them (REST API Developer Guide, "Status Codes and Error Responses"; SOAP API
// Developer Guide, "StatusCode" for the per-record codes), and every committed write bumps
// SystemModstamp to the org clock truncated to the second (system timestamps carry whole
// seconds: REST answers show them as `….000+0000`), so many writes within one second share
// one SystemModstamp, as they do in a real org during a burst.
import { EventEmitter } from 'node:events';

import { standardObjects } from './objects.js';
import type { FieldDef, ObjectDef } from './objects.js';

export type Value = string | number | boolean | null;

export interface StoredRecord {
  type: string;
  id: string;
  /** Field values by API name; datetimes as epoch milliseconds. */
  values: Record<string, Value>;
}

export interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
}

/** A write that was refused; carries the per-record errors. */
export class WriteError extends Error {
  constructor(readonly errors: RecordError[]) {
    super(errors.map((e) => `${e.statusCode}: ${e.message}`).join('; '));
  }
}

/** Where a write came from, for change events (`changeOrigin`). */
export interface WriteOrigin {
  /** `client=` of the writer's Sforce-Call-Options header. */
  client?: string;
  /** API version of the call, e.g. `62.0`. */
  version?: string;
  /** `rest` | `bulkapi` | `control` (control writes have no changeOrigin, like UI edits). */
  api?: 'rest' | 'bulkapi' | 'control';
}

export interface ChangeRecord {
  entityName: string;
  changeType: 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';
  recordIds: string[];
  /** Field names that changed (UPDATE), or were set (CREATE). */
  changedFields: string[];
  /** The values after the change (CREATE: all non-null; UPDATE: the changed ones). */
  values: Record<string, Value>;
  origin: WriteOrigin;
  commitTimestamp: number;
}

export class Clock {
  private offset = 0;
  private frozen: number | null = null;
  now(): number {
    return this.frozen ?? Date.now() + this.offset;
  }
  /** Sets the org time; `freeze` stops it there until the next set/advance/unfreeze. */
  set(ms: number, freeze = false): void {
    if (freeze) this.frozen = ms;
    else {
      this.frozen = null;
      this.offset = ms - Date.now();
    }
  }
  advance(ms: number): void {
    if (this.frozen !== null) this.frozen += ms;
    else this.offset += ms;
  }
  unfreeze(): void {
    if (this.frozen !== null) this.set(this.frozen, false);
  }
  get isFrozen(): boolean {
    return this.frozen !== null;
  }
  /** The clock's setting, to put back with restore(). */
  state(): { offset: number; frozen: number | null } {
    return { offset: this.offset, frozen: this.frozen };
  }
  restore(state: { offset: number; frozen: number | null }): void {
    this.offset = state.offset;
    this.frozen = state.frozen;
  }
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 18-character form of a 15-character Id (the case-safe suffix of the SOAP API guide). */
export function to18(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[chunk * 5 + i]!;
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += SUFFIX[bits];
  }
  return id15 + suffix;
}

/** An Id as given (15 or 18 characters) in its 18-character form, or null if malformed. */
export function normalizeId(id: string): string | null {
  if (/^[a-zA-Z0-9]{15}$/.test(id)) return to18(id);
  if (/^[a-zA-Z0-9]{18}$/.test(id)) return to18(id.slice(0, 15));
  return null;
}

/** Salesforce's datetime format in REST answers: `2013-05-20T20:49:32.000+0000`. */
export function formatDatetime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** Parses `2024-01-01T00:00:00Z`, `…000+0000`, `…+01:00`; NaN when not a datetime. */
export function parseDatetime(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/.test(value))
    return NaN;
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

export const ORG_ID = '00D5g000004ZsnUEAS';
export const USER_ID = '0055g00000CFRNwAAP';

/** Values claimed by writes of one call that are not committed yet (unique fields). */
export type Pending = Map<string, string>;

export interface PreparedWrite {
  id: string;
  created: boolean;
  commit(): void;
}

export class Org extends EventEmitter {
  readonly clock = new Clock();
  private readonly objects = new Map<string, ObjectDef>();
  private readonly records = new Map<string, StoredRecord>();
  private readonly byType = new Map<string, StoredRecord[]>();
  private readonly counters = new Map<string, number>();
  /** Unique field values of live records → the record's Id. */
  private readonly uniqueIndex = new Map<string, string>();
  /** Deleted-record log entries older than this are gone (Recycle Bin emptied). */
  deleteLogPurgedBefore = 0;
  /** When the schema last changed (describe's If-Modified-Since). */
  schemaModified: number;
  /** Whether writes emit change events (off while bulk seeding). */
  emitChanges = true;

  constructor(objects: ObjectDef[] = standardObjects()) {
    super();
    this.setMaxListeners(0);
    for (const object of objects) {
      this.objects.set(object.name.toLowerCase(), object);
      this.byType.set(object.name, []);
    }
    this.schemaModified = Math.floor(Date.now() / 1000) * 1000;
  }

  object(name: string): ObjectDef | undefined {
    return this.objects.get(name.toLowerCase());
  }

  objectList(): ObjectDef[] {
    return [...this.objects.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The object whose key prefix starts the Id. */
  objectOfId(id: string): ObjectDef | undefined {
    return [...this.objects.values()].find((o) => id.startsWith(o.keyPrefix));
  }

  field(object: ObjectDef, name: string): FieldDef | undefined {
    const lower = name.toLowerCase();
    return object.fields.find((f) => f.name.toLowerCase() === lower);
  }

  /** Every record of a type, deleted ones included, in Id (creation) order. */
  all(type: string): StoredRecord[] {
    return this.byType.get(this.object(type)?.name ?? type) ?? [];
  }

  get(id: string): StoredRecord | undefined {
    const normal = normalizeId(id);
    return normal ? this.records.get(normal) : undefined;
  }

  count(type: string, includeDeleted = false): number {
    return this.all(type).filter((r) => includeDeleted || !r.values.IsDeleted).length;
  }

  /** A new 18-character Id, ascending in creation order (so `ORDER BY Id` = creation order). */
  newId(object: ObjectDef): string {
    const n = (this.counters.get(object.keyPrefix) ?? 0) + 1;
    this.counters.set(object.keyPrefix, n);
    let body = '';
    let rest = n;
    for (let i = 0; i < 7; i++) {
      body = BASE62[rest % 62] + body;
      rest = Math.floor(rest / 62);
    }
    return to18(`${object.keyPrefix}5g000${body}`);
  }

  /** SystemModstamp for a write now: the org clock truncated to the second. */
  stamp(): number {
    return Math.floor(this.clock.now() / 1000) * 1000;
  }

  /**
   * Checks a create and returns it ready to commit, or throws WriteError with every problem
   * of the record (as the API reports them all at once).
   */
  prepareCreate(
    type: string,
    input: Record<string, unknown>,
    origin: WriteOrigin = {},
    pending: Pending = new Map(),
  ): PreparedWrite {
    const object = this.requireObject(type);
    const { values, errors } = this.convert(object, input, 'create');
    const missing: string[] = [];
    for (const f of object.fields) {
      if (f.createable && !f.nillable && !f.defaultedOnCreate) {
        const v = values[f.name];
        if (v === undefined || v === null || v === '') missing.push(f.name);
      }
    }
    if (missing.length) {
      errors.push({
        statusCode: 'REQUIRED_FIELD_MISSING',
        message: `Required fields are missing: [${missing.join(', ')}]`,
        fields: missing,
      });
    }
    errors.push(...this.uniqueErrors(object, values, null, pending));
    if (errors.length) throw new WriteError(errors);
    const id = this.newId(object);
    this.claim(object, values, id, pending);
    return {
      id,
      created: true,
      commit: () => {
        const now = this.stamp();
        const record: StoredRecord = {
          type: object.name,
          id,
          values: {},
        };
        for (const f of object.fields) {
          if (f.type === 'address') continue;
          record.values[f.name] = f.defaultedOnCreate ? (f.defaultValue ?? null) : null;
        }
        Object.assign(record.values, values, {
          Id: id,
          IsDeleted: false,
          MasterRecordId: null,
          OwnerId: values.OwnerId ?? USER_ID,
          CreatedDate: now,
          CreatedById: USER_ID,
          LastModifiedDate: now,
          LastModifiedById: USER_ID,
          SystemModstamp: now,
        });
        if (object.recordTypes.length && !record.values.RecordTypeId) {
          record.values.RecordTypeId =
            object.recordTypes.find((rt) => rt.defaultRecordTypeMapping)?.recordTypeId ?? null;
        }
        this.computeName(object, record);
        this.records.set(id, record);
        this.byType.get(object.name)!.push(record);
        this.index(record, true);
        const set = Object.fromEntries(
          Object.entries(record.values).filter(
            ([k, v]) => v !== null && k !== 'IsDeleted' && k !== 'SystemModstamp' && k !== 'Id',
          ),
        );
        this.change({
          entityName: object.name,
          changeType: 'CREATE',
          recordIds: [id],
          changedFields: Object.keys(set),
          values: set,
          origin,
          commitTimestamp: this.clock.now(),
        });
      },
    };
  }

  prepareUpdate(
    type: string | null,
    id: string,
    input: Record<string, unknown>,
    origin: WriteOrigin = {},
    pending: Pending = new Map(),
  ): PreparedWrite {
    const record = this.requireLive(type, id);
    const object = this.requireObject(record.type);
    const { values, errors } = this.convert(object, input, 'update');
    for (const [name, value] of Object.entries(values)) {
      const f = this.field(object, name)!;
      if (!f.nillable && (value === null || value === '') && f.type !== 'boolean') {
        errors.push({
          statusCode: 'REQUIRED_FIELD_MISSING',
          message: `Required fields are missing: [${f.name}]`,
          fields: [f.name],
        });
      }
    }
    errors.push(...this.uniqueErrors(object, values, record.id, pending));
    if (errors.length) throw new WriteError(errors);
    this.claim(object, values, record.id, pending);
    return {
      id: record.id,
      created: false,
      commit: () => {
        const now = this.stamp();
        const changed: Record<string, Value> = {};
        for (const [name, value] of Object.entries(values)) {
          if (record.values[name] !== value) changed[name] = value;
        }
        this.index(record, false);
        Object.assign(record.values, values, {
          LastModifiedDate: now,
          LastModifiedById: USER_ID,
          SystemModstamp: now,
        });
        this.index(record, true);
        const name = record.values.Name;
        this.computeName(object, record);
        if (record.values.Name !== name) changed.Name = record.values.Name ?? null;
        changed.LastModifiedDate = now;
        this.change({
          entityName: object.name,
          changeType: 'UPDATE',
          recordIds: [record.id],
          changedFields: Object.keys(changed),
          values: changed,
          origin,
          commitTimestamp: this.clock.now(),
        });
      },
    };
  }

  prepareDelete(id: string, origin: WriteOrigin = {}, masterRecordId?: string): PreparedWrite {
    const record = this.requireLive(null, id);
    return {
      id: record.id,
      created: false,
      commit: () => {
        const now = this.stamp();
        this.index(record, false);
        Object.assign(record.values, {
          IsDeleted: true,
          MasterRecordId: masterRecordId ?? null,
          SystemModstamp: now,
        });
        (record as StoredRecord & { deletedAt?: number }).deletedAt = now;
        this.change({
          entityName: record.type,
          changeType: 'DELETE',
          recordIds: [record.id],
          changedFields: [],
          values: {},
          origin,
          commitTimestamp: this.clock.now(),
        });
      },
    };
  }

  create(type: string, input: Record<string, unknown>, origin?: WriteOrigin): string {
    const write = this.prepareCreate(type, input, origin);
    write.commit();
    return write.id;
  }

  update(id: string, input: Record<string, unknown>, origin?: WriteOrigin): void {
    this.prepareUpdate(null, id, input, origin).commit();
  }

  delete(id: string, origin?: WriteOrigin): void {
    this.prepareDelete(id, origin).commit();
  }

  /** Restores a deleted record from the Recycle Bin (MasterRecordId is cleared). */
  undelete(id: string, origin: WriteOrigin = {}): void {
    const record = this.get(id);
    if (!record) throw notFound();
    if (!record.values.IsDeleted) {
      throw new WriteError([
        { statusCode: 'UNDELETE_FAILED', message: 'Entity is not in the recycle bin', fields: [] },
      ]);
    }
    const object = this.requireObject(record.type);
    const unique: Pending = new Map();
    const problems = this.uniqueErrors(object, record.values, record.id, unique);
    if (problems.length) throw new WriteError(problems);
    const now = this.stamp();
    Object.assign(record.values, {
      IsDeleted: false,
      MasterRecordId: null,
      SystemModstamp: now,
      LastModifiedDate: now,
    });
    delete (record as StoredRecord & { deletedAt?: number }).deletedAt;
    this.index(record, true);
    const restored = Object.fromEntries(
      Object.entries(record.values).filter(
        ([k, v]) => v !== null && k !== 'IsDeleted' && k !== 'SystemModstamp' && k !== 'Id',
      ),
    );
    this.change({
      entityName: record.type,
      changeType: 'UNDELETE',
      recordIds: [record.id],
      changedFields: [],
      values: restored,
      origin,
      commitTimestamp: this.clock.now(),
    });
  }

  /**
   * Merges losers into the master (SOAP API "merge()": up to three records of one type; the
   * losers are deleted with MasterRecordId = the master, the master is updated).
   */
  merge(masterId: string, loserIds: string[], origin: WriteOrigin = {}): void {
    const master = this.requireLive(null, masterId);
    if (loserIds.length < 1 || loserIds.length > 2) {
      throw new WriteError([
        {
          statusCode: 'INVALID_OPERATION',
          message: 'A merge request takes a master and one or two records to merge',
          fields: [],
        },
      ]);
    }
    const losers = loserIds.map((id) => this.requireLive(master.type, id));
    for (const loser of losers) this.prepareDelete(loser.id, origin, master.id).commit();
    this.prepareUpdate(master.type, master.id, {}, origin).commit();
  }

  /**
   * A system-only change (a formula or roll-up recalculated after the commit, a sharing
   * recalculation): SystemModstamp moves, LastModifiedDate does not, and no change event is
   * published (SystemModstamp is "updated … whenever a user or an automated process" changes
   * the record; LastModifiedDate only for user changes — Object Reference, "System Fields").
   */
  touch(id: string): void {
    const record = this.requireLive(null, id);
    record.values.SystemModstamp = this.stamp();
  }

  /** Removes deleted records for good (Recycle Bin emptied): gone from queryAll too. */
  purge(id: string): void {
    const record = this.get(id);
    if (!record) return;
    this.index(record, false);
    this.records.delete(record.id);
    const list = this.byType.get(record.type)!;
    list.splice(list.indexOf(record), 1);
  }

  deletedAt(record: StoredRecord): number | undefined {
    return (record as StoredRecord & { deletedAt?: number }).deletedAt;
  }

  /** Adds (or removes) a record's unique values to the index. */
  private index(record: StoredRecord, add: boolean): void {
    const object = this.object(record.type)!;
    for (const f of object.fields) {
      const value = record.values[f.name];
      if (!f.unique || value === undefined || value === null || value === '') continue;
      const key = this.uniqueKey(object, f, value);
      if (add) this.uniqueIndex.set(key, record.id);
      else if (this.uniqueIndex.get(key) === record.id) this.uniqueIndex.delete(key);
    }
  }

  private change(change: ChangeRecord): void {
    if (this.emitChanges) this.emit('change', change);
  }

  private computeName(object: ObjectDef, record: StoredRecord): void {
    if (object.name === 'Contact' || object.name === 'Lead') {
      const first = record.values.FirstName;
      const last = record.values.LastName;
      record.values.Name = [first, last].filter((v) => v !== null && v !== '').join(' ');
    }
  }

  requireObject(type: string): ObjectDef {
    const object = this.object(type);
    if (!object) {
      throw new WriteError([
        {
          statusCode: 'INVALID_TYPE',
          message: `sObject type '${type}' is not supported.`,
          fields: [],
        },
      ]);
    }
    return object;
  }

  /** A record that exists and is not deleted, or WriteError (MALFORMED_ID, ENTITY_IS_DELETED…). */
  requireLive(type: string | null, id: string): StoredRecord {
    const normal = normalizeId(String(id));
    const object = type ? this.requireObject(type) : normal ? this.objectOfId(normal) : undefined;
    if (!normal || !object || !normal.startsWith(object.keyPrefix)) {
      throw new WriteError([
        {
          statusCode: 'MALFORMED_ID',
          message: `${object?.name ?? 'Record'} ID: id value of incorrect type: ${id}`,
          fields: ['Id'],
        },
      ]);
    }
    const record = this.records.get(normal);
    if (!record) {
      throw new WriteError([
        {
          statusCode: 'INVALID_CROSS_REFERENCE_KEY',
          message: 'invalid cross reference id',
          fields: [],
        },
      ]);
    }
    if (record.values.IsDeleted) {
      throw new WriteError([
        { statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] },
      ]);
    }
    return record;
  }

  /** Input values converted to stored ones, with the errors the API would report. */
  private convert(
    object: ObjectDef,
    input: Record<string, unknown>,
    mode: 'create' | 'update',
  ): { values: Record<string, Value>; errors: RecordError[] } {
    const values: Record<string, Value> = {};
    const errors: RecordError[] = [];
    const notWritable: string[] = [];
    for (const [key, raw] of Object.entries(input)) {
      if (key === 'attributes') continue;
      const f = this.field(object, key);
      if (!f) {
        errors.push({
          statusCode: 'INVALID_FIELD',
          message: `No such column '${key}' on sobject of type ${object.name}`,
          fields: [],
        });
        continue;
      }
      if (f.name === 'Id') continue;
      if (!(mode === 'create' ? f.createable : f.updateable)) {
        notWritable.push(f.name);
        continue;
      }
      const converted = convertValue(f, raw);
      if (typeof converted === 'object' && converted !== null) {
        errors.push(converted);
        continue;
      }
      values[f.name] = converted;
    }
    if (notWritable.length) {
      errors.push({
        statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
        message: `Unable to create/update fields: ${notWritable.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        fields: notWritable,
      });
    }
    return { values, errors };
  }

  private uniqueKey(object: ObjectDef, f: FieldDef, value: Value): string {
    const v = String(value);
    return `${object.name}.${f.name}=${f.caseSensitive ? v : v.toLowerCase()}`;
  }

  private uniqueErrors(
    object: ObjectDef,
    values: Record<string, Value>,
    self: string | null,
    pending: Pending,
  ): RecordError[] {
    const errors: RecordError[] = [];
    for (const f of object.fields) {
      if (!f.unique) continue;
      const value = values[f.name];
      if (value === undefined || value === null || value === '') continue;
      const key = this.uniqueKey(object, f, value);
      const claimed = pending.get(key);
      const indexed = this.uniqueIndex.get(key);
      const holder =
        claimed && claimed !== self ? claimed : indexed && indexed !== self ? indexed : undefined;
      if (holder) {
        errors.push({
          statusCode: 'DUPLICATE_VALUE',
          message: `duplicate value found: ${f.name} duplicates value on record with id: ${holder}`,
          fields: [],
        });
      }
    }
    return errors;
  }

  private claim(
    object: ObjectDef,
    values: Record<string, Value>,
    id: string,
    pending: Pending,
  ): void {
    for (const f of object.fields) {
      const value = values[f.name];
      if (f.unique && value !== undefined && value !== null && value !== '') {
        pending.set(this.uniqueKey(object, f, value), id);
      }
    }
  }
}

function notFound(): WriteError {
  return new WriteError([
    {
      statusCode: 'INVALID_CROSS_REFERENCE_KEY',
      message: 'invalid cross reference id',
      fields: [],
    },
  ]);
}

/** One input value as stored, or the per-record error it causes. */
function convertValue(f: FieldDef, raw: unknown): Value | RecordError {
  if (raw === null || raw === undefined) return null;
  const wrongType = (): RecordError => ({
    statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
    message: `${f.label}: value not of required type: ${String(raw)}`,
    fields: [f.name],
  });
  switch (f.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      return wrongType();
    case 'double':
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw)))
        return Number(raw);
      return wrongType();
    case 'datetime': {
      if (typeof raw === 'string') {
        const ms = parseDatetime(raw);
        if (!Number.isNaN(ms)) return ms;
      }
      return wrongType();
    }
    case 'date':
      if (typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(raw)) return raw;
      return wrongType();
    default: {
      if (typeof raw === 'object') return wrongType();
      const value = String(raw);
      if (value === '') return null;
      if (f.type === 'reference' || f.type === 'id') {
        const normal = normalizeId(value);
        if (!normal) {
          return {
            statusCode: 'MALFORMED_ID',
            message: `${f.label}: id value of incorrect type: ${value}`,
            fields: [f.name],
          };
        }
        return normal;
      }
      if (f.length && value.length > f.length) {
        return {
          statusCode: 'STRING_TOO_LONG',
          message: `${f.label}: data value too large: ${value.slice(0, 80)} (max length=${f.length})`,
          fields: [f.name],
        };
      }
      if (f.type === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
        return {
          statusCode: 'INVALID_EMAIL_ADDRESS',
          message: `${f.label}: invalid email address: ${value}`,
          fields: [f.name],
        };
      }
      if (
        f.type === 'picklist' &&
        f.restrictedPicklist &&
        !f.picklistValues.some((p) => p.active && p.value === value)
      ) {
        return {
          statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          message: `${f.label}: bad value for restricted picklist field: ${value}`,
          fields: [f.name],
        };
      }
      return value;
    }
  }
}
