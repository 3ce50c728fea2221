// The Salesforce emulator's contract, checked with plain HTTP: OAuth flows and their errors,
// versions, describe, records and upsert, SOQL query/queryAll paging (5,000 records sharing
// one SystemModstamp walked by a keyset query), sObject Collections with allOrNone, API
// limits and faults — the shapes a Salesforce client relies on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startSalesforceEmulator } from '../src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../src/emulators/salesforce/index.js';

const V = '62.0';
let emulator: SalesforceEmulator;
let token: string;

before(async () => {
  emulator = await startSalesforceEmulator({
    genericLoginHost: 'localhost',
    seed: 'contract',
    cometd: { timeoutMs: 300 },
  });
  token = (await tokenFor({ grant_type: 'client_credentials' })).body.access_token as string;
});
after(() => emulator.close());

interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

async function tokenFor(
  params: Record<string, string>,
  base = emulator.url,
): Promise<Answer<Record<string, unknown>>> {
  const response = await fetch(`${base}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
      ...params,
    }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function api<T = unknown>(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string } = {},
): Promise<Answer<T>> {
  const url = path.startsWith('http')
    ? path
    : `${emulator.url}${path.startsWith('/services') ? path : `/services/data/v${V}${path}`}`;
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      Authorization: `Bearer ${init.token ?? token}`,
      ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : null) as T,
  };
}

const q = (soql: string) => `/query?q=${encodeURIComponent(soql)}`;
const qa = (soql: string) => `/queryAll?q=${encodeURIComponent(soql)}`;

interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Record<string, unknown>[];
}
type Errors = { message: string; errorCode: string; fields?: string[] }[];
type Results = {
  id?: string;
  success: boolean;
  created?: boolean;
  errors: { statusCode: string; message: string; fields: string[] }[];
}[];

describe('OAuth', () => {
  test('client credentials on the org host: token answer without expires_in, instance_url to follow', async () => {
    const answer = await tokenFor({ grant_type: 'client_credentials' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.instance_url, emulator.url);
    assert.equal(answer.body.token_type, 'Bearer');
    assert.match(String(answer.body.id), /\/id\/00D\w{15}\/005\w{15}$/);
    assert.match(String(answer.body.issued_at), /^\d{13}$/);
    assert.equal('expires_in' in answer.body, false);
    assert.equal('refresh_token' in answer.body, false);
  });

  test('client credentials on the generic login host are refused', async () => {
    const answer = await tokenFor(
      { grant_type: 'client_credentials' },
      emulator.url.replace('127.0.0.1', 'localhost'),
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, {
      error: 'invalid_grant',
      error_description: 'request not supported on this domain',
    });
  });

  test('a wrong secret or client id is refused', async () => {
    const secret = await tokenFor({ grant_type: 'client_credentials', client_secret: 'nope' });
    assert.equal(secret.status, 400);
    assert.equal(secret.body.error, 'invalid_client');
    const client = await tokenFor({ grant_type: 'client_credentials', client_id: 'nope' });
    assert.equal(client.body.error, 'invalid_client_id');
    assert.equal(client.body.error_description, 'client identifier invalid');
  });

  test('JWT bearer: a signed assertion signs in; audience, expiry, signature and user are checked', async () => {
    const grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
    const ok = await tokenFor({ grant_type: grant, assertion: emulator.assertion() });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const live = await api('/limits', { token: String(ok.body.access_token) });
    assert.equal(live.status, 200);

    const audience = await tokenFor({
      grant_type: grant,
      assertion: emulator.assertion({ aud: 'https://elsewhere.example' }),
    });
    assert.deepEqual(audience.body, {
      error: 'invalid_grant',
      error_description: 'Audience validation failed',
    });
    const late = await tokenFor({
      grant_type: grant,
      assertion: emulator.assertion({ exp: Math.floor(Date.now() / 1000) + 600 }),
    });
    assert.equal(late.body.error, 'invalid_grant');
    const expired = await tokenFor({
      grant_type: grant,
      assertion: emulator.assertion({ exp: Math.floor(Date.now() / 1000) - 1 }),
    });
    assert.equal(expired.body.error, 'invalid_grant');
    const tampered = emulator.assertion().replace(/\.[^.]+$/, '.AAAA');
    const bad = await tokenFor({ grant_type: grant, assertion: tampered });
    assert.equal(bad.body.error, 'invalid_grant');
    // prn wins over sub when both are present.
    const prn = await tokenFor({
      grant_type: grant,
      assertion: emulator.assertion({ sub: 'someone@else.example', prn: emulator.username }),
    });
    assert.equal(prn.status, 200);
    const stranger = await tokenFor({
      grant_type: grant,
      assertion: emulator.assertion({ sub: 'someone@else.example' }),
    });
    assert.equal(stranger.body.error, 'invalid_grant');
  });

  test('web server flow: authorize redirects with a code, the code gives a refresh token', async () => {
    const redirect = 'http://127.0.0.1:9/callback';
    const authorize = await fetch(
      `${emulator.url}/services/oauth2/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: emulator.clientId,
        redirect_uri: redirect,
        state: 's1',
      })}`,
      { redirect: 'manual' },
    );
    assert.equal(authorize.status, 302);
    const location = new URL(authorize.headers.get('location')!);
    assert.equal(location.searchParams.get('state'), 's1');
    const code = location.searchParams.get('code')!;
    const answer = await tokenFor({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
    });
    assert.equal(answer.status, 200);
    const refresh = String(answer.body.refresh_token);
    const again = await tokenFor({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
    });
    assert.equal(again.body.error, 'invalid_grant', 'a code works once');
    const refreshed = await tokenFor({ grant_type: 'refresh_token', refresh_token: refresh });
    assert.equal(refreshed.status, 200);
    assert.equal('refresh_token' in refreshed.body, false);
    emulator.revokeRefreshTokens();
    const revoked = await tokenFor({ grant_type: 'refresh_token', refresh_token: refresh });
    assert.deepEqual(revoked.body, {
      error: 'invalid_grant',
      error_description: 'expired access/refresh token',
    });
  });

  test('an expired session answers 401 INVALID_SESSION_ID on every API call', async () => {
    const own = String((await tokenFor({ grant_type: 'client_credentials' })).body.access_token);
    assert.equal((await api('/sobjects', { token: own })).status, 200);
    emulator.expireTokens();
    for (const path of ['/sobjects', q('SELECT Id FROM Contact'), '/limits']) {
      const answer = await api<Errors>(path, { token: own });
      assert.equal(answer.status, 401);
      assert.deepEqual(answer.body, [
        { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' },
      ]);
    }
    const missing = await api('/sobjects', { token: 'garbage' });
    assert.equal(missing.status, 401);
    token = String((await tokenFor({ grant_type: 'client_credentials' })).body.access_token);
  });
});

describe('versions and describe', () => {
  test('GET /services/data lists versions without Limit Info; an unknown version is 404', async () => {
    const list = await api<{ version: string; url: string; label: string }[]>('/services/data');
    assert.equal(list.status, 200);
    assert.ok(list.body.some((v) => v.version === V && v.url === `/services/data/v${V}`));
    assert.equal(list.headers.get('sforce-limit-info'), null);
    const resources = await api<Record<string, string>>(`/services/data/v${V}/`);
    assert.equal(resources.body.sobjects, `/services/data/v${V}/sobjects`);
    const unknown = await api<Errors>('/services/data/v12.0/sobjects');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body[0]!.errorCode, 'NOT_FOUND');
  });

  test('describeGlobal lists Contact, Lead and Account with their key prefixes', async () => {
    const global = await api<{
      maxBatchSize: number;
      sobjects: { name: string; keyPrefix: string }[];
    }>('/sobjects');
    assert.equal(global.body.maxBatchSize, 200);
    const prefixes = Object.fromEntries(global.body.sobjects.map((s) => [s.name, s.keyPrefix]));
    assert.deepEqual(prefixes, { Account: '001', Contact: '003', Lead: '00Q' });
  });

  test('describe: required-on-create, external id, idLookup, picklists, compound fields, record types', async () => {
    type F = {
      name: string;
      type: string;
      createable: boolean;
      nillable: boolean;
      defaultedOnCreate: boolean;
      externalId: boolean;
      idLookup: boolean;
      unique: boolean;
      restrictedPicklist: boolean;
      picklistValues: { value: string }[];
      compoundFieldName: string | null;
      referenceTo: string[];
      relationshipName: string | null;
      length: number;
    };
    const required = (fields: F[]) =>
      fields.filter((f) => f.createable && !f.nillable && !f.defaultedOnCreate).map((f) => f.name);
    const contact = await api<{
      fields: F[];
      recordTypeInfos: {
        recordTypeId: string;
        master: boolean;
        defaultRecordTypeMapping: boolean;
      }[];
    }>('/sobjects/Contact/describe');
    assert.equal(contact.status, 200);
    const by = Object.fromEntries(contact.body.fields.map((f) => [f.name, f]));
    assert.deepEqual(required(contact.body.fields), ['LastName']);
    assert.equal(by.UserSync_Id__c!.externalId, true);
    assert.equal(by.UserSync_Id__c!.unique, true);
    assert.equal(by.Email!.idLookup, true);
    assert.equal(by.Email!.externalId, false);
    assert.equal(by.Phone!.type, 'phone');
    assert.equal(by.Title!.length, 128);
    assert.equal(by.Birthdate!.type, 'date');
    assert.equal(by.HasOptedOutOfEmail!.type, 'boolean');
    assert.equal(by.LeadSource!.type, 'picklist');
    assert.equal(by.LeadSource!.restrictedPicklist, false);
    assert.ok(by.LeadSource!.picklistValues.some((p) => p.value === 'Web'));
    assert.equal(by.Membership_Level__c!.restrictedPicklist, true);
    assert.equal(by.MailingAddress!.type, 'address');
    assert.equal(by.MailingCity!.compoundFieldName, 'MailingAddress');
    assert.deepEqual(by.AccountId!.referenceTo, ['Account']);
    assert.equal(by.AccountId!.relationshipName, 'Account');
    assert.equal(by.SystemModstamp!.createable, false);
    assert.ok(contact.body.recordTypeInfos.some((rt) => rt.master));
    assert.equal(
      contact.body.recordTypeInfos.filter((rt) => rt.defaultRecordTypeMapping).length,
      1,
    );

    const lead = await api<{ fields: F[] }>('/sobjects/Lead/describe');
    assert.deepEqual(required(lead.body.fields).sort(), ['Company', 'LastName']);
    const account = await api<{ fields: F[] }>('/sobjects/Account/describe');
    assert.deepEqual(required(account.body.fields), ['Name']);
  });

  test('If-Modified-Since answers 304; an unknown object is 404 NOT_FOUND', async () => {
    const first = await api('/sobjects/Contact/describe');
    const since = first.headers.get('last-modified')!;
    assert.ok(since);
    const again = await fetch(`${emulator.url}/services/data/v${V}/sobjects/Contact/describe`, {
      headers: { Authorization: `Bearer ${token}`, 'If-Modified-Since': since },
    });
    assert.equal(again.status, 304);
    const unknown = await api<Errors>('/sobjects/Nope__c/describe');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body[0]!.errorCode, 'NOT_FOUND');
  });
});

describe('records', () => {
  test('create, read (datetimes, 18-char Id, system fields), update, delete', async () => {
    const created = await api<{ id: string; success: boolean; errors: unknown[] }>(
      '/sobjects/Contact',
      {
        method: 'POST',
        body: { LastName: 'Lovelace', FirstName: 'Ada', Email: 'ada@example.com' },
      },
    );
    assert.equal(created.status, 201);
    assert.equal(created.body.success, true);
    assert.deepEqual(created.body.errors, []);
    assert.match(created.body.id, /^003[A-Za-z0-9]{15}$/);
    const id = created.body.id;
    const read = await api<Record<string, unknown>>(`/sobjects/Contact/${id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.attributes, {
      type: 'Contact',
      url: `/services/data/v${V}/sobjects/Contact/${id}`,
    });
    assert.match(String(read.body.CreatedDate), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/);
    assert.match(String(read.body.SystemModstamp), /\.000\+0000$/);
    assert.equal(read.body.IsDeleted, false);
    assert.equal(read.body.MasterRecordId, null);
    assert.equal(read.body.Name, 'Ada Lovelace');
    assert.equal(read.body.HasOptedOutOfEmail, false);
    const same = await api<Record<string, unknown>>(
      `/sobjects/Contact/${id.slice(0, 15)}?fields=Email`,
    );
    assert.deepEqual(Object.keys(same.body), ['attributes', 'Email'], '15-char ids work too');

    const updated = await api(`/sobjects/Contact/${id}`, {
      method: 'PATCH',
      body: { Title: 'Countess', MailingCity: 'London' },
    });
    assert.equal(updated.status, 204);
    const after = await api<Record<string, unknown>>(`/sobjects/Contact/${id}`);
    assert.equal(after.body.Title, 'Countess');
    assert.equal((after.body.MailingAddress as { city: string }).city, 'London');

    assert.equal((await api(`/sobjects/Contact/${id}`, { method: 'DELETE' })).status, 204);
    const gone = await api<Errors>(`/sobjects/Contact/${id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body[0]!.errorCode, 'ENTITY_IS_DELETED');
    const write = await api<Errors>(`/sobjects/Contact/${id}`, {
      method: 'PATCH',
      body: { Title: 'x' },
    });
    assert.equal(write.body[0]!.errorCode, 'ENTITY_IS_DELETED');
    const again = await api<Errors>(`/sobjects/Contact/${id}`, { method: 'DELETE' });
    assert.equal(again.body[0]!.errorCode, 'ENTITY_IS_DELETED');
  });

  test('write errors: REQUIRED_FIELD_MISSING, INVALID_FIELD, read-only fields, picklists, lengths', async () => {
    const missing = await api<Errors>('/sobjects/Lead', {
      method: 'POST',
      body: { FirstName: 'x' },
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.body[0]!.errorCode, 'REQUIRED_FIELD_MISSING');
    assert.deepEqual(missing.body[0]!.fields!.sort(), ['Company', 'LastName']);
    const unknown = await api<Errors>('/sobjects/Contact', {
      method: 'POST',
      body: { LastName: 'x', Foo__c: 1 },
    });
    assert.equal(unknown.body[0]!.errorCode, 'INVALID_FIELD');
    assert.match(unknown.body[0]!.message, /No such column 'Foo__c' on sobject of type Contact/);
    const readOnly = await api<Errors>('/sobjects/Contact', {
      method: 'POST',
      body: { LastName: 'x', CreatedDate: '2024-01-01T00:00:00Z' },
    });
    assert.equal(readOnly.body[0]!.errorCode, 'INVALID_FIELD_FOR_INSERT_UPDATE');
    assert.deepEqual(readOnly.body[0]!.fields, ['CreatedDate']);
    const picklist = await api<Errors>('/sobjects/Contact', {
      method: 'POST',
      body: { LastName: 'x', Membership_Level__c: 'Platinum' },
    });
    assert.equal(picklist.body[0]!.errorCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    const open = await api('/sobjects/Contact', {
      method: 'POST',
      body: { LastName: 'x', LeadSource: 'Anything goes' },
    });
    assert.equal(open.status, 201, 'an unrestricted picklist takes any value');
    const long = await api<Errors>('/sobjects/Contact', {
      method: 'POST',
      body: { LastName: 'x', Title: 't'.repeat(129) },
    });
    assert.equal(long.body[0]!.errorCode, 'STRING_TOO_LONG');
    assert.deepEqual(long.body[0]!.fields, ['Title']);
  });

  test('a body that is not JSON is 400 JSON_PARSER_ERROR; an unknown record is 404 NOT_FOUND', async () => {
    const response = await fetch(`${emulator.url}/services/data/v${V}/sobjects/Contact`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{"LastName": ',
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as Errors;
    assert.equal(body[0]!.errorCode, 'JSON_PARSER_ERROR');
    const unknown = await api<Errors>('/sobjects/Contact/0035g0000ZZZZZZAAA');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body[0]!.errorCode, 'NOT_FOUND');
  });

  test('upsert by external id: 201 created, 200 updated, 300 several, 404 not an external id, 405 empty', async () => {
    const created = await api<{ id: string; created: boolean }>(
      '/sobjects/Contact/UserSync_Id__c/site1:42',
      { method: 'PATCH', body: { LastName: 'Hopper', Email: 'grace@example.com' } },
    );
    assert.equal(created.status, 201);
    assert.equal(created.body.created, true);
    const updated = await api<{ id: string; created: boolean; success: boolean }>(
      '/sobjects/Contact/UserSync_Id__c/SITE1:42',
      { method: 'PATCH', body: { Title: 'Rear Admiral' } },
    );
    assert.equal(updated.status, 200, 'external ids match case-insensitively');
    assert.deepEqual(updated.body, {
      id: created.body.id,
      success: true,
      errors: [],
      created: false,
    });
    const legacy = await api(`/services/data/v45.0/sobjects/Contact/UserSync_Id__c/site1:42`, {
      method: 'PATCH',
      body: { Title: 'Admiral' },
    });
    assert.equal(legacy.status, 204, 'API 45.0 and earlier answer 204 without a body');

    emulator.create('Contact', { LastName: 'Twin', Email: 'twin@example.com' });
    emulator.create('Contact', { LastName: 'Twin', Email: 'twin@example.com' });
    const several = await api<string[]>('/sobjects/Contact/Email/twin@example.com', {
      method: 'PATCH',
      body: { Title: 'x' },
    });
    assert.equal(several.status, 300);
    assert.equal(several.body.length, 2);
    assert.match(several.body[0]!, /^\/services\/data\/v62\.0\/sobjects\/Contact\/003/);

    const notKey = await api<Errors>('/sobjects/Contact/Phone/123', { method: 'PATCH', body: {} });
    assert.equal(notKey.status, 404);
    assert.equal(notKey.body[0]!.errorCode, 'NOT_FOUND');
    const empty = await api<Errors>('/sobjects/Contact/Email/', { method: 'PATCH', body: {} });
    assert.equal(empty.status, 405);
    assert.equal(
      empty.body[0]!.message,
      "HTTP Method 'PATCH' not allowed. Allowed are GET,HEAD,POST",
    );

    const duplicate = await api<Errors>('/sobjects/Contact', {
      method: 'POST',
      body: { LastName: 'Copy', UserSync_Id__c: 'site1:42' },
    });
    assert.equal(duplicate.body[0]!.errorCode, 'DUPLICATE_VALUE');
    assert.match(
      duplicate.body[0]!.message,
      new RegExp(`duplicates value on record with id: ${created.body.id}`),
    );
  });
});

describe('query', () => {
  test('SOQL errors: mixed AND/OR without parentheses, unknown column, unknown object, OFFSET > 2000', async () => {
    const mixed = await api<Errors>(
      q("SELECT Id FROM Contact WHERE LastName = 'a' AND FirstName = 'b' OR Email = null"),
    );
    assert.equal(mixed.status, 400);
    assert.equal(mixed.body[0]!.errorCode, 'MALFORMED_QUERY');
    const grouped = await api(
      q("SELECT Id FROM Contact WHERE LastName = 'a' AND (FirstName = 'b' OR Email = null)"),
    );
    assert.equal(grouped.status, 200);
    const column = await api<Errors>(q('SELECT Id, Foo FROM Contact'));
    assert.equal(column.body[0]!.errorCode, 'INVALID_FIELD');
    assert.match(column.body[0]!.message, /No such column 'Foo' on entity 'Contact'/);
    const object = await api<Errors>(q('SELECT Id FROM Nope'));
    assert.equal(object.body[0]!.errorCode, 'INVALID_TYPE');
    const offset = await api<Errors>(q('SELECT Id FROM Contact LIMIT 10 OFFSET 2001'));
    assert.equal(offset.body[0]!.errorCode, 'NUMBER_OUTSIDE_VALID_RANGE');
    const syntax = await api<Errors>(q('SELEKT Id FROM Contact'));
    assert.equal(syntax.body[0]!.errorCode, 'MALFORMED_QUERY');
  });

  test('operators, escapes, null, booleans, parent fields, ORDER BY NULLS, COUNT()', async () => {
    const account = emulator.create('Account', { Name: 'Analytical Engines' });
    const ids = [
      emulator.create('Contact', {
        LastName: "O'Brien",
        FirstName: 'Flann',
        AccountId: account,
        LeadSource: 'Web',
      }),
      emulator.create('Contact', {
        LastName: 'Zed',
        FirstName: null,
        HasOptedOutOfEmail: true,
        LeadSource: 'Web',
      }),
      emulator.create('Contact', {
        LastName: 'Abel',
        FirstName: 'Niels',
        Birthdate: '1802-08-05',
        LeadSource: 'Web',
      }),
    ];
    const rows = async (where: string, order = 'LastName') =>
      (
        await api<QueryPage>(
          q(
            `SELECT Id, LastName FROM Contact WHERE LeadSource = 'Web' AND (${where}) ORDER BY ${order}`,
          ),
        )
      ).body.records.map((r) => r.LastName);
    assert.deepEqual(await rows("LastName = 'o\\'brien'"), ["O'Brien"]);
    assert.deepEqual(await rows('FirstName = null'), ['Zed']);
    assert.deepEqual(await rows('FirstName != null'), ['Abel', "O'Brien"]);
    assert.deepEqual(await rows('HasOptedOutOfEmail = true'), ['Zed']);
    assert.deepEqual(await rows("LastName IN ('Zed', 'Abel')"), ['Abel', 'Zed']);
    assert.deepEqual(await rows("LastName NOT IN ('Zed', 'Abel')"), ["O'Brien"]);
    assert.deepEqual(await rows("LastName LIKE 'a%' OR LastName LIKE '%ed'"), ['Abel', 'Zed']);
    assert.deepEqual(await rows("NOT LastName LIKE 'a%'"), ["O'Brien", 'Zed']);
    assert.deepEqual(await rows('Birthdate < 1900-01-01'), ['Abel']);
    assert.deepEqual(await rows('CreatedDate > 2000-01-01T00:00:00Z'), ['Abel', "O'Brien", 'Zed']);
    assert.deepEqual(await rows('Id != null', 'FirstName DESC NULLS FIRST'), [
      'Zed',
      'Abel',
      "O'Brien",
    ]);
    assert.deepEqual(await rows('Id != null', 'FirstName ASC NULLS LAST, LastName'), [
      "O'Brien",
      'Abel',
      'Zed',
    ]);
    assert.deepEqual(await rows('CreatedDate = TODAY'), ['Abel', "O'Brien", 'Zed']);
    assert.deepEqual(await rows('CreatedDate = LAST_N_DAYS:3'), ['Abel', "O'Brien", 'Zed']);
    assert.deepEqual(await rows('CreatedDate < YESTERDAY'), []);
    assert.deepEqual(await rows('Birthdate < LAST_N_DAYS:365'), ['Abel']);
    const quoted = await api<Errors>(
      q("SELECT Id FROM Contact WHERE CreatedDate > '2024-01-01T00:00:00Z'"),
    );
    assert.equal(quoted.body[0]!.errorCode, 'INVALID_FIELD');
    assert.match(quoted.body[0]!.message, /should not be enclosed in quotes/);
    const parent = await api<QueryPage>(
      q(`SELECT Id, Account.Name FROM Contact WHERE Id = '${ids[0]}'`),
    );
    assert.deepEqual(
      (parent.body.records[0]!.Account as Record<string, unknown>).Name,
      'Analytical Engines',
    );
    const count = await api<QueryPage>(q("SELECT COUNT() FROM Contact WHERE LeadSource = 'Web'"));
    assert.deepEqual(count.body, { totalSize: 3, done: true, records: [] });
  });

  test('5,000 records in one second: a keyset query on (SystemModstamp, Id) misses none and repeats none', async () => {
    emulator.setClock('2024-01-01T00:00:00Z', { freeze: true });
    const seeded = emulator.seed({ contacts: 5000, from: 10_000, fields: { Department: 'Burst' } });
    emulator.setClock(Date.now());
    const stamps = new Set(
      seeded.contacts.slice(0, 50).map((id) => emulator.record(id)!.SystemModstamp),
    );
    assert.deepEqual([...stamps], ['2024-01-01T00:00:00.000+0000']);

    const seen: string[] = [];
    let watermark = '2023-12-31T23:59:59Z';
    let lastId = '000000000000000AAA';
    let calls = 0;
    for (;;) {
      const soql =
        `SELECT Id, SystemModstamp FROM Contact WHERE Department = 'Burst' AND ` +
        `(SystemModstamp > ${watermark} OR (SystemModstamp = ${watermark} AND Id > '${lastId}')) ` +
        'ORDER BY SystemModstamp, Id LIMIT 1000';
      const page = await api<QueryPage>(q(soql));
      calls++;
      assert.equal(page.status, 200, JSON.stringify(page.body));
      if (page.body.records.length === 0) break;
      for (const r of page.body.records) seen.push(String(r.Id));
      const last = page.body.records[page.body.records.length - 1]!;
      watermark = String(last.SystemModstamp).replace('.000+0000', 'Z');
      lastId = String(last.Id);
    }
    assert.equal(calls, 6);
    assert.equal(seen.length, 5000);
    assert.equal(new Set(seen).size, 5000);
    assert.deepEqual(new Set(seen), new Set(seeded.contacts));
  });

  test('paging by nextRecordsUrl: 2,000 by default, batchSize 200–2,000 by Sforce-Query-Options', async () => {
    const soql = "SELECT Id FROM Contact WHERE Department = 'Burst'";
    const first = await api<QueryPage>(q(soql));
    assert.equal(first.body.totalSize, 5000);
    assert.equal(first.body.records.length, 2000);
    assert.equal(first.body.done, false);
    assert.match(
      first.body.nextRecordsUrl!,
      /^\/services\/data\/v62\.0\/query\/01g[A-Za-z0-9]+-2000$/,
    );
    const ids = first.body.records.map((r) => r.Id);
    let next = first.body.nextRecordsUrl;
    while (next) {
      const page = await api<QueryPage>(next);
      ids.push(...page.body.records.map((r) => r.Id));
      next = page.body.nextRecordsUrl;
      if (!next) assert.equal(page.body.done, true);
    }
    assert.equal(new Set(ids).size, 5000);

    const small = await api<QueryPage>(q(soql), {
      headers: { 'Sforce-Query-Options': 'batchSize=300' },
    });
    assert.equal(small.body.records.length, 300);
    const tiny = await api<QueryPage>(q(soql), {
      headers: { 'Sforce-Query-Options': 'batchSize=10' },
    });
    assert.equal(tiny.body.records.length, 200, 'the minimum batch is 200');
    const bad = await api<Errors>('/query/01gNOPE0000000000-2000');
    assert.equal(bad.body[0]!.errorCode, 'INVALID_QUERY_LOCATOR');
  });

  test('deleted and merged records: only in queryAll, losers carry MasterRecordId; undelete restores', async () => {
    const master = emulator.create('Contact', { LastName: 'Master', Department: 'Merge' });
    const loser = emulator.create('Contact', { LastName: 'Loser', Department: 'Merge' });
    const removed = emulator.create('Contact', { LastName: 'Removed', Department: 'Merge' });
    emulator.merge(master, [loser]);
    await api(`/sobjects/Contact/${removed}`, { method: 'DELETE' });
    const soql =
      "SELECT Id, LastName, IsDeleted, MasterRecordId FROM Contact WHERE Department = 'Merge' ORDER BY LastName";
    const live = await api<QueryPage>(q(soql));
    assert.deepEqual(
      live.body.records.map((r) => r.LastName),
      ['Master'],
    );
    const all = await api<QueryPage>(qa(soql));
    assert.deepEqual(
      all.body.records.map((r) => [r.LastName, r.IsDeleted, r.MasterRecordId]),
      [
        ['Loser', true, master],
        ['Master', false, null],
        ['Removed', true, null],
      ],
    );
    const deletedOnly = await api<QueryPage>(
      qa("SELECT Id FROM Contact WHERE Department = 'Merge' AND IsDeleted = true"),
    );
    assert.equal(deletedOnly.body.totalSize, 2);
    emulator.undelete(removed);
    const back = await api<QueryPage>(q(soql));
    assert.deepEqual(
      back.body.records.map((r) => r.LastName),
      ['Master', 'Removed'],
    );
  });

  test('a queryAll locator continues the queryAll though its URL says query', async () => {
    const ids = emulator.seed({
      contacts: 250,
      from: 50_000,
      fields: { Department: 'Gone' },
    }).contacts;
    for (const id of ids) emulator.delete(id);
    const first = await api<QueryPage>(
      qa("SELECT Id, IsDeleted FROM Contact WHERE Department = 'Gone'"),
      {
        headers: { 'Sforce-Query-Options': 'batchSize=200' },
      },
    );
    assert.equal(first.body.totalSize, 250);
    assert.match(first.body.nextRecordsUrl!, /\/query\/01g/);
    const second = await api<QueryPage>(first.body.nextRecordsUrl!);
    assert.equal(second.body.records.length, 50);
    assert.ok(second.body.records.every((r) => r.IsDeleted === true));
  });
});

describe('sObject Collections', () => {
  const records = (n: number, extra: (i: number) => Record<string, unknown> = () => ({})) =>
    Array.from({ length: n }, (_v, i) => ({
      attributes: { type: 'Contact' },
      LastName: `Batch ${i}`,
      Department: 'Collections',
      ...extra(i),
    }));

  test('more than 200 records: 400 EXCEEDED_ID_LIMIT, nothing written', async () => {
    const before = emulator.org.count('Contact');
    const answer = await api<Errors>('/composite/sobjects', {
      method: 'POST',
      body: { allOrNone: false, records: records(201) },
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body[0]!.errorCode, 'EXCEEDED_ID_LIMIT');
    assert.equal(
      answer.body[0]!.message,
      'record limit reached. cannot submit more than 200 records into this call',
    );
    assert.equal(emulator.org.count('Contact'), before);
  });

  test('create without allOrNone: per-record errors with statusCode/message/fields, the rest stored', async () => {
    const answer = await api<Results>('/composite/sobjects', {
      method: 'POST',
      body: {
        allOrNone: false,
        records: [
          ...records(2),
          { attributes: { type: 'Contact' }, FirstName: 'No last name' },
          { attributes: { type: 'Contact' }, LastName: 'x', Membership_Level__c: 'Tin' },
          { attributes: { type: 'Contact' }, LastName: 'x', Title: 'y'.repeat(200) },
          {
            attributes: { type: 'Contact' },
            LastName: 'x',
            SystemModstamp: '2024-01-01T00:00:00Z',
          },
          { attributes: { type: 'Lead' }, LastName: 'Lead', Company: 'Acme' },
        ],
      },
    });
    assert.equal(answer.status, 200);
    const codes = answer.body.map((r) => (r.success ? 'ok' : r.errors[0]!.statusCode));
    assert.deepEqual(codes, [
      'ok',
      'ok',
      'REQUIRED_FIELD_MISSING',
      'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
      'STRING_TOO_LONG',
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      'ok',
    ]);
    assert.deepEqual(answer.body[2]!.errors[0], {
      statusCode: 'REQUIRED_FIELD_MISSING',
      message: 'Required fields are missing: [LastName]',
      fields: ['LastName'],
    });
    assert.equal('id' in answer.body[2]!, false, 'failed records carry no id');
    assert.match(answer.body[6]!.id!, /^00Q/);
    for (const ok of [answer.body[0]!, answer.body[1]!]) {
      assert.equal(emulator.record(ok.id!)!.Department, 'Collections');
    }
  });

  test('allOrNone: one failure rolls back every record', async () => {
    const before = emulator.org.count('Contact');
    const answer = await api<Results>('/composite/sobjects', {
      method: 'POST',
      body: {
        allOrNone: true,
        records: [...records(3), { attributes: { type: 'Contact' }, FirstName: 'missing' }],
      },
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body[0]!.errors, [
      {
        statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
        message:
          'Record rolled back because not all records were valid and the request was using AllOrNone header',
        fields: [],
      },
    ]);
    assert.equal(answer.body[3]!.errors[0]!.statusCode, 'REQUIRED_FIELD_MISSING');
    assert.equal(emulator.org.count('Contact'), before);
  });

  test('upsert by external id: created flags, DUPLICATE_VALUE inside one call; update; delete; retrieve', async () => {
    const upsert = await api<Results>('/composite/sobjects/Contact/UserSync_Id__c', {
      method: 'PATCH',
      body: {
        allOrNone: false,
        records: [
          { attributes: { type: 'Contact' }, UserSync_Id__c: 'c:1', LastName: 'One' },
          { attributes: { type: 'Contact' }, UserSync_Id__c: 'c:2', LastName: 'Two' },
        ],
      },
    });
    assert.deepEqual(
      upsert.body.map((r) => r.created),
      [true, true],
    );
    const again = await api<Results>('/composite/sobjects/Contact/UserSync_Id__c', {
      method: 'PATCH',
      body: {
        allOrNone: false,
        records: [
          { attributes: { type: 'Contact' }, UserSync_Id__c: 'c:1', Title: 'Updated' },
          { attributes: { type: 'Contact' }, UserSync_Id__c: 'c:3', LastName: 'Three' },
          { attributes: { type: 'Contact' }, UserSync_Id__c: 'c:3', LastName: 'Three again' },
        ],
      },
    });
    assert.deepEqual(
      again.body.map((r) => (r.success ? r.created : r.errors[0]!.statusCode)),
      [false, true, 'DUPLICATE_VALUE'],
    );
    assert.equal(again.body[0]!.id, upsert.body[0]!.id);
    assert.equal(emulator.record(upsert.body[0]!.id!)!.Title, 'Updated');

    const notKey = await api<Errors>('/composite/sobjects/Contact/Phone', {
      method: 'PATCH',
      body: { records: [] },
    });
    assert.equal(notKey.status, 400);
    assert.equal(notKey.body[0]!.errorCode, 'INVALID_FIELD');

    const ids = [upsert.body[0]!.id!, upsert.body[1]!.id!];
    const update = await api<Results>('/composite/sobjects', {
      method: 'PATCH',
      body: {
        allOrNone: false,
        records: [
          { attributes: { type: 'Contact' }, id: ids[0], Phone: '+1 555 0101' },
          { attributes: { type: 'Contact' }, Phone: 'no id' },
        ],
      },
    });
    assert.equal(update.body[0]!.success, true);
    assert.equal(update.body[1]!.errors[0]!.statusCode, 'MISSING_ARGUMENT');

    const retrieve = await api<(Record<string, unknown> | null)[]>(
      `/composite/sobjects/Contact?ids=${ids.join(',')},003000000000000AAA&fields=Id,Phone,LastName`,
    );
    assert.deepEqual(
      retrieve.body.map((r) => r && r.LastName),
      ['One', 'Two', null],
    );
    assert.equal(retrieve.body[0]!.Phone, '+1 555 0101');

    const removed = await api<Results>(`/composite/sobjects?ids=${ids.join(',')}&allOrNone=true`, {
      method: 'DELETE',
    });
    assert.deepEqual(
      removed.body.map((r) => r.success),
      [true, true],
    );
    const twice = await api<Results>(`/composite/sobjects?ids=${ids[0]}`, { method: 'DELETE' });
    assert.equal(twice.body[0]!.errors[0]!.statusCode, 'ENTITY_IS_DELETED');
  });
});

describe('limits and faults', () => {
  test('Sforce-Limit-Info on every REST answer; GET /limits; over the allocation 403 without Retry-After', async () => {
    const one = await api('/sobjects');
    const match = /^api-usage=(\d+)\/(\d+)$/.exec(one.headers.get('sforce-limit-info') ?? '');
    assert.ok(match, String(one.headers.get('sforce-limit-info')));
    const used = Number(match[1]);
    const two = await api<Record<string, { Max: number; Remaining: number }>>('/limits');
    assert.equal(two.headers.get('sforce-limit-info'), `api-usage=${used + 1}/100000`);
    assert.deepEqual(two.body.DailyApiRequests, { Max: 100000, Remaining: 100000 - used - 1 });

    emulator.setLimit({ dailyMax: used + 2 });
    assert.equal((await api('/sobjects')).status, 200);
    const refused = await api<Errors>('/sobjects');
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body, [
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    assert.equal(refused.headers.get('retry-after'), null);
    assert.equal(refused.headers.get('sforce-limit-info'), `api-usage=${used + 2}/${used + 2}`);
    emulator.setLimit({ dailyMax: 100_000, used: 0 });
    assert.equal((await api('/sobjects')).status, 200);
  });

  test('faults: 503 SERVER_UNAVAILABLE for `count` calls, UNABLE_TO_LOCK_ROW per record, delays', async () => {
    emulator.fault({ status: 503, match: '/query', count: 1 });
    const down = await api<Errors>(q('SELECT Id FROM Contact LIMIT 1'));
    assert.equal(down.status, 503);
    assert.equal(down.body[0]!.errorCode, 'SERVER_UNAVAILABLE');
    assert.equal((await api(q('SELECT Id FROM Contact LIMIT 1'))).status, 200);

    emulator.fault({ recordError: 'UNABLE_TO_LOCK_ROW', match: '/composite/sobjects', every: 2 });
    const locked = await api<Results>('/composite/sobjects', {
      method: 'POST',
      body: {
        allOrNone: false,
        records: Array.from({ length: 4 }, (_v, i) => ({
          attributes: { type: 'Contact' },
          LastName: `L${i}`,
        })),
      },
    });
    assert.deepEqual(
      locked.body.map((r) => (r.success ? 'ok' : r.errors[0]!.statusCode)),
      ['ok', 'UNABLE_TO_LOCK_ROW', 'ok', 'UNABLE_TO_LOCK_ROW'],
    );
    emulator.clearFaults();

    emulator.fault({ delayMs: 300, match: '/limits', count: 1 });
    const started = Date.now();
    assert.equal((await api('/limits')).status, 200);
    assert.ok(Date.now() - started >= 280);
    emulator.clearFaults();
  });

  test('too many long-running requests at once: 403 ConcurrentRequests until they finish', async () => {
    const small = await startSalesforceEmulator({ concurrentLongRunning: 2, longRunningMs: 100 });
    try {
      const own = small.token();
      const call = (path: string) =>
        fetch(`${small.url}/services/data/v${V}${path}`, {
          headers: { Authorization: `Bearer ${own}` },
        });
      small.fault({ delayMs: 600, match: '/limits', count: 2 });
      const slow = [call('/limits'), call('/limits')];
      await new Promise((resolve) => setTimeout(resolve, 250));
      const refused = await call('/sobjects');
      assert.equal(refused.status, 403);
      assert.deepEqual(await refused.json(), [
        {
          message: 'ConcurrentRequests (Concurrent API Requests) Limit exceeded.',
          errorCode: 'REQUEST_LIMIT_EXCEEDED',
        },
      ]);
      assert.deepEqual(
        (await Promise.all(slow)).map((r) => r.status),
        [200, 200],
      );
      assert.equal((await call('/sobjects')).status, 200);
    } finally {
      await small.close();
    }
  });

  test('an insert with an Id is refused', async () => {
    const answer = await api<Errors>('/sobjects/Contact', {
      method: 'POST',
      body: { Id: '0035g0000000001AAA', LastName: 'x' },
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body[0]!.errorCode, 'INVALID_FIELD');
  });

  test('stats count queries and writes per route and records written per Sforce-Call-Options client', async () => {
    emulator.resetStats();
    await api(q('SELECT Id FROM Contact LIMIT 1'));
    await api('/composite/sobjects', {
      method: 'POST',
      headers: { 'Sforce-Call-Options': 'client=usersync' },
      body: {
        records: [
          { attributes: { type: 'Contact' }, LastName: 'Tagged' },
          { attributes: { type: 'Contact' }, LastName: 'Tagged 2' },
        ],
      },
    });
    await api('/sobjects/Contact', { method: 'POST', body: { LastName: 'Untagged' } });
    assert.equal(emulator.stats.queries, 1);
    assert.equal(emulator.stats.writes, 2);
    assert.deepEqual(emulator.stats.writeClients, { usersync: 2, '(none)': 1 });
    assert.equal(emulator.stats.requests['GET /query'], 1);
    assert.equal(emulator.stats.requests['POST /composite/sobjects'], 1);
    const control = await fetch(`${emulator.url}/_emulator/stats`);
    assert.deepEqual(await control.json(), JSON.parse(JSON.stringify(emulator.stats)));
  });
});

describe('replication: Get Updated and Get Deleted', () => {
  test('ids changed or deleted in a window; seconds truncated; windows of 30 and 15 days; errors', async () => {
    const day = 24 * 60 * 60 * 1000;
    const base = Date.now() - 20 * day;
    emulator.setClock(base);
    const old = emulator.create('Account', { Name: 'Twenty days ago' });
    emulator.delete(old);
    emulator.setClock(base + 10 * day);
    const recent = emulator.create('Account', { Name: 'Ten days ago' });
    const gone = emulator.create('Account', { Name: 'Deleted ten days ago' });
    emulator.delete(gone);
    emulator.setClock(Date.now());
    const iso = (ms: number) => new Date(ms).toISOString();
    const updated = await api<{ ids: string[]; latestDateCovered: string }>(
      `/sobjects/Account/updated/?start=${iso(base - day)}&end=${iso(base + 11 * day + 15_000)}`,
    );
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual(updated.body.ids, [recent], 'deleted records are not in Get Updated');
    const end = new Date(base + 11 * day + 15_000);
    end.setUTCSeconds(0, 0);
    assert.equal(updated.body.latestDateCovered, end.toISOString().replace('Z', '+0000'));

    const deleted = await api<{
      deletedRecords: { id: string; deletedDate: string }[];
      earliestDateAvailable: string;
      latestDateCovered: string;
    }>(`/sobjects/Account/deleted/?start=${iso(Date.now() - 14 * day)}&end=${iso(Date.now())}`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.deepEqual(
      deleted.body.deletedRecords.map((r) => r.id),
      [gone],
    );
    assert.match(deleted.body.deletedRecords[0]!.deletedDate, /\.000\+0000$/);
    assert.ok(
      Date.parse(deleted.body.earliestDateAvailable.replace('+0000', 'Z')) <=
        Date.now() - 15 * day + 60_000,
    );

    const tooOld = await api<Errors>(
      `/sobjects/Account/deleted/?start=${iso(Date.now() - 16 * day)}&end=${iso(Date.now())}`,
    );
    assert.equal(tooOld.status, 400);
    assert.equal(tooOld.body[0]!.errorCode, 'INVALID_REPLICATION_DATE');
    const tooOldUpdated = await api<Errors>(
      `/sobjects/Account/updated/?start=${iso(Date.now() - 31 * day)}&end=${iso(Date.now())}`,
    );
    assert.equal(tooOldUpdated.body[0]!.errorCode, 'INVALID_REPLICATION_DATE');
    const backwards = await api<Errors>(
      `/sobjects/Account/updated/?start=${iso(Date.now())}&end=${iso(Date.now() - day)}`,
    );
    assert.equal(backwards.body[0]!.errorCode, 'INVALID_REPLICATION_DATE');
    const short = await api<Errors>(
      `/sobjects/Account/updated/?start=${iso(Date.now() - 30_000)}&end=${iso(Date.now())}`,
    );
    assert.equal(short.body[0]!.errorCode, 'INVALID_REPLICATION_DATE');

    // An emptied Recycle Bin moves earliestDateAvailable past the window's start.
    emulator.org.deleteLogPurgedBefore = Date.now() - day;
    const purged = await api<{ deletedRecords: unknown[]; earliestDateAvailable: string }>(
      `/sobjects/Account/deleted/?start=${iso(Date.now() - 14 * day)}&end=${iso(Date.now())}`,
    );
    assert.deepEqual(purged.body.deletedRecords, []);
    assert.ok(
      Date.parse(purged.body.earliestDateAvailable.replace('+0000', 'Z')) > Date.now() - 14 * day,
    );
    emulator.org.deleteLogPurgedBefore = 0;
  });
});

describe('Bulk API 2.0 ingest', () => {
  const csvHeaders = { 'Content-Type': 'text/csv' };
  async function upload(jobId: string, csv: string) {
    return fetch(`${emulator.url}/services/data/v${V}/jobs/ingest/${jobId}/batches`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, ...csvHeaders },
      body: csv,
    });
  }
  async function finished(jobId: string) {
    for (let i = 0; i < 100; i++) {
      const job = await api<Record<string, unknown>>(`/jobs/ingest/${jobId}`);
      if (['JobComplete', 'Failed', 'Aborted'].includes(String(job.body.state))) return job.body;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('job did not finish');
  }
  async function results(jobId: string, kind: string) {
    const response = await fetch(
      `${emulator.url}/services/data/v${V}/jobs/ingest/${jobId}/${kind}`,
      {
        headers: { Authorization: `Bearer ${token}` },
      },
    );
    assert.match(String(response.headers.get('content-type')), /text\/csv/);
    return response.text();
  }

  test('upsert job: Open → UploadComplete → JobComplete; successful and failed results as CSV', async () => {
    emulator.create('Contact', { LastName: 'Existing', UserSync_Id__c: 'bulk:1' });
    const created = await api<Record<string, unknown>>('/jobs/ingest', {
      method: 'POST',
      body: {
        object: 'Contact',
        operation: 'upsert',
        externalIdFieldName: 'UserSync_Id__c',
        lineEnding: 'LF',
      },
    });
    assert.equal(created.status, 200);
    assert.equal(created.body.state, 'Open');
    assert.equal(
      created.body.contentUrl,
      `services/data/v${V}/jobs/ingest/${String(created.body.id)}/batches`,
    );
    const id = String(created.body.id);
    const csv = [
      'UserSync_Id__c,LastName,Title,Email',
      'bulk:1,,Updated title,#N/A',
      'bulk:2,New,,new.bulk@example.com',
      'bulk:3,,No last name,',
      'bulk:4,Bad,,not-an-email',
    ].join('\n');
    assert.equal((await upload(id, csv)).status, 201);
    const closed = await api<Record<string, unknown>>(`/jobs/ingest/${id}`, {
      method: 'PATCH',
      body: { state: 'UploadComplete' },
    });
    assert.equal(closed.body.state, 'UploadComplete');
    const job = await finished(id);
    assert.equal(job.state, 'JobComplete');
    assert.equal(job.numberRecordsProcessed, 4);
    assert.equal(job.numberRecordsFailed, 2);
    const ok = await results(id, 'successfulResults');
    const lines = ok.trim().split('\n');
    assert.equal(lines[0], 'sf__Id,sf__Created,UserSync_Id__c,LastName,Title,Email');
    assert.match(lines[1]!, /^003\w{15},false,bulk:1,,Updated title,#N\/A$/);
    assert.match(lines[2]!, /^003\w{15},true,bulk:2,New,,new\.bulk@example\.com$/);
    const failed = await results(id, 'failedResults');
    assert.match(failed, /^sf__Id,sf__Error,UserSync_Id__c,LastName,Title,Email\n/);
    assert.match(failed, /REQUIRED_FIELD_MISSING:Required fields are missing: \[LastName\]/);
    assert.match(failed, /INVALID_EMAIL_ADDRESS/);
    const existing = (
      await api<QueryPage>(q("SELECT Title, Email FROM Contact WHERE UserSync_Id__c = 'bulk:1'"))
    ).body.records[0]!;
    assert.equal(existing.Title, 'Updated title');
    assert.equal(existing.Email, null, '#N/A sets null');
    assert.equal((await api(`/jobs/ingest/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await api(`/jobs/ingest/${id}`)).status, 404);
  });

  test('an unknown column fails the job; uploads after closing are refused; abort', async () => {
    const job = await api<Record<string, unknown>>('/jobs/ingest', {
      method: 'POST',
      body: { object: 'Contact', operation: 'insert' },
    });
    const id = String(job.body.id);
    await upload(id, 'LastName,Nope__c\nX,1\n');
    await api(`/jobs/ingest/${id}`, { method: 'PATCH', body: { state: 'UploadComplete' } });
    const failed = await finished(id);
    assert.equal(failed.state, 'Failed');
    assert.equal(failed.errorMessage, 'InvalidBatch : Field name not found : Nope__c');
    assert.equal((await upload(id, 'LastName\nY\n')).status, 409);

    const other = await api<Record<string, unknown>>('/jobs/ingest', {
      method: 'POST',
      body: { object: 'Contact', operation: 'delete' },
    });
    const aborted = await api<Record<string, unknown>>(`/jobs/ingest/${String(other.body.id)}`, {
      method: 'PATCH',
      body: { state: 'Aborted' },
    });
    assert.equal(aborted.body.state, 'Aborted');
    const bad = await api<Errors>('/jobs/ingest', {
      method: 'POST',
      body: { object: 'Nope', operation: 'insert' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body[0]!.errorCode, 'INVALIDENTITY');
  });
});

