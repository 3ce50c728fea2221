// "Test with a user" on the Connections tab, in a real browser against a real stack and the
// Graph emulator: one person is fetched from the source by sign-in name and by id, and the
// page shows the attributes Graph really returned, the WordPress login, fields and roles the
// maps make of them — and WordPress still has no user for them.
// Screenshot: e2e/artifacts/user-preview.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { adminPage, launchBrowser, screenshot } from '../../src/browser.js';
import { asAdmin } from '../../src/helpers.js';
import { startGraphEmulator } from '../../src/emulators/microsoft-graph/index.js';
import type { GraphEmulator } from '../../src/emulators/microsoft-graph/index.js';
import {
  connectEmulator,
  linkedUsers,
  putConfig,
  type SiteAccess,
} from '../../src/emulators/microsoft-graph/stack.js';
import { startStack, type Stack } from '../../src/stack/index.js';

const SLUG = 'entra-preview';

let stack: Stack;
let emulator: GraphEmulator;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let site: SiteAccess;

before(
  async () => {
    [stack, emulator, browser] = await Promise.all([
      startStack({ name: 'user-preview' }),
      startGraphEmulator({ users: 12, seed: 'user-preview' }),
      launchBrowser(),
    ]);
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
    await connectEmulator(site, emulator, { slug: SLUG, name: 'Entra (emulated)' });
    await putConfig(site, {
      roleMap: {
        rules: [{ group: 'Site Editors', role: 'editor', priority: 10 }],
        defaultRole: 'subscriber',
        allowAdministrator: false,
      },
    });
    ({ page, errors: pageErrors } = await adminPage(browser, stack.wordpress, { height: 1400 }));
  },
  { timeout: 240_000 },
);

after(async () => {
  await browser?.close();
  await stack?.stop();
  await emulator?.close();
});

test('Test with a user shows what Graph returns and what WordPress would get, writing nothing', async () => {
  // The seed puts every tenth person in "Site Editors".
  const editor = emulator.directory.user(emulator.directory.userOrder[0]!);
  const upn = String(editor.props.userPrincipalName);
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php?page=usersync&tab=connections`);
  const field = page.getByRole('textbox', { name: 'Person to test from “Entra (emulated)”' });
  await field.fill(upn);
  await page.getByRole('button', { name: 'Test with a user' }).click();
  const wp = page.getByRole('table', { name: 'What WordPress would get' });
  await wp.waitFor();
  await wp.scrollIntoViewIfNeeded();
  await screenshot(page, 'user-preview');
  const wpText = await wp.innerText();
  assert.match(wpText, new RegExp(`Login\\s+${upn.replace(/[.]/g, '\\.')}`));
  assert.match(wpText, /Roles\s+editor/);
  assert.match(wpText, new RegExp(`email\\s+${String(editor.props.mail).replace(/[.]/g, '\\.')}`));
  const source = await page.getByRole('table', { name: 'What the source returns' }).innerText();
  assert.match(source, new RegExp(`External ID\\s+${editor.id}`));
  assert.match(source, /Groups\s+.*Site Editors/);
  assert.match(source, new RegExp(`name\\.givenName\\s+${String(editor.props.givenName)}`));

  // By id, someone outside the role map's groups gets no role from it.
  const other = emulator.directory.user(emulator.directory.userOrder[3]!);
  await field.fill(other.id);
  await page.getByRole('button', { name: 'Test with a user' }).click();
  await page
    .getByRole('table', { name: 'What WordPress would get' })
    .getByText(String(other.props.userPrincipalName), { exact: true })
    .first()
    .waitFor();
  assert.match(
    await page.getByRole('table', { name: 'What WordPress would get' }).innerText(),
    /Roles\s+subscriber/,
  );

  await field.fill('00000000-0000-4000-a000-000000000000');
  await page.getByRole('button', { name: 'Test with a user' }).click();
  // (The notice, not its copy in the screen readers' live region.)
  await page
    .locator('.components-notice')
    .getByText('The source has no person “00000000-0000-4000-a000-000000000000”.')
    .waitFor();

  assert.deepEqual(await linkedUsers(site, SLUG), [], 'nothing was written');
  assert.deepEqual(pageErrors, []);
});
