// A real Salesforce client (jsforce 3.10.16, the last release for Node 20) against the
// emulator: sign-in flows, describe, query with queryMore over more than 2,000 records,
// queryAll (scanAll), sObject Collections, limit info and the refresh on an expired session.
// If jsforce can do its job against the emulator, the emulator speaks Salesforce's protocol
// as clients expect it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Connection } from 'jsforce';
import { StreamingExtension } from 'jsforce/lib/api/streaming.js';

import { startSalesforceEmulator } from '../src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../src/emulators/salesforce/index.js';

const VERSION = '62.0';
let emulator: SalesforceEmulator;

before(async () => {
  emulator = await startSalesforceEmulator({ seed: 'jsforce', cometd: { timeoutMs: 2000 } });
});
after(() => emulator.close());

/** A connection signed in with client credentials, re-signing in when the session expires. */
async function clientCredentials(callOptions?: { client: string }): Promise<Connection> {
  const oauth2 = {
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    loginUrl: emulator.url,
  };
  const conn = new Connection({
    oauth2,
    loginUrl: emulator.url,
    version: VERSION,
    callOptions,
    refreshFn: (c, callback) => {
      c.oauth2
        .requestToken({ grant_type: 'client_credentials' })
        .then((res) => callback(null, res.access_token, res))
        .catch((error: Error) => callback(error));
    },
  });
  await conn.authorize({ grant_type: 'client_credentials' });
  return conn;
}

