// Replays of the identity providers' own documented request sequences against a real stack
// (WordPress, MariaDB, the sidecar process), asserting each answer and what WordPress then
// holds: Microsoft Entra ID's provisioning flow as its SCIM validator checks it (lookups by
// userName and externalId, create, PATCH of multi- and single-valued attributes, disable,
// groups with excludedAttributes=members, member add/remove, delete), and Okta's SCIM 2.0
// spec and CRUD tests (list with count/startIndex, unknown user and id, create with
// realistic values, duplicate, case-insensitive userName, PUT update, deactivate and
// reactivate, unassign as active=false). Written from the vendors' documentation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asService, restUrl, scimRequest } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

let stack: Stack;
let connection: string;

before(
  async () => {
    stack = await startStack({ name: 'scim-idp-replay', tokenName: 'Entra production' });
    connection = stack.sidecar.scimConnection ?? 'entra-production';
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
});

// Each request carries the IdP's own headers: its user agent, and SCIM's media type.
const scim = (method: string, route: string, body?: unknown, agent = 'Microsoft.AAD') =>
  scimRequest(stack, method, route, body, {
    accept: 'application/scim+json',
    'user-agent': agent,
    ...(body === undefined ? {} : { 'content-type': 'application/scim+json; charset=utf-8' }),
  });

const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });

