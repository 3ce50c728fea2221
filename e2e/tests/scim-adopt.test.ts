// People who already have a WordPress account, provisioned by an IdP over SCIM, on a real
// stack: the accounts are made with the WordPress REST API as the admin (not linked to any
// connection), the deprovisioning policy is set through the plugin's config route, and the
// IdP's POST /Users either adopts the account (201, the same WordPress id, now linked and
// updated, then read, patched and deleted like any user of the connection) or answers 409
// saying which setting links existing users. Administrators need their own setting.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, restUrl, scimRequest } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const TOKEN_NAME = 'Entra production';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

let stack: Stack;
let connection: string;

before(
  async () => {
    stack = await startStack({ name: 'scim-adopt', tokenName: TOKEN_NAME });
    connection = stack.sidecar.scimConnection ?? 'entra-production';
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
});

const scim = (method: string, route: string, body?: unknown) =>
  scimRequest(stack, method, route, body);

/** A WordPress account made in wp-admin's way: the core users route, as the admin. */
async function existingUser(fields: {
  username: string;
  email: string;
  first_name?: string;
  roles?: string[];
}): Promise<number> {
  const answer = await request<Json>(restUrl(stack, 'wp/v2/users'), {
    method: 'POST',
    basic: asAdmin(stack),
    body: { password: 'Local-only-password-1!', roles: ['subscriber'], ...fields },
  });
  assert.equal(answer.status, 201, answer.text);
  return answer.body.id as number;
}

/** The plugin's snapshot of a user as the token's connection sees it (linked or not). */
async function snapshot(id: number): Promise<Json> {
  const answer = await request<{ users: Json[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?connection=${connection}&id=${id}`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.users.find((user) => user.id === id);
}

async function usersWith(query: string): Promise<Json[]> {
  const answer = await request<{ users: Json[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?${query}`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.users;
}

async function setPolicy(touchUnlinked: boolean, touchAdministrators = false) {
  const answer = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
    method: 'PUT',
    basic: asAdmin(stack),
    body: { deprovision: { action: 'disable', touchUnlinked, touchAdministrators } },
  });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.deprovision.touchUnlinked, touchUnlinked);
  assert.equal(answer.body.deprovision.touchAdministrators, touchAdministrators);
}