describe('jsforce against the emulator', () => {
  test('client credentials: the connection follows instance_url and knows the org and user', async () => {
    const conn = await clientCredentials();
    assert.equal(conn.instanceUrl, emulator.url);
    assert.equal(conn.userInfo?.organizationId, emulator.orgId);
    assert.equal(conn.userInfo?.id, emulator.userId);
    const identity = await conn.identity();
    assert.equal(identity.username, emulator.username);
  });

  test('JWT bearer: authorize with a signed assertion', async () => {
    const conn = new Connection({
      oauth2: { clientId: emulator.clientId, loginUrl: emulator.url },
      version: VERSION,
    });
    await conn.authorize({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: emulator.assertion(),
    });
    const result = await conn.query('SELECT COUNT() FROM Contact');
    assert.equal(result.totalSize, 0);
  });

  test('describeGlobal and describe name the fields a sync maps', async () => {
    const conn = await clientCredentials();
    const global = await conn.describeGlobal();
    assert.deepEqual(
      global.sobjects.map((s) => s.name),
      ['Account', 'Contact', 'Lead'],
    );
    const contact = await conn.sobject('Contact').describe();
    const email = contact.fields.find((f) => f.name === 'Email')!;
    assert.equal(email.idLookup, true);
    const key = contact.fields.find((f) => f.name === 'UserSync_Id__c')!;
    assert.equal(key.externalId, true);
    assert.ok(contact.recordTypeInfos.length >= 1);
  });

  test('query with autoFetch follows nextRecordsUrl over 4,500 records', async () => {
    const conn = await clientCredentials();
    emulator.seed({ contacts: 4500 });
    emulator.resetStats();
    const records: { Id: string }[] = [];
    const result = await conn
      .query<{ Id: string }>('SELECT Id, Email FROM Contact ORDER BY Id', {
        autoFetch: true,
        maxFetch: 10_000,
      })
      .on('record', (record: { Id: string }) => records.push(record))
      .run({ autoFetch: true, maxFetch: 10_000 });
    assert.equal(result.totalSize, 4500);
    assert.equal(records.length, 4500);
    assert.equal(new Set(records.map((r) => r.Id)).size, 4500);
    assert.equal(emulator.stats.requests['GET /query'], 1);
    assert.equal(emulator.stats.requests['GET /query/{locator}'], 2);
    assert.match(String(conn.limitInfo.apiUsage?.used), /^\d+$/);
    assert.equal(conn.limitInfo.apiUsage?.limit, 100_000);
  });

  test('scanAll (queryAll) sees deleted records; the plain query does not', async () => {
    const conn = await clientCredentials();
    const id = emulator.create('Contact', { LastName: 'Deleted Soon', Department: 'ScanAll' });
    await conn.sobject('Contact').destroy(id);
    const soql = "SELECT Id, IsDeleted FROM Contact WHERE Department = 'ScanAll'";
    const live = await conn.query(soql);
    assert.equal(live.totalSize, 0);
    const all = await conn.query<{ Id: string; IsDeleted: boolean }>(soql, { scanAll: true });
    assert.equal(all.totalSize, 1);
    assert.equal(all.records[0]!.IsDeleted, true);
  });

  test('sObject Collections: create, retrieve, update, upsert and destroy in batches of 200', async () => {
    const conn = await clientCredentials();
    const contacts = conn.sobject('Contact');
    const input = Array.from({ length: 250 }, (_v, i) => ({
      LastName: `Collection ${i}`,
      Email: `collection.${i}@example.com`,
    }));
    emulator.resetStats();
    const created = await contacts.create(input, { allowRecursive: true });
    assert.equal(created.length, 250);
    assert.ok(created.every((r) => r.success));
    assert.equal(emulator.stats.requests['POST /composite/sobjects'], 2, '200 + 50');
    const ids = created.map((r) => (r as { id: string }).id);

    const retrieved = await contacts.retrieve(ids.slice(0, 3), { fields: ['LastName'] });
    assert.deepEqual(
      retrieved.map((r) => (r as { LastName?: string } | null)?.LastName),
      ['Collection 0', 'Collection 1', 'Collection 2'],
    );

    const updated = await contacts.update(
      ids.slice(0, 2).map((Id) => ({ Id, Title: 'Updated by jsforce' })),
    );
    assert.ok(updated.every((r) => r.success));
    assert.equal(emulator.record(ids[0]!)!.Title, 'Updated by jsforce');

    const upserted = await contacts.upsert(
      [
        { UserSync_Id__c: 'js:1', LastName: 'Upserted' },
        { UserSync_Id__c: 'js:2', LastName: 'Upserted too' },
      ],
      'UserSync_Id__c',
    );
    assert.deepEqual(
      upserted.map((r) => r.success),
      [true, true],
    );
    const refused = await contacts.create([{ FirstName: 'No last name' }]);
    assert.equal(refused[0]!.success, false);
    const errors = (refused[0] as unknown as { errors: { statusCode: string }[] }).errors;
    assert.equal(errors[0]!.statusCode, 'REQUIRED_FIELD_MISSING');

    const destroyed = await contacts.destroy(ids.slice(0, 5));
    assert.ok(destroyed.every((r) => r.success));
    assert.equal(emulator.record(ids[0]!)!.IsDeleted, true);
  });

  test('Bulk API 2.0: loadAndWaitForResults inserts, then updates, with per-record results', async () => {
    const conn = await clientCredentials();
    conn.bulk2.pollInterval = 50;
    conn.bulk2.pollTimeout = 20_000;
    const input = Array.from({ length: 3000 }, (_v, i) => ({
      LastName: `Bulk ${i}`,
      Email: `bulk.${i}@example.com`,
      Department: 'Bulk2',
    }));
    input.push({ LastName: '', Email: 'no.last.name@example.com', Department: 'Bulk2' });
    const inserted = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'insert',
      input,
    });
    assert.equal(inserted.successfulResults.length, 3000);
    assert.equal(inserted.failedResults.length, 1);
    assert.match(String(inserted.failedResults[0]!.sf__Error), /^REQUIRED_FIELD_MISSING/);
    const count = await conn.query("SELECT COUNT() FROM Contact WHERE Department = 'Bulk2'");
    assert.equal(count.totalSize, 3000);

    const ids = inserted.successfulResults.slice(0, 10).map((r) => String(r.sf__Id));
    const updated = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'update',
      input: ids.map((Id) => ({ Id, Title: 'Bulk updated' })),
    });
    assert.equal(updated.successfulResults.length, 10);
    assert.equal(emulator.record(ids[0]!)!.Title, 'Bulk updated');
  });

  test('streaming: change events reach a faye subscriber with replay, carrying the writer client id', async () => {
    const conn = await clientCredentials({ client: 'usersync' });
    type Message = {
      payload: Record<string, unknown> & { ChangeEventHeader: Record<string, unknown> };
      event: { replayId: number };
    };
    const received: Message[] = [];
    const arrived = new Promise<void>((resolve) => {
      const client = conn.streaming.createClient([
        new StreamingExtension.Replay('/data/ContactChangeEvent', -1),
      ]);
      const subscription = client.subscribe('/data/ContactChangeEvent', (message: Message) => {
        received.push(message);
        if (received.length === 2) {
          (client as unknown as { disconnect(): void }).disconnect();
          resolve();
        }
      });
      void subscription.then(async () => {
        const created = await conn.sobject('Contact').create({ LastName: 'Streamed' });
        await conn.sobject('Contact').update({ Id: (created as { id: string }).id, Title: 'Live' });
      });
    });
    await arrived;
    assert.deepEqual(
      received.map((m) => m.payload.ChangeEventHeader.changeType),
      ['CREATE', 'UPDATE'],
    );
    assert.equal(
      received[0]!.payload.ChangeEventHeader.changeOrigin,
      `com/salesforce/api/rest/${VERSION};client=usersync`,
    );
    assert.equal(received[1]!.payload.Title, 'Live');
  });

  test('streaming: an invalid token is reported by the auth failure extension', async () => {
    const conn = new Connection({
      instanceUrl: emulator.url,
      accessToken: 'invalid',
      version: VERSION,
    });
    const failed = await new Promise<string>((resolve) => {
      const client = conn.streaming.createClient([
        new StreamingExtension.AuthFailure(
          (message: { ext: { sfdc: { failureReason: string } } }) => {
            (client as unknown as { disconnect(): void }).disconnect();
            resolve(message.ext.sfdc.failureReason);
          },
        ),
      ]);
      void client.subscribe('/data/ContactChangeEvent', () => undefined);
    });
    assert.equal(failed, '401::Authentication invalid');
  });

  test('an expired session is refreshed by the connection and the call retried', async () => {
    const conn = await clientCredentials();
    const before = conn.accessToken;
    emulator.expireTokens();
    const result = await conn.query('SELECT COUNT() FROM Account');
    assert.equal(result.totalSize, 0);
    assert.notEqual(conn.accessToken, before);
  });

  test('a query error reaches jsforce with its errorCode', async () => {
    const conn = await clientCredentials();
    await assert.rejects(
      async () => conn.query('SELECT Nope FROM Contact'),
      (error: Error & { errorCode?: string }) => {
        assert.equal(error.errorCode, 'INVALID_FIELD');
        return true;
      },
    );
  });
});
