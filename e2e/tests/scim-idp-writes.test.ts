// SCIM writes as identity providers really send them, on a real stack (WordPress, MariaDB and
// the sidecar process): users with any `type` label stay updatable and can always be
// disabled; concurrent PATCHes and PUTs of one user never lose a change or pass a stale
// If-Match; identities are resolved in one documented order and never merged; a person
// unassigned (DELETE) and assigned again gets the same WordPress account back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, restUrl, scimRequest } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

let stack: Stack;
let connection: string;

before(
  async () => {
    stack = await startStack({ name: 'scim-idp-writes', tokenName: 'Entra production' });
    connection = stack.sidecar.scimConnection ?? 'entra-production';
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
});

const scim = (method: string, route: string, body?: unknown, headers?: Record<string, string>) =>
  scimRequest(stack, method, route, body, headers);

const patch = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });
const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;

/** The plugin's snapshot of a user, linked to the token's connection or not. */
async function wpUser(id: number | string): Promise<Json> {
  const answer = await request<{ users: Json[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?connection=${connection}&id=${id}`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.users.find((user: Json) => String(user.id) === String(id));
}

async function userCount(): Promise<number> {
  const answer = await request<Json[]>(`${restUrl(stack, 'wp/v2/users')}?context=edit&per_page=1`, {
    basic: asAdmin(stack),
  });
  return Number(answer.headers.get('x-wp-total'));
}

async function setPolicy(deprovision: Record<string, unknown>) {
  const answer = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
    method: 'PUT',
    basic: asAdmin(stack),
    body: { deprovision },
  });
  assert.equal(answer.status, 200, answer.text);
}

function person(n: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER, ENTERPRISE],
    externalId: `obj-${n}`,
    userName: `${n}@contoso.example`,
    active: true,
    displayName: `Person ${n}`,
    emails: [{ primary: true, type: 'work', value: `${n}@contoso.example` }],
    name: { givenName: 'Given', familyName: n },
    ...extra,
  };
}

async function create(body: Json): Promise<string> {
  const r = await scim('POST', '/Users', body);
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

describe('P1: any type label, and a user can always be disabled', () => {
  test('Entra\'s app role assignment (roles of type WindowsAzureActiveDirectoryRole), then PATCH active "False"', async () => {
    const id = await create(
      person('role-holder', {
        roles: [
          {
            primary: false,
            type: 'WindowsAzureActiveDirectoryRole',
            value: '8f2e1a3c-0000-4000-8000-000000000001',
          },
        ],
      }),
    );
    let r = await scim('GET', `/Users/${id}`);
    assert.equal(r.body.roles[0].type, 'WindowsAzureActiveDirectoryRole', 'stored as sent');

    r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'Replace', path: 'active', value: 'False' }),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.active, false);
    const user = await wpUser(id);
    assert.equal(user.active, false, 'the WordPress user is disabled');
    assert.deepEqual(user.roles, []);
  });

  test('labels outside the suggested lists, in any case, then a PATCH of other attributes', async () => {
    const id = await create(
      person('labels', {
        emails: [
          { primary: true, type: 'Work', value: 'labels@contoso.example' },
          { type: 'internet', value: 'labels@home.example' },
        ],
        phoneNumbers: [{ type: 'cell', value: '+1 555 0100' }],
        addresses: [{ type: 'billing', streetAddress: '1 Main St' }],
        x509Certificates: [{ type: 'signing', value: 'TUlJQw==' }],
        ims: [{ type: 'Teams', value: 'labels' }],
        entitlements: [{ type: 'license', value: 'E5' }],
      }),
    );
    const r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch(
        { op: 'replace', path: 'title', value: 'Engineer' },
        { op: 'add', path: 'phoneNumbers', value: [{ type: 'Pager', value: '+1 555 0101' }] },
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'labels@contoso.example' },
      ),
    );
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      r.body.phoneNumbers.map((p: Json) => p.type),
      ['cell', 'Pager'],
    );
    assert.equal(r.body.emails[0].type, 'Work');
    assert.equal(r.body.addresses[0].type, 'billing');
  });
});

describe('P2: atomic writes of one user', () => {
  const attributes: [string, (n: number) => unknown, (u: Json, n: number) => boolean][] = [
    ['title', (n) => `Title ${n}`, (u, n) => u.title === `Title ${n}`],
    ['displayName', (n) => `Display ${n}`, (u, n) => u.displayName === `Display ${n}`],
    ['nickName', (n) => `Nick ${n}`, (u, n) => u.nickName === `Nick ${n}`],
    ['name.givenName', (n) => `Given ${n}`, (u, n) => u.name?.givenName === `Given ${n}`],
    ['name.familyName', (n) => `Family ${n}`, (u, n) => u.name?.familyName === `Family ${n}`],
    [
      `${ENTERPRISE}:department`,
      (n) => `Dept ${n}`,
      (u, n) => u[ENTERPRISE]?.department === `Dept ${n}`,
    ],
    [
      `${ENTERPRISE}:employeeNumber`,
      (n) => `E${n}`,
      (u, n) => u[ENTERPRISE]?.employeeNumber === `E${n}`,
    ],
    ['locale', (n) => `en-${n}`, (u, n) => u.locale === `en-${n}`],
  ];

  test('8 parallel PATCHes of 8 different attributes: every change is kept (4 trials)', async () => {
    const id = await create(person('parallel-patch'));
    for (let trial = 1; trial <= 4; trial++) {
      const answers = await Promise.all(
        attributes.map(([path, value]) =>
          scim('PATCH', `/Users/${id}`, patch({ op: 'replace', path, value: value(trial) })),
        ),
      );
      for (const r of answers) assert.equal(r.status, 200, `trial ${trial}: ${r.text}`);
      const r = await scim('GET', `/Users/${id}`);
      const lost = attributes.filter(([, , kept]) => !kept(r.body, trial)).map(([path]) => path);
      assert.deepEqual(lost, [], `trial ${trial}: lost changes`);
      const user = await wpUser(id);
      assert.equal(user.firstName, `Given ${trial}`);
      assert.equal(user.lastName, `Family ${trial}`);
      assert.equal(user.meta.title, `Title ${trial}`);
      assert.equal(user.meta.department, `Dept ${trial}`);
      assert.equal(user.meta.employee_number, `E${trial}`);
    }
  });

  test('8 parallel writes to the plugin of 8 different fields of one user: all stored (3 trials)', async () => {
    const id = Number(await create(person('parallel-batch')));
    const fields = ['title', 'department', 'employee_number', 'organization'];
    for (let trial = 1; trial <= 3; trial++) {
      const writes = [
        ...fields.map((key) => ({ meta: { [key]: `${key} ${trial}` } })),
        { firstName: `First ${trial}` },
        { lastName: `Last ${trial}` },
        { nickname: `nick-${trial}` },
        { description: `About ${trial}` },
      ];
      const answers = await Promise.all(
        writes.map((user) =>
          request<Json>(restUrl(stack, 'usersync/v1/users/batch'), {
            method: 'POST',
            basic: asService(stack),
            body: {
              connection,
              source: 'scim:e2e',
              operations: [{ ref: '0', action: 'update', id, user }],
            },
          }),
        ),
      );
      for (const a of answers) {
        assert.equal(a.status, 200, a.text);
        assert.equal(a.body.results[0].ok, true, a.text);
      }
      const user = await wpUser(id);
      for (const key of fields) assert.equal(user.meta[key], `${key} ${trial}`, `trial ${trial}`);
      assert.equal(user.firstName, `First ${trial}`);
      assert.equal(user.lastName, `Last ${trial}`);
    }
  });

  test('6 parallel PUTs with one If-Match: exactly one 200, the others 412 (3 trials)', async () => {
    const id = await create(person('parallel-put'));
    for (let trial = 1; trial <= 3; trial++) {
      const read = await scim('GET', `/Users/${id}`);
      const version = read.body.meta.version;
      const answers = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((n) =>
          scim(
            'PUT',
            `/Users/${id}`,
            person('parallel-put', { title: `Trial ${trial} writer ${n}` }),
            { 'if-match': version },
          ),
        ),
      );
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 412, 412, 412, 412, 412], `trial ${trial}`);
      const winner = answers.find((r) => r.status === 200)!;
      const now = await scim('GET', `/Users/${id}`);
      assert.equal(now.body.title, winner.body.title, 'what was answered 200 is what is stored');
    }
  });

  test('no 412 without If-Match: 6 parallel PUTs and PATCHes without it all succeed', async () => {
    const id = await create(person('no-if-match'));
    const answers = await Promise.all([
      ...[1, 2, 3].map((n) =>
        scim('PUT', `/Users/${id}`, person('no-if-match', { title: `${n}` })),
      ),
      ...[1, 2, 3].map((n) =>
        scim('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'nickName', value: `n${n}` })),
      ),
    ]);
    for (const r of answers) assert.equal(r.status, 200, r.text);
  });

  test('/Bulk: parallel PATCHes of one user in one request and across requests keep every change', async () => {
    const id = await create(person('bulk-patch'));
    const bulk = (ops: [string, string][]) =>
      scim('POST', '/Bulk', {
        schemas: [BULK],
        Operations: ops.map(([path, value]) => ({
          method: 'PATCH',
          path: `/Users/${id}`,
          data: patch({ op: 'replace', path, value }),
        })),
      });
    const answers = await Promise.all([
      bulk([
        ['title', 'Bulk title'],
        ['nickName', 'bulk-nick'],
      ]),
      bulk([['locale', 'fr-FR']]),
      bulk([['displayName', 'Bulk Display']]),
    ]);
    for (const r of answers) {
      assert.equal(r.status, 200, r.text);
      for (const op of r.body.Operations) assert.equal(op.status, '200', r.text);
    }
    const r = await scim('GET', `/Users/${id}`);
    assert.equal(r.body.title, 'Bulk title');
    assert.equal(r.body.nickName, 'bulk-nick');
    assert.equal(r.body.locale, 'fr-FR');
    assert.equal(r.body.displayName, 'Bulk Display');
  });

  test('a group renamed by parallel PUTs with one If-Match: exactly one 200', async () => {
    const r = await scim('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Parallel group',
    });
    assert.equal(r.status, 201, r.text);
    const version = r.body.meta.version;
    const answers = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        scim(
          'PUT',
          `/Groups/${r.body.id}`,
          {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
            displayName: `Parallel group ${n}`,
          },
          { 'if-match': version },
        ),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.status).sort(),
      [200, 412, 412, 412],
      answers.map((a) => a.text).join('\n'),
    );
  });
});

describe('P3: identities resolved as link → externalId → userName → email, never merged', () => {
  test('a POST with another userName but the externalId and email of an existing user: 409, nobody renamed', async () => {
    const id = await create(person('p3-first'));
    const before = await wpUser(id);
    const count = await userCount();
    const r = await scim(
      'POST',
      '/Users',
      person('p3-other', {
        externalId: 'obj-p3-first',
        emails: [{ primary: true, type: 'work', value: 'p3-first@contoso.example' }],
      }),
    );
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.scimType, 'uniqueness');
    assert.match(r.body.detail, /externalId/);
    const after = await wpUser(id);
    assert.equal(after.login, before.login, 'not renamed');
    assert.equal(after.version, before.version, 'untouched');
    assert.equal(await userCount(), count, 'nobody created');
  });

  test('the externalId of one user and the userName of another: 409, both untouched', async () => {
    const a = await create(person('p3-a'));
    const b = await create(person('p3-b'));
    const [beforeA, beforeB] = [await wpUser(a), await wpUser(b)];
    const r = await scim('POST', '/Users', person('p3-b', { externalId: 'obj-p3-a' }));
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.scimType, 'uniqueness');
    assert.equal((await wpUser(a)).version, beforeA.version);
    assert.equal((await wpUser(b)).version, beforeB.version);
  });

  test("a new person with a managed user's email only: 409 email, nobody changed", async () => {
    const a = await create(person('p3-mail'));
    const before = await wpUser(a);
    const r = await scim(
      'POST',
      '/Users',
      person('p3-newcomer', {
        emails: [{ primary: true, type: 'work', value: 'p3-mail@contoso.example' }],
      }),
    );
    assert.equal(r.status, 409, r.text);
    assert.match(r.body.detail, /email is already in use/);
    assert.equal((await wpUser(a)).version, before.version);
  });

  test('a retried POST is 409 and finds the same user', async () => {
    const id = await create(person('p3-retry'));
    const r = await scim('POST', '/Users', person('p3-retry'));
    assert.equal(r.status, 409, r.text);
    const found = await scim('GET', `/Users?${q('externalId eq "obj-p3-retry"')}`);
    assert.equal(found.body.totalResults, 1);
    assert.equal(found.body.Resources[0].id, id);
  });
});

describe('P4: unassigned, then assigned again', () => {
  test('default policy: DELETE, then the same POST → 201 with the same account, linked, enabled, roles from the role map', async () => {
    await setPolicy({ action: 'disable', touchUnlinked: false, touchAdministrators: false });
    const id = await create(person('p4-back'));
    const group = await scim('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'P4 readers',
      members: [{ value: id }],
    });
    assert.equal(group.status, 201, group.text);

    let r = await scim('DELETE', `/Users/${id}`);
    assert.equal(r.status, 204, r.text);
    let user = await wpUser(id);
    assert.equal(user.linked, false);
    assert.equal(user.active, false);
    r = await scim('GET', `/Users?${q('userName eq "p4-back@contoso.example"')}`);
    assert.equal(r.body.totalResults, 0);

    const count = await userCount();
    r = await scim('POST', '/Users', person('p4-back', { displayName: 'Back again' }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.id, id, 'the same WordPress account');
    assert.equal(r.body.active, true);
    assert.equal(await userCount(), count, 'no second account');
    user = await wpUser(id);
    assert.equal(user.linked, true);
    assert.equal(user.active, true);
    assert.deepEqual(user.roles, ['subscriber'], 'the role map default');
    assert.equal(user.displayName, 'Back again');
    r = await scim('GET', `/Users?${q('userName eq "p4-back@contoso.example"')}`);
    assert.equal(r.body.totalResults, 1, r.text);
    assert.equal(r.body.Resources[0].id, id);
    r = await scim('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'active', value: false }));
    assert.equal(r.status, 200, r.text);
  });

  test('another identity with the login of an unlinked account this connection created: 409', async () => {
    const id = await create(person('p4-taken'));
    assert.equal((await scim('DELETE', `/Users/${id}`)).status, 204);
    const r = await scim('POST', '/Users', person('p4-taken', { externalId: 'obj-someone-else' }));
    assert.equal(r.status, 409, r.text);
    assert.equal((await wpUser(id)).linked, false);
  });

  test('delete policy: DELETE removes the account, the same POST makes a new one', async () => {
    await setPolicy({ action: 'delete', graceDays: 0, reassignTo: 1 });
    try {
      const id = await create(person('p4-gone'));
      assert.equal((await scim('DELETE', `/Users/${id}`)).status, 204);
      assert.equal(await wpUser(id), undefined);
      const again = await create(person('p4-gone'));
      assert.notEqual(again, id);
      assert.equal((await wpUser(again)).linked, true);
    } finally {
      await setPolicy({ action: 'disable' });
    }
  });
});

describe('answers that tell a token nothing about accounts it cannot see', () => {
  test('GET, PUT, PATCH and DELETE of the administrator, an unlinked user and a missing id: the same 404', async () => {
    for (const id of ['1', '999999', 'abc']) {
      const answers = await Promise.all([
        scim('GET', `/Users/${id}`),
        scim('PUT', `/Users/${id}`, person('nobody')),
        scim('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'title', value: 'x' })),
        scim('DELETE', `/Users/${id}`),
      ]);
      if (id !== '1') {
        // Group 1 is one this connection made above; other connections' groups are unseen.
        answers.push(await scim('GET', `/Groups/${id}`), await scim('DELETE', `/Groups/${id}`));
      }
      for (const r of answers) {
        assert.equal(r.status, 404, r.text);
        assert.match(r.body.detail, new RegExp(`^(User|Group) ${id} not found$`), r.text);
      }
    }
  });

  test('a POST with the login of an unmanaged account says only which attribute is taken', async () => {
    const made = await request<Json>(restUrl(stack, 'wp/v2/users'), {
      method: 'POST',
      basic: asAdmin(stack),
      body: {
        username: 'unmanaged@contoso.example',
        email: 'unmanaged@elsewhere.example',
        password: 'Local-only-password-1!',
      },
    });
    assert.equal(made.status, 201, made.text);
    const r = await scim('POST', '/Users', person('unmanaged'));
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.scimType, 'uniqueness');
    assert.doesNotMatch(r.body.detail, /managed|linked|administrator|elsewhere|setting/i);
  });
});

describe('bounded answers, on the running sidecar', () => {
  test('depth, size of details, numbers for strings, /Me, extension schemas and ETags', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    let r = await scim(
      'POST',
      '/Users',
      `{"schemas":["${USER}"],"userName":"d@x.example","title":${deep}}`,
    );
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.scimType, 'invalidSyntax');

    const count = await userCount();
    r = await scim('POST', '/Users', `{"schemas":["${USER}"],"userName":1e999}`);
    assert.equal(r.status, 400, r.text);
    r = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'big@x.example',
      active: 'x'.repeat(800_000),
    });
    assert.equal(r.status, 400);
    assert.ok(r.body.detail.length <= 300, `${r.body.detail.length}`);
    assert.equal(await userCount(), count, 'nothing created');

    r = await scim('GET', '/Me');
    assert.equal(r.status, 501, r.text);

    const id = await create(person('ext-schemas'));
    r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch({
        op: 'replace',
        path: ENTERPRISE,
        value: { schemas: [ENTERPRISE], department: 'Legal' },
      }),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal((await wpUser(id)).meta.department, 'Legal');
    assert.equal(r.headers.get('etag'), r.body.meta.version);

    r = await scim('GET', '/Users?count=1');
    assert.equal(r.headers.get('etag'), null, 'no ETag on a list');
    r = await scim('GET', '/Users/999999');
    assert.equal(r.headers.get('etag'), null, 'no ETag on an error');
  });
});
