// Two-way Salesforce sync on the real stack, without echo: a connection with pushes on and
// every field row `both`. Contacts pulled into WordPress are not pushed back; a WordPress edit
// of user A reaches A's Contact, a Salesforce edit of Contact B reaches B's user on Sync now,
// and then a second Sync now and a quiet period make no Salesforce write (requests counted by
// the emulator) and no WordPress write (the runs' audit rows): no ping-pong.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, eventually } from '../src/helpers.js';
import type { Stack } from '../src/stack/index.js';
import { startSalesforceEmulator } from '../src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../src/emulators/salesforce/index.js';
import { connectEmulator, contactMap } from '../src/emulators/salesforce/stack.js';
import { linkedUsers, runWrites, syncAndWait } from '../src/stack/site.js';
import type { LinkedUser, SiteAccess } from '../src/stack/site.js';
import { outbound, settled, sleep, startSite, updateUser } from './peer-support.js';

const SLUG = 'acme-two-way';
/** Longer than the outbound poll (1 s in tests) and a delivery's retries. */
const QUIET_MS = 6_000;

let stack: Stack;
let emulator: SalesforceEmulator;
let site: SiteAccess;
let contactA: string;
let contactB: string;

before(
  async () => {
    [stack, emulator] = await Promise.all([
      startSite('salesforce-two-way'),
      startSalesforceEmulator({ seed: 'salesforce-two-way' }),
    ]);
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
    [contactA, contactB] = emulator.seed({ contacts: 2 }).contacts as [string, string];
    const map = contactMap();
    assert.ok(
      (map.fields as { direction: string; wp: string }[])
        .filter((row) => row.wp !== 'user_login')
        .every((row) => row.direction === 'both'),
    );
    await connectEmulator(site, emulator, { slug: SLUG, name: 'Acme two-way', objectMaps: [map] });
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

const contact = (id: string) => emulator.record(id)!;

async function userOf(contactId: string): Promise<LinkedUser> {
  const user = (await linkedUsers(site, SLUG, ['phone'])).find((u) => u.externalId === contactId);
  assert.ok(user, `a WordPress user is linked to ${contactId}`);
  return user;
}

/** Salesforce writes (non-GET API calls) and WordPress run writes over a quiet period. */
async function quietWrites(): Promise<{ salesforce: number; wordpress: number }> {
  await settled(stack);
  await sleep(QUIET_MS);
  await settled(stack);
  return { salesforce: emulator.stats.writes, wordpress: await runWrites(site) };
}

describe('Salesforce two-way sync without echo', () => {
  test('Sync now makes users of the Contacts, and nothing is pushed back', async () => {
    const writesBefore = await runWrites(site);
    emulator.resetStats();
    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.created, 2, JSON.stringify(run.details?.failures));
    const a = await userOf(contactA);
    assert.equal(a.firstName, contact(contactA).FirstName);
    assert.equal(a.lastName, contact(contactA).LastName);
    assert.equal(await runWrites(site), writesBefore + 2);

    const quiet = await quietWrites();
    assert.equal(quiet.salesforce, 0, 'the pulled users are not written back to Salesforce');
    assert.equal(quiet.wordpress, writesBefore + 2);
  });

  test('a WordPress edit of A reaches its Contact; a Salesforce edit of B reaches its user', async () => {
    const a = await userOf(contactA);
    const b = await userOf(contactB);
    const bFirstName = b.firstName;

    await updateUser(stack, a.id, { first_name: 'Edited in WordPress' });
    await eventually(async () => assert.equal(contact(contactA).FirstName, 'Edited in WordPress'), {
      what: "A's Contact to take the WordPress value",
      timeoutMs: 15_000,
      intervalMs: 100,
    });

    // From here on, only the pull writes: to WordPress, never back to Salesforce.
    await settled(stack);
    emulator.resetStats();
    emulator.advance(1000);
    emulator.update(contactB, { FirstName: 'Edited in Salesforce' });
    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.updated, 1, JSON.stringify(run.details?.changes));
    assert.equal((await userOf(contactB)).firstName, 'Edited in Salesforce');
    assert.notEqual(bFirstName, 'Edited in Salesforce');
    // Each side keeps the other's edit.
    assert.equal((await userOf(contactA)).firstName, 'Edited in WordPress');
    assert.equal(contact(contactA).FirstName, 'Edited in WordPress');
    const quiet = await quietWrites();
    assert.equal(
      quiet.salesforce,
      0,
      `B's pulled value is not pushed back: ${JSON.stringify(emulator.stats.requests)}`,
    );
    assert.equal(contact(contactB).FirstName, 'Edited in Salesforce');
  });

  test('a second Sync now and a quiet period write nothing to either side', async () => {
    await settled(stack);
    emulator.resetStats();
    const writesBefore = await runWrites(site);

    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(
      run.counts.created + run.counts.updated + run.counts.disabled + run.counts.deleted,
      0,
      JSON.stringify(run.details?.changes),
    );
    const quiet = await quietWrites();
    assert.equal(quiet.salesforce, 0, JSON.stringify(emulator.stats.requests));
    assert.equal(quiet.wordpress, writesBefore, 'no WordPress write');
    assert.equal(contact(contactA).FirstName, 'Edited in WordPress');
    assert.equal(contact(contactB).FirstName, 'Edited in Salesforce');
    assert.equal((await userOf(contactA)).firstName, 'Edited in WordPress');
    assert.equal((await userOf(contactB)).firstName, 'Edited in Salesforce');
  });
});
