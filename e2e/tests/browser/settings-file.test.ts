// The Settings file card in a real browser: Export downloads the settings as JSON without the
// connection's client secret; after the settings changed, importing that file asks first
// (what it changes), and on Import puts the settings back — the secret still in place. A file
// with a bad value lists the field's error and changes nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { collectPageErrors, launchBrowser, logIn, screenshot } from '../../src/browser.js';
import { asAdmin, asService, restUrl } from '../../src/helpers.js';
import { request, startStack, type Stack } from '../../src/stack/index.js';

const SECRET = 'settings-file-client-secret';
const SLUG = 'entra-export';

let stack: Stack;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let exported = '';

interface Config {
  audit: { retentionDays: number };
  deprovision: { graceDays: number; action: string };
}

const config = async () =>
  (await request<Config>(restUrl(stack, 'usersync/v1/config'), { basic: asAdmin(stack) })).body;

before(
  async () => {
    [stack, browser] = await Promise.all([startStack({ name: 'settings-file' }), launchBrowser()]);
    const created = await request(restUrl(stack, 'usersync/v1/connections'), {
      method: 'POST',
      basic: asAdmin(stack),
      body: {
        name: 'Entra (export)',
        slug: SLUG,
        tenantId: 'contoso.onmicrosoft.com',
        clientId: '11111111-2222-3333-4444-555555555555',
        clientSecret: SECRET,
        schedule: '0 */6 * * *',
      },
    });
    assert.equal(created.status, 201, created.text);
    const configured = await request(restUrl(stack, 'usersync/v1/config'), {
      method: 'PUT',
      basic: asAdmin(stack),
      body: { audit: { retentionDays: 45 }, deprovision: { action: 'delete', graceDays: 14 } },
    });
    assert.equal(configured.status, 200, configured.text);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page.setDefaultTimeout(15_000);
    pageErrors = collectPageErrors(page);
    await logIn(
      page,
      stack.wordpress.url,
      stack.wordpress.adminUser,
      stack.wordpress.adminPassword,
    );
  },
  { timeout: 180_000 },
);

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const card = () => page.locator('.usersync-settings-transfer').filter({ hasText: 'Settings file' });

async function openOverview(): Promise<void> {
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php?page=usersync&tab=overview`);
  await card().getByRole('button', { name: 'Export settings' }).waitFor();
}

test('Export settings downloads the settings without the client secret', async () => {
  await openOverview();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    card().getByRole('button', { name: 'Export settings' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^usersync-settings-\d{8}-\d{6}\.json$/);
  exported = path.join(stack.dir, download.suggestedFilename());
  await download.saveAs(exported);
  const text = fs.readFileSync(exported, 'utf8');
  const file = JSON.parse(text) as {
    format: string;
    settings: Config & { connections: { slug: string; schedule: string }[] };
  };
  assert.equal(file.format, 'usersync-settings');
  assert.equal(file.settings.audit.retentionDays, 45);
  assert.equal(file.settings.deprovision.graceDays, 14);
  assert.deepEqual(
    file.settings.connections.map((c) => [c.slug, c.schedule]),
    [[SLUG, '0 */6 * * *']],
  );
  assert.ok(!text.includes(SECRET), 'the client secret is not in the file');
});

test('importing the file asks first, then puts the settings back and keeps the secret', async () => {
  const changed = await request(restUrl(stack, 'usersync/v1/config'), {
    method: 'PUT',
    basic: asAdmin(stack),
    body: { audit: { retentionDays: 400 }, deprovision: { action: 'disable', graceDays: 0 } },
  });
  assert.equal(changed.status, 200, changed.text);

  await openOverview();
  await card().locator('input[type="file"]').setInputFiles(exported);
  const dialog = page.getByRole('dialog', { name: 'Import these settings?' });
  await dialog.waitFor();
  const changes = await dialog.getByRole('list', { name: 'What the import changes' }).innerText();
  assert.match(changes, /Replaces: .*Deprovisioning.*Audit log retention/);
  assert.match(changes, new RegExp(`Updates connections: ${SLUG}`));
  await screenshot(page, 'settings-file-confirm');
  // Nothing is written before the admin confirms.
  assert.equal((await config()).audit.retentionDays, 400);

  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await card().getByText('The settings were imported.').waitFor();
  const after = await config();
  assert.equal(after.audit.retentionDays, 45);
  assert.deepEqual([after.deprovision.action, after.deprovision.graceDays], ['delete', 14]);

  const sidecar = await request<{ slug: string; settings: { clientSecret?: string } }[]>(
    restUrl(stack, 'usersync/v1/sidecar/connections'),
    { basic: asService(stack) },
  );
  assert.equal(sidecar.body.find((c) => c.slug === SLUG)?.settings.clientSecret, SECRET);
});

test('a file with a bad value lists the field error and changes nothing', async () => {
  const file = JSON.parse(fs.readFileSync(exported, 'utf8')) as {
    settings: { audit: { retentionDays: number } };
  };
  file.settings.audit.retentionDays = -5;
  const bad = path.join(stack.dir, 'bad-settings.json');
  fs.writeFileSync(bad, JSON.stringify(file));

  await openOverview();
  await card().locator('input[type="file"]').setInputFiles(bad);
  const problems = card().getByRole('list', { name: 'Problems in the file' });
  await problems.waitFor();
  assert.match(await problems.innerText(), /audit\[retentionDays\]/);
  assert.equal(await page.getByRole('dialog').count(), 0);
  assert.equal((await config()).audit.retentionDays, 45);
  // The refused import is a 400 the browser logs; what must not happen is a crash of the app.
  assert.deepEqual(
    pageErrors.filter((e) => e.startsWith('uncaught')),
    [],
  );
});
