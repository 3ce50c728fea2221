// The Failed records tab, in a real browser against a real stack and the Graph emulator: a
// person a sync could not create (their email belongs to an account the sync did not create)
// is listed with the reason; once the admin removes that account, Retry syncs the person
// again from the source and they are in WordPress, linked.
// Screenshot: e2e/artifacts/failed-records.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { adminPage, launchBrowser, screenshot } from '../../src/browser.js';
import { asAdmin, restUrl } from '../../src/helpers.js';
import { startGraphEmulator } from '../../src/emulators/microsoft-graph/index.js';
import type { GraphEmulator } from '../../src/emulators/microsoft-graph/index.js';
import {
  connectEmulator,
  linkedUsers,
  syncAndWait,
  type SiteAccess,
} from '../../src/emulators/microsoft-graph/stack.js';
import { request, startStack, type Stack } from '../../src/stack/index.js';

const SLUG = 'entra-failures';

let stack: Stack;
let emulator: GraphEmulator;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let site: SiteAccess;
let localId: number;
let personId: string;

before(
  async () => {
    [stack, emulator, browser] = await Promise.all([
      startStack({ name: 'failed-records' }),
      startGraphEmulator({ users: 3, seed: 'failed-records' }),
      launchBrowser(),
    ]);
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
    // An account of the site's own with the email the source's person has.
    const local = await request<{ id: number }>(restUrl(stack, 'wp/v2/users'), {
      basic: asAdmin(stack),
      method: 'POST',
      body: {
        username: 'local.taken',
        email: 'taken.person@contoso.example',
        password: 'a-long-password-1234',
      },
    });
    assert.equal(local.status, 201, local.text);
    localId = local.body.id;
    personId = emulator.directory.createUser({
      userPrincipalName: 'taken.person@contoso.onmicrosoft.com',
      mail: 'taken.person@contoso.example',
      givenName: 'Taken',
      surname: 'Person',
      displayName: 'Taken Person',
      accountEnabled: true,
    }).id;
    await connectEmulator(site, emulator, { slug: SLUG, name: 'Entra (emulated)' });
    const run = await syncAndWait(site, SLUG);
    assert.equal(run.counts.failed, 1, JSON.stringify(run.details?.failures));

    ({ page, errors: pageErrors } = await adminPage(browser, stack.wordpress));
  },
  { timeout: 240_000 },
);

after(async () => {
  await browser?.close();
  await stack?.stop();
  await emulator?.close();
});

test('a failed record shows its reason, and Retry syncs the person again once fixed', async () => {
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php?page=usersync&tab=failed-records`);
  const table = page.getByRole('table', { name: 'Records a sync could not write' });
  await table.waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Source' }).inputValue(), SLUG);
  const row = table.getByRole('row').filter({ hasText: 'taken.person@contoso.onmicrosoft.com' });
  assert.match(await row.innerText(), /create/);
  assert.match(
    await row.innerText(),
    /A user with the email "taken\.person@contoso\.example" already exists/,
  );
  await page.getByRole('heading', { name: 'Undelivered changes' }).waitFor();
  await screenshot(page, 'failed-records');

  // Still in the way: the retry fails again, with the same reason.
  await row.getByRole('button', { name: /^Retry / }).click();
  const result = row.locator('.usersync-result');
  await result.waitFor();
  assert.match(
    await result.innerText(),
    /Entra \(emulated\): The WordPress user "local\.taken" has this person's email, but syncs may not change users they did not create/,
  );
  assert.ok(await result.evaluate((node) => node.classList.contains('is-error')));

  // The admin removes the site's own account; the retry creates the person.
  const removed = await request(
    `${restUrl(stack, `wp/v2/users/${localId}`)}?force=true&reassign=1`,
    { basic: asAdmin(stack), method: 'DELETE' },
  );
  assert.equal(removed.status, 200, removed.text);
  await row.getByRole('button', { name: /^Retry / }).click();
  await row.locator('.usersync-result.is-success').waitFor();
  assert.match(await result.innerText(), /Entra \(emulated\): updated from the source\./);
  assert.ok(await result.evaluate((node) => node.classList.contains('is-success')));
  const linked = await linkedUsers(site, SLUG);
  const person = linked.find((u) => u.externalId === personId);
  assert.ok(person, 'the person is in WordPress, linked');
  assert.equal(person.email, 'taken.person@contoso.example');
  assert.deepEqual(pageErrors, []);
});
