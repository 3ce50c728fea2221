// The role update mode of a connection, in a real browser against a real stack: on the Role
// mapping tab the admin sets what a sync does to existing users' roles; SCIM group changes
// from the identity provider then leave roles alone, or only add the mapped role, instead of
// replacing them.
// Screenshot: e2e/artifacts/role-update-mode.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { adminPage, launchBrowser, screenshot } from '../../src/browser.js';
import { asAdmin, asService, restUrl, scimRequest } from '../../src/helpers.js';
import { request, startStack, type Stack } from '../../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let stack: Stack;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let connection: string;

async function rolesOf(login: string): Promise<string[] | undefined> {
  const answer = await request<{ users: { roles: string[] }[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?login=${encodeURIComponent(login)}`,
    { basic: asService(stack) },
  );
  return answer.body.users?.[0]?.roles;
}

async function scimUser(login: string): Promise<string> {
  const created = await scimRequest(stack, 'POST', '/Users', {
    schemas: [USER],
    userName: login,
    emails: [{ value: `${login}@contoso.example`, primary: true }],
  });
  assert.equal(created.status, 201, created.text);
  return created.body.id as string;
}

/** Sets the mode of the Local IdP and saves; `impact` is the confirmation to expect, if any. */
async function setMode(label: string, impact?: { title: string; line: string }) {
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php?page=usersync&tab=role-mapping`);
  await page.getByRole('combobox', { name: 'Roles from “Local IdP”' }).selectOption({ label });
  await page.getByRole('button', { name: 'Save role mapping' }).click();
  if (impact) {
    const dialog = page.getByRole('dialog', { name: impact.title });
    await dialog.getByText(impact.line).waitFor();
    await dialog.getByRole('button', { name: 'Save and update their roles' }).click();
  }
  await page.getByText('Settings saved.').first().waitFor();
}

before(
  async () => {
    [stack, browser] = await Promise.all([
      startStack({ name: 'role-update-mode' }),
      launchBrowser(),
    ]);
    connection = stack.sidecar.scimConnection ?? 'local-idp';
    const config = await request(restUrl(stack, 'usersync/v1/config'), {
      method: 'PUT',
      basic: asAdmin(stack),
      body: {
        roleMap: {
          rules: [{ group: 'Editors', role: 'editor', priority: 10, connections: [connection] }],
          defaultRole: 'subscriber',
          allowAdministrator: false,
        },
      },
    });
    assert.equal(config.status, 200, config.text);
    ({ page, errors: pageErrors } = await adminPage(browser, stack.wordpress, { height: 1100 }));
  },
  { timeout: 180_000 },
);

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('leave roles alone, then only add: group changes follow the connection’s mode', async () => {
  const ann = await scimUser('ann.mode');
  const bob = await scimUser('bob.mode');
  const group = await scimRequest(stack, 'POST', '/Groups', {
    schemas: [GROUP],
    displayName: 'Editors',
    members: [{ value: ann }],
  });
  assert.equal(group.status, 201, group.text);
  const groupId = group.body.id as string;
  assert.deepEqual(await rolesOf('ann.mode'), ['editor'], 'replace (the default) gives the role');

  await setMode('Leave roles alone');
  await screenshot(page, 'role-update-mode');
  const saved = await request<{ roleMap: { updateModes: Record<string, string> } }>(
    restUrl(stack, 'usersync/v1/config'),
    { basic: asAdmin(stack) },
  );
  assert.deepEqual(saved.body.roleMap.updateModes, { [connection]: 'keep' });
  let moved = await scimRequest(stack, 'PATCH', `/Groups/${groupId}`, {
    schemas: [PATCH],
    Operations: [
      { op: 'Remove', path: `members[value eq "${ann}"]` },
      { op: 'Add', path: 'members', value: [{ value: bob }] },
    ],
  });
  assert.equal(moved.status, 200, moved.text);
  assert.deepEqual(await rolesOf('ann.mode'), ['editor'], 'keep: not taken away');
  assert.deepEqual(await rolesOf('bob.mode'), ['subscriber'], 'keep: not given');

  // Bob is in the group without its role: "only add" gives it to him at once, and says so.
  await setMode('Only add roles (never remove one)', {
    title: 'Change the roles of 1 user?',
    line: 'bob.mode: subscriber → subscriber, editor',
  });
  assert.deepEqual(await rolesOf('bob.mode'), ['subscriber', 'editor']);
  const cleo = await scimUser('cleo.mode');
  moved = await scimRequest(stack, 'PATCH', `/Groups/${groupId}`, {
    schemas: [PATCH],
    Operations: [
      { op: 'Remove', path: `members[value eq "${bob}"]` },
      { op: 'Add', path: 'members', value: [{ value: cleo }] },
    ],
  });
  assert.equal(moved.status, 200, moved.text);
  assert.deepEqual(
    await rolesOf('cleo.mode'),
    ['subscriber', 'editor'],
    'add: added, primary kept',
  );
  assert.deepEqual(await rolesOf('bob.mode'), ['subscriber', 'editor'], 'add: nothing removed');
  assert.deepEqual(pageErrors, []);
});
