// The emulated org's schema: Contact, Lead and Account with the standard fields a sync
// touches, the custom external-id field `UserSync_Id__c`, a picklist (LeadSource), a
// restricted picklist (Membership_Level__c, Lead.Status), compound address fields and record
// types. Field properties follow the describe shape of the REST API Developer Guide ("sObject
// Describe", DescribeFieldResult): required on create = createable && !nillable &&
// !defaultedOnCreate (Contact.LastName, Account.Name, Lead.LastName + Company).

export type FieldType =
  | 'id'
  | 'string'
  | 'email'
  | 'phone'
  | 'url'
  | 'textarea'
  | 'picklist'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'reference'
  | 'address'
  | 'double';

export interface PicklistValue {
  value: string;
  label: string;
  active: boolean;
  defaultValue: boolean;
}

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  length: number;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  defaultedOnCreate: boolean;
  externalId: boolean;
  idLookup: boolean;
  unique: boolean;
  caseSensitive: boolean;
  calculated: boolean;
  custom: boolean;
  filterable: boolean;
  sortable: boolean;
  picklistValues: PicklistValue[];
  restrictedPicklist: boolean;
  referenceTo: string[];
  relationshipName: string | null;
  compoundFieldName: string | null;
  /** For an address field: its component fields by component (street, city, …). */
  components?: Record<string, string>;
  /** Default on create, when `defaultedOnCreate`. */
  defaultValue?: string | boolean | null;
}

export interface RecordTypeDef {
  recordTypeId: string;
  name: string;
  developerName: string;
  master: boolean;
  available: boolean;
  defaultRecordTypeMapping: boolean;
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  fields: FieldDef[];
  recordTypes: RecordTypeDef[];
}

type FieldSpec = Partial<FieldDef> & { name: string; type: FieldType };

function field(spec: FieldSpec): FieldDef {
  const system = spec.type === 'id';
  return {
    label: spec.name.replace(/__c$/, '').replace(/_/g, ' '),
    length: ['string', 'email', 'phone', 'url', 'picklist'].includes(spec.type)
      ? spec.type === 'phone'
        ? 40
        : spec.type === 'email'
          ? 80
          : 255
      : spec.type === 'id' || spec.type === 'reference'
        ? 18
        : 0,
    createable: !system,
    updateable: !system,
    nillable: !system,
    defaultedOnCreate: system,
    externalId: false,
    idLookup: system,
    unique: false,
    caseSensitive: false,
    calculated: false,
    custom: spec.name.endsWith('__c'),
    filterable: spec.type !== 'address' && spec.type !== 'textarea',
    sortable: spec.type !== 'address' && spec.type !== 'textarea',
    picklistValues: [],
    restrictedPicklist: false,
    referenceTo: [],
    relationshipName: null,
    compoundFieldName: null,
    ...spec,
  };
}

const readOnly = { createable: false, updateable: false, defaultedOnCreate: true } as const;

function picklist(values: string[], defaultValue?: string): PicklistValue[] {
  return values.map((value) => ({
    value,
    label: value,
    active: true,
    defaultValue: value === defaultValue,
  }));
}

function systemFields(type: string): FieldDef[] {
  return [
    field({ name: 'Id', type: 'id', label: `${type} ID` }),
    field({
      name: 'IsDeleted',
      type: 'boolean',
      label: 'Deleted',
      nillable: false,
      ...readOnly,
    }),
    field({
      name: 'MasterRecordId',
      type: 'reference',
      label: `Master Record ID`,
      referenceTo: [type],
      relationshipName: 'MasterRecord',
      ...readOnly,
    }),
    field({
      name: 'OwnerId',
      type: 'reference',
      label: 'Owner ID',
      referenceTo: ['User'],
      relationshipName: 'Owner',
      nillable: false,
      defaultedOnCreate: true,
    }),
    field({ name: 'CreatedDate', type: 'datetime', nillable: false, ...readOnly }),
    field({
      name: 'CreatedById',
      type: 'reference',
      referenceTo: ['User'],
      relationshipName: 'CreatedBy',
      nillable: false,
      ...readOnly,
    }),
    field({ name: 'LastModifiedDate', type: 'datetime', nillable: false, ...readOnly }),
    field({
      name: 'LastModifiedById',
      type: 'reference',
      referenceTo: ['User'],
      relationshipName: 'LastModifiedBy',
      nillable: false,
      ...readOnly,
    }),
    field({ name: 'SystemModstamp', type: 'datetime', nillable: false, ...readOnly }),
  ];
}

function address(prefix: string, label: string): FieldDef[] {
  const compoundFieldName = `${prefix}Address`;
  const parts: [string, string, number][] = [
    ['street', `${prefix}Street`, 255],
    ['city', `${prefix}City`, 40],
    ['state', `${prefix}State`, 80],
    ['postalCode', `${prefix}PostalCode`, 20],
    ['country', `${prefix}Country`, 80],
  ];
  return [
    ...parts.map(([, name, length]) =>
      field({
        name,
        type: name.endsWith('Street') ? 'textarea' : 'string',
        length,
        compoundFieldName,
        filterable: true,
        sortable: !name.endsWith('Street'),
      }),
    ),
    field({
      name: compoundFieldName,
      type: 'address',
      label,
      createable: false,
      updateable: false,
      components: Object.fromEntries(parts.map(([component, name]) => [component, name])),
    }),
  ];
}

