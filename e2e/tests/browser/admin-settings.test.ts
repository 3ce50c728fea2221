// The settings page driven by an administrator in a real browser against a real stack: a SCIM
// token created in the UI provisions a user; an attribute mapping changed in the UI applies to
// the next provisioned user; a group mapped to a role in the UI gives that role; Sync now on a
// Microsoft Graph source (the emulator) shows its progress up to 100%; the run's entries are
// found in the audit log and exported as CSV. Bad values (a duplicate mapping target, a role
// that no longer exists, an invalid cron expression, a Graph page size out of range) show an
// inline error and save nothing.
// Every screen is saved as a screenshot in e2e/artifacts/ (admin-*.png), at 1280 and 768 px.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import type { Browser, Locator, Page } from 'playwright-core';

import { collectPageErrors, launchBrowser, logIn, screenshot } from '../../src/browser.js';
import { asAdmin, eventually, restUrl } from '../../src/helpers.js';
import {
  startGraphEmulator,
  type GraphEmulator,
} from '../../src/emulators/microsoft-graph/index.js';
import { connectEmulator } from '../../src/emulators/microsoft-graph/stack.js';
import { ensurePrerequisites, request, startStack, type Stack } from '../../src/stack/index.js';
import { run as runCommand } from '../../src/stack/process.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const GRAPH_SLUG = 'contoso-entra';
/** The sidecar keeps the attribute map this long before reading it again. */
const SIDECAR_CONFIG_TTL_MS = 5_000;

let stack: Stack;
let emulator: GraphEmulator;
let browser: Browser;
let page: Page;
let pageErrors: string[];
/** The SCIM token created in the UI. */
let token = '';
/** The run started with Sync now. */
let runId = '';

interface Snapshot {
  id: number;
  login: string;
  firstName: string;
  roles: string[];
}

before(
  async () => {
    [stack, emulator, browser] = await Promise.all([
      startStack({ name: 'admin-ui' }),
      startGraphEmulator({ users: 150, seed: 'admin-ui' }),
      launchBrowser(),
    ]);
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
  await emulator?.close();
  await stack?.stop();
});

const root = () => page.locator('#usersync-admin-root');

/** Fails with what the page reported when `work` fails, so a broken screen explains itself. */
async function explained<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const file = await screenshot(page, `admin-failed-${what.replace(/\W+/g, '-')}`).catch(
      () => '',
    );
    const errors = pageErrors.length ? pageErrors.join('\n') : '(none)';
    throw new Error(
      `${what}: ${(error as Error).message}\nPage errors:\n${errors}${file ? `\nScreenshot: ${file}` : ''}`,
    );
  }
}

/**
 * Saves a screenshot of the whole page from its top (a field focused further down would
 * otherwise leave the fixed admin bar in the middle of the picture).
 */
async function shot(name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, name);
}

/** Opens a tab of the settings page by its address, as a bookmark or a link would. */
async function openTab(tab: string, name: string): Promise<void> {
  await page.goto(`${stack.wordpress.url}/wp-admin/users.php?page=usersync&tab=${tab}`);
  await root().getByRole('tab', { name, selected: true }).waitFor();
}

async function config(): Promise<Record<string, unknown>> {
  const answer = await request<Record<string, unknown>>(restUrl(stack, 'usersync/v1/config'), {
    basic: asAdmin(stack),
  });
  assert.equal(answer.status, 200, answer.text);
  return answer.body;
}

