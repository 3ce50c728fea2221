// SCIM 2.0 against a real WordPress with the UserSync plugin: the Entra ID and Okta request
// shapes, groups mapped to roles, deprovisioning, /Bulk, and bad requests that write
// nothing. The SCIM router runs in this process over the stack's WordPress (through the
// same client, token cache and plugin routes the sidecar uses), so these tests depend on
// WordPress and the plugin only.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import express from 'express';
import { pino } from 'pino';

import { ScimTokenCache } from '../../sidecar/src/auth/scim-tokens.js';
import { createScimRouter } from '../../sidecar/src/scim/index.js';
import { WordPressClient } from '../../sidecar/src/wordpress/client.js';
import { asAdmin, asService, restUrl } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface Snapshot {
  id: number;
  login: string;
  email: string;
  firstName: string;
  roles: string[];
  active: boolean;
  linked: boolean;
  meta: Record<string, unknown>;
}

let stack: Stack;
let server: Server;
let scim: string;
let tokens: ScimTokenCache;

before(
  async () => {
    stack = await startStack({ name: 'scim', withSidecar: false, tokenName: 'Entra production' });
    const wordpress = new WordPressClient({
      baseUrl: stack.wordpress.url,
      user: stack.wordpress.appUser,
      appPassword: stack.wordpress.appPassword,
      retries: 1,
    });
    tokens = new ScimTokenCache(wordpress, { usageFlushMs: 0 });
    const app = express();
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    app.use(
      '/scim/v2',
      createScimRouter({ tokens, wordpress, publicUrl: url, logger: pino({ level: 'silent' }) }),
    );
    scim = `${url}/scim/v2`;
  },
  { timeout: 180_000 },
);

after(async () => {
  tokens?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await stack?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${scim}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.sidecar.scimToken}`,
      ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, body: json, text };
}

const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });

function entraUser(n: number, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER, ENTERPRISE],
    externalId: `e2e-ext-${n}`,
    userName: `e2e.user${n}@contoso.com`,
    active: true,
    displayName: `E2E User ${n}`,
    emails: [{ primary: true, type: 'work', value: `e2e.user${n}@contoso.com` }],
    name: { givenName: `Given${n}`, familyName: `Family${n}` },
    title: 'Engineer',
    [ENTERPRISE]: { department: 'Research', employeeNumber: `N${n}` },
    ...extra,
  };
}

async function wpUser(id: string | number): Promise<Snapshot | undefined> {
  const answer = await request<{ users: Snapshot[] }>(
    `${restUrl(stack, 'usersync/v1/users')}&id=${id}`.replace('/users&', '/users?'),
    { basic: asService(stack) },
  );
  return answer.body.users?.[0];
}

async function userCount(): Promise<number> {
  const answer = await request<Json[]>(`${restUrl(stack, 'wp/v2/users')}?context=edit&per_page=1`, {
    basic: asAdmin(stack),
  });
  return Number(answer.headers.get('x-wp-total'));
}

describe('Entra ID against WordPress', () => {
  let id: string;

  test('lookups before create are empty lists', async () => {
    let r = await call('GET', `/Users?${q('userName eq "e2e.user1@contoso.com"')}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.totalResults, 0);
    r = await call('GET', `/Users?${q('externalId eq "e2e-ext-1"')}`);
    assert.equal(r.body.totalResults, 0);
  });

  test('create writes a WordPress user with the mapped fields', async () => {
    const r = await call('POST', '/Users', entraUser(1));
    assert.equal(r.status, 201, r.text);
    id = r.body.id;
    assert.equal(r.headers.get('location'), `${scim}/Users/${id}`);
    assert.equal(r.body.userName, 'e2e.user1@contoso.com');
    assert.match(r.body.meta.version, /^W\/"[0-9a-f]{16}"$/);
    const user = await wpUser(id);
    assert.ok(user, 'the WordPress user exists');
    assert.equal(user.login, 'e2e.user1@contoso.com');
    assert.equal(user.email, 'e2e.user1@contoso.com');
    assert.equal(user.firstName, 'Given1');
    assert.equal(user.meta.department, 'Research');
    assert.equal(user.meta.title, 'Engineer');
    assert.deepEqual(user.roles, ['subscriber']);
  });

  test('a retried create is 409 uniqueness and creates nothing', async () => {
    const before = await userCount();
    const r = await call('POST', '/Users', entraUser(1));
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.scimType, 'uniqueness');
    assert.equal(await userCount(), before);
  });

  test('lookups find it, userName in any case', async () => {
    let r = await call('GET', `/Users?${q('userName eq "E2E.User1@Contoso.com"')}`);
    assert.equal(r.body.totalResults, 1, r.text);
    assert.equal(r.body.Resources[0].id, id);
    r = await call('GET', `/Users?${q('externalId eq "e2e-ext-1"')}`);
    assert.equal(r.body.totalResults, 1);
  });

  test('PATCH as Entra sends it updates WordPress', async () => {
    const r = await call(
      'PATCH',
      `/Users/${id}`,
      patch(
        { op: 'Replace', path: 'name.givenName', value: 'Renamed' },
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'e2e.renamed1@contoso.com' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: '42' },
        {
          op: 'Replace',
          value: { [`${ENTERPRISE}:department`]: 'Sales', 'name.familyName': 'Changed' },
        },
      ),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name.givenName, 'Renamed');
    assert.deepEqual(r.body[ENTERPRISE].manager, { value: '42' });
    const user = await wpUser(id);
    assert.equal(user?.firstName, 'Renamed');
    assert.equal(user?.email, 'e2e.renamed1@contoso.com');
    assert.equal(user?.meta.department, 'Sales');
  });

  test('active "False" disables the user in WordPress; "True" restores the role', async () => {
    let r = await call(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'Replace', path: 'active', value: 'False' }),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.active, false);
    let user = await wpUser(id);
    assert.equal(user?.active, false);
    assert.deepEqual(user?.roles, []);
    r = await call('GET', `/Users?${q('active eq false')}`);
    assert.ok(r.body.Resources.some((u: Json) => u.id === id));
    r = await call(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'Replace', path: 'active', value: 'True' }),
    );
    assert.equal(r.body.active, true);
    user = await wpUser(id);
    assert.deepEqual(user?.roles, ['subscriber']);
  });

  test('If-Match with a stale version is 412 and changes nothing', async () => {
    const r = await call(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'Replace', path: 'displayName', value: 'x' }),
      {
        'if-match': 'W/"0000000000000000"',
      },
    );
    assert.equal(r.status, 412, r.text);
    assert.notEqual((await call('GET', `/Users/${id}`)).body.displayName, 'x');
  });

  test('DELETE follows the deprovision policy; the resource is gone for the connection', async () => {
    const r = await call('DELETE', `/Users/${id}`);
    assert.equal(r.status, 204, r.text);
    assert.equal((await call('GET', `/Users/${id}`)).status, 404);
  });
});

