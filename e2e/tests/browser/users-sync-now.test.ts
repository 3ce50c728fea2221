// "Sync these users now" and the profile's "Sync now", in a real browser against a real
// stack and the Graph emulator: chosen users are fetched from their source again and written
// at once; the notice says how many were synced, which were skipped and why (a SCIM user, a
// user with no source, a user the source no longer has) and which failed with the source's
// reason; the profile shows, per link, when it was last synced, the result and the last error.
// Screenshots: e2e/artifacts/users-sync-*.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { adminPage, launchBrowser, screenshot } from '../../src/browser.js';
import { asAdmin, scimRequest } from '../../src/helpers.js';
import { startGraphEmulator } from '../../src/emulators/microsoft-graph/index.js';
import type { GraphEmulator } from '../../src/emulators/microsoft-graph/index.js';
import {
  connectEmulator,
  linkedUsers,
  syncAndWait,
  type LinkedUser,
  type SiteAccess,
} from '../../src/emulators/microsoft-graph/stack.js';
import { startStack, type Stack } from '../../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SLUG = 'entra-sync-now';

let stack: Stack;
let emulator: GraphEmulator;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let site: SiteAccess;
let linked: LinkedUser[];

before(
  async () => {
    [stack, emulator, browser] = await Promise.all([
      startStack({ name: 'users-sync-now' }),
      startGraphEmulator({ users: 6, seed: 'users-sync-now' }),
      launchBrowser(),
    ]);
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
    await connectEmulator(site, emulator, { slug: SLUG, name: 'Entra (emulated)' });
    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    linked = await linkedUsers(site, SLUG);
    assert.equal(linked.length, 6);
    const created = await scimRequest(stack, 'POST', '/Users', {
      schemas: [USER],
      userName: 'scim.person',
      externalId: 'ext-scim-person',
      emails: [{ value: 'scim.person@contoso.example', primary: true }],
    });
    assert.equal(created.status, 201, created.text);

    ({ page, errors: pageErrors } = await adminPage(browser, stack.wordpress));
  },
  { timeout: 240_000 },
);

after(async () => {
  await browser?.close();
  await stack?.stop();
  await emulator?.close();
});

const row = (login: string) => page.locator('#the-list tr').filter({ hasText: login });

async function select(login: string) {
  await row(login).getByRole('checkbox').check();
}

test('the bulk action syncs the chosen users and says what it skipped and why', async () => {
  const [changed, gone, refused] = linked;
  emulator.directory.updateUser(changed!.externalId!, { displayName: 'Changed In Entra' });
  emulator.directory.deleteUser(gone!.externalId!, true);
  emulator.addFault({ status: 403, match: `/users/${refused!.externalId}`, count: 1000 });

  await page.goto(`${stack.wordpress.url}/wp-admin/users.php`);
  for (const login of [changed!.login, gone!.login, refused!.login, 'scim.person']) {
    await select(login);
  }
  await select(stack.wordpress.adminUser);
  await page.locator('#bulk-action-selector-top').selectOption({ label: 'Sync these users now' });
  await page.locator('#doaction').click();
  const notice = page.locator('.usersync-sync-result');
  await notice.waitFor();
  await screenshot(page, 'users-sync-bulk');
  const text = await notice.innerText();
  assert.match(text, /1 user synced\. 3 skipped\. 1 failed\./);
  assert.match(text, /Failed\s+[^\n]*: Entra \(emulated\): The source answered: .+/);
  assert.match(text, /Skipped\s+scim\.person: .*SCIM connection.*can't be pulled/);
  assert.match(
    text,
    new RegExp(`Skipped\\s+${stack.wordpress.adminUser}: Not linked to a source\\.`),
  );
  assert.match(text, /Entra \(emulated\) no longer has this user/);
  assert.ok(notice.getByText(refused!.login).first());

  // Written for real, at once: no run was needed.
  const after = await linkedUsers(site, SLUG);
  const byId = new Map(after.map((u) => [u.id, u]));
  assert.equal(byId.get(changed!.id)!.displayName, 'Changed In Entra');
  assert.equal(byId.get(gone!.id)!.active, true, 'a user gone from the source waits for a run');
  assert.deepEqual(pageErrors, []);
  emulator.clearFaults();
});

test('the profile’s Sync now pulls the user and shows per link when, what and the last error', async () => {
  const [, , refused, fourth] = linked;
  emulator.directory.updateUser(fourth!.externalId!, { displayName: 'Renamed From Profile' });
  await page.goto(`${stack.wordpress.url}/wp-admin/user-edit.php?user_id=${fourth!.id}`);
  await page.getByRole('link', { name: 'Sync now', exact: true }).click();
  const notice = page.locator('.usersync-sync-result');
  await notice.waitFor();
  assert.match(await notice.innerText(), /1 user synced\. 0 skipped\. 0 failed\./);
  assert.match(await notice.innerText(), /Entra \(emulated\): updated from the source\./);
  assert.equal(await page.locator('#display_name').inputValue(), 'Renamed From Profile');
  const links = page.getByRole('table', { name: 'Identity links' });
  const header = await links.locator('thead').innerText();
  assert.match(header, /Last synced[\s\S]*Result[\s\S]*Last error/);
  assert.match(await links.locator('tbody').innerText(), /Succeeded[\s\S]*None/);

  // The user the source refused earlier shows that failure on their link.
  emulator.addFault({ status: 403, match: `/users/${refused!.externalId}`, count: 1000 });
  await page.goto(`${stack.wordpress.url}/wp-admin/user-edit.php?user_id=${refused!.id}`);
  await page.getByRole('link', { name: 'Sync now', exact: true }).click();
  await notice.waitFor();
  await screenshot(page, 'users-sync-profile');
  assert.match(await notice.innerText(), /0 users synced\. 0 skipped\. 1 failed\./);
  const refusedLinks = await page.getByRole('table', { name: 'Identity links' }).innerText();
  assert.match(refusedLinks, /Failed[\s\S]*The source answered: .*external id/);
  emulator.clearFaults();
  assert.deepEqual(pageErrors, []);
});