async function scim(method: string, route: string, body?: unknown) {
  const response = await fetch(`${stack.sidecar.scimUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, text };
}

function scimUser(login: string, given: string, family: string) {
  return {
    schemas: [USER],
    externalId: `ext-${login}`,
    userName: `${login}@contoso.example`,
    active: true,
    displayName: `${given} ${family}`,
    emails: [{ primary: true, type: 'work', value: `${login}@contoso.example` }],
    name: { givenName: given, familyName: family },
  };
}

async function wpUser(login: string): Promise<Snapshot | undefined> {
  const answer = await request<{ users: Snapshot[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?login=${encodeURIComponent(login)}`,
    { basic: asAdmin(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.users[0];
}

/** Runs PHP inside the site (adding or removing a role, as another plugin would). */
async function sitePhp(code: string): Promise<void> {
  const { php } = await ensurePrerequisites({ install: false });
  const script = `$_SERVER['HTTP_HOST'] = 'localhost'; require ${JSON.stringify(`${stack.wordpress.dir}/wp-load.php`)}; ${code}`;
  const result = await runCommand(php, ['-r', script], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
}

/** The horizontal overflow of the page, in pixels (0 when it fits the window). */
function overflow(): Promise<number> {
  return page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
}

const row = (number: number): Locator =>
  root().getByRole('group', { name: `Row ${number}`, exact: true });
const rule = (number: number): Locator =>
  root().getByRole('group', { name: `Rule ${number}`, exact: true });

test(
  'Connections: a SCIM token made in the UI provisions a user',
  { timeout: 60_000 },
  async () => {
    await explained('creating a SCIM token', async () => {
      await openTab('connections', 'Connections');
      await root().getByRole('textbox', { name: 'Token name' }).fill('Entra production');
      await root().getByRole('button', { name: 'Create token' }).click();
      const created = root().getByRole('region', { name: 'Token “Entra production” created' });
      token = await created.getByRole('textbox', { name: 'SCIM token' }).inputValue();
      assert.match(token, /^us_[A-Za-z0-9_-]{43}$/);
      await shot('admin-connections-token-created');
      await created.getByRole('button', { name: 'Done, hide the token' }).click();
    });

    const created = await eventually(
      async () => {
        const answer = await scim('POST', '/Users', scimUser('ada', 'Ada', 'Lovelace'));
        assert.equal(answer.status, 201, answer.text);
        return answer.body as { id: string; userName: string };
      },
      { what: 'the sidecar to accept the new token' },
    );
    assert.equal(created.userName, 'ada@contoso.example');
    const ada = await wpUser('ada@contoso.example');
    assert.equal(ada?.firstName, 'Ada');

    // The sidecar reports token use every 10 s; then the Overview shows it.
    await eventually(
      async () => {
        const tokens = await request<{ name: string; lastUsedAt: string | null }[]>(
          restUrl(stack, 'usersync/v1/tokens'),
          { basic: asAdmin(stack) },
        );
        assert.ok(tokens.body.find((t) => t.name === 'Entra production')?.lastUsedAt);
      },
      { what: 'the token’s use to be reported', timeoutMs: 30_000, intervalMs: 1000 },
    );
    await explained('the Overview showing the token’s last use', async () => {
      await openTab('overview', 'Overview');
      const senders = root().getByRole('listitem').filter({ hasText: 'Entra production' });
      await senders.getByText('last request').waitFor();
    });
  },
);

test(
  'Attribute mapping: a duplicate target is refused inline; a change applies to the next user',
  {
    timeout: 60_000,
  },
  async () => {
    const before = await config();
    await explained('the attribute mapping tab', async () => {
      await openTab('attribute-mapping', 'Attribute mapping');
      await row(1).getByRole('combobox', { name: 'Source attribute' }).waitFor();
      await shot('admin-attribute-mapping');
    });

    // Row 4 (name.familyName → last_name) pointed at first_name as well: refused, nothing saved.
    const target = row(4).getByRole('combobox', { name: 'WordPress field' });
    await target.selectOption('first_name');
    assert.equal(await target.getAttribute('aria-invalid'), 'true');
    await root()
      .getByText('Row 3 already fills this field. Map each WordPress field once.')
      .waitFor();
    await root().getByRole('button', { name: 'Save attribute mapping' }).click();
    await root().getByText('Nothing was saved: fix the problem marked above.').waitFor();
    await shot('admin-attribute-mapping-duplicate-target');
    assert.deepEqual((await config()).attributeMap, before.attributeMap, 'nothing was saved');
    await target.selectOption('last_name');

    // First names in capitals from now on.
    await row(3).getByRole('combobox', { name: 'Transform' }).selectOption('uppercase');
    await root().getByRole('button', { name: 'Save attribute mapping' }).click();
    await root().getByText('Settings saved.').waitFor();
    const saved = (await config()).attributeMap as { target: string; transform: string }[];
    assert.equal(saved.find((r) => r.target === 'first_name')?.transform, 'uppercase');

    // The preview follows the saved map.
    const preview = root().getByRole('table', { name: 'What WordPress would store' });
    await preview.getByRole('row', { name: /first_name ADELE/ }).waitFor();

    await new Promise((resolve) => setTimeout(resolve, SIDECAR_CONFIG_TTL_MS + 500));
    const answer = await scim('POST', '/Users', scimUser('grace', 'Grace', 'Hopper'));
    assert.equal(answer.status, 201, answer.text);
    assert.equal((await wpUser('grace@contoso.example'))?.firstName, 'GRACE');
    assert.equal(
      (await wpUser('ada@contoso.example'))?.firstName,
      'Ada',
      'earlier users unchanged',
    );
  },
);

test(
  'Role mapping: a group mapped to a role gives its members that role',
  { timeout: 60_000 },
  async () => {
    await explained('the role mapping tab', async () => {
      await openTab('role-mapping', 'Role mapping');
      await root()
        .getByText(/No rules: synced users keep the roles/)
        .waitFor();
    });

    // Keyboard only: add a rule, name the group, choose the role, save with Enter.
    await root().getByRole('button', { name: 'Add a rule' }).focus();
    await page.keyboard.press('Enter');
    const group = rule(1).getByRole('textbox', { name: 'Group' });
    await eventually(
      async () => assert.equal(await group.evaluate((e) => e === document.activeElement), true),
      {
        what: 'the new rule’s group field to take the focus',
      },
    );
    await page.keyboard.type('Editors');
    await page.keyboard.press('Tab');
    // A focused list picks its option by typing, as any select does.
    await page.keyboard.press('E');
    assert.equal(await rule(1).getByRole('combobox', { name: 'Role' }).inputValue(), 'editor');
    // The rule reads the groups of the connection whose token (made above) sends them.
    await page.keyboard.press('Tab');
    await rule(1).getByRole('combobox', { name: 'Connection' }).selectOption('entra-production');
    await rule(1).getByRole('textbox', { name: 'Group' }).focus();
    await page.keyboard.press('Enter');
    await root().getByText('Settings saved.').waitFor();
    await shot('admin-role-mapping');

    const roleMap = (await config()).roleMap as { rules: { group: string; role: string }[] };
    assert.deepEqual(
      roleMap.rules.map(({ group: g, role }) => ({ group: g, role })),
      [{ group: 'Editors', role: 'editor' }],
    );

    const grace = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "grace@contoso.example"')}`,
    );
    const graceId = grace.body.Resources[0].id as string;
    const created = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'Editors',
      members: [{ value: graceId }],
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual((await wpUser('grace@contoso.example'))?.roles, ['editor']);
    assert.deepEqual((await wpUser('ada@contoso.example'))?.roles, ['subscriber']);
  },
);

test(
  'Role mapping: a rule saved after the fact gives the people already in its group its role',
  { timeout: 60_000 },
  async () => {
    const ada = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "ada@contoso.example"')}`,
    );
    const writers = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'Writers',
      members: [{ value: ada.body.Resources[0].id as string }],
    });
    assert.equal(writers.status, 201, writers.text);
    assert.deepEqual((await wpUser('ada@contoso.example'))?.roles, ['subscriber']);

    await openTab('role-mapping', 'Role mapping');
    await root().getByRole('button', { name: 'Add a rule' }).click();
    await rule(2).getByRole('textbox', { name: 'Group' }).fill('writers');
    await rule(2).getByRole('combobox', { name: 'Role' }).selectOption('author');
    await rule(2).getByRole('combobox', { name: 'Connection' }).selectOption('entra-production');
    await root().getByRole('button', { name: 'Save role mapping' }).click();

    const dialog = page.getByRole('dialog', { name: 'Change the roles of 1 user?' });
    await dialog.getByText('ada@contoso.example: subscriber → author').waitFor();
    await shot('admin-role-mapping-impact');
    await dialog.getByRole('button', { name: 'Save and update their roles' }).click();
    await root()
      .getByText('The roles of 1 user already in the mapped groups were updated.')
      .waitFor();
    assert.deepEqual((await wpUser('ada@contoso.example'))?.roles, ['author']);

    // Put the role map back as the next test expects it: only the Editors rule.
    await rule(2).getByRole('button', { name: 'Remove rule 2' }).click();
    await root().getByRole('button', { name: 'Save role mapping' }).click();
    await page.getByRole('dialog', { name: 'Change the roles of 1 user?' }).waitFor();
    await page.getByRole('button', { name: 'Save and update their roles' }).click();
    await root().getByText('Settings saved.').waitFor();
    assert.deepEqual((await wpUser('ada@contoso.example'))?.roles, ['subscriber']);
  },
);

