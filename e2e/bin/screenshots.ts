// `npm run screenshots`: every admin screen of UserSync — each tab of the UserSync page, the
// Users list and a synced user's profile — at 1280 and 768 px, as committed PNGs in
// e2e/artifacts/screens/. A local stack is started with the demo directory synced once, so
// the screens show users, runs and audit entries; everything is removed again at the end.
//
//   npm run screenshots                        on the newest WordPress build (what sites run)
//   USERSYNC_WORDPRESS=debian npm run screenshots   on Debian's WordPress
import fs from 'node:fs';
import path from 'node:path';

import type { Page } from 'playwright-core';

import { adminUiBuildIsStale, runStreaming, seconds } from '../src/cli.js';
import { artifactsDir, collectPageErrors, launchBrowser, logIn } from '../src/browser.js';
import { startDemoDirectory, DEMO_SLUG } from '../src/emulators/microsoft-graph/demo.js';
import { linkedUsers, syncAndWait } from '../src/emulators/microsoft-graph/stack.js';
import { startStack } from '../src/stack/index.js';

const WIDTHS = [1280, 768];
/** The UserSync page's tabs, as named in the address (`&tab=`). */
const TABS = [
  'overview',
  'connections',
  'attribute-mapping',
  'role-mapping',
  'deprovisioning',
  'schedule',
  'audit',
];
const screensDir = path.join(artifactsDir, 'screens');
const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const began = Date.now();
  process.env.USERSYNC_WORDPRESS ??= 'newest';
  if (adminUiBuildIsStale()) {
    say('Building the admin UI…');
    const build = await runStreaming('npm', ['run', 'build', '-w', 'admin-ui']);
    if (build.code !== 0) throw new Error('the admin UI did not build');
  }

  const stack = await startStack({ name: 'screenshots', log: say });
  const browser = await launchBrowser();
  try {
    const site = {
      url: stack.wordpress.url,
      admin: { user: stack.wordpress.adminUser, password: stack.wordpress.adminAppPassword },
    };
    const demo = await startDemoDirectory(site, { users: 60, port: 0 });
    try {
      const run = await syncAndWait(site, DEMO_SLUG);
      say(`Demo directory synced: ${run.state}`);
      const [someone] = await linkedUsers(site, DEMO_SLUG);
      if (!someone) throw new Error('the demo sync linked no user');

      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(20_000);
      const errors = collectPageErrors(page);
      await logIn(
        page,
        stack.wordpress.url,
        stack.wordpress.adminUser,
        stack.wordpress.adminPassword,
      );

      fs.rmSync(screensDir, { recursive: true, force: true });
      fs.mkdirSync(screensDir, { recursive: true });
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        for (const tab of TABS) {
          await page.goto(`${stack.wordpress.url}/wp-admin/users.php?page=usersync&tab=${tab}`);
          await page.getByRole('tab', { selected: true }).waitFor();
          await settle(page);
          await shoot(page, `usersync-${tab}-${width}`);
        }
        await page.goto(`${stack.wordpress.url}/wp-admin/users.php`);
        // Below 782 px WordPress folds the extra columns into each row; the list is there.
        await page.locator('#the-list tr').first().waitFor();
        await shoot(page, `users-list-${width}`);
        await page.goto(`${stack.wordpress.url}/wp-admin/user-edit.php?user_id=${someone.id}`);
        await page.getByRole('heading', { name: 'UserSync', level: 2 }).waitFor();
        await shoot(page, `user-profile-${width}`);
      }
      if (errors.length > 0) say(`The pages reported:\n  ${errors.join('\n  ')}`);
    } finally {
      await demo.stop();
    }
  } finally {
    await browser.close();
    await stack.stop();
  }
  say(
    `Screenshots of WordPress ${stack.wordpress.version} in ${path.relative(process.cwd(), screensDir)}/ (${seconds(Date.now() - began)}).`,
  );
}

/** Waits until no loading indicator is left and the page stopped changing size. */
async function settle(page: Page): Promise<void> {
  await page.waitForFunction(
    () => !document.querySelector('.usersync-loading, .usersync-admin .components-spinner'),
  );
  let previous = -1;
  for (let i = 0; i < 20; i++) {
    const height = await page.evaluate(() => document.body.scrollHeight);
    if (height === previous) return;
    previous = height;
    await page.waitForTimeout(150);
  }
}

async function shoot(page: Page, name: string): Promise<void> {
  const file = path.join(screensDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  say(`  ${path.relative(process.cwd(), file)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
