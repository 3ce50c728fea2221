// The Salesforce push target against the Salesforce emulator, the local WordPress being the
// in-memory plugin feed: matching before creating (a Contact with the user's Email is linked,
// not duplicated; two are a conflict), updates by Id, 200-record collection calls, unchanged
// users costing nothing, Salesforce's per-record refusals as visible failures and its
// throttling as transient ones, the delete policy, privileged users kept out, type
// conversion by describe, and the full push.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import { createPushTarget } from '../../../src/connectors/registry.js';
import { siteKeyFor } from '../../../src/connectors/salesforce/push.js';
import { siteKeyOf } from '../../../src/connectors/salesforce/target.js';
import type { PushProgress } from '../../../src/connectors/types.js';
import type { SourceConnection } from '../../../src/wordpress/types.js';
import { FakeFeed } from '../../outbound/fake-feed.js';
import {
  SITE_KEY,
  SLUG,
  change,
  contactMap,
  errorOf,
  liveContacts,
  logger,
  outcomeOf,
  pushSetup,
} from './push-support.js';
import type { PushSetup } from './push-support.js';

let emulator: SalesforceEmulator;
let s: PushSetup;

before(async () => {
  emulator = await startSalesforceEmulator({ seed: 'push-target' });
});
after(async () => {
  await emulator.close();
});

async function fresh(settings: Parameters<typeof pushSetup>[0] = {}) {
  await s?.close();
  for (const record of emulator.org.all('Contact'))
    if (!record.values.IsDeleted) emulator.delete(record.id);
  emulator.clearFaults();
  s = await pushSetup(settings, emulator);
  emulator.resetStats();
}

const contactOf = (id: string) => emulator.record(id)!;

