// Attribute map templates end to end: the map is saved through the plugin's config route
// (which refuses a malformed template next to its field), an IdP provisions users over SCIM
// through the sidecar, and WordPress holds the templated login and display name; a user
// missing a placeholder gets the row's default, never a half-filled value.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, restUrl, scimRequest } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

let stack: Stack;

before(
  async () => {
    stack = await startStack({ name: 'scim-template', tokenName: 'Okta' });
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
});

const scim = (method: string, route: string, body?: unknown) =>
  scimRequest(stack, method, route, body);

async function snapshot(id: string) {
  const connection = stack.sidecar.scimConnection ?? 'okta';
  const answer = await request<{ users: Json[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?connection=${connection}&id=${id}`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.users[0];
}

const template = (target: string, text: string, fallback: string | null = null) => ({
  source: '',
  target,
  direction: 'inbound',
  transform: 'template',
  default: fallback,
  template: text,
});

describe('attribute map templates through SCIM', () => {
  let id: string;

  test('the config route refuses a malformed template and saves a good one', async () => {
    const current = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
      basic: asAdmin(stack),
    });
    const rest = (current.body.attributeMap as Json[]).filter(
      (row) => row.target !== 'user_login' && row.target !== 'display_name',
    );

    const refused = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
      method: 'PUT',
      basic: asAdmin(stack),
      body: {
        attributeMap: [template('user_login', '{name.givenName}.{name.familyName'), ...rest],
      },
    });
    assert.equal(refused.status, 400, refused.text);
    assert.match(
      refused.body.data.params['attributeMap[0][template]'],
      /^Attribute map row 1: the \{ at character 18 is not closed by a \}/,
    );

    const map = [
      template('user_login', '{name.givenName}.{name.familyName}'),
      template(
        'display_name',
        `{name.familyName}, {name.givenName} ({${ENTERPRISE}:department})`,
        'Member',
      ),
      ...rest,
    ];
    const saved = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
      method: 'PUT',
      basic: asAdmin(stack),
      body: { attributeMap: map },
    });
    assert.equal(saved.status, 200, saved.text);
    assert.deepEqual(saved.body.attributeMap.slice(0, 2), map.slice(0, 2));
  });

  test('a SCIM create gets the templated login and display name', async () => {
    const r = await scim('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      userName: 'ada.l@okta.example',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [{ value: 'ada@okta.example', primary: true }],
      [ENTERPRISE]: { department: 'Engines' },
    });
    assert.equal(r.status, 201, r.text);
    id = r.body.id;
    const user = await snapshot(id);
    assert.equal(user.login, 'Ada.Lovelace');
    assert.equal(user.displayName, 'Lovelace, Ada (Engines)');
    assert.equal(user.email, 'ada@okta.example');
    assert.equal(r.body.userName, 'ada.l@okta.example', 'the IdP reads back the userName it sent');
  });

  test('a change of a placeholder attribute updates the templated fields, not the login', async () => {
    const r = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'name.familyName', value: 'Byron' }],
    });
    assert.equal(r.status, 200, r.text);
    const user = await snapshot(id);
    // A login is decided when the user is created: a new family name renames nobody.
    assert.equal(user.login, 'Ada.Lovelace');
    assert.equal(user.displayName, 'Byron, Ada (Engines)');
  });

  test('a user missing a placeholder gets the default, never a half-filled value', async () => {
    const r = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'grace@okta.example',
      name: { givenName: 'Grace' },
      emails: [{ value: 'grace@okta.example', primary: true }],
    });
    assert.equal(r.status, 201, r.text);
    const user = await snapshot(r.body.id);
    assert.equal(user.displayName, 'Member');
    // The login row has no default: over SCIM the login then comes from the userName.
    assert.equal(user.login, 'grace@okta.example');
  });
});
