/**
 * Internal dependencies
 */
import type { SalesforceFieldInfo } from '../../../api';
import type { FieldRowValues } from '../../salesforce-field-map/types';
import { loginUrlProblem, missingRequiredFields, validateSalesforceConnection } from '../validate';
import { initialValues, normalizePem, parseValueMap } from '../values';
import type { SalesforceFormValues } from '../types';

const values = (overrides: Partial<SalesforceFormValues> = {}): SalesforceFormValues => ({
  ...initialValues(),
  name: 'Acme',
  loginUrl: 'https://acme.my.salesforce.com',
  clientId: '3MVG9acme',
  clientSecret: 'secret',
  ...overrides,
});

const row = (overrides: Partial<FieldRowValues>): FieldRowValues => ({
  wp: 'user_email',
  sf: 'Email',
  direction: 'both',
  transform: 'none',
  default: '',
  template: '',
  valueMap: '',
  nulls: 'propagate',
  ...overrides,
});

const required = (name: string): SalesforceFieldInfo => ({
  name,
  label: name,
  type: 'string',
  length: 80,
  createable: true,
  updateable: true,
  nillable: false,
  defaultedOnCreate: false,
  externalId: false,
  idLookup: false,
  requiredOnCreate: true,
  picklistValues: [],
});

describe('loginUrlProblem', () => {
  it.each([
    ['a My Domain URL', 'https://acme.my.salesforce.com', 'client_credentials', false],
    ['a My Domain URL with a trailing slash', 'https://acme.my.salesforce.com/', 'jwt', false],
    ['login.salesforce.com for JWT bearer', 'https://login.salesforce.com', 'jwt', false],
    [
      'test.salesforce.com for a refresh token',
      'https://test.salesforce.com',
      'refresh_token',
      false,
    ],
    ['an emulator on loopback over http', 'http://127.0.0.1:8791', 'client_credentials', false],
    [
      'login.salesforce.com for client credentials',
      'https://login.salesforce.com',
      'client_credentials',
      true,
    ],
    ['http to a real host', 'http://acme.my.salesforce.com', 'jwt', true],
    ['a path', 'https://acme.my.salesforce.com/services/oauth2/token', 'jwt', true],
    ['a query', 'https://acme.my.salesforce.com?x=1', 'jwt', true],
    ['not a URL', 'acme', 'jwt', true],
  ] as const)('%s', (_, url, flow, refused) => {
    expect(loginUrlProblem(url, flow) !== null).toBe(refused);
  });
});

describe('validateSalesforceConnection', () => {
  it('accepts the starter map of a new connection', () => {
    expect(validateSalesforceConnection(values(), undefined, undefined)).toEqual({});
  });

  it('asks each flow for its own secrets', () => {
    expect(
      Object.keys(validateSalesforceConnection(values({ clientSecret: '' }), undefined, undefined)),
    ).toEqual(['clientSecret']);
    const jwt = validateSalesforceConnection(
      values({ flow: 'jwt', loginUrl: 'https://login.salesforce.com' }),
      undefined,
      undefined,
    );
    expect(Object.keys(jwt).sort()).toEqual(['privateKey', 'username']);
    expect(
      Object.keys(
        validateSalesforceConnection(values({ flow: 'refresh_token' }), undefined, undefined),
      ),
    ).toEqual(['refreshToken']);
  });

  it('names each row problem by the path the plugin uses', () => {
    const errors = validateSalesforceConnection(
      values({
        fields: [
          row({}),
          row({ wp: 'meta:wp_capabilities', sf: 'Role__c' }),
          row({ wp: 'user_email', sf: 'Email Address' }),
          row({ wp: 'display_name', sf: 'Name', transform: 'template', template: 'no braces' }),
        ],
      }),
      undefined,
      undefined,
    );
    expect(errors['objectMaps[0][fields][1][wp]']).toMatch(/cannot be written by a sync/);
    expect(errors['objectMaps[0][fields][2][wp]']).toMatch(
      /Already filled from Salesforce by row 1/,
    );
    expect(errors['objectMaps[0][fields][2][sf]']).toMatch(/API name/);
    expect(errors['objectMaps[0][fields][3][template]']).toMatch(/template such as/);
  });

  it('refuses a filter with ";" and a map without rows', () => {
    const errors = validateSalesforceConnection(
      values({ filter: "Name = 'x'; DELETE", fields: [] }),
      undefined,
      undefined,
    );
    expect(errors['objectMaps[0][filter]']).toBeDefined();
    expect(errors['objectMaps[0][fields]']).toBe('Map at least one field.');
  });

  it('refuses a save while a required field is unmapped, only when WordPress creates records', () => {
    const described = [required('LastName'), required('Company')];
    const withLastName = values({
      fields: [row({}), row({ wp: 'last_name', sf: 'LastName', direction: 'outbound' })],
    });
    expect(
      validateSalesforceConnection(withLastName, undefined, described)['objectMaps[0][fields]'],
    ).toMatch(/needs Company \(Company\)/);
    expect(
      validateSalesforceConnection({ ...withLastName, createPush: false }, undefined, described),
    ).toEqual({});
  });
});

describe('missingRequiredFields', () => {
  it('counts outbound and both-ways rows, not inbound ones', () => {
    const described = [required('LastName'), required('Company'), required('Email')];
    const rows = [
      row({ sf: 'email', direction: 'both' }),
      row({ wp: 'last_name', sf: 'LastName', direction: 'inbound', default: 'Unknown' }),
      row({ wp: 'meta:company', sf: 'Company', direction: 'outbound' }),
    ];
    expect(missingRequiredFields(rows, described).map((field) => field.name)).toEqual(['LastName']);
    expect(missingRequiredFields(rows, undefined)).toEqual([]);
  });
});

describe('values', () => {
  it('puts back the line breaks a password input drops from a PEM key', () => {
    const pem = normalizePem(
      `-----BEGIN PRIVATE KEY-----${'B'.repeat(70)}-----END PRIVATE KEY-----`,
    );
    expect(pem).toBe(
      `-----BEGIN PRIVATE KEY-----\n${'B'.repeat(64)}\nBBBBBB\n-----END PRIVATE KEY-----\n`,
    );
    expect(normalizePem('not a key')).toBe('not a key');
  });

  it('reads a picklist map typed as pairs', () => {
    expect(parseValueMap('gold=Gold, silver = Silver\nbronze=')).toEqual({
      gold: 'Gold',
      silver: 'Silver',
      bronze: '',
    });
    expect(parseValueMap('  ')).toBeNull();
  });
});