describe('Salesforce push target', () => {
  beforeEach(() => fresh());

  it('links a user to the Contact that has their Email instead of creating a second one', async () => {
    const existing = emulator.create('Contact', {
      LastName: 'Lovelace',
      Email: 'ADA@example.com',
    });
    const ada = s.feed.addUser('ada', { firstName: 'Ada', lastName: 'Lovelace' });

    const outcome = outcomeOf(await s.deliver([change(ada.id, ['create'])]), ada.id);

    assert.equal(outcome.status, 'updated');
    assert.equal(liveContacts(emulator).length, 1, 'no duplicate');
    assert.equal(ada.links.get(SLUG), existing, 'the identity link names the Contact');
    const contact = contactOf(existing);
    assert.equal(contact.FirstName, 'Ada');
    assert.equal(contact.Email, 'ada@example.com');
    assert.equal(contact.UserSync_Id__c, `${SITE_KEY}:${ada.id}`);
    const state = (await s.store.getOutboundStates(SLUG, [ada.id])).get(ada.id);
    assert.equal(state?.remoteId, existing);
    const links = s.feed.auditLog.filter((entry) => entry.action === 'link');
    assert.equal(links.length, 1);
    assert.equal(links[0]!.userId, ada.id);
    assert.match(
      links[0]!.message ?? '',
      new RegExp(`existing Contact ${existing}, found by Email`),
    );
  });

  it('creates a Contact for a new user, upserting by the external id, with our client id', async () => {
    const grace = s.feed.addUser('grace', { firstName: 'Grace', lastName: 'Hopper' });
    grace.meta.phone = '+1 555 0100';
    const outcome = outcomeOf(await s.deliver([change(grace.id, ['create'])]), grace.id);
    assert.equal(outcome.status, 'created');
    const id = grace.links.get(SLUG)!;
    assert.match(id, /^003[A-Za-z0-9]{15}$/);
    const contact = contactOf(id);
    assert.deepEqual(
      [contact.FirstName, contact.LastName, contact.Email, contact.Phone, contact.UserSync_Id__c],
      ['Grace', 'Hopper', 'grace@example.com', '+1 555 0100', `${SITE_KEY}:${grace.id}`],
    );
    assert.equal(emulator.stats.requests['PATCH /composite/sobjects/Contact/UserSync_Id__c'], 1);
    assert.ok(emulator.stats.writeClients.usersync! >= 1, 'writes carry client=usersync');
    assert.equal(emulator.stats.writeClients['(none)'], undefined);
  });

  it('updates a linked user by Id, sending only what changed', async () => {
    const alan = s.feed.addUser('alan', { firstName: 'Alan', lastName: 'Turing' });
    outcomeOf(await s.deliver([change(alan.id, ['create'])]), alan.id);
    const id = alan.links.get(SLUG)!;
    emulator.update(id, { Phone: '+44 1' }); // changed in Salesforce, not mapped by this change
    emulator.resetStats();

    alan.firstName = 'Alan M.';
    const outcome = outcomeOf(await s.deliver([change(alan.id)]), alan.id);
    assert.equal(outcome.status, 'updated');
    assert.equal(emulator.stats.queries, 1, 'no lookup; one read of the two-way fields');
    assert.equal(emulator.stats.requests['PATCH /composite/sobjects'], 1);
    assert.equal(contactOf(id).FirstName, 'Alan M.');
    assert.equal(contactOf(id).Phone, '+44 1', 'a field WordPress did not change is left alone');
  });

  it('sends nothing for a user Salesforce already has (0 requests)', async () => {
    const edsger = s.feed.addUser('edsger', { firstName: 'Edsger', lastName: 'Dijkstra' });
    outcomeOf(await s.deliver([change(edsger.id, ['create'])]), edsger.id);
    emulator.resetStats();
    const outcome = outcomeOf(await s.deliver([change(edsger.id)]), edsger.id);
    assert.deepEqual(outcome, { userId: edsger.id, status: 'unchanged', requests: 0 });
    assert.equal(emulator.stats.total, 0);
  });

  it('writes 250 users in 2 collection calls, and skips them all the next time', async () => {
    const users = Array.from({ length: 250 }, (_v, i) =>
      s.feed.addUser(`user${i}`, { firstName: `First${i}`, lastName: `Last${i}` }),
    );
    const results = await s.deliver(users.map((user) => change(user.id, ['create'])));
    for (const user of users) assert.equal(outcomeOf(results, user.id).status, 'created');
    assert.equal(emulator.stats.writes, 2, '⌈250/200⌉ collection calls');
    assert.equal(liveContacts(emulator).length, 250);

    emulator.resetStats();
    const again = await s.deliver(users.map((user) => change(user.id)));
    for (const user of users) assert.equal(outcomeOf(again, user.id).status, 'unchanged');
    assert.equal(emulator.stats.total, 0);
  });

  it('fails a user Salesforce refuses for good, with its message and fields', async () => {
    const cher = s.feed.addUser('cher', { firstName: 'Cher', lastName: '' });
    const ok = s.feed.addUser('ok', { firstName: 'Ok', lastName: 'Fine' });
    const results = await s.deliver([change(cher.id, ['create']), change(ok.id, ['create'])]);
    const error = errorOf(results, cher.id);
    assert.equal(error.code, 'REQUIRED_FIELD_MISSING');
    assert.equal(error.transient, false);
    assert.match(error.message, /Required fields are missing: \[LastName\]/);
    assert.match(error.message, /fields: LastName/);
    assert.equal(outcomeOf(results, ok.id).status, 'created', 'the rest of the call is stored');
    assert.equal(cher.links.get(SLUG), undefined);
  });

  it('reports a locked row as transient', async () => {
    const user = s.feed.addUser('locked', { firstName: 'Lock', lastName: 'Ed' });
    emulator.fault({ recordError: 'UNABLE_TO_LOCK_ROW', match: '/composite/sobjects', count: 1 });
    const error = errorOf(await s.deliver([change(user.id, ['create'])]), user.id);
    assert.equal(error.code, 'UNABLE_TO_LOCK_ROW');
    assert.equal(error.transient, true);
    // Retried later, it goes through.
    assert.equal(
      outcomeOf(await s.deliver([change(user.id, ['create'])]), user.id).status,
      'created',
    );
  });

  it('reports the API limit (403 REQUEST_LIMIT_EXCEEDED) as transient', async () => {
    const user = s.feed.addUser('throttled', { firstName: 'Throttled', lastName: 'User' });
    emulator.fault({
      status: 403,
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
      message: 'TotalRequests Limit exceeded.',
      match: '/services/data',
      count: 10,
    });
    const error = errorOf(await s.deliver([change(user.id, ['create'])]), user.id);
    assert.equal(error.code, 'REQUEST_LIMIT_EXCEEDED');
    assert.equal(error.transient, true);
    assert.equal(error.status, 403);
    assert.equal(liveContacts(emulator).length, 0);
  });

  it('never creates when two Contacts have the Email: a conflict naming both', async () => {
    const first = emulator.create('Contact', { LastName: 'One', Email: 'twice@example.com' });
    const second = emulator.create('Contact', { LastName: 'Two', Email: 'twice@example.com' });
    const user = s.feed.addUser('twice', { firstName: 'Tw', lastName: 'Ice' });
    const error = errorOf(await s.deliver([change(user.id, ['create'])]), user.id);
    assert.equal(error.code, 'conflict');
    assert.equal(error.transient, false);
    assert.ok(error.message.includes(first) && error.message.includes(second), error.message);
    assert.equal(liveContacts(emulator).length, 2, 'nothing created');
    assert.equal(emulator.stats.writes, 0);
  });

  it('creates nothing when the map does not let pushes create', async () => {
    await fresh({
      objectMaps: [
        contactMap({ operations: { create: ['pull'], update: ['push', 'pull'], delete: [] } }),
      ],
    });
    const user = s.feed.addUser('nobody', { firstName: 'No', lastName: 'Body' });
    const outcome = outcomeOf(await s.deliver([change(user.id, ['create'])]), user.id);
    assert.equal(outcome.status, 'unchanged');
    assert.equal(liveContacts(emulator).length, 0);
    assert.equal(emulator.stats.writes, 0);
  });

  it('deletes the Contact of a deleted user when the delete policy says so', async () => {
    const user = s.feed.addUser('leaving', { firstName: 'Lea', lastName: 'Ving' });
    outcomeOf(await s.deliver([change(user.id, ['create'])]), user.id);
    const id = user.links.get(SLUG)!;
    s.feed.users.delete(user.id);
    const outcome = outcomeOf(await s.deliver([change(user.id, ['delete'])]), user.id);
    assert.equal(outcome.status, 'deleted');
    assert.equal(contactOf(id).IsDeleted, true);
    assert.equal((await s.store.getOutboundStates(SLUG, [user.id])).size, 0);
  });

  it('leaves the Contact of a deleted user alone under the ignore policy', async () => {
    await fresh({
      objectMaps: [contactMap({ deletePolicy: { pull: 'disable', push: 'ignore' } })],
    });
    const user = s.feed.addUser('staying', { firstName: 'Stay', lastName: 'Ing' });
    outcomeOf(await s.deliver([change(user.id, ['create'])]), user.id);
    const id = user.links.get(SLUG)!;
    s.feed.users.delete(user.id);
    emulator.resetStats();
    const outcome = outcomeOf(await s.deliver([change(user.id, ['delete'])]), user.id);
    assert.equal(outcome.status, 'unchanged');
    assert.equal(contactOf(id).IsDeleted, false);
    assert.equal(emulator.stats.writes, 0);
  });

  it('deletes the Contact of a disabled user unless the map sends the account state', async () => {
    const user = s.feed.addUser('paused', { firstName: 'Pau', lastName: 'Sed' });
    outcomeOf(await s.deliver([change(user.id, ['create'])]), user.id);
    const id = user.links.get(SLUG)!;
    user.active = false;
    assert.equal(
      outcomeOf(await s.deliver([change(user.id, ['disable'])]), user.id).status,
      'deleted',
    );
    assert.equal(contactOf(id).IsDeleted, true);
    assert.equal(user.links.get(SLUG), undefined, 'the link to the deleted Contact is removed');
    user.active = true;
    assert.equal(
      outcomeOf(await s.deliver([change(user.id, ['enable'])]), user.id).status,
      'created',
    );
    assert.notEqual(user.links.get(SLUG), id);
  });

  it('creates the Contact again when it was deleted in Salesforce', async () => {
    const user = s.feed.addUser('phoenix', { firstName: 'Phoe', lastName: 'Nix' });
    outcomeOf(await s.deliver([change(user.id, ['create'])]), user.id);
    const id = user.links.get(SLUG)!;
    emulator.delete(id);
    user.firstName = 'Risen';
    const outcome = outcomeOf(await s.deliver([change(user.id)]), user.id);
    assert.equal(outcome.status, 'created');
    const again = user.links.get(SLUG)!;
    assert.notEqual(again, id);
    assert.equal(contactOf(again).FirstName, 'Risen');
  });

  describe('a field changed on both sides', () => {
    const bothChanged = async (
      policy: 'salesforce-wins' | 'wordpress-wins' | 'last-writer-wins',
    ) => {
      await fresh({ objectMaps: [contactMap({ conflict: policy })] });
      emulator.setClock('2026-03-01T12:00:00Z');
      const user = s.feed.addUser('both', { firstName: 'Original', lastName: 'Name' });
      outcomeOf(await s.deliver([change(user.id, ['create'])]), user.id);
      const id = user.links.get(SLUG)!;
      emulator.setClock('2026-03-01T12:05:00Z');
      emulator.update(id, { FirstName: 'From Salesforce' });
      user.firstName = 'From WordPress';
      return { user, id };
    };

    it("keeps Salesforce's value under salesforce-wins, and audits the verdict", async () => {
      const { user, id } = await bothChanged('salesforce-wins');
      user.lastName = 'Renamed'; // changed here only: sent
      const outcome = outcomeOf(await s.deliver([change(user.id)]), user.id);
      assert.equal(outcome.status, 'updated');
      assert.equal(contactOf(id).FirstName, 'From Salesforce');
      assert.equal(contactOf(id).LastName, 'Renamed');
      const entry = s.feed.auditLog.find((e) => e.action === 'conflict');
      assert.equal(entry?.result, 'skipped');
      assert.deepEqual(entry?.fields, ['first_name']);
      assert.match(entry?.message ?? '', /Salesforce's "From Salesforce" was kept/);
      const state = (await s.store.getOutboundStates(SLUG, [user.id])).get(user.id)!;
      assert.equal(state.sent?.FirstName, 'From Salesforce');
    });

    it("writes WordPress's value under wordpress-wins without reading first", async () => {
      const { user, id } = await bothChanged('wordpress-wins');
      emulator.resetStats();
      outcomeOf(await s.deliver([change(user.id)]), user.id);
      assert.equal(contactOf(id).FirstName, 'From WordPress');
      assert.equal(emulator.stats.queries, 0);
    });

    it('lets the later change win under last-writer-wins', async () => {
      const { user, id } = await bothChanged('last-writer-wins');
      s.feed.clocks.set(user.id, { first_name: '2026-03-01T12:01:00Z' }); // before Salesforce
      outcomeOf(await s.deliver([change(user.id)]), user.id);
      assert.equal(contactOf(id).FirstName, 'From Salesforce');

      user.firstName = 'Later in WordPress';
      emulator.update(id, { FirstName: 'Salesforce again' });
      s.feed.clocks.set(user.id, { first_name: '2026-03-01T12:09:00Z' }); // after Salesforce
      outcomeOf(await s.deliver([change(user.id)]), user.id);
      assert.equal(contactOf(id).FirstName, 'Later in WordPress');
      const verdicts = s.feed.auditLog.filter((e) => e.action === 'conflict');
      assert.deepEqual(
        verdicts.map((e) => e.result),
        ['skipped', 'success'],
      );
    });
  });

  it('"Push now" sends every field even when nothing changed here', async () => {
    const user = s.feed.addUser('now', { firstName: 'Nowa', lastName: 'Here' });
    outcomeOf(await s.deliver([change(user.id, ['create'])]), user.id);
    const id = user.links.get(SLUG)!;
    emulator.update(id, { FirstName: 'Edited in Salesforce' });
    const pushNow = { ...change(user.id), ids: [0], changed: [] };
    assert.equal(outcomeOf(await s.deliver([pushNow]), user.id).status, 'updated');
    assert.equal(contactOf(id).FirstName, 'Nowa');

    emulator.delete(id);
    assert.equal(outcomeOf(await s.deliver([pushNow]), user.id).status, 'created');
    assert.equal(contactOf(user.links.get(SLUG)!).FirstName, 'Nowa');
  });

  it('keeps administrators and the service account out unless told otherwise', async () => {
    const admin = s.feed.addUser('boss', {
      firstName: 'Boss',
      lastName: 'Admin',
      roles: ['administrator'],
    });
    const service = s.feed.addUser('svc', { lastName: 'Svc', roles: ['usersync_service'] });
    const results = await s.deliver([change(admin.id, ['create']), change(service.id, ['create'])]);
    assert.equal(outcomeOf(results, admin.id).status, 'excluded');
    assert.equal(outcomeOf(results, service.id).status, 'excluded');
    assert.equal(emulator.stats.total, 0);

    const including = s.targetWith({ includeAdministrators: true });
    const again = await s.deliver(
      [change(admin.id, ['create']), change(service.id, ['create'])],
      including,
    );
    assert.equal(outcomeOf(again, admin.id).status, 'created');
    assert.equal(outcomeOf(again, service.id).status, 'excluded', 'never the service account');
  });

  it('converts values by describe type, clears with nulls: propagate, skips with ignore', async () => {
    await fresh({
      objectMaps: [
        contactMap({
          fields: [
            { wp: 'user_email', sf: 'Email', direction: 'both' },
            { wp: 'last_name', sf: 'LastName', direction: 'both' },
            { wp: 'meta:birthday', sf: 'Birthdate', direction: 'outbound' },
            {
              wp: 'meta:newsletter',
              sf: 'HasOptedOutOfEmail',
              direction: 'outbound',
              transform: 'picklist-map',
              valueMap: { yes: 'false', no: 'true' },
            },
            {
              wp: 'meta:source',
              sf: 'LeadSource',
              direction: 'outbound',
              transform: 'picklist-map',
              valueMap: { shop: 'Web' },
            },
            { wp: 'meta:city', sf: 'MailingAddress.city', direction: 'outbound' },
            { wp: 'meta:title', sf: 'Title', direction: 'outbound', nulls: 'ignore' },
            {
              wp: 'first_name',
              sf: 'Description',
              direction: 'outbound',
              transform: 'template',
              template: '{first_name} {last_name} ({user_login})',
            },
          ],
        }),
      ],
    });
    const user = s.feed.addUser('typed', { firstName: 'Ty', lastName: 'Ped' });
    Object.assign(user.meta, {
      birthday: '1990-05-17 00:00:00',
      newsletter: 'no',
      source: 'shop',
      city: 'Lyon',
      title: 'Chef',
    });
    outcomeOf(await s.deliver([change(user.id, ['create'])]), user.id);
    const id = user.links.get(SLUG)!;
    let contact = contactOf(id);
    assert.equal(contact.Birthdate, '1990-05-17');
    assert.equal(contact.HasOptedOutOfEmail, true);
    assert.equal(contact.LeadSource, 'Web');
    assert.equal(contact.MailingCity, 'Lyon');
    assert.equal(contact.Description, 'Ty Ped (typed)');

    delete user.meta.city;
    delete user.meta.title;
    user.meta.newsletter = 'yes';
    outcomeOf(await s.deliver([change(user.id)]), user.id);
    contact = contactOf(id);
    assert.equal(contact.MailingCity, null, 'cleared in WordPress, cleared in Salesforce');
    assert.equal(contact.Title, 'Chef', 'nulls: ignore leaves Salesforce alone');
    assert.equal(contact.HasOptedOutOfEmail, false);

    user.meta.birthday = 'someday';
    const error = errorOf(await s.deliver([change(user.id)]), user.id);
    assert.equal(error.code, 'invalid_value');
    assert.match(error.message, /Birthdate/);
  });

  it('covers changes of mapped attributes, creates, deletes and disables; never passwords', () => {
    const at = new Date().toISOString();
    const row = (
      action: 'create' | 'update' | 'delete' | 'disable' | 'password',
      changed: string[],
    ) =>
      s.target.covers(
        { id: 1, userId: 1, action, changed, origin: 'local', createdAt: at },
        s.feed.syncConfig,
      );
    assert.equal(row('update', ['first_name']), true);
    assert.equal(row('update', ['meta:phone']), true);
    assert.equal(row('update', ['display_name']), false);
    assert.equal(row('create', []), true);
    assert.equal(row('delete', []), true);
    assert.equal(row('disable', ['active']), true);
    assert.equal(row('password', ['password']), false);
  });

  it('pushes every user in pages, ⌈N/200⌉ calls, then skips the unchanged', async () => {
    const users = Array.from({ length: 450 }, (_v, i) =>
      s.feed.addUser(`full${i}`, { firstName: `F${i}`, lastName: `L${i}` }),
    );
    s.feed.addUser('root', { lastName: 'Root', roles: ['administrator'] });
    const seen: PushProgress[] = [];
    const failures: number[] = [];
    const context = {
      config: s.feed.syncConfig,
      signal: new AbortController().signal,
      onProgress: async (progress: PushProgress) => {
        seen.push(progress);
      },
      onFailure: async (userId: number) => {
        failures.push(userId);
      },
    };
    const first = await s.target.fullPush(context);
    assert.equal(first.created, 450);
    assert.equal(first.failed, 0);
    assert.equal(first.processed, 451);
    assert.equal(emulator.stats.writes, 3, '⌈450/200⌉ collection calls');
    assert.ok(seen.length >= 1);
    assert.equal(liveContacts(emulator).length, 450);

    users[0]!.firstName = 'Changed';
    emulator.resetStats();
    const second = await s.target.fullPush(context);
    assert.equal(second.created, 0);
    assert.equal(second.updated, 1);
    assert.equal(second.unchanged, 450);
    assert.equal(emulator.stats.writes, 1);
    assert.deepEqual(failures, []);
  });
});

describe('Salesforce push target: building', () => {
  it('names this site by its WordPress URL unless the connection sets a site key', () => {
    assert.equal(siteKeyOf('https://www.Example.org/'), 'example.org');
    assert.equal(siteKeyOf('https://example.org/blog/'), 'example.org/blog');
    assert.equal(siteKeyOf('http://127.0.0.1:8081'), '127.0.0.1:8081');
    const feed = new FakeFeed().asFeed();
    const connection = (settings: Record<string, unknown>): SourceConnection => ({
      slug: 'crm',
      name: 'CRM',
      type: 'salesforce',
      enabled: true,
      schedule: null,
      photos: false,
      settings,
    });
    assert.equal(siteKeyFor(connection({}), feed), 'wordpress.test');
    assert.equal(siteKeyFor(connection({ siteKey: ' shop-eu ' }), feed), 'shop-eu');
  });

  it('is what the registry builds for a Salesforce connection with pushes on', () => {
    const built = createPushTarget(
      { kind: 'salesforce', slug: SLUG, name: 'Acme CRM', connection: s.connection },
      { feed: s.feed.asFeed(), store: s.store, logger },
    );
    assert.equal(built.kind, 'salesforce');
    assert.equal(built.slug, SLUG);
    assert.deepEqual(built.describe(), {
      slug: SLUG,
      name: 'Acme CRM',
      kind: 'salesforce',
      endpoint: emulator.url,
      twoWay: true,
    });
  });
});