async function wpUser(id: string): Promise<Json> {
  const answer = await request<{ users: Json[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?connection=${connection}&id=${id}`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.users.find((user: Json) => String(user.id) === id);
}

describe('Microsoft Entra ID: the provisioning flow its SCIM validator checks', () => {
  const userName = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
  const externalId = '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef';
  let userId: string;
  let groupId: string;

  test('lookups before create: userName and externalId answer empty lists', async () => {
    for (const filter of [`userName eq "${userName}"`, `externalId eq "${externalId}"`]) {
      const r = await scim('GET', `/Users?${q(filter)}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.schemas, [LIST]);
      assert.equal(r.body.totalResults, 0);
    }
  });

  test('create user: 201 with the resource; WordPress has it, linked', async () => {
    const r = await scim('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      externalId,
      userName,
      active: true,
      emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b@testuser.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      [ENTERPRISE]: { department: 'Engineering', employeeNumber: '100009' },
    });
    assert.equal(r.status, 201, r.text);
    userId = r.body.id;
    assert.equal(r.body.userName, userName);
    assert.equal(r.body.externalId, externalId);
    assert.equal(r.body.active, true);
    assert.equal(r.body.meta.resourceType, 'User');
    const user = await wpUser(userId);
    assert.equal(user.linked, true);
    assert.equal(user.email.toLowerCase(), 'test_user_fd0ea19b@testuser.com');
    assert.equal(user.firstName, 'givenName');
    assert.equal(user.meta.department, 'Engineering');
  });

  test('get user by id, by userName (any case), by externalId; an unknown userName: 0 results', async () => {
    let r = await scim('GET', `/Users/${userId}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.id, userId);
    r = await scim('GET', `/Users?${q(`userName eq "${userName.toUpperCase()}"`)}`);
    assert.equal(r.body.totalResults, 1, r.text);
    assert.equal(r.body.Resources[0].id, userId);
    r = await scim('GET', `/Users?${q(`externalId eq "${externalId}"`)}`);
    assert.equal(r.body.totalResults, 1, r.text);
    r = await scim('GET', `/Users?${q('userName eq "non-existent user"')}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.totalResults, 0);
  });

  test('update user, multi-valued attributes: Replace emails[type eq "work"].value and name.familyName', async () => {
    const r = await scim(
      'PATCH',
      `/Users/${userId}`,
      patch(
        {
          op: 'Replace',
          path: 'emails[type eq "work"].value',
          value: 'updatedEmail@microsoft.com',
        },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
      ),
    );
    assert.ok([200, 204].includes(r.status), r.text);
    const user = await wpUser(userId);
    assert.equal(user.email.toLowerCase(), 'updatedemail@microsoft.com');
    assert.equal(user.lastName, 'updatedFamilyName');
  });

  test('update user, single-valued attributes: Replace userName; the manager by its URN path', async () => {
    const manager = await scim('POST', '/Users', {
      schemas: [USER],
      externalId: 'manager-object-id',
      userName: 'manager@contoso.example',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'manager@contoso.example' }],
    });
    assert.equal(manager.status, 201, manager.text);
    const r = await scim(
      'PATCH',
      `/Users/${userId}`,
      patch(
        {
          op: 'Replace',
          path: 'userName',
          value: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com',
        },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: manager.body.id },
      ),
    );
    assert.ok([200, 204].includes(r.status), r.text);
    const read = await scim('GET', `/Users/${userId}`);
    assert.equal(read.body.userName, '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com');
    assert.equal(read.body[ENTERPRISE].manager.value, manager.body.id);
    const found = await scim(
      'GET',
      `/Users?${q('userName eq "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"')}`,
    );
    assert.equal(found.body.totalResults, 1);
  });

  test('create group, get it without members, find it by displayName', async () => {
    let r = await scim('POST', '/Groups', {
      schemas: [GROUP],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'displayName',
      members: [],
      meta: { resourceType: 'Group' },
    });
    assert.equal(r.status, 201, r.text);
    groupId = r.body.id;
    r = await scim('GET', `/Groups/${groupId}?excludedAttributes=members`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.displayName, 'displayName');
    assert.equal(r.body.members, undefined);
    r = await scim(
      'GET',
      `/Groups?excludedAttributes=members&${q('displayName eq "displayName"')}`,
    );
    assert.equal(r.body.totalResults, 1, r.text);
    assert.equal(r.body.Resources[0].id, groupId);
  });

  test('update group: Replace displayName, Add then Remove a member', async () => {
    let r = await scim(
      'PATCH',
      `/Groups/${groupId}`,
      patch({
        op: 'Replace',
        path: 'displayName',
        value: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName',
      }),
    );
    assert.ok([200, 204].includes(r.status), r.text);
    r = await scim(
      'PATCH',
      `/Groups/${groupId}`,
      patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: userId }] }),
    );
    assert.ok([200, 204].includes(r.status), r.text);
    r = await scim('GET', `/Groups/${groupId}`);
    assert.deepEqual(
      r.body.members.map((m: Json) => m.value),
      [userId],
    );
    r = await scim(
      'PATCH',
      `/Groups/${groupId}`,
      patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: userId }] }),
    );
    assert.ok([200, 204].includes(r.status), r.text);
    r = await scim('GET', `/Groups/${groupId}`);
    assert.equal((r.body.members ?? []).length, 0);
  });

  test('disable user: Replace active "False"; the filter still finds it, inactive; WordPress blocks it', async () => {
    let r = await scim(
      'PATCH',
      `/Users/${userId}`,
      patch({ op: 'Replace', path: 'active', value: 'False' }),
    );
    assert.ok([200, 204].includes(r.status), r.text);
    r = await scim('GET', `/Users?${q(`externalId eq "${externalId}"`)}`);
    assert.equal(r.body.totalResults, 1);
    assert.equal(r.body.Resources[0].active, false);
    const user = await wpUser(userId);
    assert.equal(user.active, false);
    assert.deepEqual(user.roles, []);
  });

  test('delete group and user: 204, then 404; the WordPress user stays, disabled and unlinked', async () => {
    let r = await scim('DELETE', `/Groups/${groupId}`);
    assert.equal(r.status, 204, r.text);
    r = await scim('DELETE', `/Users/${userId}`);
    assert.equal(r.status, 204, r.text);
    r = await scim('GET', `/Users/${userId}`);
    assert.equal(r.status, 404);
    assert.deepEqual(r.body.schemas, [ERROR]);
    const user = await wpUser(userId);
    assert.equal(user.linked, false);
    assert.equal(user.active, false);
  });
});

