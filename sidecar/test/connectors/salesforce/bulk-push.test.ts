// Full pushes above 2,000 users go through Bulk API 2.0 (one ingest job of upserts by the
// external-id field; a user found by Email first is updated by Id, never duplicated); up to
// 2,000 they stay in ⌈N/200⌉ collection calls. Against the Salesforce emulator's Bulk API 2.0.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import { SalesforceClient } from '../../../src/connectors/salesforce/client.js';
import { parseSalesforceSettings } from '../../../src/connectors/salesforce/settings.js';
import { jobErrors } from '../../../src/connectors/salesforce/target.js';
import type { DeliveryError, PushProgress } from '../../../src/connectors/types.js';
import { SITE_KEY, SLUG, liveContacts, logger, pushSetup } from './push-support.js';
import type { PushSetup } from './push-support.js';

let emulator: SalesforceEmulator;
let s: PushSetup;

before(async () => {
  emulator = await startSalesforceEmulator({ seed: 'bulk-push', bulkProcessDelayMs: 20 });
});
after(async () => {
  await s?.close();
  await emulator.close();
});

async function fresh() {
  await s?.close();
  for (const record of emulator.org.all('Contact'))
    if (!record.values.IsDeleted) emulator.delete(record.id);
  emulator.clearFaults();
  s = await pushSetup({}, emulator);
  emulator.resetStats();
}

function pushContext() {
  const failures = new Map<number, DeliveryError>();
  const seen: PushProgress[] = [];
  return {
    failures,
    seen,
    context: {
      config: s.feed.syncConfig,
      signal: new AbortController().signal,
      onProgress: async (progress: PushProgress) => {
        seen.push(progress);
      },
      onFailure: async (userId: number, error: DeliveryError) => {
        failures.set(userId, error);
      },
    },
  };
}

/** A client of its own over the emulated org. */
const client = () =>
  new SalesforceClient(
    parseSalesforceSettings({
      loginUrl: emulator.url,
      flow: 'client_credentials',
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      apiVersion: emulator.apiVersion,
      retries: 0,
    }),
    { logger, retry: { retries: 0, baseMs: 1, limitBaseMs: 1, maxDelayMs: 5 } },
  );

const jobCalls = () =>
  Object.entries(emulator.stats.requests)
    .filter(([route]) => route.includes('/jobs/ingest'))
    .reduce((sum, [, count]) => sum + count, 0);

