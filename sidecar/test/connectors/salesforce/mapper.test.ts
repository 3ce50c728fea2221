// Salesforce records ↔ canonical users: conversion by describe type, compound fields, the
// object map's rows as the engine's attribute map (and what the engine then writes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectDescribe } from '../../../src/connectors/salesforce/describe.js';
import {
  objectDescribeSchema,
  requiredOnCreate,
} from '../../../src/connectors/salesforce/describe.js';
import {
  DERIVED,
  fieldPlan,
  fromSalesforceValue,
  selectFields,
  toCanonicalUser,
  toId18,
  toSalesforceValue,
  writableField,
} from '../../../src/connectors/salesforce/mapper.js';
import { parseSalesforceSettings } from '../../../src/connectors/salesforce/settings.js';
import type { SalesforceFieldRow } from '../../../src/connectors/salesforce/settings.js';
import { mapUser } from '../../../src/engine/mapping.js';

const field = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  createable: true,
  updateable: true,
  nillable: true,
  ...extra,
});

const contact: ObjectDescribe = objectDescribeSchema.parse({
  name: 'Contact',
  label: 'Contact',
  queryable: true,
  createable: true,
  updateable: true,
  fields: [
    field('Id', 'id', {
      createable: false,
      updateable: false,
      nillable: false,
      defaultedOnCreate: true,
    }),
    field('Email', 'email', { idLookup: true }),
    field('FirstName', 'string'),
    field('LastName', 'string', { nillable: false }),
    field('Phone', 'phone'),
    field('HasOptedOutOfEmail', 'boolean', { nillable: false, defaultedOnCreate: true }),
    field('Birthdate', 'date'),
    field('Last_Seen__c', 'datetime'),
    field('Score__c', 'double'),
    field('Visits__c', 'int'),
    field('LeadSource', 'picklist'),
    field('Interests__c', 'multipicklist'),
    field('MailingAddress', 'address', { createable: false, updateable: false }),
    field('MailingCity', 'string', { compoundFieldName: 'MailingAddress' }),
    field('MailingPostalCode', 'string', { compoundFieldName: 'MailingAddress' }),
    field('OwnerId', 'reference', { nillable: false, defaultedOnCreate: true }),
    field('SystemModstamp', 'datetime', { createable: false, updateable: false, nillable: false }),
  ],
});

const row = (wp: string, sf: string, extra: Partial<SalesforceFieldRow> = {}) => ({
  wp,
  sf,
  direction: 'both' as const,
  ...extra,
});

function settingsWith(fields: ReturnType<typeof row>[], maps = 1) {
  return parseSalesforceSettings({
    clientId: 'id',
    clientSecret: 'secret',
    objectMaps: Array.from({ length: maps }, (_, i) => ({
      id: `map-${i}`,
      sfObject: 'Contact',
      fields,
    })),
  });
}

const record = {
  attributes: { type: 'Contact', url: '/services/data/v62.0/sobjects/Contact/003xx' },
  Id: '003000000000001AAA',
  Email: 'Ada@Example.com',
  FirstName: 'Ada',
  LastName: 'Lovelace',
  Phone: null,
  HasOptedOutOfEmail: true,
  Birthdate: '1815-12-10',
  Last_Seen__c: '2024-05-01T12:30:00.000+0200',
  Score__c: 4.5,
  Visits__c: 3,
  LeadSource: 'Web',
  Interests__c: 'Math;Poetry',
  MailingAddress: { city: 'London', postalCode: 'W1', street: null },
  SystemModstamp: '2024-05-01T10:00:00.000+0000',
};

