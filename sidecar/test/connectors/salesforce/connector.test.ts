// What is particular to Salesforce, against the Salesforce emulator: the sign-in flows, a
// session ended mid-pull, 403 REQUEST_LIMIT_EXCEEDED mid-pull (retried, or the pull stops
// and resumes from its saved cursor), thousands of records sharing one SystemModstamp,
// deletions, undeletions and merges through queryAll, the object map's filter, the API
// budget pause, the cursor format, Test connection naming what is wrong, one-user lookups,
// and the engine's runs over it (a second run with no change writes nothing).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startSalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import type { SalesforceError } from '../../../src/connectors/salesforce/index.js';
import {
  DELETED_RETENTION_MS,
  SalesforceConnector,
  decodeCursor,
  encodeCursor,
} from '../../../src/connectors/salesforce/index.js';
import type { SalesforceCursor } from '../../../src/connectors/salesforce/index.js';
import { apiUsageByConnection } from '../../../src/connectors/salesforce/usage.js';
import type { PullOptions, SourcePage } from '../../../src/connectors/types.js';
import { CursorExpiredError, SourceError } from '../../../src/connectors/types.js';
import { isTransient } from '../../../src/retry.js';
import { connectorFor, contactsMap, fastRetry, logger, row_ } from './support.js';

const plain: PullOptions = { groupNames: [], attributes: [], photos: false };

async function all(pages: AsyncIterable<SourcePage>) {
  const list: SourcePage[] = [];
  for await (const page of pages) list.push(page);
  return list;
}

const ids = (pages: SourcePage[]) => pages.flatMap((p) => p.upserts.map((u) => u.externalId));
const deleted = (pages: SourcePage[]) => pages.flatMap((p) => p.deletes);

/** Seeds contacts one second apart (SystemModstamp has a one-second grain). */
function seedSpaced(emulator: SalesforceEmulator, count: number, from = 0): string[] {
  const created: string[] = [];
  for (let i = 0; i < count; i++) {
    emulator.advance(1000);
    created.push(...emulator.seed({ contacts: 1, from: from + i }).contacts);
  }
  return created;
}

describe('Salesforce cursor', () => {
  it('round-trips and refuses what it cannot read with CursorExpiredError', () => {
    const cursor: SalesforceCursor = {
      v: 1,
      maps: {
        contacts: {
          phase: 'incr',
          watermark: '2024-01-01T00:00:00.000Z',
          lastId: '',
          at: '2024-01-01T00:00:05.000Z',
          pass: null,
        },
      },
    };
    assert.deepEqual(decodeCursor(encodeCursor(cursor)), cursor);
    assert.throws(() => decodeCursor('not json'), CursorExpiredError);
    assert.throws(() => decodeCursor('{"v":2,"maps":{}}'), CursorExpiredError);
    assert.throws(() => decodeCursor('{"v":1,"maps":{"x":{"phase":"?"}}}'), CursorExpiredError);
  });
});

describe('Salesforce sign-in against the emulator', () => {
  let emulator: SalesforceEmulator;
  before(async () => {
    emulator = await startSalesforceEmulator({ contacts: 3, seed: 'sign-in' });
  });
  after(() => emulator.close());

  it('pulls with client credentials and with a JWT bearer assertion', async () => {
    const cc = await all(connectorFor(emulator).pull(null, plain));
    assert.equal(ids(cc).length, 3);
    const jwt = connectorFor(emulator, {
      flow: 'jwt',
      clientSecret: '',
      privateKey: emulator.privateKeyPem,
      username: emulator.username,
    });
    assert.equal(ids(await all(jwt.pull(null, plain))).length, 3);
    const test = await jwt.testConnection(plain);
    assert.equal(test.checks[0]!.name, 'Sign in');
    assert.match(test.checks[0]!.message, /JWT bearer/);
  });

  it('says the JWT user or key is wrong instead of pulling nothing', async () => {
    const other = await startSalesforceEmulator({ seed: 'other-key' });
    try {
      const wrongKey = connectorFor(emulator, {
        flow: 'jwt',
        clientSecret: '',
        privateKey: other.privateKeyPem,
        username: emulator.username,
      });
      await assert.rejects(all(wrongKey.pull(null, plain)), (e: SalesforceError) => {
        assert.equal(e.errorCode, 'invalid_grant');
        assert.match(e.message, /Sign-in to Salesforce failed/);
        return true;
      });
    } finally {
      await other.close();
    }
  });

  it('explains that client credentials need the My Domain URL', async () => {
    const generic = await startSalesforceEmulator({
      seed: 'generic',
      genericLoginHost: '127.0.0.1',
    });
    try {
      const test = await connectorFor(generic).testConnection(plain);
      assert.equal(test.ok, false);
      assert.equal(test.checks[0]!.name, 'Sign in');
      assert.match(test.checks[0]!.message, /My Domain/);
    } finally {
      await generic.close();
    }
  });
});

