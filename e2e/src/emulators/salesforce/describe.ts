// describeGlobal (`GET /sobjects`) and sObject Describe (`GET /sobjects/{T}/describe`) in the
// shapes of the REST API Developer Guide ("Describe Global", "sObject Describe":
// DescribeGlobalResult / DescribeSObjectResult / Field), including `recordTypeInfos`,
// `childRelationships` and, per field, externalId / idLookup / nillable / defaultedOnCreate /
// picklistValues / restrictedPicklist / referenceTo / relationshipName / compoundFieldName.
import type { FieldDef, ObjectDef } from './objects.js';

const SOAP_TYPES: Record<string, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  boolean: 'xsd:boolean',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
  double: 'xsd:double',
  address: 'urn:address',
};

function urls(object: ObjectDef, version: string) {
  const base = `/services/data/v${version}/sobjects/${object.name}`;
  return {
    sobject: base,
    describe: `${base}/describe`,
    rowTemplate: `${base}/{ID}`,
  };
}

function flags(object: ObjectDef) {
  return {
    activateable: false,
    createable: true,
    custom: object.custom,
    customSetting: false,
    deletable: true,
    deprecatedAndHidden: false,
    feedEnabled: false,
    hasSubtypes: false,
    isSubtype: false,
    keyPrefix: object.keyPrefix,
    label: object.label,
    labelPlural: object.labelPlural,
    layoutable: true,
    mergeable: true,
    mruEnabled: true,
    name: object.name,
    queryable: true,
    replicateable: true,
    retrieveable: true,
    searchable: true,
    triggerable: true,
    undeletable: true,
    updateable: true,
  };
}

export function describeGlobal(objects: ObjectDef[], version: string) {
  return {
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: objects.map((object) => ({ ...flags(object), urls: urls(object, version) })),
  };
}

function describeField(f: FieldDef) {
  return {
    aggregatable: f.type !== 'textarea' && f.type !== 'address',
    autoNumber: false,
    byteLength: f.length * 3,
    calculated: f.calculated,
    caseSensitive: f.caseSensitive,
    compoundFieldName: f.compoundFieldName,
    createable: f.createable,
    custom: f.custom,
    defaultValue: f.defaultValue ?? null,
    defaultedOnCreate: f.defaultedOnCreate,
    dependentPicklist: false,
    digits: 0,
    externalId: f.externalId,
    filterable: f.filterable,
    groupable: f.type !== 'textarea' && f.type !== 'address' && f.type !== 'datetime',
    htmlFormatted: false,
    idLookup: f.idLookup,
    label: f.label,
    length: f.length,
    name: f.name,
    nameField: f.name === 'Name',
    nillable: f.nillable,
    permissionable: f.nillable && f.createable,
    picklistValues: f.picklistValues.map((p) => ({ ...p, validFor: null })),
    polymorphicForeignKey: false,
    precision: 0,
    referenceTo: f.referenceTo,
    relationshipName: f.relationshipName,
    restrictedPicklist: f.restrictedPicklist,
    scale: 0,
    soapType: SOAP_TYPES[f.type] ?? 'xsd:string',
    sortable: f.sortable,
    type: f.type,
    unique: f.unique,
    updateable: f.updateable,
  };
}

export function describeObject(object: ObjectDef, all: ObjectDef[], version: string) {
  const childRelationships = all.flatMap((child) =>
    child.fields
      .filter((f) => f.referenceTo.includes(object.name) && f.name !== 'MasterRecordId')
      .map((f) => ({
        cascadeDelete: false,
        childSObject: child.name,
        deprecatedAndHidden: false,
        field: f.name,
        relationshipName: `${child.labelPlural.replace(/\s/g, '')}`,
        restrictedDelete: false,
      })),
  );
  const recordTypeInfos = object.recordTypes.map((rt) => ({
    active: true,
    available: rt.available,
    defaultRecordTypeMapping: rt.defaultRecordTypeMapping,
    developerName: rt.developerName,
    master: rt.master,
    name: rt.name,
    recordTypeId: rt.recordTypeId,
    urls: {
      layout: `/services/data/v${version}/sobjects/${object.name}/describe/layouts/${rt.recordTypeId}`,
    },
  }));
  return {
    ...flags(object),
    childRelationships,
    fields: object.fields.map(describeField),
    recordTypeInfos: recordTypeInfos.length
      ? recordTypeInfos
      : [
          {
            active: true,
            available: true,
            defaultRecordTypeMapping: true,
            developerName: 'Master',
            master: true,
            name: 'Master',
            recordTypeId: '012000000000000AAA',
            urls: {},
          },
        ],
    urls: urls(object, version),
  };
}
