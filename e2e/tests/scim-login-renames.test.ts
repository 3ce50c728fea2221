// Logins do not change after creation: an IdP that sends another userName for a user keeps
// reading back (and finding the user by) what it sent, while the WordPress login stays as it
// was; only with "Keep WordPress logins in step with the source" (renameLogins) on is the
// user renamed, and the audit log then finds the person under the old and the new login.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, restUrl, scimRequest } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

let stack: Stack;
let connection: string;

before(
  async () => {
    stack = await startStack({ name: 'scim-login-renames', tokenName: 'Entra production' });
    connection = stack.sidecar.scimConnection ?? 'entra-production';
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
});

const scim = (method: string, route: string, body?: unknown) =>
  scimRequest(stack, method, route, body);
const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;
const replaceUserName = (value: string) => ({
  schemas: [PATCH],
  Operations: [{ op: 'Replace', path: 'userName', value }],
});

async function wpUser(id: string): Promise<Json> {
  const answer = await request<{ users: Json[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?connection=${connection}&id=${id}`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.users[0];
}

async function audit(user: string): Promise<Json[]> {
  const answer = await request<Json[]>(
    `${restUrl(stack, 'usersync/v1/audit')}?per_page=100&user=${encodeURIComponent(user)}`,
    { basic: asAdmin(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body;
}

async function setRenames(on: boolean): Promise<void> {
  const saved = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
    method: 'PUT',
    basic: asAdmin(stack),
    body: { renameLogins: on },
  });
  assert.equal(saved.status, 200, saved.text);
  assert.equal(saved.body.renameLogins, on);
}

describe('SCIM userName changes and WordPress logins', () => {
  let id: string;

  test('renames off (the default): the login stays, SCIM answers with the new userName', async () => {
    const created = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'grace.hopper@example.com',
      emails: [{ value: 'grace.hopper@example.com', primary: true }],
    });
    assert.equal(created.status, 201, created.text);
    id = created.body.id;

    const patched = await scim('PATCH', `/Users/${id}`, replaceUserName('Grace.Hopper'));
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.userName, 'Grace.Hopper');

    const user = await wpUser(id);
    assert.equal(user.login, 'grace.hopper@example.com', 'the WordPress login did not change');

    const read = await scim('GET', `/Users/${id}`);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.userName, 'Grace.Hopper');

    for (const filter of ['userName eq "Grace.Hopper"', 'userName eq "grace.hopper"']) {
      const found = await scim('GET', `/Users?${q(filter)}`);
      assert.equal(found.status, 200, found.text);
      assert.equal(found.body.totalResults, 1, `${filter}: ${found.text}`);
      assert.equal(found.body.Resources[0].id, id);
    }
    const old = await scim('GET', `/Users?${q('userName eq "grace.hopper@example.com"')}`);
    assert.equal(old.body.totalResults, 0, 'the old userName is no longer the user’s');
  });

  test('sending the same userName again writes nothing', async () => {
    const before = await wpUser(id);
    const entries = (await audit('grace.hopper')).length;
    const again = await scim('PATCH', `/Users/${id}`, replaceUserName('Grace.Hopper'));
    assert.equal(again.status, 200, again.text);
    const after = await wpUser(id);
    assert.equal(after.version, before.version);
    const now = await audit('grace.hopper');
    const added = now.slice(0, now.length - entries);
    assert.ok(
      added.every((entry: Json) => entry.result === 'skipped'),
      JSON.stringify(added),
    );
  });

  test('renames on: the login follows the userName; the audit log finds both logins', async () => {
    await setRenames(true);
    const patched = await scim('PATCH', `/Users/${id}`, replaceUserName('Grace.Brewster'));
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.userName, 'Grace.Brewster');
    const user = await wpUser(id);
    assert.equal(user.login, 'Grace.Brewster');
    assert.equal(user.sourceLogin, undefined);

    const found = await scim('GET', `/Users?${q('userName eq "Grace.Brewster"')}`);
    assert.equal(found.body.totalResults, 1, found.text);

    for (const name of ['grace.hopper@example.com', 'Grace.Brewster']) {
      const entries = await audit(name);
      const rename = entries.find(
        (entry: Json) => entry.action === 'update' && entry.fields.includes('user_login'),
      );
      assert.ok(rename, `${name}: the rename is found: ${JSON.stringify(entries)}`);
      assert.equal(rename.userLogin, 'Grace.Brewster');
      assert.equal(rename.userId, Number(id));
      assert.ok(rename.fields.includes('previous_login:grace.hopper@example.com'), rename.fields);
      assert.ok(
        entries.some((entry: Json) => entry.action === 'create' && entry.userId === Number(id)),
        `${name}: the creation is found too`,
      );
    }
    await setRenames(false);
  });
});
