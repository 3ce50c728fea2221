// The settings page in a real browser: an administrator logs in, opens Users → UserSync, sees
// the app with the sidecar reachable, and creates a SCIM token that is shown exactly once.
// Screenshots of every screen go to e2e/artifacts/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { collectPageErrors, launchBrowser, logIn, screenshot } from '../../src/browser.js';
import { eventually } from '../../src/helpers.js';
import { request, startStack, type Stack } from '../../src/stack/index.js';

let stack: Stack;
let browser: Browser;
let page: Page;
let pageErrors: string[];
/** The token the UI showed, for the last test. */
let uiToken = '';

before(
  async () => {
    [stack, browser] = await Promise.all([startStack({ name: 'browser' }), launchBrowser()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    pageErrors = collectPageErrors(page);
  },
  { timeout: 120_000 },
);

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Fails with what the page reported when `work` fails, so a broken app explains itself. */
async function explained<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const shot = await screenshot(page, `failed-${what.replace(/\W+/g, '-')}`).catch(() => '');
    const errors = pageErrors.length ? pageErrors.join('\n') : '(none)';
    throw new Error(
      `${what}: ${(error as Error).message}\nPage errors:\n${errors}${shot ? `\nScreenshot: ${shot}` : ''}`,
    );
  }
}

test('an administrator logs in and opens Users → UserSync', { timeout: 60_000 }, async () => {
  await page.goto(`${stack.wordpress.url}/wp-login.php`);
  await screenshot(page, '01-login');
  await logIn(page, stack.wordpress.url, stack.wordpress.adminUser, stack.wordpress.adminPassword);
  await screenshot(page, '02-dashboard');

  await page.goto(`${stack.wordpress.url}/wp-admin/users.php`);
  const menuItem = page.locator('#menu-users a[href="users.php?page=usersync"]');
  assert.equal(await menuItem.innerText(), 'UserSync');
  await Promise.all([page.waitForURL(/users\.php\?page=usersync/), menuItem.click()]);

  const root = page.locator('#usersync-admin-root');
  await explained('the settings app did not mount', async () => {
    await root.getByRole('heading', { name: 'UserSync', level: 1 }).waitFor();
  });
});

test('the Overview tab shows the sidecar reachable', { timeout: 30_000 }, async () => {
  const root = page.locator('#usersync-admin-root');
  await explained('the Overview tab did not show the sidecar reachable', async () => {
    const tab = root.getByRole('tab', { name: 'Overview' });
    assert.equal(await tab.getAttribute('aria-selected'), 'true');
    const reachable = root.locator('.usersync-details__row', {
      has: page.locator('dt', { hasText: /^Reachable$/ }),
    });
    await reachable.locator('dd', { hasText: /^Yes$/ }).waitFor();
    await root.getByText(stack.sidecar.url).first().waitFor();
  });
  await screenshot(page, '03-overview');
});

test('a SCIM token created in the UI is shown exactly once', { timeout: 60_000 }, async () => {
  const root = page.locator('#usersync-admin-root');
  const name = 'Browser test';
  await explained('creating a token in the UI failed', async () => {
    await root.getByRole('tab', { name: 'Connections' }).click();
    await root.getByRole('textbox', { name: 'Token name' }).waitFor();
    await screenshot(page, '04-connections');

    await root.getByRole('textbox', { name: 'Token name' }).fill(name);
    await root.getByRole('button', { name: 'Create token' }).click();
    await root.getByRole('region', { name: `Token “${name}” created` }).waitFor();
  });
  const created = root.getByRole('region', { name: `Token “${name}” created` });
  const token = await created.getByRole('textbox', { name: 'SCIM token' }).inputValue();
  assert.match(token, /^us_[A-Za-z0-9_-]{43}$/);
  uiToken = token;
  await screenshot(page, '05-token-created');

  // Shown once: gone after "Done", and never again after a reload.
  await created.getByRole('button', { name: 'Done, hide the token' }).click();
  await created.waitFor({ state: 'detached' });
  assert.equal((await page.content()).includes(token), false, 'token hidden after Done');
  await root
    .getByRole('row', { name: new RegExp(name) })
    .first()
    .waitFor();
  await screenshot(page, '06-token-listed');

  await page.reload();
  await root.getByRole('tab', { name: 'Connections' }).click();
  await root
    .getByRole('row', { name: new RegExp(name) })
    .first()
    .waitFor();
  assert.equal((await page.content()).includes(token), false, 'token not shown after reload');
  assert.deepEqual(
    // Requests cut short by the reload (net::ERR_ABORTED) are not failures of the page.
    pageErrors.filter((e) => !e.includes('favicon') && !e.includes('net::ERR_ABORTED')),
    [],
    'no console errors on the settings page',
  );
});

test('the sidecar accepts the token created in the UI', { timeout: 30_000 }, async () => {
  assert.ok(uiToken, 'a token was created in the UI');
  await eventually(
    async () => {
      const answer = await request(`${stack.sidecar.scimUrl}/ServiceProviderConfig`, {
        bearer: uiToken,
      });
      assert.equal(answer.status, 200, answer.text);
    },
    { what: 'the sidecar to accept the token created in the UI' },
  );
});