describe('Salesforce values', () => {
  it('converts by describe type: booleans, numbers, dates, UTC datetimes, picklists', () => {
    const f = (name: string) => contact.fields.find((x) => x.name === name);
    assert.equal(fromSalesforceValue(f('HasOptedOutOfEmail'), true), true);
    assert.equal(fromSalesforceValue(f('Visits__c'), 3.0), 3);
    assert.equal(fromSalesforceValue(f('Score__c'), '4.5'), 4.5);
    assert.equal(fromSalesforceValue(f('Birthdate'), '1815-12-10'), '1815-12-10');
    assert.equal(
      fromSalesforceValue(f('Last_Seen__c'), '2024-05-01T12:30:00.000+0200'),
      '2024-05-01T10:30:00.000Z',
    );
    assert.equal(fromSalesforceValue(f('Interests__c'), 'Math;Poetry'), 'Math;Poetry');
    assert.deepEqual(fromSalesforceValue(f('MailingAddress'), { city: 'London' }), {
      city: 'London',
    });
  });

  it('converts WordPress values for Salesforce, refusing what a field cannot hold', () => {
    const f = (name: string) => contact.fields.find((x) => x.name === name);
    const plain = { transform: 'none' as const, valueMap: null, default: null };
    assert.equal(toSalesforceValue(f('HasOptedOutOfEmail'), '1', plain), true);
    assert.equal(toSalesforceValue(f('HasOptedOutOfEmail'), 'no', plain), false);
    assert.throws(
      () => toSalesforceValue(f('HasOptedOutOfEmail'), 'maybe', plain),
      /true or false/,
    );
    assert.equal(toSalesforceValue(f('Visits__c'), '12', plain), 12);
    assert.throws(() => toSalesforceValue(f('Visits__c'), '1.5', plain), /whole number/);
    assert.equal(
      toSalesforceValue(f('Last_Seen__c'), '2024-05-01T12:30:00+02:00', plain),
      '2024-05-01T10:30:00.000Z',
    );
    assert.equal(toSalesforceValue(f('Interests__c'), 'Math, Poetry', plain), 'Math;Poetry');
    assert.equal(toSalesforceValue(f('Phone'), '', plain), null);
    assert.equal(toSalesforceValue(f('Phone'), '', { ...plain, default: '000' }), '000');
    assert.equal(
      toSalesforceValue(f('LeadSource'), 'website', {
        transform: 'picklist-map',
        valueMap: { website: 'Web' },
        default: null,
      }),
      'Web',
    );
  });

  it('writes compound parts through their component field', () => {
    assert.equal(writableField(contact, 'MailingAddress.city')?.name, 'MailingCity');
    assert.equal(writableField(contact, 'MailingAddress.postalCode')?.name, 'MailingPostalCode');
    assert.equal(writableField(contact, 'Email')?.name, 'Email');
    assert.equal(writableField(contact, 'Nope'), undefined);
  });

  it('knows which fields a create needs', () => {
    assert.deepEqual(
      contact.fields.filter(requiredOnCreate).map((f) => f.name),
      ['LastName'],
    );
  });

  it('gives 18-character Ids', () => {
    assert.equal(toId18('001A0000006Vm9r'), '001A0000006Vm9rIAC');
    assert.equal(toId18('003000000000001AAA'), '003000000000001AAA');
  });
});