describe('Okta: the SCIM 2.0 spec test and the CRUD test', () => {
  const okta = (method: string, route: string, body?: unknown) =>
    scim(method, route, body, 'Okta SCIM Client 1.0.0');
  const userName = 'Runscope.Tester.7731@example.com';
  let id: string;
  const oktaUser = (extra: Record<string, unknown> = {}) => ({
    schemas: [USER],
    userName,
    name: { givenName: 'Runscope', familyName: 'Tester' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Runscope Tester',
    locale: 'en-US',
    externalId: '00ujl29u0le5T6Aj10h7',
    groups: [],
    password: 'Kv7J2LEa-long-enough!',
    active: true,
    ...extra,
  });

  test('create the user with realistic values: 201, the fields returned, no password', async () => {
    const r = await okta('POST', '/Users', oktaUser());
    assert.equal(r.status, 201, r.text);
    id = r.body.id;
    assert.equal(r.body.userName, userName);
    assert.equal(r.body.name.familyName, 'Tester');
    assert.equal(r.body.active, true);
    assert.equal(r.body.password, undefined);
    const user = await wpUser(id);
    assert.equal(user.firstName, 'Runscope');
  });

  test('the Users endpoint with count=1&startIndex=1: a ListResponse with a full first resource', async () => {
    const r = await okta('GET', '/Users?count=1&startIndex=1');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.schemas, [LIST]);
    for (const key of ['itemsPerPage', 'startIndex', 'totalResults'])
      assert.equal(typeof r.body[key], 'number', key);
    assert.equal(r.body.Resources.length, 1);
    // Okta's assertions on the first resource, here on its own user (the list also holds
    // the manager made in Entra's flow, who has no name).
    const all = await okta('GET', '/Users?startIndex=1&count=100');
    const mine = all.body.Resources.find((u: Json) => u.id === id);
    assert.ok(mine.userName && mine.name.familyName && mine.name.givenName);
    assert.equal(typeof mine.active, 'boolean');
    assert.ok(mine.emails[0].value);
  });

  test('an unknown userName: 0 results; an unknown id: 404 with the SCIM error', async () => {
    let r = await okta('GET', `/Users?${q('userName eq "invalid-user-bd3c"')}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.totalResults, 0);
    r = await okta('GET', '/Users/010101');
    assert.equal(r.status, 404, r.text);
    assert.deepEqual(r.body.schemas, [ERROR]);
  });

  test('the user is there; creating it again is 409; userName compares case-insensitively', async () => {
    let r = await okta('GET', `/Users/${id}`);
    assert.equal(r.body.userName, userName);
    r = await okta('POST', '/Users', oktaUser());
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.scimType, 'uniqueness');
    r = await okta(
      'GET',
      `/Users?${q(`userName eq "${userName.toUpperCase()}"`)}&startIndex=1&count=100`,
    );
    assert.equal(r.body.totalResults, 1);
  });

  test('update the profile with PUT (firstName changed): 200 and WordPress updated', async () => {
    const r = await okta('PUT', `/Users/${id}`, {
      ...oktaUser({ name: { givenName: 'Updated', familyName: 'Tester' } }),
      id,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name.givenName, 'Updated');
    assert.equal((await wpUser(id)).firstName, 'Updated');
  });

  test('deactivate with PATCH replace {active:false}, reactivate, then unassign (active=false again)', async () => {
    let r = await okta('PATCH', `/Users/${id}`, patch({ op: 'replace', value: { active: false } }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.active, false);
    assert.equal((await wpUser(id)).active, false);
    r = await okta('PATCH', `/Users/${id}`, patch({ op: 'replace', value: { active: true } }));
    assert.equal(r.status, 200, r.text);
    let user = await wpUser(id);
    assert.equal(user.active, true);
    assert.deepEqual(user.roles, ['subscriber']);
    r = await okta('PUT', `/Users/${id}`, { ...oktaUser({ active: false }), id });
    assert.equal(r.status, 200, r.text);
    user = await wpUser(id);
    assert.equal(user.active, false);
    assert.equal(user.linked, true, 'Okta never DELETEs: the user stays the connection’s');
  });

  test('group push: create with a member, rename and change members with PATCH, list, delete', async () => {
    let r = await okta('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'Okta Push Group',
      members: [{ value: id, display: userName }],
    });
    assert.equal(r.status, 201, r.text);
    const groupId = r.body.id;
    r = await okta(
      'PATCH',
      `/Groups/${groupId}`,
      patch(
        { op: 'replace', value: { id: groupId, displayName: 'Okta Push Group renamed' } },
        { op: 'remove', path: `members[value eq "${id}"]` },
      ),
    );
    assert.ok([200, 204].includes(r.status), r.text);
    r = await okta('GET', '/Groups?startIndex=1&count=100');
    const listed = r.body.Resources.find((g: Json) => g.id === groupId);
    assert.equal(listed.displayName, 'Okta Push Group renamed');
    assert.equal((listed.members ?? []).length, 0);
    r = await okta('DELETE', `/Groups/${groupId}`);
    assert.equal(r.status, 204, r.text);
  });
});