describe('Change Data Capture over CometD', () => {
  const bayeux = async (
    messages: Record<string, unknown>[],
    auth: string | null = `OAuth ${token}`,
  ) => {
    const response = await fetch(`${emulator.url}/cometd/${V}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) },
      body: JSON.stringify(messages),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as Record<string, unknown>[];
  };
  const handshake = async () => {
    const [answer] = await bayeux([
      {
        channel: '/meta/handshake',
        version: '1.0',
        supportedConnectionTypes: ['long-polling'],
        ext: { replay: true },
      },
    ]);
    assert.equal(answer!.successful, true);
    return String(answer!.clientId);
  };
  type Event = {
    channel: string;
    data: {
      payload: Record<string, unknown> & { ChangeEventHeader: Record<string, unknown> };
      event: { replayId: number };
    };
  };
  const connect = async (clientId: string) =>
    (await bayeux([{ channel: '/meta/connect', clientId, connectionType: 'long-polling' }])).filter(
      (m) => m.channel !== '/meta/connect',
    ) as unknown as Event[];

  test('a handshake without a valid token is denied with the Salesforce failure reason', async () => {
    const [none] = await bayeux([{ channel: '/meta/handshake', version: '1.0' }], null);
    assert.deepEqual(none!.ext, {
      sfdc: { failureReason: '401::Request requires authentication' },
      replay: true,
    });
    assert.equal(none!.error, '403::Handshake denied');
    assert.deepEqual(none!.advice, { reconnect: 'none' });
    const [bad] = await bayeux([{ channel: '/meta/handshake', version: '1.0' }], 'OAuth nope');
    assert.equal(
      (bad!.ext as { sfdc: { failureReason: string } }).sfdc.failureReason,
      '401::Authentication invalid',
    );
  });

  test('CREATE, UPDATE, DELETE, UNDELETE events: fields, changedFields, changeOrigin with the client id', async () => {
    const clientId = await handshake();
    const [subscribed] = await bayeux([
      {
        channel: '/meta/subscribe',
        clientId,
        subscription: '/data/ContactChangeEvent',
        ext: { replay: { '/data/ContactChangeEvent': -1 } },
      },
    ]);
    assert.equal(subscribed!.successful, true);
    const created = await api<{ id: string }>('/sobjects/Contact', {
      method: 'POST',
      headers: { 'Sforce-Call-Options': 'client=usersync' },
      body: { FirstName: 'Cdc', LastName: 'Person', MailingCity: 'Oslo', Email: 'cdc@example.com' },
    });
    const id = created.body.id;
    await api(`/sobjects/Contact/${id}`, {
      method: 'PATCH',
      body: { LastName: 'Renamed', Title: 'Lead' },
    });
    emulator.delete(id);
    emulator.undelete(id);
    const events = await connect(clientId);
    assert.deepEqual(
      events.map((e) => e.data.payload.ChangeEventHeader.changeType),
      ['CREATE', 'UPDATE', 'DELETE', 'UNDELETE'],
    );
    const [create, update, remove] = events;
    assert.equal(create!.channel, '/data/ContactChangeEvent');
    assert.deepEqual(create!.data.payload.ChangeEventHeader.recordIds, [id]);
    assert.equal(
      create!.data.payload.ChangeEventHeader.changeOrigin,
      `com/salesforce/api/rest/${V};client=usersync`,
    );
    assert.deepEqual(create!.data.payload.Name, { FirstName: 'Cdc', LastName: 'Person' });
    assert.deepEqual(create!.data.payload.MailingAddress, { City: 'Oslo' });
    assert.equal(create!.data.payload.Email, 'cdc@example.com');
    assert.equal('IsDeleted' in create!.data.payload, false);
    assert.equal('SystemModstamp' in create!.data.payload, false);
    assert.equal(
      update!.data.payload.ChangeEventHeader.changeOrigin,
      `com/salesforce/api/rest/${V}`,
    );
    assert.deepEqual(
      [...(update!.data.payload.ChangeEventHeader.changedFields as string[])].sort(),
      ['LastModifiedDate', 'Name.LastName', 'Title'],
    );
    assert.equal(update!.data.payload.Title, 'Lead');
    assert.equal('Email' in update!.data.payload, false, 'UPDATE carries only changed fields');
    assert.equal('nulledFields' in update!.data.payload.ChangeEventHeader, false);
    assert.equal(
      remove!.data.payload.ChangeEventHeader.changeOrigin,
      '',
      'UI changes have no origin',
    );
    assert.equal('Email' in remove!.data.payload, false, 'DELETE carries the header only');
    assert.equal(events[3]!.data.payload.Email, 'cdc@example.com', 'UNDELETE carries the record');
    assert.ok(events[1]!.data.event.replayId > events[0]!.data.event.replayId);
    const [bye] = await bayeux([{ channel: '/meta/disconnect', clientId }]);
    assert.equal(bye!.successful, true);
    const [gone] = await bayeux([
      { channel: '/meta/connect', clientId, connectionType: 'long-polling' },
    ]);
    assert.equal(gone!.error, '403::Unknown client');
  });

  test('replay -2 and replay N; invalid replay ids; /data/ChangeEvents; GAP_OVERFLOW; 72-hour retention', async () => {
    const first = emulator.changes.latestReplayId();
    const lead = emulator.create('Lead', { LastName: 'Replay', Company: 'Acme' });
    const overflow = emulator.emitGap('Lead', 'GAP_OVERFLOW');
    const clientId = await handshake();
    await bayeux([
      {
        channel: '/meta/subscribe',
        clientId,
        subscription: '/data/ChangeEvents',
        ext: { replay: { '/data/ChangeEvents': first } },
      },
    ]);
    const events = await connect(clientId);
    assert.deepEqual(
      events.map((e) => [
        e.channel,
        e.data.payload.ChangeEventHeader.entityName,
        e.data.payload.ChangeEventHeader.changeType,
      ]),
      [
        ['/data/ChangeEvents', 'Lead', 'CREATE'],
        ['/data/ChangeEvents', 'Lead', 'GAP_OVERFLOW'],
      ],
    );
    assert.deepEqual(events[0]!.data.payload.ChangeEventHeader.recordIds, [lead]);
    assert.equal(events[1]!.data.event.replayId, overflow);

    const all = await handshake();
    await bayeux([
      {
        channel: '/meta/subscribe',
        clientId: all,
        subscription: '/data/LeadChangeEvent',
        ext: { replay: { '/data/LeadChangeEvent': -2 } },
      },
    ]);
    const everything = await connect(all);
    assert.ok(everything.length >= 2);
    assert.ok(everything.every((e) => e.data.payload.ChangeEventHeader.entityName === 'Lead'));

    const [invalid] = await bayeux([
      {
        channel: '/meta/subscribe',
        clientId: all,
        subscription: '/data/ContactChangeEvent',
        ext: { replay: { '/data/ContactChangeEvent': 10_000_000 } },
      },
    ]);
    assert.equal(invalid!.successful, false);
    assert.match(
      String(invalid!.error),
      /^400::The replayId \{10000000\} you provided was invalid/,
    );
    const [unknown] = await bayeux([
      { channel: '/meta/subscribe', clientId: all, subscription: '/data/FooChangeEvent' },
    ]);
    assert.equal(unknown!.successful, false);

    emulator.advance(73 * 60 * 60 * 1000);
    try {
      const later = await handshake();
      const [old] = await bayeux([
        {
          channel: '/meta/subscribe',
          clientId: later,
          subscription: '/data/LeadChangeEvent',
          ext: { replay: { '/data/LeadChangeEvent': first } },
        },
      ]);
      assert.equal(old!.successful, false, 'events older than 72 hours are gone');
    } finally {
      emulator.setClock(Date.now());
    }
  });
});

describe('control API', () => {
  const control = async <T>(path: string, method = 'GET', body?: unknown) => {
    const response = await fetch(`${emulator.url}/_emulator${path}`, {
      method,
      headers: body !== undefined ? { 'Content-Type': 'application/json' } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };

  test('seed a same-second burst, change records, touch, merge and undelete over HTTP', async () => {
    const seeded = await control<{ contacts: string[] }>('/seed', 'POST', {
      contacts: 3,
      from: 90_000,
      at: '2024-03-01T12:00:00.000+0000',
      fields: { Department: 'Control' },
    });
    assert.equal(seeded.status, 201);
    const [a, b, c] = seeded.body.contacts;
    const listed = await control<{ total: number; totalPages: number }>(
      '/records/Contact?per_page=200',
    );
    assert.equal(listed.body.totalPages, Math.ceil(listed.body.total / 200));
    const mine = await Promise.all(
      seeded.body.contacts.map(
        async (id) => (await control<Record<string, unknown>>(`/records/Contact/${id}`)).body,
      ),
    );
    assert.deepEqual(
      [...new Set(mine.map((r) => r.SystemModstamp))],
      ['2024-03-01T12:00:00.000+0000'],
    );
    assert.equal(
      (await control(`/records/Contact/${a}`, 'PATCH', { Title: 'Changed in the UI' })).status,
      204,
    );
    const refused = await control<{ errors: { statusCode: string }[] }>(
      `/records/Contact/${a}`,
      'PATCH',
      { LastName: null },
    );
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errors[0]!.statusCode, 'REQUIRED_FIELD_MISSING');

    assert.equal((await control(`/records/Contact/${b}/touch`, 'POST')).status, 204);
    const touched = (await control<Record<string, unknown>>(`/records/Contact/${b}`)).body;
    assert.notEqual(touched.SystemModstamp, '2024-03-01T12:00:00.000+0000');
    assert.equal(touched.LastModifiedDate, '2024-03-01T12:00:00.000+0000');
    const bySystem = await api<QueryPage>(
      q(
        "SELECT Id FROM Contact WHERE Department = 'Control' AND SystemModstamp > 2024-03-01T12:00:00Z AND LastModifiedDate = 2024-03-01T12:00:00Z",
      ),
    );
    assert.deepEqual(
      bySystem.body.records.map((r) => r.Id),
      [b],
    );

    assert.equal((await control('/merge', 'POST', { masterId: a, ids: [c] })).status, 204);
    const loser = (await control<Record<string, unknown>>(`/records/Contact/${c}`)).body;
    assert.equal(loser.IsDeleted, true);
    assert.equal(loser.MasterRecordId, a);
    assert.equal((await control(`/records/Contact/${c}/undelete`, 'POST')).status, 204);
    const back = (await control<Record<string, unknown>>(`/records/Contact/${c}`)).body;
    assert.equal(back.IsDeleted, false);
    assert.equal(back.MasterRecordId, null);
  });

  test('clock, limits, faults, session expiry and stats over HTTP', async () => {
    const frozen = await control<{ now: string; frozen: boolean }>('/clock', 'POST', {
      now: '2024-05-05T05:05:05Z',
      freeze: true,
    });
    assert.deepEqual(frozen.body, { now: '2024-05-05T05:05:05.000+0000', frozen: true });
    const later = await control<{ now: string }>('/clock', 'POST', { advanceMs: 60_000 });
    assert.equal(later.body.now, '2024-05-05T05:06:05.000+0000');
    await control('/clock', 'POST', { now: new Date().toISOString() });

    const limits = await control<{ dailyMax: number; used: number }>('/limits', 'POST', {
      dailyMax: 15_000,
      used: 14_999,
    });
    assert.deepEqual(limits.body, { dailyMax: 15_000, used: 14_999 });
    assert.equal((await api('/limits')).status, 200);
    assert.equal((await api('/limits')).status, 403);
    await control('/limits', 'POST', { dailyMax: 100_000, used: 0 });

    await control('/faults', 'POST', { status: 500, match: '/sobjects', count: 1 });
    const failed = await api<Errors>('/sobjects');
    assert.equal(failed.status, 500);
    assert.equal(failed.body[0]!.errorCode, 'UNKNOWN_EXCEPTION');
    assert.equal((await api('/sobjects')).status, 200);
    assert.equal((await control('/faults', 'DELETE')).status, 204);

    assert.equal((await control('/expire-tokens', 'POST')).status, 204);
    assert.equal((await api('/sobjects')).status, 401);
    token = String((await tokenFor({ grant_type: 'client_credentials' })).body.access_token);

    assert.equal((await control('/stats', 'DELETE')).status, 204);
    await api('/sobjects');
    const stats = await control<{ total: number; requests: Record<string, number> }>('/stats');
    assert.equal(stats.body.total, 1);
    assert.deepEqual(stats.body.requests, { 'GET /sobjects': 1 });
  });
});
