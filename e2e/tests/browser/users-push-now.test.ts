// The profile's "Push now", in a real browser against two real sites wired as WordPress
// peers: a user who was on the parent before the child became its peer is not in the change
// feed the peer gets, so the admin pushes them from their profile; the notice says what the
// peer did, the user is on the child, and a second press finds them up to date.
// Screenshot: e2e/artifacts/users-push-now.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { collectPageErrors, launchBrowser, logIn, screenshot } from '../../src/browser.js';
import type { Stack } from '../../src/stack/index.js';
import { createUser, findUser, pair, settled, startSite } from '../peer-support.js';

let parent: Stack;
let child: Stack;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let early: number;

before(
  async () => {
    [parent, child, browser] = await Promise.all([
      startSite('push-now-parent'),
      startSite('push-now-child'),
      launchBrowser(),
    ]);
    early = await createUser(parent, {
      username: 'early.bird',
      email: 'early.bird@example.com',
      first_name: 'Early',
      last_name: 'Bird',
    });
    await pair(parent, child);
    await settled(parent);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(30_000);
    await logIn(
      page,
      parent.wordpress.url,
      parent.wordpress.adminUser,
      parent.wordpress.adminPassword,
    );
    await page.waitForLoadState('networkidle');
    pageErrors = collectPageErrors(page);
  },
  { timeout: 240_000 },
);

after(async () => {
  await browser?.close();
  await Promise.all([parent?.stop(), child?.stop()]);
});

test('Push now delivers a user the feed never carried, then finds them up to date', async () => {
  assert.equal(await findUser(child, { login: 'early.bird' }), null, 'not pushed by the feed');
  await page.goto(`${parent.wordpress.url}/wp-admin/user-edit.php?user_id=${early}`);
  const push = page.getByRole('link', { name: 'Push now to Child site' });
  await push.click();
  const notice = page.locator('.usersync-sync-result');
  await notice.waitFor();
  await screenshot(page, 'users-push-now');
  assert.match(await notice.innerText(), /1 user pushed\. 0 skipped\. 0 failed\./);
  assert.match(await notice.innerText(), /Child site: created on the peer\./);
  const onChild = await findUser(child, { login: 'early.bird' });
  assert.ok(onChild, 'the user is on the child');
  assert.equal(onChild.email, 'early.bird@example.com');
  assert.equal(onChild.firstName, 'Early');

  await page.getByRole('link', { name: 'Push now to Child site' }).click();
  await notice.waitFor();
  assert.match(await notice.innerText(), /Child site: (already up to date|updated on the peer)\./);
  assert.deepEqual(pageErrors, []);
});
