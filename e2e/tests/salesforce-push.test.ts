// WordPress → Salesforce on the real stack: a Salesforce connection with pushes on, created in
// the plugin, makes the sidecar deliver WordPress user changes to the emulated org's Contacts
// within seconds — a new user links to the Contact that has their email (no duplicate), an
// edit updates it by Id, a deleted user's Contact is deleted (deletePolicy.push = delete), and
// "Push now" brings a Contact edited in Salesforce back in line. Turning pushes off stops the
// target.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, eventually, restUrl } from '../src/helpers.js';
import { request, type Stack } from '../src/stack/index.js';
import { startSalesforceEmulator } from '../src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../src/emulators/salesforce/index.js';
import { connectEmulator, contactMap } from '../src/emulators/salesforce/stack.js';
import { createUser, deleteUser, outbound, startSite, updateUser } from './peer-support.js';

const SLUG = 'acme-crm';

interface DeadLetter {
  id: number;
  userId: number;
  code: string;
  message: string;
}

let stack: Stack;
let emulator: SalesforceEmulator;

before(
  async () => {
    [stack, emulator] = await Promise.all([
      startSite('salesforce-push'),
      startSalesforceEmulator({ seed: 'salesforce-push' }),
    ]);
    await connectEmulator({ url: stack.wordpress.url, admin: asAdmin(stack) }, emulator, {
      slug: SLUG,
      name: 'Acme CRM',
      objectMaps: [contactMap({ deletePolicy: { pull: 'disable', push: 'delete' } })],
    });
    await eventually(
      async () => {
        const found = (await outbound(stack)).targets.find((t) => t.slug === SLUG);
        if (!found || found.cursor === null) throw new Error('not delivering yet');
      },
      { what: 'the Salesforce target to start', timeoutMs: 30_000 },
    );
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
  await emulator?.close();
});

/** The live Contacts of the emulated org with this email. */
function contactsWithEmail(email: string): Record<string, unknown>[] {
  return emulator.org
    .all('Contact')
    .map((record) => emulator.record(record.id)!)
    .filter((c) => c.IsDeleted !== true && String(c.Email).toLowerCase() === email);
}

async function onlyContact(email: string, check: (c: Record<string, unknown>) => void) {
  return eventually(
    async () => {
      const found = contactsWithEmail(email);
      assert.equal(found.length, 1, `one Contact with ${email}`);
      check(found[0]!);
      return found[0]!;
    },
    { what: `the Contact of ${email}`, timeoutMs: 15_000, intervalMs: 100 },
  );
}

describe('WordPress users pushed to Salesforce', () => {
  let adaId: number;
  let contactId: string;

  test('a new user is linked to the Contact that has their email, not duplicated', async () => {
    const existing = emulator.create('Contact', { LastName: 'L.', Email: 'ada@example.com' });
    const started = Date.now();
    adaId = await createUser(stack, {
      username: 'ada',
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
    });
    const contact = await onlyContact('ada@example.com', (c) => {
      assert.equal(c.FirstName, 'Ada');
      assert.equal(c.LastName, 'Lovelace');
    });
    assert.equal(contact.Id, existing);
    assert.match(String(contact.UserSync_Id__c), new RegExp(`:${adaId}$`));
    assert.ok(Date.now() - started < 15_000);
    contactId = existing;
    assert.ok(emulator.stats.writeClients.usersync! >= 1, 'written as client=usersync');
  });

  test('a new user without a Contact gets one', async () => {
    await createUser(stack, {
      username: 'grace',
      email: 'grace@example.com',
      first_name: 'Grace',
      last_name: 'Hopper',
    });
    await onlyContact('grace@example.com', (c) => assert.equal(c.LastName, 'Hopper'));
  });

  test('an edit in WordPress updates the Contact by Id', async () => {
    await updateUser(stack, adaId, { first_name: 'Augusta' });
    const contact = await onlyContact('ada@example.com', (c) =>
      assert.equal(c.FirstName, 'Augusta'),
    );
    assert.equal(contact.Id, contactId);
  });

  test('"Push now" brings a Contact edited in Salesforce back to the WordPress values', async () => {
    emulator.update(contactId, { FirstName: 'Edited in Salesforce' });
    // The profile's Push now: the plugin relays to the sidecar and waits for the delivery.
    const answer = await request<{ outcome: string; connection: string; message: string }>(
      restUrl(stack, `usersync/v1/users/${adaId}/push`),
      { method: 'POST', basic: asAdmin(stack), body: { target: SLUG } },
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.outcome, 'synced', answer.text);
    assert.match(answer.body.message, /: updated\.$/);
    assert.equal(emulator.record(contactId)!.FirstName, 'Augusta');
  });

  test('a user Salesforce refuses becomes a dead letter with its message, then goes through', async () => {
    const id = await createUser(stack, { username: 'nolast', email: 'nolast@example.com' });
    const letter = await eventually(
      async () => {
        const answer = await request<{ deadLetters: DeadLetter[] }>(
          `${stack.sidecar.url}/api/v1/outbound/dead-letters?target=${SLUG}`,
          { bearer: stack.sidecar.apiKey },
        );
        const found = answer.body.deadLetters.find((l) => l.userId === id);
        assert.ok(found, 'a dead letter');
        return found;
      },
      { what: 'the dead letter', timeoutMs: 30_000 },
    );
    assert.equal(letter.code, 'REQUIRED_FIELD_MISSING');
    assert.match(letter.message, /Required fields are missing: \[LastName\].*fields: LastName/);
    assert.equal(contactsWithEmail('nolast@example.com').length, 0);

    await updateUser(stack, id, { last_name: 'Fixed' });
    const retried = await request<{ resolved: boolean; error: string | null }>(
      `${stack.sidecar.url}/api/v1/outbound/dead-letters/${letter.id}/retry?wait=20000`,
      { method: 'POST', bearer: stack.sidecar.apiKey },
    );
    assert.equal(retried.status, 200, retried.text);
    await onlyContact('nolast@example.com', (c) => assert.equal(c.LastName, 'Fixed'));
  });

  test('a deleted user has their Contact deleted', async () => {
    await deleteUser(stack, adaId, 1);
    await eventually(async () => assert.equal(emulator.record(contactId)!.IsDeleted, true), {
      what: 'the Contact to be deleted',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
  });

  test('turning pushes off stops the target', async () => {
    const answer = await request(restUrl(stack, `usersync/v1/connections/${SLUG}`), {
      method: 'PATCH',
      basic: asAdmin(stack),
      body: { push: false },
    });
    assert.equal(answer.status, 200, answer.text);
    await eventually(
      async () => {
        const found = (await outbound(stack)).targets.find((t) => t.slug === SLUG);
        assert.equal(found, undefined);
      },
      { what: 'the Salesforce target to stop', timeoutMs: 40_000 },
    );
    await createUser(stack, { username: 'quiet', email: 'quiet@example.com', last_name: 'Q' });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(contactsWithEmail('quiet@example.com').length, 0);
  });
});
