// Salesforce → WordPress against a real WordPress + plugin + sidecar and the Salesforce
// emulator, the way an admin drives it: the connection created through the plugin's REST API,
// Test connection, the object and field pickers, Sync now making WordPress users of
// Contacts through the object map's field rows, a second run writing nothing, a Contact
// whose email an existing WordPress user has linked to that user (not duplicated) while an
// administrator with a Contact's email is left alone, and a deleted Contact disabled — or,
// once the object map's deletePolicy.pull says delete, its WordPress user deleted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, restUrl } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';
import { startSalesforceEmulator } from '../src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../src/emulators/salesforce/index.js';
import { connectEmulator, contactMap } from '../src/emulators/salesforce/stack.js';
import {
  linkedUsers,
  putConfig,
  syncAndWait,
  type SiteAccess,
} from '../src/emulators/microsoft-graph/stack.js';

const SLUG = 'acme-salesforce';

let stack: Stack;
let emulator: SalesforceEmulator;
let site: SiteAccess;
const contacts: string[] = [];

before(
  async () => {
    [stack, emulator] = await Promise.all([
      startStack({ name: 'salesforce-sync' }),
      startSalesforceEmulator({ seed: 'salesforce-sync' }),
    ]);
    // Records one second apart, as an org fills up over time (SystemModstamp has a
    // one-second grain).
    for (let i = 0; i < 25; i++) {
      emulator.advance(1000);
      contacts.push(...emulator.seed({ contacts: 1, from: i }).contacts);
    }
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
  await emulator?.close();
});

const contact = (id: string) => emulator.record(id)!;

/** Audit rows written by runs: one per WordPress write a run made. */
async function runWrites(): Promise<number> {
  const answer = await request(restUrl(stack, 'usersync/v1/audit?source=run:*&per_page=1'), {
    basic: asAdmin(stack),
  });
  assert.equal(answer.status, 200, answer.text);
  return Number(answer.headers.get('x-wp-total'));
}