test(
  'Role mapping: a role that no longer exists is shown inline and nothing is saved',
  {
    timeout: 60_000,
  },
  async () => {
    await sitePhp(`add_role('auditor', 'Auditor', array('read' => true));`);
    await openTab('role-mapping', 'Role mapping');
    await root().getByRole('button', { name: 'Add a rule' }).click();
    await rule(2).getByRole('textbox', { name: 'Group' }).fill('Auditors');
    await rule(2).getByRole('combobox', { name: 'Role' }).selectOption('auditor');
    await rule(2).getByRole('combobox', { name: 'Connection' }).selectOption('*');
    await root().getByRole('button', { name: 'Save role mapping' }).click();
    await root().getByText('Settings saved.').waitFor();

    // Another plugin removes the role.
    await sitePhp(`remove_role('auditor');`);
    const before = await config();
    await openTab('role-mapping', 'Role mapping');
    const role = rule(2).getByRole('combobox', { name: 'Role' });
    await root().getByText('The role "auditor" does not exist on this site.').waitFor();
    assert.equal(await role.getAttribute('aria-invalid'), 'true');
    await root().getByRole('button', { name: 'Save role mapping' }).click();
    await root().getByText('Nothing was saved: fix the problem marked above.').waitFor();
    await shot('admin-role-mapping-unknown-role');
    assert.deepEqual((await config()).roleMap, before.roleMap, 'nothing was saved');

    // Fixed by removing the rule.
    await root().getByRole('button', { name: 'Remove rule 2' }).click();
    await root().getByRole('button', { name: 'Save role mapping' }).click();
    await root().getByText('Settings saved.').waitFor();
  },
);