describe('Okta against WordPress', () => {
  test('connection test, create with password, PUT, deactivate', async () => {
    let r = await call('GET', '/Users?startIndex=1&count=2');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.itemsPerPage <= 2);
    r = await call('POST', '/Users', {
      schemas: [USER],
      userName: 'Fox.Mulder@fbi.example',
      name: { givenName: 'Fox', familyName: 'Mulder' },
      emails: [{ primary: true, value: 'fox.mulder@fbi.example', type: 'work' }],
      displayName: 'Fox Mulder',
      locale: 'en-US',
      externalId: '00u-okta-1',
      password: 'Tru5t-No-1!',
      active: true,
    });
    assert.equal(r.status, 201, r.text);
    const id = r.body.id;
    r = await call('GET', `/Users?${q('userName eq "fox.mulder@FBI.example"')}`);
    assert.equal(r.body.totalResults, 1);
    r = await call('PUT', `/Users/${id}`, {
      schemas: [USER],
      id,
      userName: 'Fox.Mulder@fbi.example',
      name: { givenName: 'Fox', familyName: 'Mulder' },
      emails: [{ primary: true, value: 'fox.mulder@fbi.example', type: 'work' }],
      displayName: 'Agent Mulder',
      externalId: '00u-okta-1',
      active: true,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.displayName, 'Agent Mulder');
    assert.equal(r.body.locale, undefined);
    r = await call('PATCH', `/Users/${id}`, patch({ op: 'replace', value: { active: false } }));
    assert.equal(r.body.active, false);
    assert.equal((await wpUser(id))?.active, false);
  });
});

