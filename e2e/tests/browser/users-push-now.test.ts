// The profile's "Push now", in a real browser against two real sites wired as WordPress
// peers: a user who was on the parent before the child became its peer is not in the change
// feed the peer gets, so the admin pushes them from their profile; the notice says what the
// peer did, the user is on the child, and a second press finds them up to date. A change the
// child refuses for good is listed in Failed records with the child's reason, and its Retry
// delivers it once the cause is gone.
// Screenshots: e2e/artifacts/users-push-now.png, failed-records-peers.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { adminPage, launchBrowser, screenshot } from '../../src/browser.js';
import type { Stack } from '../../src/stack/index.js';
import { eventually } from '../../src/helpers.js';
import {
  createUser,
  deleteUser,
  findUser,
  outbound,
  pair,
  settled,
  startSite,
} from '../peer-support.js';

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
    ({ page, errors: pageErrors } = await adminPage(browser, parent.wordpress, {
      timeoutMs: 30_000,
    }));
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
  assert.match(await notice.innerText(), /Child site: created\./);
  const onChild = await findUser(child, { login: 'early.bird' });
  assert.ok(onChild, 'the user is on the child');
  assert.equal(onChild.email, 'early.bird@example.com');
  assert.equal(onChild.firstName, 'Early');

  await page.getByRole('link', { name: 'Push now to Child site' }).click();
  await notice.waitFor();
  assert.match(await notice.innerText(), /Child site: (already up to date|updated)\./);
  assert.deepEqual(pageErrors, []);
});

test('an undelivered change is in Failed records with its reason, and Retry delivers it', async () => {
  const local = await createUser(child, { username: 'clash' });
  const clash = await createUser(parent, { username: 'clash', first_name: 'Clash' });
  await eventually(
    async () => {
      const child1 = (await outbound(parent)).targets.find((t) => t.slug === 'child');
      assert.equal(child1?.deadLetters, 1);
    },
    { what: 'the dead letter', timeoutMs: 60_000 },
  );
  await page.goto(`${parent.wordpress.url}/wp-admin/users.php?page=usersync&tab=failed-records`);
  const table = page.getByRole('table', { name: 'Changes that could not be delivered' });
  await table.waitFor();
  const row = table.getByRole('row').filter({ hasText: 'Child site' });
  assert.match(await row.innerText(), /already has a user with the login "clash"/);
  await screenshot(page, 'failed-records-peers');

  await deleteUser(child, local, 1);
  await row.getByRole('button', { name: `Retry user ${clash} to Child site` }).click();
  await row.locator('.usersync-result.is-success').waitFor();
  assert.equal(await row.locator('.usersync-result').innerText(), 'Delivered.');
  const arrived = await findUser(child, { login: 'clash' }, 'parent');
  assert.equal(arrived?.externalId, String(clash));
  assert.deepEqual(pageErrors, []);
});
