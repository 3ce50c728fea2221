// Chromium for browser tests: the system's binary driven by playwright-core (no browser
// download), headless, with a fresh profile per launch.
import fs from 'node:fs';
import path from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';

import { ensurePrerequisites } from './stack/prerequisites.js';
import { repoRoot } from './stack/paths.js';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Screenshots and other files a browser test leaves for people to look at (gitignored). */
export const artifactsDir = path.join(repoRoot, 'e2e', 'artifacts');

export async function launchBrowser(): Promise<Browser> {
  const { chromium: executablePath } = await ensurePrerequisites({ browser: true });
  // launch() gives every browser a new temporary profile (user data dir) and removes it on close.
  return chromium.launch({
    executablePath: executablePath ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** Saves a full-page screenshot as e2e/artifacts/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Collects what the page reports as broken: console errors and uncaught exceptions. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? 'unknown';
    // A page left while a script or image still loads cancels it: no failure of the page.
    if (
      reason === 'net::ERR_ABORTED' &&
      request.resourceType() !== 'fetch' &&
      request.resourceType() !== 'xhr'
    )
      return;
    errors.push(`request failed: ${request.url()} (${reason})`);
  });
  return errors;
}

/** Logs in on wp-login.php and waits for the dashboard. */
export async function logIn(
  page: Page,
  url: string,
  user: string,
  password: string,
): Promise<void> {
  await page.goto(`${url}/wp-login.php`);
  // wp-login.php moves the focus to the user name field 200 ms after load; filling the password
  // before that could send its text to the wrong field.
  await page.waitForFunction(() => document.activeElement?.id === 'user_login');
  await page.fill('#user_login', user);
  await page.fill('#user_pass', password);
  if ((await page.inputValue('#user_login')) !== user) {
    throw new Error('the login form did not keep the user name that was typed');
  }
  await Promise.all([
    page.waitForURL((target) => target.pathname.startsWith('/wp-admin/')),
    page.click('#wp-submit'),
  ]);
}

/**
 * A new page logged in as the site's administrator, past the dashboard's own background
 * requests (they end when a test leaves the dashboard; they are not the test's), with the
 * page's errors collected from then on.
 */
export async function adminPage(
  browser: Browser,
  wordpress: { url: string; adminUser: string; adminPassword: string },
  options: { width?: number; height?: number; timeoutMs?: number } = {},
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
  });
  page.setDefaultTimeout(options.timeoutMs ?? 20_000);
  await logIn(page, wordpress.url, wordpress.adminUser, wordpress.adminPassword);
  await page.waitForLoadState('networkidle');
  return { page, errors: collectPageErrors(page) };
}