describe('groups and roles', () => {
  test('a group mapped to a role gives its members that role', async () => {
    const config = await request(restUrl(stack, 'usersync/v1/config'), {
      method: 'PUT',
      basic: asAdmin(stack),
      body: {
        roleMap: {
          rules: [{ group: 'Editors', role: 'editor', priority: 10 }],
          defaultRole: 'subscriber',
          allowAdministrator: false,
        },
      },
    });
    assert.equal(config.status, 200, config.text);
    const a = (await call('POST', '/Users', entraUser(20))).body.id;
    const b = (await call('POST', '/Users', entraUser(21))).body.id;
    let r = await call('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'Editors',
      externalId: 'grp-ed',
      members: [{ value: a }],
    });
    assert.equal(r.status, 201, r.text);
    const group = r.body.id;
    assert.deepEqual((await wpUser(a))?.roles, ['editor']);
    r = await call(
      'PATCH',
      `/Groups/${group}`,
      patch(
        { op: 'Add', path: 'members', value: [{ value: b }] },
        { op: 'Remove', path: 'members', value: [{ value: a }] },
      ),
    );
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      r.body.members.map((m: Json) => m.value),
      [b],
    );
    assert.deepEqual((await wpUser(a))?.roles, ['subscriber']);
    assert.deepEqual((await wpUser(b))?.roles, ['editor']);
    r = await call('GET', `/Groups?${q('displayName eq "editors"')}&excludedAttributes=members`);
    assert.equal(r.body.totalResults, 1);
    assert.equal(r.body.Resources[0].members, undefined);
    r = await call('GET', `/Users/${b}`);
    assert.deepEqual(
      r.body.groups.map((g: Json) => g.display),
      ['Editors'],
    );
  });
});

describe('/Bulk against WordPress', () => {
  test('creates users and a group referring to them in one request', async () => {
    const before = await userCount();
    const r = await call('POST', '/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'g',
          data: {
            schemas: [GROUP],
            displayName: 'Bulk team',
            members: [{ value: 'bulkId:u0' }, { value: 'bulkId:u1' }],
          },
        },
        ...Array.from({ length: 30 }, (_, i) => ({
          method: 'POST',
          path: '/Users',
          bulkId: `u${i}`,
          data: entraUser(100 + i),
        })),
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.ok(
      r.body.Operations.every((o: Json) => o.status === '201'),
      r.text,
    );
    assert.equal(await userCount(), before + 30);
    const groupId = r.body.Operations[0].location.split('/').pop();
    assert.equal((await call('GET', `/Groups/${groupId}`)).body.members.length, 2);
  });
});

describe('bad requests against WordPress write nothing', () => {
  const cases: [string, string, string, unknown, number][] = [
    ['malformed JSON', 'POST', '/Users', '{"userName":', 400],
    ['no userName', 'POST', '/Users', { schemas: [USER] }, 400],
    ['unknown attribute', 'POST', '/Users', { ...entraUser(300), shoeSize: 44 }, 400],
    [
      'duplicate email',
      'POST',
      '/Users',
      entraUser(301, { emails: [{ value: 'e2e.user100@contoso.com', primary: true }] }),
      409,
    ],
    ['duplicate externalId', 'POST', '/Users', entraUser(302, { externalId: 'e2e-ext-100' }), 409],
    [
      'invalid email',
      'POST',
      '/Users',
      entraUser(303, { emails: [{ value: 'not-an-email', primary: true }] }),
      400,
    ],
    [
      'group with a user of no connection',
      'POST',
      '/Groups',
      { schemas: [GROUP], displayName: 'Nope', members: [{ value: '1' }] },
      400,
    ],
    ['bad filter', 'GET', `/Users?${q('userName eq')}`, undefined, 400],
    [
      'unknown id',
      'PATCH',
      '/Users/999999',
      patch({ op: 'replace', path: 'title', value: 'x' }),
      404,
    ],
    ['wrong content type', 'POST', '/Users', 'userName=x', 415],
  ];
  for (const [name, method, path, body, status] of cases) {
    test(`${status} ${name}`, async () => {
      const before = await userCount();
      const headers: Record<string, string> =
        name === 'wrong content type'
          ? { 'content-type': 'application/x-www-form-urlencoded' }
          : {};
      const r = await call(method, path, body, headers);
      assert.equal(r.status, status, r.text);
      assert.deepEqual(r.body?.schemas, [ERROR]);
      assert.equal(await userCount(), before);
    });
  }

  test('401 without a valid token', async () => {
    const r = await fetch(`${scim}/Users`, { headers: { authorization: 'Bearer us_not-a-token' } });
    assert.equal(r.status, 401);
  });
});