const recordTypes = (prefix: string): RecordTypeDef[] => [
  {
    recordTypeId: `012${prefix}00000000001AAQ`.slice(0, 18),
    name: 'Customer',
    developerName: 'Customer',
    master: false,
    available: true,
    defaultRecordTypeMapping: true,
  },
  {
    recordTypeId: `012${prefix}00000000002AAQ`.slice(0, 18),
    name: 'Partner',
    developerName: 'Partner',
    master: false,
    available: true,
    defaultRecordTypeMapping: false,
  },
  {
    recordTypeId: '012000000000000AAA',
    name: 'Master',
    developerName: 'Master',
    master: true,
    available: true,
    defaultRecordTypeMapping: false,
  },
];

const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
const LEVELS = ['Bronze', 'Silver', 'Gold'];

function recordTypeField(): FieldDef {
  return field({
    name: 'RecordTypeId',
    type: 'reference',
    label: 'Record Type ID',
    referenceTo: ['RecordType'],
    relationshipName: 'RecordType',
    defaultedOnCreate: true,
  });
}

function person(): FieldDef[] {
  return [
    field({ name: 'LastName', type: 'string', length: 80, nillable: false }),
    field({ name: 'FirstName', type: 'string', length: 40 }),
    field({
      name: 'Salutation',
      type: 'picklist',
      picklistValues: picklist(['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.']),
    }),
    field({
      name: 'Name',
      type: 'string',
      label: 'Full Name',
      length: 121,
      createable: false,
      updateable: false,
      nillable: false,
      calculated: false,
      defaultedOnCreate: true,
    }),
    field({ name: 'Email', type: 'email', idLookup: true }),
    field({ name: 'Phone', type: 'phone' }),
    field({ name: 'MobilePhone', type: 'phone' }),
    field({ name: 'Title', type: 'string', length: 128 }),
    field({
      name: 'LeadSource',
      type: 'picklist',
      label: 'Lead Source',
      picklistValues: picklist(LEAD_SOURCES),
    }),
    field({
      name: 'HasOptedOutOfEmail',
      type: 'boolean',
      label: 'Email Opt Out',
      nillable: false,
      defaultedOnCreate: true,
      defaultValue: false,
    }),
    field({ name: 'Description', type: 'textarea', length: 32000 }),
    field({
      name: 'UserSync_Id__c',
      type: 'string',
      label: 'UserSync Id',
      length: 255,
      externalId: true,
      idLookup: true,
      unique: true,
    }),
    field({
      name: 'Membership_Level__c',
      type: 'picklist',
      label: 'Membership Level',
      picklistValues: picklist(LEVELS),
      restrictedPicklist: true,
    }),
    recordTypeField(),
  ];
}

export function standardObjects(): ObjectDef[] {
  const contact: ObjectDef = {
    name: 'Contact',
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: '003',
    custom: false,
    recordTypes: recordTypes('5g'),
    fields: [
      ...systemFields('Contact'),
      field({
        name: 'AccountId',
        type: 'reference',
        label: 'Account ID',
        referenceTo: ['Account'],
        relationshipName: 'Account',
      }),
      ...person(),
      field({ name: 'Department', type: 'string', length: 80 }),
      field({ name: 'Birthdate', type: 'date' }),
      ...address('Mailing', 'Mailing Address'),
    ],
  };
  const lead: ObjectDef = {
    name: 'Lead',
    label: 'Lead',
    labelPlural: 'Leads',
    keyPrefix: '00Q',
    custom: false,
    recordTypes: recordTypes('5h'),
    fields: [
      ...systemFields('Lead'),
      ...person(),
      field({ name: 'Company', type: 'string', length: 255, nillable: false }),
      field({
        name: 'Status',
        type: 'picklist',
        label: 'Lead Status',
        nillable: false,
        defaultedOnCreate: true,
        defaultValue: 'Open - Not Contacted',
        restrictedPicklist: true,
        picklistValues: picklist(
          [
            'Open - Not Contacted',
            'Working - Contacted',
            'Closed - Converted',
            'Closed - Not Converted',
          ],
          'Open - Not Contacted',
        ),
      }),
      field({
        name: 'IsConverted',
        type: 'boolean',
        label: 'Converted',
        nillable: false,
        defaultedOnCreate: true,
        defaultValue: false,
        createable: true,
        updateable: false,
      }),
      ...address('', 'Address'),
    ],
  };
  const account: ObjectDef = {
    name: 'Account',
    label: 'Account',
    labelPlural: 'Accounts',
    keyPrefix: '001',
    custom: false,
    recordTypes: [],
    fields: [
      ...systemFields('Account'),
      field({ name: 'Name', type: 'string', label: 'Account Name', nillable: false }),
      field({ name: 'Phone', type: 'phone' }),
      field({ name: 'Website', type: 'url' }),
      field({
        name: 'Industry',
        type: 'picklist',
        picklistValues: picklist(['Education', 'Finance', 'Media', 'Technology', 'Other']),
      }),
      field({ name: 'Description', type: 'textarea', length: 32000 }),
      field({
        name: 'UserSync_Id__c',
        type: 'string',
        label: 'UserSync Id',
        externalId: true,
        idLookup: true,
        unique: true,
      }),
      ...address('Billing', 'Billing Address'),
    ],
  };
  return [account, contact, lead];
}
