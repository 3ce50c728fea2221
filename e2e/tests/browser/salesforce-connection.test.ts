// The Salesforce card of the Connections tab in a real browser, against the emulated org: the
// admin adds a connection with the JWT bearer flow (only that flow's fields shown), a field
// map row of their own and a filter; WordPress stores it with the key encrypted and
// write-only, and the card lists it. Editing it shows the key as stored and the org's own
// Contact fields to choose from (read through the plugin's relay and the sidecar's describe),
// flags a required Salesforce field nothing fills, keeps the key on save, and a refused
// WordPress field (a capability meta key) is shown next to its row with nothing saved.
// Screenshot: e2e/artifacts/salesforce-connection.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { adminPage, launchBrowser, screenshot } from '../../src/browser.js';
import { asAdmin, asService, restUrl } from '../../src/helpers.js';
import { request, startStack, type Stack } from '../../src/stack/index.js';
import { startSalesforceEmulator } from '../../src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../../src/emulators/salesforce/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

let stack: Stack;
let org: SalesforceEmulator;
let browser: Browser;
let page: Page;
let pageErrors: string[];
const failedResponses: string[] = [];

before(
  async () => {
    [stack, browser, org] = await Promise.all([
      startStack({ name: 'salesforce-browser' }),
      launchBrowser(),
      startSalesforceEmulator({ contacts: 5 }),
    ]);
    ({ page, errors: pageErrors } = await adminPage(browser, stack.wordpress));
    page.on('response', (response) => {
      if (response.status() >= 400) failedResponses.push(`${response.status()} ${response.url()}`);
    });
  },
  { timeout: 180_000 },
);

after(async () => {
  await browser?.close();
  await stack?.stop();
  await org?.close();
});

const card = () =>
  page.locator('.usersync-card').filter({
    has: page.getByRole('heading', { name: 'Salesforce', exact: true }),
  });

async function stored(): Promise<Json> {
  const answer = await request<Json[]>(restUrl(stack, 'usersync/v1/sidecar/connections'), {
    basic: asService(stack),
  });
  assert.equal(answer.status, 200, answer.text);
  return answer.body.find((c: Json) => c.type === 'salesforce');
}

test('the admin adds a JWT bearer connection with a field map; WordPress stores it', async () => {
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php?page=usersync&tab=connections`);
  await card().getByRole('button', { name: 'Add a Salesforce connection' }).click();
  const form = card().getByRole('region', { name: 'New Salesforce connection' });
  await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Acme Salesforce');
  await form.getByRole('textbox', { name: 'Login or My Domain URL' }).fill(org.url);
  await form.getByRole('combobox', { name: 'Sign-in flow' }).selectOption('jwt');
  assert.equal(await form.getByLabel('Consumer secret').count(), 0, 'no secret for JWT bearer');
  await form.getByRole('textbox', { name: 'Consumer key' }).fill(org.clientId);
  await form.getByRole('textbox', { name: 'Username' }).fill(org.username);
  await form.getByLabel('Private key (PEM)').fill(org.privateKeyPem);
  await form.getByRole('textbox', { name: 'Filter' }).fill("LeadSource = 'Web'");
  await form.getByRole('button', { name: 'Add a field' }).click();
  await form.getByRole('combobox', { name: 'WordPress field, row 4' }).fill('meta:phone');
  await form.getByRole('textbox', { name: 'Salesforce field, row 4' }).fill('Phone');
  await form.getByRole('combobox', { name: 'Direction, row 4' }).selectOption('inbound');
  await screenshot(page, 'salesforce-connection');
  await form.getByRole('button', { name: 'Add connection' }).click();
  await card()
    .getByText(/Connection “Acme Salesforce” added/)
    .waitFor();

  const section = card().getByRole('region', { name: 'Acme Salesforce' });
  const text = await section.innerText();
  assert.ok(text.includes(org.url), text);
  assert.match(text, /JWT bearer/);
  assert.match(text, /Contact \(4 fields mapped\)/);
  assert.equal((await page.content()).includes('PRIVATE KEY'), false, 'the key is not on the page');

  const connection = await stored();
  assert.equal(connection.settings.flow, 'jwt');
  assert.equal(connection.settings.username, org.username);
  assert.equal(
    connection.settings.privateKey.trim(),
    org.privateKeyPem.trim(),
    'the key, line breaks and all',
  );
  const map = connection.settings.objectMaps[0];
  assert.equal(map.filter, "LeadSource = 'Web'");
  assert.deepEqual(
    map.fields.map((row: Json) => [row.wp, row.sf, row.direction]),
    [
      ['user_email', 'Email', 'both'],
      ['first_name', 'FirstName', 'both'],
      ['last_name', 'LastName', 'both'],
      ['meta:phone', 'Phone', 'inbound'],
    ],
  );
  const listed = await request<Json[]>(restUrl(stack, 'usersync/v1/connections'), {
    basic: asAdmin(stack),
  });
  assert.equal(listed.text.includes('PRIVATE KEY'), false, 'admins read no key');
});

test('editing keeps the stored key; a capability meta key is refused next to its row', async () => {
  const section = card().getByRole('region', { name: 'Acme Salesforce' });
  await section.getByRole('button', { name: 'Edit connection “Acme Salesforce”' }).click();
  await section.getByText('Stored. It is kept encrypted and never shown.').waitFor();
  // The org's own Contact fields, from its describe: a picker, required ones starred.
  const sf = section.getByRole('combobox', { name: 'Salesforce field, row 4' });
  await sf.locator('option[value="MobilePhone"]').waitFor({ state: 'attached' });
  assert.equal(await sf.inputValue(), 'Phone');
  assert.ok(
    (await sf.locator('option').allInnerTexts()).some((t) => /\(LastName\) \*$/.test(t)),
    'LastName is required on create',
  );
  // Taking LastName's only outbound row away leaves a required field unfilled: flagged.
  const lastNameDirection = section.getByRole('combobox', { name: 'Direction, row 3' });
  await lastNameDirection.selectOption('inbound');
  await section.getByText(/Salesforce needs these fields to create a record/).waitFor();
  await lastNameDirection.selectOption('both');

  const wp = section.getByRole('combobox', { name: 'WordPress field, row 4' });
  await wp.fill('meta:wp_capabilities');
  await section.getByRole('button', { name: 'Save connection' }).click();
  await section
    .getByText(/cannot be written by a sync/)
    .first()
    .waitFor();
  assert.equal(await wp.getAttribute('aria-invalid'), 'true');
  assert.equal((await stored()).settings.objectMaps[0].fields[3].wp, 'meta:phone', 'not saved');

  await wp.fill('meta:mobile');
  await section.getByRole('textbox', { name: 'Name', exact: true }).fill('Acme production');
  await section.getByRole('button', { name: 'Save connection' }).click();
  await card().getByText('Connection “Acme production” saved.').waitFor();
  const connection = await stored();
  assert.equal(connection.name, 'Acme production');
  assert.equal(connection.settings.objectMaps[0].fields[3].wp, 'meta:mobile');
  assert.equal(connection.settings.privateKey.trim(), org.privateKeyPem.trim(), 'the key is kept');

  // The refused save answered 400; nothing else failed.
  assert.deepEqual(
    failedResponses.filter((line) => !/^400 .*\/usersync\/v1\/connections\//.test(line)),
    [],
    'no other request failed',
  );
  const unexpected = pageErrors.filter((error) => !/Failed to load resource/.test(error));
  assert.deepEqual(unexpected, []);
});
