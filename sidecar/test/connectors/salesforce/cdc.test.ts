// Change Data Capture over CometD against the Salesforce emulator: changes arrive as batches
// of record ids, a feed restarted from a saved cursor replays exactly what came after it,
// the connection's own pushes (changeOrigin client=usersync) are skipped while the replay id
// moves on, lost events (GAP_OVERFLOW, a replay id past the 72 h retention) are a gap, and
// an expired session is signed in again and handshaken anew.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import { changeChannel, decodeChangeCursor } from '../../../src/connectors/salesforce/cdc.js';
import type { SalesforceConnector } from '../../../src/connectors/salesforce/index.js';
import type { SourceNotification } from '../../../src/connectors/types.js';
import { connectorFor, contactsMap } from './support.js';

const COMETD = 'POST /cometd/{version}';
const TOKEN = 'POST /services/oauth2/token';

/** A running feed: its notifications as they come, and a way to stop it. */
interface Feed {
  notifications: SourceNotification[];
  /** Resolves once `count` notifications arrived in all. */
  next(count?: number): Promise<SourceNotification[]>;
  stop(): Promise<void>;
  error: unknown;
}

function watch(connector: SalesforceConnector, cursor: string | null): Feed {
  const controller = new AbortController();
  const feed: Feed = {
    notifications: [],
    error: null,
    async next(count = feed.notifications.length + 1) {
      await until(() => feed.notifications.length >= count || feed.error !== null, 5_000);
      if (feed.error) throw feed.error as Error;
      return feed.notifications;
    },
    async stop() {
      controller.abort('stop');
      await done;
    },
  };
  const done = (async () => {
    try {
      for await (const n of connector.watch!(cursor, { signal: controller.signal })) {
        feed.notifications.push(n);
      }
    } catch (error) {
      if (!controller.signal.aborted) feed.error = error;
    }
  })();
  return feed;
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Salesforce Change Data Capture over CometD', () => {
  let emulator: SalesforceEmulator;
  let contacts: string[];
  let feed: Feed | null = null;

  before(async () => {
    emulator = await startSalesforceEmulator({
      seed: 'cdc',
      cometd: { timeoutMs: 300, reconnectMs: 2_000 },
    });
  });
  after(async () => {
    await emulator.close();
  });
  beforeEach(async () => {
    await feed?.stop();
    feed = null;
    contacts = emulator.reset({ contacts: 4 }).contacts;
  });

  const connector = (extra: Record<string, unknown> = {}) =>
    connectorFor(emulator, { realtime: 'cometd', ...extra });
  /** Waits until the feed is subscribed and long-polling (handshake, subscribe, connect). */
  const subscribed = async (calls: number) =>
    until(() => (emulator.stats.requests[COMETD] ?? 0) >= calls, 5_000);

  it('is there only when real time is cometd, on the object’s change channel', () => {
    assert.equal(connectorFor(emulator).watch, undefined);
    assert.equal(typeof connector().watch, 'function');
    assert.equal(changeChannel('Contact'), '/data/ContactChangeEvent');
    assert.equal(changeChannel('Member__c'), '/data/Member__ChangeEvent');
  });

  it('delivers updates, creates and deletes as record ids, with the cursor after them', async () => {
    const before = emulator.stats.requests[COMETD] ?? 0;
    feed = watch(connector(), null);
    await subscribed(before + 3);
    emulator.update(contacts[0]!, { Title: 'Director' });
    const [first] = await feed.next(1);
    assert.deepEqual(first!.upserts, [contacts[0]]);
    assert.deepEqual(first!.deletes, []);
    assert.equal(first!.gap, false);
    assert.ok(first!.committedAt && first!.committedAt > 0);
    const replay = decodeChangeCursor(first!.cursor).replay['/data/ContactChangeEvent'];
    assert.equal(replay, emulator.changes.latestReplayId());
    assert.equal(
      decodeChangeCursor(first!.since).replay['/data/ContactChangeEvent'],
      replay! - 1,
      'replaying from `since` brings the batch again',
    );

    const created = emulator.create('Contact', { LastName: 'Newman', Email: 'new@example.com' });
    await feed.next(2);
    emulator.delete(contacts[1]!);
    const all = await feed.next(3);
    assert.deepEqual(all[1]!.upserts, [created]);
    assert.deepEqual(all[2]!.upserts, []);
    assert.deepEqual(all[2]!.deletes, [{ externalId: contacts[1], permanent: false }]);
    assert.equal(feed.error, null);
  });

  it('replays from a saved cursor after a restart: every change after it, none before', async () => {
    let calls = emulator.stats.requests[COMETD] ?? 0;
    feed = watch(connector(), null);
    await subscribed(calls + 3);
    emulator.update(contacts[0]!, { Title: 'Before' });
    const [first] = await feed.next(1);
    await feed.stop();
    feed = null;

    // While nobody listens: two edits and a delete.
    emulator.update(contacts[1]!, { Title: 'While down' });
    emulator.update(contacts[2]!, { Title: 'While down' });
    emulator.delete(contacts[3]!);

    calls = emulator.stats.requests[COMETD] ?? 0;
    feed = watch(connector(), first!.cursor);
    const replayed = await feed.next(1);
    const upserts = replayed.flatMap((n) => n.upserts);
    const deletes = replayed.flatMap((n) => n.deletes.map((d) => d.externalId));
    assert.deepEqual(upserts, [contacts[1], contacts[2]]);
    assert.deepEqual(deletes, [contacts[3]]);
    assert.ok(!upserts.includes(contacts[0]!), 'the applied change is not replayed');
    await subscribed(calls + 3);
    emulator.update(contacts[0]!, { Title: 'After' });
    const later = await feed.next(replayed.length + 1);
    assert.deepEqual(later.at(-1)!.upserts, [contacts[0]]);
  });

  it('skips the connection’s own pushes (changeOrigin client=usersync) but moves past them', async () => {
    const calls = emulator.stats.requests[COMETD] ?? 0;
    feed = watch(connector({ callOptionsClient: 'usersync' }), null);
    await subscribed(calls + 3);
    emulator.update(contacts[0]!, { Title: 'Pushed' }, { api: 'rest', client: 'usersync' });
    const echoId = emulator.changes.latestReplayId();
    // Another integration's write and an API write without a client id are real changes.
    emulator.update(contacts[1]!, { Title: 'Other app' }, { api: 'rest', client: 'erp' });
    emulator.update(contacts[2]!, { Title: 'No client' }, { api: 'rest' });
    await until(
      () =>
        feed!.notifications.reduce((n, b) => n + b.upserts.length + b.echoes, 0) >= 3 ||
        feed!.error !== null,
      5_000,
    );
    const upserts = feed.notifications.flatMap((n) => n.upserts);
    assert.deepEqual(upserts, [contacts[1], contacts[2]]);
    assert.equal(
      feed.notifications.reduce((n, b) => n + b.echoes, 0),
      1,
    );
    const replay = decodeChangeCursor(feed.notifications.at(-1)!.cursor).replay[
      '/data/ContactChangeEvent'
    ]!;
    assert.ok(replay > echoId, 'the cursor is past the echo');
  });

  it('says gap on GAP_OVERFLOW, and for a saved replay id older than the 72 h retention', async () => {
    const calls = emulator.stats.requests[COMETD] ?? 0;
    feed = watch(connector(), null);
    await subscribed(calls + 3);
    emulator.update(contacts[0]!, { Title: 'Kept' });
    const [first] = await feed.next(1);
    emulator.emitGap('Contact', 'GAP_OVERFLOW');
    const [, overflow] = await feed.next(2);
    assert.equal(overflow!.gap, true);
    assert.deepEqual(overflow!.upserts, []);
    await feed.stop();
    feed = null;

    emulator.advance(73 * 60 * 60_000);
    emulator.update(contacts[1]!, { Title: 'Three days later' });
    const stale = watch(connector(), first!.cursor);
    feed = stale;
    const [refused] = await stale.next(1);
    assert.equal(refused!.gap, true, 'the replay id was refused: events were lost');
    assert.equal(decodeChangeCursor(refused!.cursor).replay['/data/ContactChangeEvent'], undefined);
    // The feed goes on with new events.
    emulator.update(contacts[2]!, { Title: 'New' });
    const all = await stale.next(2);
    assert.deepEqual(all.at(-1)!.upserts, [contacts[2]]);
  });

  it('signs in again and handshakes anew when the session expires (HTTP 401 and 401:: refusals), losing nothing', async () => {
    const calls = emulator.stats.requests[COMETD] ?? 0;
    const tokens = emulator.stats.requests[TOKEN] ?? 0;
    feed = watch(connector(), null);
    await subscribed(calls + 3);
    emulator.update(contacts[3]!, { Title: 'Known position' });
    await feed.next(1);
    const upserted = () => feed!.notifications.flatMap((n) => n.upserts);

    // The session ends: the next connect is refused, the handshake says 401::Authentication
    // invalid; the change made meanwhile is replayed after the new subscription.
    emulator.expireTokens();
    emulator.update(contacts[0]!, { Title: 'After expiry' });
    await until(
      () =>
        (emulator.stats.requests[TOKEN] ?? 0) >= tokens + 2 && upserted().includes(contacts[0]!),
      5_000,
    );

    // An HTTP 401 on a long-poll.
    const signedIn = emulator.stats.requests[TOKEN] ?? 0;
    const polls = emulator.stats.requests[COMETD] ?? 0;
    emulator.fault({ status: 401, match: '/cometd', count: 1 });
    await until(
      () => (emulator.stats.requests[COMETD] ?? 0) > polls + 1 || feed!.error !== null,
      5_000,
    );
    assert.equal(feed.error, null);
    emulator.update(contacts[1]!, { Title: 'After 401' });
    await until(
      () =>
        (emulator.stats.requests[TOKEN] ?? 0) >= signedIn + 1 && upserted().includes(contacts[1]!),
      5_000,
    );
    assert.deepEqual(upserted(), [contacts[3], contacts[0], contacts[1]], 'each change once');
    assert.equal(feed.error, null);
  });

  it('takes the last change of a record within a batch: deleted then restored is an upsert', async () => {
    const calls = emulator.stats.requests[COMETD] ?? 0;
    feed = watch(connector(), null);
    await subscribed(calls + 3);
    // Published in one tick: delivered in one connect answer.
    emulator.emitChange('Contact', 'DELETE', [contacts[0]!]);
    emulator.emitChange('Contact', 'UNDELETE', [contacts[0]!]);
    emulator.emitChange('Contact', 'UPDATE', [contacts[1]!], { Title: 'x' });
    emulator.emitChange('Contact', 'DELETE', [contacts[1]!]);
    const [batch] = await feed.next(1);
    assert.deepEqual(batch!.upserts, [contacts[0]]);
    assert.deepEqual(batch!.deletes, [{ externalId: contacts[1], permanent: false }]);
  });

  it('sends no deletion when the delete policy ignores deletes, and a permanent one for delete', async () => {
    const calls = emulator.stats.requests[COMETD] ?? 0;
    feed = watch(
      connector({
        objectMaps: [
          contactsMap({
            deletePolicy: { pull: 'delete', push: 'ignore' },
            operations: { create: ['pull'], update: ['pull'], delete: ['pull'] },
          }),
        ],
      }),
      null,
    );
    await subscribed(calls + 3);
    emulator.delete(contacts[0]!);
    const [deleted] = await feed.next(1);
    assert.deepEqual(deleted!.deletes, [{ externalId: contacts[0], permanent: true }]);
    await feed.stop();

    const again = emulator.stats.requests[COMETD] ?? 0;
    feed = watch(
      connector({
        objectMaps: [contactsMap({ deletePolicy: { pull: 'ignore', push: 'ignore' } })],
      }),
      null,
    );
    await subscribed(again + 3);
    emulator.delete(contacts[1]!);
    const [ignored] = await feed.next(1);
    assert.deepEqual(ignored!.deletes, []);
    assert.deepEqual(ignored!.upserts, []);
  });

  it('fails with a clear error when the object is not selected for Change Data Capture', async () => {
    const lead = connectorFor(emulator, {
      realtime: 'cometd',
      objectMaps: [contactsMap({ sfObject: 'Opportunity' })],
    });
    const refused = watch(lead, null);
    await until(() => refused.error !== null, 5_000);
    assert.match(String((refused.error as Error).message), /Change Data Capture/);
    await refused.stop();
  });
});
