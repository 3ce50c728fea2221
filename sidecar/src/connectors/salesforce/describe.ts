// Salesforce describe results (`GET /sobjects`, `GET /sobjects/{T}/describe`): the shapes the
// connector reads, a per-connection cache, and the rules derived from a describe
// (required-on-create, which fields a direction may write).
import { z } from 'zod';

/** One entry of describeGlobal's `sobjects`. */
export const describeGlobalObjectSchema = z.looseObject({
  name: z.string(),
  label: z.string().default(''),
  custom: z.boolean().default(false),
  queryable: z.boolean().default(false),
  createable: z.boolean().default(false),
  updateable: z.boolean().default(false),
  deletable: z.boolean().default(false),
  keyPrefix: z.string().nullable().default(null),
});

export type DescribeGlobalObject = z.output<typeof describeGlobalObjectSchema>;

export const describeGlobalSchema = z.looseObject({
  sobjects: z.array(describeGlobalObjectSchema),
});

const picklistValueSchema = z.looseObject({
  value: z.string(),
  label: z.string().nullable().default(null),
  active: z.boolean().default(true),
  defaultValue: z.boolean().default(false),
});

export const describeFieldSchema = z.looseObject({
  name: z.string(),
  label: z.string().default(''),
  type: z.string(),
  length: z.number().default(0),
  createable: z.boolean().default(false),
  updateable: z.boolean().default(false),
  nillable: z.boolean().default(true),
  defaultedOnCreate: z.boolean().default(false),
  externalId: z.boolean().default(false),
  idLookup: z.boolean().default(false),
  unique: z.boolean().default(false),
  calculated: z.boolean().default(false),
  compoundFieldName: z.string().nullable().default(null),
  picklistValues: z.array(picklistValueSchema).nullable().default([]),
  restrictedPicklist: z.boolean().default(false),
  referenceTo: z.array(z.string()).nullable().default([]),
  soapType: z.string().nullable().default(null),
});

export type DescribeField = z.output<typeof describeFieldSchema>;

const recordTypeInfoSchema = z.looseObject({
  recordTypeId: z.string().nullable().default(null),
  name: z.string().default(''),
  master: z.boolean().default(false),
  available: z.boolean().default(true),
  defaultRecordTypeMapping: z.boolean().default(false),
});

export const objectDescribeSchema = z.looseObject({
  name: z.string(),
  label: z.string().default(''),
  keyPrefix: z.string().nullable().default(null),
  queryable: z.boolean().default(false),
  createable: z.boolean().default(false),
  updateable: z.boolean().default(false),
  deletable: z.boolean().default(false),
  fields: z.array(describeFieldSchema),
  recordTypeInfos: z.array(recordTypeInfoSchema).nullable().default([]),
});

export type ObjectDescribe = z.output<typeof objectDescribeSchema>;

/**
 * Required on create: the record cannot be created without a value (Contact.LastName,
 * Account.Name, Lead.LastName and Company).
 */
export function requiredOnCreate(field: DescribeField): boolean {
  return field.createable && !field.nillable && !field.defaultedOnCreate;
}

/** The describe of a field by API name (case-insensitive, as SOQL is). */
export function findField(describe: ObjectDescribe, name: string): DescribeField | undefined {
  const wanted = name.toLowerCase();
  return describe.fields.find((field) => field.name.toLowerCase() === wanted);
}

/**
 * The field a (possibly dotted) field path reads: `MailingAddress.city` is a part of the
 * compound field `MailingAddress`, whose parts are also plain fields (`MailingCity`); the
 * describe of the compound field is returned with the part name.
 */
export function resolveFieldPath(
  describe: ObjectDescribe,
  path: string,
): { field: DescribeField; part: string | null } | undefined {
  const [head, part] = path.split('.', 2) as [string, string | undefined];
  const field = findField(describe, head);
  if (!field) return undefined;
  return { field, part: part ?? null };
}

/** The shape the sidecar's object route answers with (sf-contract.md). */
export function describeForAdmin(describe: ObjectDescribe) {
  return {
    name: describe.name,
    label: describe.label,
    fields: describe.fields.map((field) => ({
      name: field.name,
      label: field.label,
      type: field.type,
      length: field.length,
      createable: field.createable,
      updateable: field.updateable,
      nillable: field.nillable,
      defaultedOnCreate: field.defaultedOnCreate,
      externalId: field.externalId,
      idLookup: field.idLookup,
      requiredOnCreate: requiredOnCreate(field),
      picklistValues: (field.picklistValues ?? []).map((value) => ({
        value: value.value,
        label: value.label ?? value.value,
        active: value.active,
      })),
    })),
    recordTypes: (describe.recordTypeInfos ?? [])
      .filter((info) => info.recordTypeId && !info.master && info.available)
      .map((info) => ({
        id: info.recordTypeId!,
        name: info.name,
        default: info.defaultRecordTypeMapping,
      })),
  };
}

/**
 * Describes by object name, each fetched once per cache (one per client, i.e. per run or
 * per admin request): a describe is large and the same for the whole run. Concurrent asks
 * for one object share one request.
 */
export class DescribeCache {
  private readonly entries = new Map<string, Promise<ObjectDescribe>>();

  constructor(private readonly load: (object: string) => Promise<ObjectDescribe>) {}

  get(object: string): Promise<ObjectDescribe> {
    const key = object.toLowerCase();
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.load(object);
      // A failed describe is asked again next time (the admin may fix the permission).
      entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
    }
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }
}