test(
  'Deprovisioning: the policy screen saves a delete policy with a grace period',
  {
    timeout: 60_000,
  },
  async () => {
    await openTab('deprovisioning', 'Deprovisioning');
    await root()
      .getByRole('radio', { name: /Disable the account/ })
      .waitFor();
    await shot('admin-deprovisioning');
    await root()
      .getByRole('radio', { name: /Delete the account/ })
      .check();
    await root()
      .getByRole('spinbutton', { name: 'Grace period before deleting (days)' })
      .fill('14');
    const heir = root().getByRole('combobox', { name: 'Give their posts and pages to' });
    await heir.click();
    await heir.fill('adm');
    await root()
      .getByRole('option', { name: /\(admin, / })
      .click();
    await root().getByRole('button', { name: 'Save deprovisioning' }).click();
    await root().getByText('Settings saved.').waitFor();
    await shot('admin-deprovisioning-delete');
    const policy = (await config()).deprovision as Record<string, unknown>;
    assert.equal(policy.action, 'delete');
    assert.equal(policy.graceDays, 14);
    assert.equal(typeof policy.reassignTo, 'number');

    // Back to the safe default.
    await root()
      .getByRole('radio', { name: /Disable the account/ })
      .check();
    await root().getByRole('button', { name: 'Save deprovisioning' }).click();
    await root().getByText('Settings saved.').waitFor();
  },
);

test(
  'Unsaved edits: switching tabs asks first; Stay keeps them, Discard drops them',
  { timeout: 60_000 },
  async () => {
    await openTab('deprovisioning', 'Deprovisioning');
    const deleteAccount = root().getByRole('radio', { name: /Delete the account/ });
    await deleteAccount.check();
    await root().getByRole('tab', { name: 'Schedule' }).click();
    const dialog = page.getByRole('dialog', { name: 'Leave without saving?' });
    await dialog.waitFor();
    await shot('admin-unsaved-changes');
    await dialog.getByRole('button', { name: 'Stay and keep editing' }).click();
    assert.equal(
      await root().getByRole('tab', { name: 'Deprovisioning' }).getAttribute('aria-selected'),
      'true',
    );
    assert.equal(await deleteAccount.isChecked(), true, 'the edit is kept');

    await root().getByRole('tab', { name: 'Schedule' }).click();
    await dialog.getByRole('button', { name: 'Discard changes' }).click();
    await root().getByRole('tab', { name: 'Schedule', selected: true }).waitFor();
    await openTab('deprovisioning', 'Deprovisioning');
    assert.equal(
      await root()
        .getByRole('radio', { name: /Disable the account/ })
        .isChecked(),
      true,
      'nothing was saved',
    );
  },
);

test(
  'Schedule: an invalid cron expression is refused inline; a preset is saved with its next runs',
  {
    timeout: 60_000,
  },
  async () => {
    await connectEmulator({ url: stack.wordpress.url, admin: asAdmin(stack) }, emulator, {
      slug: GRAPH_SLUG,
      name: 'Contoso Entra ID',
      pageSize: 15,
    });
    await openTab('schedule', 'Schedule');
    const form = root().getByRole('form', { name: 'Contoso Entra ID' });
    await form.getByRole('combobox', { name: 'Runs' }).selectOption('custom');
    const expression = form.getByRole('textbox', { name: 'Cron expression' });
    await expression.fill('0 25 * * *');
    await form.getByText('The hour must be from 0 to 23, not 25.').waitFor();
    await form.getByRole('button', { name: 'Save the schedule of “Contoso Entra ID”' }).click();
    await form.getByText('Nothing was saved: fix the schedule first.').waitFor();
    await shot('admin-schedule-invalid-cron');
    const stored = await request<{ schedule: string | null }>(
      restUrl(stack, `usersync/v1/connections/${GRAPH_SLUG}`),
      { basic: asAdmin(stack) },
    );
    assert.equal(stored.body.schedule, null, 'nothing was saved');

    await form.getByRole('combobox', { name: 'Runs' }).selectOption('daily');
    await form.getByLabel('Time').fill('02:30');
    await form.getByText('Every day at 02:30.').waitFor();
    assert.equal(await form.locator('.usersync-schedule__runs li').count(), 5, 'five next runs');
    await form.getByRole('button', { name: 'Save the schedule of “Contoso Entra ID”' }).click();
    await form.getByText('Schedule saved.').waitFor();
    await shot('admin-schedule');
    const saved = await request<{ schedule: string | null }>(
      restUrl(stack, `usersync/v1/connections/${GRAPH_SLUG}`),
      { basic: asAdmin(stack) },
    );
    assert.equal(saved.body.schedule, '30 2 * * *');
  },
);

test(
  'Connections: a Graph connection’s advanced settings show what is stored, refuse a wrong value inline and save',
  { timeout: 60_000 },
  async () => {
    await openTab('connections', 'Connections');
    const section = root().getByRole('region', { name: 'Contoso Entra ID' });
    await section.getByRole('button', { name: 'Edit connection “Contoso Entra ID”' }).click();
    await section.getByRole('button', { name: 'Advanced' }).click();
    const pageSize = section.getByRole('spinbutton', { name: 'Users per page' });
    assert.equal(await pageSize.inputValue(), '15');
    assert.equal(
      await section.getByRole('textbox', { name: 'Microsoft Graph URL' }).inputValue(),
      emulator.graphUrl.replace(/\/+$/, ''),
    );

    await pageSize.fill('1000');
    await section.getByText('Enter a whole number from 1 to 999.').waitFor();
    await section.getByRole('button', { name: 'Save connection' }).click();
    await shot('admin-connections-advanced-invalid');
    const unchanged = await request<{ pageSize: number }>(
      restUrl(stack, `usersync/v1/connections/${GRAPH_SLUG}`),
      { basic: asAdmin(stack) },
    );
    assert.equal(unchanged.body.pageSize, 15, 'nothing was saved');

    await pageSize.fill('15');
    await section.getByRole('button', { name: 'Save connection' }).click();
    await root().getByText('Connection “Contoso Entra ID” saved.').waitFor();
    const saved = await request<{
      pageSize: number;
      graphUrl: string | null;
      schedule: string | null;
    }>(restUrl(stack, `usersync/v1/connections/${GRAPH_SLUG}`), { basic: asAdmin(stack) });
    assert.equal(saved.body.pageSize, 15);
    assert.equal(saved.body.graphUrl, emulator.graphUrl.replace(/\/+$/, ''));
    assert.equal(saved.body.schedule, '30 2 * * *', 'the schedule is not the form’s to change');
  },
);

test(
  'Overview: Sync now shows the run progressing to 100% and links to its audit entries',
  {
    timeout: 150_000,
  },
  async () => {
    // Slow pages, so the progress can be watched.
    emulator.addFault({ match: '/users', delayMs: 250 });
    await openTab('overview', 'Overview');
    const source = root().getByRole('region', { name: 'Contoso Entra ID' });
    await source.getByRole('button', { name: 'Sync now: Contoso Entra ID' }).click();
    const bar = source.getByRole('progressbar', { name: `Progress of the run of ${GRAPH_SLUG}` });
    await bar.waitFor();
    await source.getByRole('button', { name: 'Cancel' }).waitFor();

    /** Users processed, as the progress line showed them while the run went on. */
    const midway = new Set<number>();
    const processed = (text: string) => {
      const match = /(\d+) of 150 users \((\d+)%\)/.exec(text);
      return match ? Number(match[1]) : null;
    };
    await eventually(
      async () => {
        const numbers =
          (await source.locator('.usersync-run-progress__numbers').textContent()) ?? '';
        const count = processed(numbers);
        if (count !== null && count > 0 && count < 150) {
          if (midway.size === 0) {
            await shot('admin-overview-sync-progress');
          }
          midway.add(count);
        }
        await source.getByText('Sync finished:', { exact: true }).waitFor({ timeout: 200 });
      },
      { what: 'the run to finish', timeoutMs: 120_000, intervalMs: 100 },
    );
    assert.ok(midway.size > 0, 'the progress was shown on the way to 100%');
    assert.equal(await bar.getAttribute('value'), '100');
    await source.getByText('150 of 150 users processed').waitFor();
    await source
      .getByText(/150 created, 0 updated, 0 unchanged, 0 disabled, 0 deleted, 0 failed/)
      .waitFor();

    const table = root().getByRole('table', { name: 'Last runs' });
    const last = table.getByRole('row').nth(1);
    await last.getByRole('cell', { name: '150', exact: true }).first().waitFor();
    await shot('admin-overview-sync-finished');
    const link = source.getByRole('link', { name: 'See this run’s entries in the audit log' });
    runId = new URL((await link.getAttribute('href')) ?? '').searchParams.get('run') ?? '';
    assert.ok(runId, 'the link names the run');
    await Promise.all([page.waitForURL(/tab=audit/), link.click()]);
  },
);

test(
  'Audit log: the run’s entries are found, filtered and exported as CSV',
  {
    timeout: 60_000,
  },
  async () => {
    await root().getByText(`Only the entries of run ${runId}.`).waitFor();
    const pages = root().getByRole('navigation', { name: 'Pages of the audit log', exact: true });
    const total = Number(
      ((await pages.getByText(/^\d+ entries$/).textContent()) ?? '').replace(/\D/g, ''),
    );
    assert.ok(total >= 150, `one entry per user the run created at least: ${total}`);
    await root().getByRole('table', { name: 'Audit log entries' }).waitFor();
    await shot('admin-audit-run');

    // Every run, then the SCIM user by search.
    await root().getByRole('button', { name: 'Show every run' }).click();
    await root().getByRole('searchbox', { name: 'Search' }).fill('grace@contoso.example');
    await root().getByRole('button', { name: 'Filter', exact: true }).click();
    const entries = root().getByRole('table', { name: 'Audit log entries' });
    await eventually(
      async () => {
        const rows = await entries.getByRole('row').count();
        assert.ok(rows >= 2 && rows <= 4, `rows: ${rows}`);
        assert.match((await entries.textContent()) ?? '', /grace@contoso\.example/);
      },
      { what: 'the search to list the SCIM user' },
    );
    await shot('admin-audit-search');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      root().getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^usersync-audit-\d{8}-\d{6}\.csv$/);
    const file = await download.path();
    const csv = fs.readFileSync(file, 'utf8');
    const lines = csv.trim().split('\n');
    assert.equal(
      lines[0],
      'id,time_utc,actor,source,action,user_id,user_login,fields,result,error,run_id',
    );
    assert.ok(lines.length >= 2, csv);
    assert.ok(
      lines.slice(1).every((line) => line.includes('grace@contoso.example')),
      `the export follows the filters:\n${csv}`,
    );
    assert.ok(
      lines.some((line) => line.includes('"scim:Entra production",create')),
      csv,
    );
  },
);