async function auditOf(id: number): Promise<Json[]> {
  const answer = await request<Json[]>(
    `${restUrl(stack, 'usersync/v1/audit')}?user=${id}&order=asc&per_page=100`,
    { basic: asAdmin(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body;
}

const pat = {
  schemas: [USER, ENTERPRISE],
  externalId: 'pat-object-id',
  userName: 'pat@contoso.example',
  active: true,
  displayName: 'Pat Example',
  emails: [{ primary: true, type: 'work', value: 'pat@contoso.example' }],
  name: { givenName: 'Pat', familyName: 'Example' },
  [ENTERPRISE]: { department: 'Research' },
};

describe('SCIM POST of a person who already has a WordPress account', () => {
  let patId: number;

  test('policy off: 409 naming the attribute, not who holds it; the admin reads why in the audit log; nothing changes', async () => {
    patId = await existingUser({
      username: 'pat@contoso.example',
      email: 'pat.before@example.com',
      first_name: 'Patricia',
    });
    await setPolicy(false);
    const before = await snapshot(patId);
    assert.equal(before.linked, false);

    const r = await scim('POST', '/Users', pat);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.scimType, 'uniqueness');
    assert.match(r.body.detail, /userName is already in use/);
    assert.doesNotMatch(r.body.detail, /managed|linked|administrator|pat\.before/i);
    const refused = (await auditOf(patId)).filter((row) => row.result === 'failure');
    assert.ok(
      refused.some((row) => /not linked/.test(row.error)),
      JSON.stringify(refused),
    );

    const after = await snapshot(patId);
    assert.equal(after.version, before.version, 'the account is untouched');
    assert.equal(after.linked, false);
    assert.equal(after.email, 'pat.before@example.com');
    assert.equal((await usersWith('search=pat')).length, 1, 'no second account');
    const found = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "pat@contoso.example"')}`,
    );
    assert.equal(found.body.totalResults, 0);
  });

  test('policy on: 201 with the same WordPress id, linked, the POSTed attributes applied and audited', async () => {
    await setPolicy(true);
    const r = await scim('POST', '/Users', pat);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.id, String(patId));
    assert.equal(r.body.userName, 'pat@contoso.example');
    assert.equal(r.body.externalId, 'pat-object-id');
    assert.equal(r.body.name.givenName, 'Pat');
    assert.match(r.body.meta.location, new RegExp(`/Users/${patId}$`));

    const user = await snapshot(patId);
    assert.equal(user.linked, true);
    assert.equal(user.externalId, 'pat-object-id');
    assert.equal(user.email, 'pat@contoso.example');
    assert.equal(user.firstName, 'Pat');
    assert.equal(user.lastName, 'Example');
    assert.equal(user.login, 'pat@contoso.example');
    assert.equal(user.active, true);
    assert.deepEqual(user.roles, ['subscriber'], 'roles are not the POST’s to change');
    assert.equal((await usersWith('search=pat')).length, 1, 'still one account');

    const update = (await auditOf(patId)).find(
      (entry) =>
        entry.action === 'update' &&
        entry.source === `scim:${TOKEN_NAME}` &&
        entry.result === 'success',
    );
    assert.ok(update, 'the adoption is audited as an update from the IdP');
    assert.equal(update.result, 'success');
  });

  test('the adopted user is the connection’s: GET by id and by filter, PATCH, a retried POST is 409', async () => {
    const byId = await scim('GET', `/Users/${patId}`);
    assert.equal(byId.status, 200, byId.text);
    assert.equal(byId.body[ENTERPRISE].department, 'Research');
    for (const filter of ['userName eq "pat@contoso.example"', 'externalId eq "pat-object-id"']) {
      const found = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
      assert.equal(found.status, 200, found.text);
      assert.deepEqual(
        found.body.Resources.map((u: Json) => u.id),
        [String(patId)],
        filter,
      );
    }
    const patched = await scim('PATCH', `/Users/${patId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'name.familyName', value: 'Changed' }],
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((await snapshot(patId)).lastName, 'Changed');
    const retried = await scim('POST', '/Users', pat);
    assert.equal(retried.status, 409, retried.text);
    assert.equal((await usersWith('search=pat')).length, 1);
  });

  test('DELETE deprovisions the adopted user per the policy: disabled, unlinked, kept', async () => {
    const r = await scim('DELETE', `/Users/${patId}`);
    assert.equal(r.status, 204, r.text);
    assert.equal((await scim('GET', `/Users/${patId}`)).status, 404);
    const user = await snapshot(patId);
    assert.ok(user, 'the account still exists');
    assert.equal(user.active, false);
    assert.equal(user.linked, false);
    assert.deepEqual(user.roles, []);
  });

  test('same email under another login: adopted, keeps its login, found by the userName', async () => {
    const id = await existingUser({ username: 'rsmith', email: 'robin@contoso.example' });
    const r = await scim('POST', '/Users', {
      schemas: [USER],
      externalId: 'robin-object-id',
      userName: 'robin@contoso.example',
      emails: [{ primary: true, value: 'robin@contoso.example' }],
      name: { givenName: 'Robin', familyName: 'Smith' },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.id, String(id));
    const user = await snapshot(id);
    // Logins do not change after creation (renameLogins is off by default).
    assert.equal(user.login, 'rsmith');
    assert.equal(user.sourceLogin, 'robin@contoso.example');
    assert.equal(user.linked, true);
    assert.equal(r.body.userName, 'robin@contoso.example');
    const found = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "robin@contoso.example"')}`,
    );
    assert.deepEqual(
      found.body.Resources.map((u: Json) => u.id),
      [String(id)],
    );
  });

  test('a POST inside /Bulk adopts too', async () => {
    const id = await existingUser({ username: 'kim@contoso.example', email: 'kim@example.com' });
    const r = await scim('POST', '/Bulk', {
      schemas: [BULK],
      Operations: [
        {
          method: 'POST',
          path: '/Users',
          bulkId: 'kim',
          data: {
            schemas: [USER],
            externalId: 'kim-object-id',
            userName: 'kim@contoso.example',
            emails: [{ primary: true, value: 'kim@contoso.example' }],
          },
        },
      ],
    });
    assert.equal(r.status, 200, r.text);
    const [op] = r.body.Operations;
    assert.equal(op.status, '201', JSON.stringify(op));
    assert.match(op.location, new RegExp(`/Users/${id}$`));
    const user = await snapshot(id);
    assert.equal(user.linked, true);
    assert.equal(user.email, 'kim@contoso.example');
  });

  test('an administrator is adopted only when the policy lets syncs change administrators', async () => {
    const id = await existingUser({
      username: 'alex@contoso.example',
      email: 'alex@example.com',
      roles: ['administrator'],
    });
    const alex = {
      schemas: [USER],
      externalId: 'alex-object-id',
      userName: 'alex@contoso.example',
      emails: [{ primary: true, value: 'alex@contoso.example' }],
      name: { givenName: 'Alex', familyName: 'Admin' },
    };
    await setPolicy(true, false);
    const before = await snapshot(id);
    let r = await scim('POST', '/Users', alex);
    assert.equal(r.status, 409, r.text);
    assert.match(r.body.detail, /userName is already in use/);
    assert.doesNotMatch(r.body.detail, /administrator/i);
    const untouched = await snapshot(id);
    assert.equal(untouched.version, before.version);
    assert.equal(untouched.linked, false);

    await setPolicy(true, true);
    r = await scim('POST', '/Users', alex);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.id, String(id));
    const user = await snapshot(id);
    assert.equal(user.linked, true);
    assert.equal(user.email, 'alex@contoso.example');
    assert.deepEqual(user.roles, ['administrator']);
    await setPolicy(true, false);
  });
});