describe('Salesforce full push through Bulk API 2.0', () => {
  beforeEach(() => fresh());

  it('writes 2,500 users in one ingest job, records their links, and dead-letters a refused row with its message', async () => {
    const existing = emulator.create('Contact', { LastName: 'Known', Email: 'user7@example.com' });
    const users = Array.from({ length: 2_500 }, (_v, i) =>
      s.feed.addUser(`user${i}`, { firstName: `First${i}`, lastName: `Last${i}` }),
    );
    // Contact.LastName is required: this row is refused by Salesforce.
    const nameless = users[1_234]!;
    nameless.lastName = '';
    emulator.resetStats();

    const { context, failures } = pushContext();
    const progress = await s.target.fullPush(context);

    assert.equal(emulator.stats.requests['POST /jobs/ingest'], 1, 'one ingest job');
    assert.equal(emulator.stats.requests['PUT /jobs/ingest/{id}/batches'], 1, 'one upload');
    assert.equal(emulator.stats.requests['PATCH /jobs/ingest/{id}'], 1, 'closed once');
    assert.equal(emulator.stats.requests['GET /jobs/ingest/{id}/successfulResults'], 1);
    assert.equal(emulator.stats.requests['GET /jobs/ingest/{id}/failedResults'], 1);
    // The user whose Email a Contact had was looked up and updated by Id (one collection
    // call): no creates outside the job, no duplicate.
    assert.equal(emulator.stats.requests['PATCH /composite/sobjects'], 1);
    assert.equal(
      emulator.stats.requests['PATCH /composite/sobjects/Contact/UserSync_Id__c'],
      undefined,
    );
    assert.equal(emulator.stats.requests['POST /composite/sobjects'], undefined);
    assert.ok(jobCalls() <= 12, `a job costs a handful of calls (${jobCalls()})`);

    assert.equal(progress.processed, 2_500);
    assert.equal(progress.created, 2_498);
    assert.equal(progress.updated, 1);
    assert.equal(progress.failed, 1);

    const contacts = liveContacts(emulator);
    assert.equal(contacts.length, 2_499, '2,498 created + the one that was there');
    const byKey = new Map(contacts.map((contact) => [contact.UserSync_Id__c, contact]));
    for (const user of users) {
      if (user === nameless) continue;
      const contact = byKey.get(`${SITE_KEY}:${user.id}`);
      assert.ok(contact, `user ${user.login} has a Contact`);
      assert.equal(user.links.get(SLUG), contact.Id, `user ${user.login} is linked to it`);
      assert.equal(contact.LastName, user.lastName);
    }
    assert.equal(users[7]!.links.get(SLUG), existing, 'matched by Email, not duplicated');
    assert.equal(emulator.record(existing)!.FirstName, 'First7');

    const states = await s.store.getOutboundStates(
      SLUG,
      users.map((user) => user.id),
    );
    assert.equal(states.size, 2_499);
    assert.equal(states.get(users[42]!.id)?.remoteId, users[42]!.links.get(SLUG));

    assert.deepEqual([...failures.keys()], [nameless.id]);
    const failure = failures.get(nameless.id)!;
    assert.equal(failure.code, 'REQUIRED_FIELD_MISSING');
    assert.match(failure.message, /Required fields are missing: \[LastName\]/);
    assert.equal(failure.transient, false);
    assert.equal(nameless.links.get(SLUG), undefined);

    // Pushed again with nothing changed: nothing is written.
    emulator.resetStats();
    const again = await s.target.fullPush(pushContext().context);
    assert.equal(again.unchanged, 2_499);
    assert.equal(jobCalls(), 0);
    assert.equal(emulator.stats.writes, 1, 'only the refused user is tried again');
  });

  it('updates more than 2,000 linked users by Id in one job', async () => {
    const users = Array.from({ length: 2_100 }, (_v, i) =>
      s.feed.addUser(`linked${i}`, { firstName: `A${i}`, lastName: `B${i}` }),
    );
    await s.target.fullPush(pushContext().context);
    for (const user of users) user.firstName = `Renamed ${user.id}`;
    users[5]!.meta.phone = '+1 555 0100';
    // Deleted in Salesforce since: the job's update is refused, and the Contact made anew.
    const deleted = users[9]!.links.get(SLUG)!;
    emulator.delete(deleted);
    emulator.resetStats();

    const { context, failures } = pushContext();
    const progress = await s.target.fullPush(context);

    assert.equal(progress.updated, 2_099);
    assert.equal(progress.created, 1);
    assert.equal(failures.size, 0);
    assert.equal(emulator.stats.requests['POST /jobs/ingest'], 1);
    assert.equal(emulator.stats.requests['PATCH /composite/sobjects'], undefined);
    const remade = users[9]!.links.get(SLUG)!;
    assert.notEqual(remade, deleted);
    assert.equal(emulator.record(remade)!.FirstName, `Renamed ${users[9]!.id}`);
    assert.equal(
      emulator.stats.requests['PATCH /composite/sobjects/Contact/UserSync_Id__c'],
      1,
      'one collection upsert makes the deleted Contact again',
    );
    assert.equal(liveContacts(emulator).length, 2_100);
    const contact = emulator.record(users[5]!.links.get(SLUG)!)!;
    // Linked users are not looked up: the queries are the reads of the two-way fields before
    // writing, and the lookups of the one Contact deleted in Salesforce (external id, Email).
    assert.equal(emulator.stats.queries, Math.ceil(2_100 / 200) + 2);
    assert.equal(contact.FirstName, `Renamed ${users[5]!.id}`);
    assert.equal(contact.Phone, '+1 555 0100');
    assert.equal(contact.LastName, 'B5', 'fields not sent are left alone');
  });

  it('keeps 1,500 users in ⌈N/200⌉ collection calls', async () => {
    Array.from({ length: 1_500 }, (_v, i) =>
      s.feed.addUser(`small${i}`, { firstName: `S${i}`, lastName: `T${i}` }),
    );
    const { context, failures } = pushContext();
    const progress = await s.target.fullPush(context);

    assert.equal(progress.created, 1_500);
    assert.equal(failures.size, 0);
    assert.equal(jobCalls(), 0, 'no Bulk API job');
    assert.equal(emulator.stats.writes, Math.ceil(1_500 / 200));
    assert.equal(liveContacts(emulator).length, 1_500);
  });
});