describe('Salesforce records as WordPress users', () => {
  it('maps a record through the object map rows the engine applies', () => {
    const settings = settingsWith([
      row('user_email', 'Email', { transform: 'lowercase' }),
      row('user_login', 'Email', { direction: 'inbound', transform: 'lowercase' }),
      row('first_name', 'FirstName'),
      row('last_name', 'LastName'),
      row('meta:city', 'MailingAddress.city'),
      row('meta:phone', 'Phone'),
      row('meta:source', 'LeadSource', {
        transform: 'picklist-map',
        valueMap: { website: 'Web', phone: 'Phone Inquiry' },
      }),
      row('meta:opted_out', 'HasOptedOutOfEmail', { transform: 'boolean' }),
      row('meta:seen', 'Last_Seen__c', { transform: 'date' }),
      row('display_name', '', { transform: 'template', template: '{FirstName} {LastName}' }),
      row('meta:push_only', 'Score__c', { direction: 'outbound' }),
    ]);
    const plan = fieldPlan(settings.objectMaps);
    const map = settings.objectMaps[0]!;
    // Rows the engine reads as they are keep the Salesforce path as their source.
    assert.deepEqual(
      plan.attributeMap
        .filter((r) => !r.source.startsWith(DERIVED))
        .map((r) => [r.source, r.target, r.transform]),
      [
        ['Email', 'user_email', 'lowercase'],
        ['Email', 'user_login', 'lowercase'],
        ['FirstName', 'first_name', 'none'],
        ['LastName', 'last_name', 'none'],
        ['MailingAddress.city', 'meta:city', 'none'],
        ['Phone', 'meta:phone', 'none'],
        ['', 'display_name', 'template'],
        ['Score__c', 'meta:push_only', 'none'],
      ],
    );
    const user = toCanonicalUser(record, map, contact, plan);
    assert.equal(user.externalId, '003000000000001AAA');
    assert.equal(user.active, true);
    assert.equal(user.attributes.attributes, undefined, 'no Salesforce attributes block');
    assert.equal((user.attributes.MailingAddress as { city: string }).city, 'London');
    // The SCIM view the contract of connectors/types.ts promises.
    assert.equal(user.attributes.userName, 'ada@example.com');
    assert.deepEqual(user.attributes.name, { givenName: 'Ada', familyName: 'Lovelace' });

    const mapped = mapUser(
      user,
      plan.attributeMap.filter((r) => r.direction !== 'outbound'),
    );
    assert.equal(mapped.fields.login, 'ada@example.com');
    assert.equal(mapped.fields.email, 'ada@example.com');
    assert.equal(mapped.fields.displayName, 'Ada Lovelace');
    assert.deepEqual(mapped.fields.meta, {
      city: 'London',
      opted_out: '1',
      phone: null,
      seen: '2024-05-01',
      source: 'website',
    });
  });

  it('lets a mapped field say the user is inactive', () => {
    const settings = settingsWith([
      row('user_login', 'Email', { direction: 'inbound' }),
      row('active', 'HasOptedOutOfEmail', { direction: 'inbound' }),
    ]);
    const plan = fieldPlan(settings.objectMaps);
    assert.equal(
      plan.attributeMap.some((r) => r.target === 'active'),
      false,
    );
    const map = settings.objectMaps[0]!;
    assert.equal(
      toCanonicalUser({ ...record, HasOptedOutOfEmail: false }, map, contact, plan).active,
      false,
    );
    assert.equal(toCanonicalUser(record, map, contact, plan).active, true);
  });

  it('reads a target two object maps map differently from the record’s own map', () => {
    const settings = parseSalesforceSettings({
      clientId: 'id',
      clientSecret: 's',
      objectMaps: [
        {
          id: 'contacts',
          sfObject: 'Contact',
          fields: [row('user_login', 'Email'), row('meta:city', 'MailingAddress.city')],
        },
        {
          id: 'leads',
          sfObject: 'Lead',
          fields: [row('user_login', 'Email'), row('meta:city', 'City')],
        },
      ],
    });
    const plan = fieldPlan(settings.objectMaps);
    assert.deepEqual(
      plan.attributeMap.map((r) => [r.source, r.target]),
      [
        ['Email', 'user_login'],
        [`${DERIVED}.r0`, 'meta:city'],
      ],
    );
    const lead = objectDescribeSchema.parse({
      name: 'Lead',
      fields: [field('Id', 'id'), field('Email', 'email'), field('City', 'string')],
    });
    const fromLead = toCanonicalUser(
      { Id: '00Q000000000001AAA', Email: 'l@example.com', City: 'Paris' },
      settings.objectMaps[1]!,
      lead,
      plan,
    );
    const fromContact = toCanonicalUser(record, settings.objectMaps[0]!, contact, plan);
    assert.deepEqual(mapUser(fromLead, plan.attributeMap).fields.meta, { city: 'Paris' });
    assert.deepEqual(mapUser(fromContact, plan.attributeMap).fields.meta, { city: 'London' });
  });

  it('selects Id, SystemModstamp and what inbound rows read (compound fields whole)', () => {
    const settings = settingsWith([
      row('user_login', 'Email'),
      row('meta:city', 'MailingAddress.city'),
      row('display_name', '', { transform: 'template', template: '{FirstName} {Account.Name}' }),
      row('meta:out', 'Score__c', { direction: 'outbound' }),
    ]);
    assert.deepEqual(selectFields(settings.objectMaps[0]!, contact), [
      'Id',
      'SystemModstamp',
      'Email',
      'MailingAddress',
      'FirstName',
      'Account.Name',
    ]);
  });
});

describe('Salesforce settings', () => {
  it('fills the contract defaults and names every problem', () => {
    const settings = parseSalesforceSettings({ clientId: 'c', clientSecret: 's' });
    assert.equal(settings.loginUrl, 'https://login.salesforce.com');
    assert.equal(settings.flow, 'client_credentials');
    assert.equal(settings.apiBudgetShare, 0.8);
    assert.equal(settings.callOptionsClient, 'usersync');
    assert.throws(
      () =>
        parseSalesforceSettings({
          clientId: 'c',
          flow: 'jwt',
          objectMaps: [{ id: 'Bad Id', sfObject: 'Contact' }],
        }),
      (error: Error) =>
        /privateKey is required for the jwt flow/.test(error.message) &&
        /username is required/.test(error.message) &&
        /objectMaps\.0\.id/.test(error.message),
    );
  });
});
