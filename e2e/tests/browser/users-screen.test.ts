// UserSync on WordPress's own Users screens, in a real browser against a real stack: the
// Users list shows which connection manages each user and which users a sync disabled, can
// be narrowed to one connection or to the disabled users, and a synced user's profile shows
// the link, the state and the last sync with a link to the user's audit entries.
// Screenshots: e2e/artifacts/users-*.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { collectPageErrors, launchBrowser, logIn, screenshot } from '../../src/browser.js';
import { scimRequest } from '../../src/helpers.js';
import { startStack, type Stack } from '../../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let stack: Stack;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let graceId = '';

before(
  async () => {
    [stack, browser] = await Promise.all([startStack({ name: 'users-screen' }), launchBrowser()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    pageErrors = collectPageErrors(page);
    await logIn(
      page,
      stack.wordpress.url,
      stack.wordpress.adminUser,
      stack.wordpress.adminPassword,
    );
    for (const [login, externalId] of [
      ['grace.hopper', 'ext-grace'],
      ['alan.turing', 'ext-alan'],
    ] as const) {
      const created = await scimRequest(stack, 'POST', '/Users', {
        schemas: [USER],
        userName: login,
        externalId,
        emails: [{ value: `${login}@contoso.example`, primary: true }],
      });
      assert.equal(created.status, 201, created.text);
      if (login === 'grace.hopper') graceId = created.body.id as string;
    }
    const disabled = await scimRequest(stack, 'PATCH', `/Users/${graceId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    assert.equal(disabled.status, 200, disabled.text);
  },
  { timeout: 180_000 },
);

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const row = (login: string) => page.locator('#the-list tr').filter({ hasText: login });

test('the Users list shows each user’s source and the users a sync disabled', async () => {
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php`);
  const header = page.locator('thead').getByRole('columnheader', { name: 'Source' });
  await header.waitFor();
  await screenshot(page, 'users-list');
  assert.match(await row('grace.hopper').innerText(), /Local IdP[\s\S]*Disabled by sync/);
  assert.match(await row('alan.turing').innerText(), /Local IdP/);
  assert.doesNotMatch(await row('alan.turing').innerText(), /Disabled by sync/);
  assert.match(await row(stack.wordpress.adminUser).innerText(), /Not managed by a sync/);

  await page.getByRole('link', { name: /Disabled by sync \(1\)/ }).click();
  await page.locator('#the-list').waitFor();
  const logins = await page.locator('#the-list td.column-username strong').allInnerTexts();
  assert.deepEqual(logins, ['grace.hopper']);
});

test('the Users list can be narrowed to one connection', async () => {
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php`);
  await page
    .getByRole('combobox', { name: 'Filter by source' })
    .selectOption(stack.sidecar.scimConnection ?? 'local-idp');
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await page.waitForURL(/usersync_connection=/);
  const logins = await page.locator('#the-list td.column-username strong').allInnerTexts();
  assert.deepEqual(logins.sort(), ['alan.turing', 'grace.hopper']);
});

test('a synced user’s profile shows the link, the state and the last sync', async () => {
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php`);
  await row('grace.hopper').getByRole('link', { name: 'grace.hopper', exact: true }).click();
  const section = page.getByRole('heading', { name: 'UserSync', level: 2 });
  await section.waitFor();
  await section.scrollIntoViewIfNeeded();
  await screenshot(page, 'users-profile');
  const links = page.getByRole('table', { name: 'Identity links' });
  assert.match(await links.innerText(), /Local IdP[\s\S]*ext-grace/);
  assert.ok(await page.getByText('Disabled by sync', { exact: true }).isVisible());
  const audit = page.getByRole('link', { name: 'Audit log of this user' });
  assert.match((await audit.getAttribute('href')) ?? '', /tab=audit&user=grace.hopper/);
  assert.deepEqual(pageErrors, []);
});