test('Audit log: the retention period is saved', { timeout: 30_000 }, async () => {
  const days = root().getByRole('spinbutton', { name: 'Keep entries for (days)' });
  await days.fill('-5');
  await root().getByText('Enter a whole number of days from 0 to 3650.').waitFor();
  await root().getByRole('button', { name: 'Save retention' }).click();
  assert.equal(((await config()).audit as { retentionDays: number }).retentionDays, 90);
  await days.fill('30');
  await root().getByRole('button', { name: 'Save retention' }).click();
  // A shorter period deletes entries at once: asked first.
  const dialog = page.getByRole('dialog', { name: 'Delete older entries now?' });
  await dialog.waitFor();
  await shot('admin-audit-retention-confirm');
  await dialog.getByRole('button', { name: 'Save and delete them' }).click();
  await root().getByText('Settings saved.').waitFor();
  assert.equal(((await config()).audit as { retentionDays: number }).retentionDays, 30);
});

test(
  'every screen fits 1280 and 768 pixels, with no errors in the console',
  {
    timeout: 120_000,
  },
  async () => {
    const tabs: [string, string][] = [
      ['overview', 'Overview'],
      ['connections', 'Connections'],
      ['attribute-mapping', 'Attribute mapping'],
      ['role-mapping', 'Role mapping'],
      ['deprovisioning', 'Deprovisioning'],
      ['schedule', 'Schedule'],
      ['audit', 'Audit log'],
    ];
    for (const width of [1280, 768]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [tab, name] of tabs) {
        await openTab(tab, name);
        await page.waitForLoadState('networkidle');
        await shot(`admin-${tab}-${width}`);
        assert.equal(await overflow(), 0, `${name} fits ${width} px`);
      }
    }
    assert.deepEqual(
      // Requests cut short by leaving a page (ERR_ABORTED) are not failures.
      pageErrors.filter((e) => !/favicon|net::ERR_ABORTED/.test(e)),
      [],
      'no console errors on the settings page',
    );
  },
);
