// The admin's Salesforce journey in a real browser, on the real stack and the emulated org:
// with a Salesforce connection in place (pushes on), Sync now on the Salesforce card shows the
// run's progress and then what it did (a WordPress user per Contact); a WordPress user
// Salesforce refuses (no last name: REQUIRED_FIELD_MISSING) is listed under Undelivered
// changes of Failed records with Salesforce's message and the connection's name; and a
// user's profile offers Push now for the connection, whose notice says what Salesforce did —
// the Contact edited in Salesforce is back to the WordPress values.
// Screenshots: e2e/artifacts/salesforce-journey-sync.png, salesforce-journey-failed.png,
// salesforce-journey-push.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { adminPage, launchBrowser, screenshot } from '../../src/browser.js';
import { asAdmin, eventually } from '../../src/helpers.js';
import { request, type Stack } from '../../src/stack/index.js';
import { startSalesforceEmulator } from '../../src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../../src/emulators/salesforce/index.js';
import { connectEmulator } from '../../src/emulators/salesforce/stack.js';
import { createUser, outbound, startSite } from '../peer-support.js';

const SLUG = 'acme-journey';
const NAME = 'Acme Salesforce';

let stack: Stack;
let org: SalesforceEmulator;
let browser: Browser;
let page: Page;
let pageErrors: string[];

before(
  async () => {
    [stack, org, browser] = await Promise.all([
      startSite('salesforce-journey'),
      startSalesforceEmulator({ contacts: 5, seed: 'salesforce-journey' }),
      launchBrowser(),
    ]);
    await connectEmulator({ url: stack.wordpress.url, admin: asAdmin(stack) }, org, {
      slug: SLUG,
      name: NAME,
    });
    await eventually(
      async () => {
        const found = (await outbound(stack)).targets.find((t) => t.slug === SLUG);
        if (!found || found.cursor === null) throw new Error('not delivering yet');
      },
      { what: 'the Salesforce target to start', timeoutMs: 30_000 },
    );
    ({ page, errors: pageErrors } = await adminPage(browser, stack.wordpress, {
      timeoutMs: 30_000,
    }));
  },
  { timeout: 240_000 },
);

after(async () => {
  await browser?.close();
  await stack?.stop();
  await org?.close();
});

/** The live Contacts of the emulated org. */
const contacts = () =>
  org.org
    .all('Contact')
    .map((record) => org.record(record.id)!)
    .filter((c) => c.IsDeleted !== true);

const section = () =>
  page
    .locator('.usersync-card')
    .filter({ has: page.getByRole('heading', { name: 'Salesforce', exact: true }) })
    .getByRole('region', { name: NAME });

test('Sync now on the Salesforce card shows the run, then a WordPress user per Contact', async () => {
  const expected = contacts().length;
  assert.equal(expected, 5);
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php?page=usersync&tab=connections`);
  await section()
    .getByRole('button', { name: `Sync now: ${NAME}` })
    .click();
  await section()
    .getByRole('progressbar', { name: `Progress of the run of ${SLUG}` })
    .waitFor();
  const finished = section().getByText(/Sync finished:/);
  await finished.waitFor({ timeout: 60_000 });
  await screenshot(page, 'salesforce-journey-sync');
  const text = await section().innerText();
  assert.match(text, new RegExp(`${expected} created, 0 updated, 0 unchanged, 0 disabled`), text);
  assert.match(text, /0 failed/);

  const users = await request<{ email: string }[]>(
    `${stack.wordpress.url}/wp-json/wp/v2/users?context=edit&per_page=100`,
    { basic: asAdmin(stack) },
  );
  assert.equal(users.status, 200, users.text);
  const emails = new Set(users.body.map((u) => u.email.toLowerCase()));
  for (const contact of contacts()) {
    assert.ok(emails.has(String(contact.Email).toLowerCase()), `${String(contact.Email)} synced`);
  }
  assert.deepEqual(pageErrors, []);
});

let refused: number;

test('a user Salesforce refuses is in Failed records with Salesforce’s message', async () => {
  refused = await createUser(stack, { username: 'no.last', email: 'no.last@example.com' });
  await eventually(
    async () => {
      const found = (await outbound(stack)).targets.find((t) => t.slug === SLUG);
      assert.equal(found?.deadLetters, 1);
    },
    { what: 'the dead letter', timeoutMs: 60_000 },
  );
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php?page=usersync&tab=failed-records`);
  await page.getByRole('heading', { name: 'Undelivered changes' }).waitFor();
  const table = page.getByRole('table', { name: 'Changes that could not be delivered' });
  await table.waitFor();
  assert.ok(
    (await table.getByRole('columnheader').allInnerTexts()).some((t) => t.trim() === 'Target'),
  );
  const row = table.getByRole('row').filter({ hasText: NAME });
  const text = await row.innerText();
  assert.match(text, new RegExp(`\\b${refused}\\b`));
  assert.match(text, /Required fields are missing: \[LastName\]/);
  assert.match(text, /REQUIRED_FIELD_MISSING/);
  await row.getByRole('button', { name: `Retry user ${refused} to ${NAME}` }).waitFor();
  await screenshot(page, 'salesforce-journey-failed');
  assert.equal(
    contacts().filter((c) => c.Email === 'no.last@example.com').length,
    0,
    'no Contact without a last name',
  );
  assert.deepEqual(pageErrors, []);
});

test('Push now on a profile brings the Contact back to the WordPress values', async () => {
  const id = await createUser(stack, {
    username: 'ada.push',
    email: 'ada.push@example.com',
    first_name: 'Ada',
    last_name: 'Push',
  });
  const contact = await eventually(
    async () => {
      const found = contacts().find((c) => c.Email === 'ada.push@example.com');
      assert.ok(found, 'the feed pushed the user');
      return found;
    },
    { what: 'the Contact of the new user', timeoutMs: 30_000, intervalMs: 200 },
  );
  org.update(String(contact.Id), { FirstName: 'Edited in Salesforce' });

  await page.goto(`${stack.wordpress.url}/wp-admin/user-edit.php?user_id=${id}`);
  await page.getByRole('link', { name: `Push now to ${NAME}` }).click();
  const notice = page.locator('.usersync-sync-result');
  await notice.waitFor();
  await screenshot(page, 'salesforce-journey-push');
  assert.match(await notice.innerText(), /1 user pushed\. 0 skipped\. 0 failed\./);
  assert.match(await notice.innerText(), new RegExp(`${NAME}: updated\\.`));
  assert.equal(org.record(String(contact.Id))!.FirstName, 'Ada');

  // The refused user: the profile says why Salesforce refused.
  await page.goto(`${stack.wordpress.url}/wp-admin/user-edit.php?user_id=${refused}`);
  await page.getByRole('link', { name: `Push now to ${NAME}` }).click();
  await notice.waitFor();
  assert.match(await notice.innerText(), /0 users pushed\. 0 skipped\. 1 failed\./);
  assert.match(
    await notice.innerText(),
    new RegExp(`${NAME}: .*Required fields are missing: \\[LastName\\]`),
  );
  assert.deepEqual(pageErrors, []);
});