describe('Salesforce full push through Bulk API 2.0: failures', () => {
  beforeEach(() => fresh());

  const addUsers = (count: number) =>
    Array.from({ length: count }, (_v, i) =>
      s.feed.addUser(`many${i}`, { firstName: `M${i}`, lastName: `N${i}` }),
    );

  it('a job Salesforce refuses to create fails every user with its error, and writes nothing', async () => {
    const users = addUsers(2_100);
    emulator.fault({
      status: 403,
      errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
      message: 'insufficient access rights on object id',
      match: '/jobs/ingest',
      method: 'POST',
    });
    const { context, failures } = pushContext();
    const progress = await s.target.fullPush(context);

    assert.equal(progress.failed, 2_100);
    assert.equal(failures.size, 2_100);
    const failure = failures.get(users[0]!.id)!;
    assert.equal(failure.code, 'INSUFFICIENT_ACCESS_OR_READONLY');
    assert.match(failure.message, /insufficient access rights/);
    assert.equal(liveContacts(emulator).length, 0);
    assert.equal(users[0]!.links.get(SLUG), undefined);
  });

  it('an upload that fails aborts the job, and every user fails transiently', async () => {
    addUsers(2_100);
    const jobStates = async () =>
      (
        await client().request<{ records: { state: string }[] }>('GET', '/jobs/ingest')
      ).data.records.map((job) => job.state);
    const earlier = (await jobStates()).length;
    emulator.fault({ status: 500, match: '/batches', method: 'PUT', count: 10 });
    const { context, failures } = pushContext();
    await s.target.fullPush(context);

    assert.equal(failures.size, 2_100);
    assert.ok([...failures.values()].every((failure) => failure.transient));
    assert.deepEqual(
      (await jobStates()).slice(earlier),
      ['Aborted'],
      'nothing of it is processed later',
    );
    assert.equal(liveContacts(emulator).length, 0);
  });

  it("reads a results call's error answer as Salesforce's JSON error", async () => {
    await assert.rejects(client().successfulResults('750000000000000AAA'), {
      name: 'SalesforceError',
      status: 404,
      errorCode: 'NOT_FOUND',
    });
  });
});

describe('Bulk API 2.0 row errors', () => {
  it('reads sf__Error as code, message and fields', () => {
    assert.deepEqual(
      jobErrors('REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --'),
      [
        {
          statusCode: 'REQUIRED_FIELD_MISSING',
          message: 'Required fields are missing: [LastName]',
          fields: ['LastName'],
        },
      ],
    );
    assert.deepEqual(
      jobErrors(
        'DUPLICATE_VALUE:duplicate value found: Email:Email,Phone -- STRING_TOO_LONG:too long: -- ',
      ),
      [
        {
          statusCode: 'DUPLICATE_VALUE',
          message: 'duplicate value found: Email',
          fields: ['Email', 'Phone'],
        },
        { statusCode: 'STRING_TOO_LONG', message: 'too long', fields: [] },
      ],
    );
  });
});