describe('Salesforce pulls against the emulator', () => {
  let emulator: SalesforceEmulator;
  afterEach(async () => {
    await emulator?.close();
  });

  it('signs in again when the session ends mid-pull, and goes on', async () => {
    emulator = await startSalesforceEmulator({ seed: 'expiry' });
    seedSpaced(emulator, 12);
    const connector = connectorFor(emulator, { pageSize: 5 });
    const seen: string[] = [];
    for await (const page of connector.pull(null, plain)) {
      seen.push(...page.upserts.map((u) => u.externalId));
      if (seen.length === 5) emulator.expireTokens();
    }
    assert.equal(new Set(seen).size, 12);
    assert.equal(seen.length, 12);
    assert.equal(emulator.stats.requests['POST /services/oauth2/token'], 2);
  });

  it('rides out a short 403 REQUEST_LIMIT_EXCEEDED burst without losing a page', async () => {
    emulator = await startSalesforceEmulator({ seed: 'burst' });
    seedSpaced(emulator, 12);
    const connector = connectorFor(emulator, { pageSize: 5 });
    const seen: string[] = [];
    for await (const page of connector.pull(null, plain)) {
      seen.push(...page.upserts.map((u) => u.externalId));
      if (seen.length === 5) emulator.fault({ status: 403, match: '/query', count: 2 });
    }
    assert.equal(seen.length, 12);
    assert.equal(new Set(seen).size, 12);
    assert.equal(connector.client.throttled, 2);
  });

  it('stops on lasting REQUEST_LIMIT_EXCEEDED and resumes from the saved cursor: no duplicates, nothing skipped', async () => {
    emulator = await startSalesforceEmulator({ seed: 'limit' });
    const all30 = seedSpaced(emulator, 30);
    const connector = connectorFor(emulator, { pageSize: 5, retries: 2 });
    const applied: string[] = [];
    let cursor: string | null = null;
    await assert.rejects(
      (async () => {
        for await (const page of connector.pull(null, plain)) {
          applied.push(...page.upserts.map((u) => u.externalId));
          cursor = page.nextCursor;
          if (applied.length === 10) emulator.fault({ status: 403, match: '/query', count: 50 });
        }
      })(),
      (e: SalesforceError) => {
        assert.equal(e.errorCode, 'REQUEST_LIMIT_EXCEEDED');
        assert.equal(isTransient(e), true, 'the engine resumes the run later');
        return true;
      },
    );
    assert.equal(applied.length, 10);
    // A record changes while the pull is stopped: the resumed listing still has it once.
    emulator.clearFaults();
    emulator.advance(1000);
    emulator.update(all30[3]!, { Title: 'Changed meanwhile' });
    const rest = await all(connector.pull(cursor, plain));
    assert.ok(
      rest.every((p) => p.full),
      'the listing goes on',
    );
    const union = [...applied, ...ids(rest)];
    assert.deepEqual(new Set(union), new Set(all30), 'every record, none skipped');
    // The one record changed during the pause is read again (its SystemModstamp moved).
    assert.equal(union.length, 31);
    assert.equal(ids(rest).filter((id) => id === all30[3]).length, 1);
  });

  it('reads 5,000 records sharing one SystemModstamp, none missed, none twice', async () => {
    emulator = await startSalesforceEmulator({ seed: 'burst-5000' });
    emulator.setClock('2024-06-01T12:00:00.000Z', { freeze: true });
    const created = emulator.seed({ contacts: 5000 }).contacts;
    const connector = connectorFor(emulator);
    const full = await all(connector.pull(null, plain));
    const listed = ids(full);
    assert.equal(listed.length, 5000);
    assert.deepEqual(new Set(listed), new Set(created));
    assert.equal(full.length, 3, '2,000 per query: 2,000 + 2,000 + 1,000');
    // Still the same second: one more record, and a changed one, then the next pass.
    const extra = emulator.seed({ contacts: 1, from: 5000 }).contacts[0]!;
    emulator.update(created[4999]!, { Title: 'Same second' });
    const next = await all(connector.pull(full.at(-1)!.nextCursor, plain));
    const again = ids(next);
    assert.ok(again.includes(extra), 'the record of the same instant is read');
    assert.equal(new Set(again).size, again.length, 'none twice in one pass');
    assert.ok(next.every((p) => !p.full));
  });

  it('reads a record again when only its SystemModstamp moves (a formula recalculated)', async () => {
    emulator = await startSalesforceEmulator({ seed: 'touch' });
    const [a] = seedSpaced(emulator, 3);
    const connector = connectorFor(emulator);
    const full = await all(connector.pull(null, plain));
    emulator.advance(1000);
    emulator.touch(a!);
    const next = await all(connector.pull(full.at(-1)!.nextCursor, plain));
    assert.ok(ids(next).includes(a!));
  });

  it('catches a change committed late with an earlier SystemModstamp within the overlap window', async () => {
    emulator = await startSalesforceEmulator({ seed: 'late-commit' });
    const records = seedSpaced(emulator, 4);
    const withOverlap = connectorFor(emulator, { overlapMinutes: 5 });
    const without = connectorFor(emulator, { overlapMinutes: 0 });
    const [c1, c2] = await Promise.all(
      [withOverlap, without].map(async (c) => (await all(c.pull(null, plain))).at(-1)!.nextCursor),
    );
    emulator.advance(60_000);
    emulator.update(records[3]!, { Title: 'Seen' });
    const [p1, p2] = await Promise.all([
      all(withOverlap.pull(c1!, plain)),
      all(without.pull(c2!, plain)),
    ]);
    // A transaction that began two minutes ago commits now: its SystemModstamp is behind
    // the watermark both connectors reached.
    const now = Date.parse(emulator.clock().now);
    emulator.setClock(now - 120_000);
    emulator.update(records[0]!, { Title: 'Committed late' });
    emulator.setClock(now + 1000);
    const late = await all(withOverlap.pull(p1.at(-1)!.nextCursor, plain));
    assert.ok(ids(late).includes(records[0]!), 'the overlap re-reads it');
    const missed = await all(without.pull(p2.at(-1)!.nextCursor, plain));
    assert.equal(ids(missed).includes(records[0]!), false, 'without overlap it is missed');
  });

  it('reports deletions and undeletions through queryAll', async () => {
    emulator = await startSalesforceEmulator({ seed: 'deletes' });
    const [a, b] = seedSpaced(emulator, 4);
    const connector = connectorFor(emulator);
    const full = await all(connector.pull(null, plain));
    emulator.advance(1000);
    emulator.delete(a!);
    const afterDelete = await all(connector.pull(full.at(-1)!.nextCursor, plain));
    assert.deepEqual(deleted(afterDelete), [{ externalId: a, permanent: false }]);
    assert.equal(ids(afterDelete).includes(a!), false);

    emulator.advance(1000);
    emulator.undelete(a!);
    emulator.update(b!, { LastName: 'Edited' });
    const afterUndelete = await all(connector.pull(afterDelete.at(-1)!.nextCursor, plain));
    assert.deepEqual(deleted(afterUndelete), []);
    const back = afterUndelete.flatMap((p) => p.upserts).find((u) => u.externalId === a);
    assert.ok(back, 'the undeleted record comes back as an upsert');
    assert.equal(back.active, true);
    assert.equal(back.attributes.IsDeleted, undefined, 'no change-stream fields in the user');
  });

  it('follows the object map delete policy: delete for good, or ignore', async () => {
    emulator = await startSalesforceEmulator({ seed: 'delete-policy' });
    const [a, b] = seedSpaced(emulator, 3);
    const deleting = connectorFor(emulator, {
      objectMaps: [
        contactsMap({
          deletePolicy: { pull: 'delete', push: 'ignore' },
          operations: { create: ['pull'], update: ['pull'], delete: ['pull'] },
        }),
      ],
    });
    const ignoring = connectorFor(emulator, {
      objectMaps: [contactsMap({ deletePolicy: { pull: 'ignore', push: 'ignore' } })],
    });
    // `delete` without pulls allowed to delete only disables.
    const guarded = connectorFor(emulator, {
      objectMaps: [contactsMap({ deletePolicy: { pull: 'delete', push: 'ignore' } })],
    });
    const cursors = await Promise.all(
      [deleting, ignoring, guarded].map(
        async (c) => (await all(c.pull(null, plain))).at(-1)!.nextCursor,
      ),
    );
    emulator.advance(1000);
    emulator.delete(a!);
    emulator.update(b!, { Title: 'Changed' });
    const [d, i, g] = await Promise.all(
      [deleting, ignoring, guarded].map((c, n) => all(c.pull(cursors[n]!, plain))),
    );
    assert.deepEqual(deleted(d!), [{ externalId: a, permanent: true }]);
    assert.deepEqual(deleted(i!), []);
    assert.ok(ids(i!).includes(b!), 'changes still come');
    assert.deepEqual(deleted(g!), [{ externalId: a, permanent: false }]);
  });

  it('reports a merged loser as deleted and the winner as changed', async () => {
    emulator = await startSalesforceEmulator({ seed: 'merge' });
    const [winner, loser] = seedSpaced(emulator, 3);
    const connector = connectorFor(emulator);
    const full = await all(connector.pull(null, plain));
    emulator.advance(1000);
    emulator.merge(winner!, [loser!]);
    const next = await all(connector.pull(full.at(-1)!.nextCursor, plain));
    assert.deepEqual(deleted(next), [{ externalId: loser, permanent: false }]);
    assert.ok(ids(next).includes(winner!));
    assert.equal(ids(next).includes(loser!), false);
  });

  it('pulls only what the filter admits, and a record leaving the filter is deprovisioned', async () => {
    emulator = await startSalesforceEmulator({ seed: 'filter' });
    const records = seedSpaced(emulator, 10);
    for (const [i, id] of records.entries()) {
      emulator.update(id, { LeadSource: i % 2 === 0 ? 'Web' : 'Other' });
    }
    const connector = connectorFor(emulator, {
      objectMaps: [contactsMap({ filter: "LeadSource = 'Web'" })],
    });
    const full = await all(connector.pull(null, plain));
    const web = records.filter((_, i) => i % 2 === 0);
    assert.deepEqual(new Set(ids(full)), new Set(web));

    emulator.advance(1000);
    emulator.update(records[0]!, { LeadSource: 'Other' }); // leaves
    emulator.update(records[1]!, { LeadSource: 'Web' }); // joins
    emulator.update(records[3]!, { Title: 'Still other' }); // not ours
    const next = await all(connector.pull(full.at(-1)!.nextCursor, plain));
    assert.ok(ids(next).includes(records[1]!));
    assert.equal(ids(next).includes(records[3]!), false);
    assert.ok(deleted(next).some((d) => d.externalId === records[0] && !d.permanent));
  });

  it('pauses at the API budget with a message saying the share used, keeping applied pages', async () => {
    emulator = await startSalesforceEmulator({
      seed: 'budget',
      limits: { dailyMax: 1000, used: 790 },
    });
    const records = seedSpaced(emulator, 40);
    const connector = connectorFor(emulator, { pageSize: 2, apiBudgetShare: 0.8 }, 'budget-org');
    const applied: string[] = [];
    let cursor: string | null = null;
    await assert.rejects(
      (async () => {
        for await (const page of connector.pull(null, plain)) {
          applied.push(...page.upserts.map((u) => u.externalId));
          cursor = page.nextCursor;
        }
      })(),
      (e: SourceError) => {
        assert.ok(e instanceof SourceError);
        assert.equal(e.code, 'api_budget');
        assert.match(e.message, /800 of the org's 1000 daily API requests used \(80%\)/);
        assert.match(e.message, /pause at 80%/);
        return true;
      },
    );
    assert.ok(applied.length > 0 && applied.length < 40, `${applied.length} applied first`);
    assert.equal(emulator.limits.used, 800, 'no query sent past the budget');
    assert.deepEqual(apiUsageByConnection().get('budget-org')?.used, 800, 'the gauges see it');
    // A new day (or a larger share): the pull goes on from the last applied page.
    emulator.setLimit({ used: 0 });
    const rest = await all(connector.pull(cursor, plain));
    assert.deepEqual(new Set([...applied, ...ids(rest)]), new Set(records));
    assert.equal(applied.length + ids(rest).length, 40);
  });

  it('asks for a full listing when a cursor is older than the recycle bin keeps deletions', async () => {
    emulator = await startSalesforceEmulator({ seed: 'old-cursor' });
    seedSpaced(emulator, 2);
    let now = Date.now();
    const connector = new SalesforceConnector(
      (await import('./support.js')).settingsFor(emulator),
      { logger, retry: fastRetry, now: () => now },
    );
    const full = await all(connector.pull(null, plain));
    now += DELETED_RETENTION_MS + 60_000;
    await assert.rejects(all(connector.pull(full.at(-1)!.nextCursor, plain)), CursorExpiredError);
    // A new object map has never been listed: the same.
    const more = connectorFor(emulator, {
      objectMaps: [contactsMap(), contactsMap({ id: 'leads', sfObject: 'Lead' })],
    });
    await assert.rejects(all(more.pull(full.at(-1)!.nextCursor, plain)), CursorExpiredError);
  });

  it('finds one person by Id or by Email', async () => {
    emulator = await startSalesforceEmulator({ seed: 'lookup' });
    const [id] = seedSpaced(emulator, 2);
    const email = String(emulator.record(id!)!.Email);
    const connector = connectorFor(emulator);
    assert.equal((await connector.getUser(id!, plain))?.externalId, id);
    assert.equal((await connector.getUser(id!.slice(0, 15), plain))?.externalId, id);
    assert.equal((await connector.getUser(email, plain))?.externalId, id);
    assert.equal(await connector.getUser('nobody@example.com', plain), null);
    assert.equal(await connector.getUser("x' OR Email != '", plain), null);
  });
});

describe('Salesforce Test connection', () => {
  let emulator: SalesforceEmulator;
  before(async () => {
    emulator = await startSalesforceEmulator({ contacts: 2, seed: 'test-connection' });
  });
  after(() => emulator.close());

  it('passes every check of a good map, named as the contract says', async () => {
    const test = await connectorFor(emulator).testConnection(plain);
    assert.equal(test.ok, true, JSON.stringify(test.checks, null, 2));
    assert.deepEqual(
      test.checks.map((c) => c.name),
      [
        'Sign in',
        'API version 62.0',
        'Describe Contact',
        'Field Contact.Email',
        'Field Contact.FirstName',
        'Field Contact.LastName',
        'Field Contact.Phone',
        'Field Contact.MailingAddress.city',
        'Required fields of Contact',
      ],
    );
  });

  it('names an API version the org does not serve', async () => {
    const test = await connectorFor(emulator, { apiVersion: '20.0' }).testConnection(plain);
    assert.equal(test.ok, false);
    const check = test.checks.find((c) => c.name === 'API version 20.0');
    assert.equal(check?.ok, false);
    assert.match(check!.message, /does not serve API version 20\.0; it serves 31\.0, .*64\.0/);
  });

  it('names a missing field, an unmapped required field and an unknown object', async () => {
    const map = contactsMap({
      fields: [
        row_('user_email', 'Email'),
        row_('user_login', 'Email', 'inbound'),
        row_('meta:shoe_size', 'Shoe_Size__c'),
        row_('last_name', 'LastName', 'inbound'),
      ],
    });
    const test = await connectorFor(emulator, {
      objectMaps: [map, contactsMap({ id: 'members', sfObject: 'Member__c' })],
    }).testConnection(plain);
    assert.equal(test.ok, false);
    const check = (name: string) => test.checks.find((c) => c.name === name);
    const field = check('Field Contact.Shoe_Size__c');
    assert.equal(field?.ok, false);
    assert.match(field!.message, /no field Shoe_Size__c/);
    const required = check('Required fields of Contact');
    assert.equal(required?.ok, false);
    assert.match(required!.message, /cannot be created without LastName/);
    assert.equal(check('Describe Member__c')?.ok, false);
    assert.match(check('Describe Member__c')!.message, /no object Member__c/);
    assert.ok(test.missingPermissions.includes('Contact.Shoe_Size__c: Read'));
  });

  it('checks the filter with Salesforce and says when it is refused', async () => {
    const test = await connectorFor(emulator, {
      objectMaps: [contactsMap({ filter: "Nope__c = 'x'" })],
    }).testConnection(plain);
    const filter = test.checks.find((c) => c.name === 'Filter of Contact');
    assert.equal(filter?.ok, false);
    assert.match(filter!.message, /Salesforce refused the filter/);
  });
});