describe('Salesforce Contacts as WordPress users', () => {
  test('the connection is created through the plugin and passes Test connection', async () => {
    const created = await connectEmulator(site, emulator, { slug: SLUG, name: 'Acme Salesforce' });
    assert.deepEqual(created.clientSecret, { set: true });
    const tested = await request<{
      ok: boolean;
      checks: { name: string; ok: boolean; message: string }[];
    }>(restUrl(stack, `usersync/v1/sources/${SLUG}/test`), {
      method: 'POST',
      basic: asAdmin(stack),
    });
    assert.equal(tested.status, 200, tested.text);
    assert.equal(tested.body.ok, true, tested.text);
    const names = tested.body.checks.map((c) => c.name);
    for (const name of [
      'Sign in',
      'API version 62.0',
      'Describe Contact',
      'Field Contact.Email',
      'Required fields of Contact',
    ]) {
      assert.ok(names.includes(name), `${name} is checked: ${names.join(', ')}`);
    }
  });

  test('the settings page reads the org objects and a describe through the plugin', async () => {
    const objects = await request<{ objects: { name: string }[] }>(
      restUrl(stack, `usersync/v1/connections/${SLUG}/salesforce/objects`),
      { basic: asAdmin(stack) },
    );
    assert.equal(objects.status, 200, objects.text);
    assert.ok(objects.body.objects.some((o) => o.name === 'Contact'));
    const describe = await request<{ fields: { name: string; requiredOnCreate: boolean }[] }>(
      restUrl(stack, `usersync/v1/connections/${SLUG}/salesforce/objects/Contact`),
      { basic: asAdmin(stack) },
    );
    assert.equal(describe.status, 200, describe.text);
    assert.deepEqual(
      describe.body.fields.filter((f) => f.requiredOnCreate).map((f) => f.name),
      ['LastName'],
    );
  });

  test('Sync now makes a WordPress user of each Contact with the mapped fields', async () => {
    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.created, 25, JSON.stringify(run.details?.failures));
    const users = await linkedUsers(site, SLUG, ['phone']);
    assert.equal(users.length, 25);
    const byExternal = new Map(users.map((u) => [u.externalId, u]));
    for (const id of contacts) {
      const record = contact(id);
      const user = byExternal.get(id);
      assert.ok(user, `${String(record.Email)} is a WordPress user`);
      assert.equal(user.login, record.Email);
      assert.equal(user.email, record.Email);
      assert.equal(user.firstName, record.FirstName);
      assert.equal(user.lastName, record.LastName);
      assert.equal(user.meta.phone, record.Phone);
      assert.equal(user.active, true);
    }
  });

  test('a second run with no change writes nothing to WordPress', async () => {
    const before = await runWrites();
    const again = await syncAndWait(site, SLUG);
    assert.equal(again.state, 'succeeded', again.error ?? '');
    assert.equal(again.counts.created + again.counts.updated + again.counts.disabled, 0);
    assert.equal(await runWrites(), before, 'no WordPress write');
  });

  test('a Contact with the email of an existing WordPress user links that user; an administrator is left alone', async () => {
    const existing = await request<{ id: number }>(restUrl(stack, 'wp/v2/users'), {
      method: 'POST',
      basic: asAdmin(stack),
      body: {
        username: 'marie.curie',
        email: 'marie.curie@example.com',
        password: 'Pa55word-marie-1234',
        roles: ['subscriber'],
      },
    });
    assert.equal(existing.status, 201, existing.text);
    const admin = await request<{ id: number }>(restUrl(stack, 'wp/v2/users'), {
      method: 'POST',
      basic: asAdmin(stack),
      body: {
        username: 'root.admin',
        email: 'root.admin@example.com',
        password: 'Pa55word-root-1234',
        roles: ['administrator'],
      },
    });
    assert.equal(admin.status, 201, admin.text);
    await putConfig(site, {
      deprovision: {
        action: 'disable',
        reassignTo: null,
        touchUnlinked: true,
        touchAdministrators: false,
      },
    });
    try {
      emulator.advance(1000);
      const marie = emulator.create('Contact', {
        FirstName: 'Marie',
        LastName: 'Curie',
        Email: 'marie.curie@example.com',
      });
      const root = emulator.create('Contact', {
        FirstName: 'Root',
        LastName: 'Admin',
        Email: 'root.admin@example.com',
      });
      const run = await syncAndWait(site, SLUG);
      assert.notEqual(run.state, 'running');
      const users = await linkedUsers(site, SLUG);
      const linked = users.find((u) => u.externalId === marie);
      assert.equal(linked?.id, existing.body.id, 'the same WordPress user, now linked');
      assert.equal(linked?.firstName, 'Marie');
      assert.equal(
        users.some((u) => u.externalId === root),
        false,
        'the administrator is not linked',
      );
      const all = await request<{ id: number; email?: string }[]>(
        restUrl(stack, 'wp/v2/users?per_page=100&context=edit&search=example.com'),
        { basic: asAdmin(stack) },
      );
      assert.equal(all.status, 200, all.text);
      const emails = all.body.map((u) => u.email);
      assert.equal(
        emails.filter((e) => e === 'marie.curie@example.com').length,
        1,
        'not duplicated',
      );
      assert.equal(
        emails.filter((e) => e === 'root.admin@example.com').length,
        1,
        'not duplicated',
      );
      const rootUser = await request<{ roles: string[]; first_name: string }>(
        restUrl(stack, `wp/v2/users/${admin.body.id}?context=edit`),
        { basic: asAdmin(stack) },
      );
      assert.deepEqual(rootUser.body.roles, ['administrator'], 'the administrator is untouched');
      assert.equal(rootUser.body.first_name, '', 'nothing written to the administrator');
    } finally {
      await putConfig(site, {
        deprovision: {
          action: 'disable',
          reassignTo: null,
          touchUnlinked: false,
          touchAdministrators: false,
        },
      });
    }
  });

  test('a deleted Contact disables its WordPress user and keeps the link', async () => {
    emulator.advance(1000);
    emulator.delete(contacts[0]!);
    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    const user = (await linkedUsers(site, SLUG)).find((u) => u.externalId === contacts[0]);
    assert.ok(user, 'still linked');
    assert.equal(user.active, false);
  });

  test('with deletePolicy.pull delete, a deleted Contact deletes its WordPress user under the site policy disable', async () => {
    const changed = await request(restUrl(stack, `usersync/v1/connections/${SLUG}`), {
      method: 'PATCH',
      basic: asAdmin(stack),
      body: {
        objectMaps: [
          contactMap({
            operations: { create: ['push', 'pull'], update: ['push', 'pull'], delete: ['pull'] },
            deletePolicy: { pull: 'delete', push: 'ignore' },
          }),
        ],
      },
    });
    assert.equal(changed.status, 200, changed.text);
    const user = (await linkedUsers(site, SLUG)).find((u) => u.externalId === contacts[1]);
    assert.ok(user, 'linked before');
    emulator.advance(1000);
    emulator.delete(contacts[1]!);
    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.ok(run.counts.deleted >= 1, JSON.stringify(run.counts));
    const gone = await request(restUrl(stack, `wp/v2/users/${user.id}?context=edit`), {
      basic: asAdmin(stack),
    });
    assert.equal(gone.status, 404, 'the WordPress user is deleted');
    const others = await linkedUsers(site, SLUG);
    assert.ok(others.length > 20, `the other Contacts' users stay: ${others.length}`);
  });
});
