// The Salesforce describe routes the admin's object and field pickers read, and the API
// usage gauges, over the Salesforce emulator.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSalesforceEmulator } from '../../../e2e/src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../../../e2e/src/emulators/salesforce/index.js';
import { createApp } from '../../src/app.js';
import { createPullSource } from '../../src/connectors/registry.js';
import { SyncEngine } from '../../src/engine/index.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { WordPressClient } from '../../src/wordpress/client.js';
import { settingsFor } from '../connectors/salesforce/support.js';
import { FakeWordPress } from '../engine/fake-wordpress.js';

const KEY = 'a-sidecar-api-key-of-some-length';

describe('Salesforce describe routes', () => {
  let emulator: SalesforceEmulator;
  let engine: SyncEngine;
  let store: SqliteStore;
  let server: Server;
  let base: string;
  let dir: string;

  before(async () => {
    emulator = await startSalesforceEmulator({ contacts: 2, seed: 'routes' });
    dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-sf-routes-'));
    store = new SqliteStore(path.join(dir, 'sidecar.sqlite'));
    await store.migrate();
    const wordpress = new FakeWordPress();
    const common = { enabled: true, schedule: null, photos: false };
    wordpress.connections = [
      {
        slug: 'acme-sf',
        name: 'Acme',
        type: 'salesforce',
        settings: settingsFor(emulator),
        ...common,
      },
      {
        slug: 'broken-sf',
        name: 'Broken',
        type: 'salesforce',
        settings: settingsFor(emulator, { clientSecret: 'wrong' }),
        ...common,
      },
      { slug: 'entra', name: 'Entra', type: 'microsoft-graph', settings: {}, ...common },
    ];
    const logger = createLogger('silent');
    engine = new SyncEngine({
      store,
      wordpress: wordpress.gateway(),
      logger,
      schedules: false,
      connectors: createPullSource,
    });
    await engine.start();
    const metrics = createMetrics();
    const app = createApp({
      store,
      wordpress: new WordPressClient({
        baseUrl: 'http://127.0.0.1:9',
        user: 'x',
        appPassword: 'y',
      }),
      logger,
      metrics,
      version: 'test',
      engine,
      apiKey: KEY,
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await engine.stop();
    await store.close();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (p: string, key: string | null = KEY) =>
    fetch(`${base}${p}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });

  it('lists the org objects', async () => {
    const res = await get('/api/v1/sources/acme-sf/salesforce/objects');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { objects: Record<string, unknown>[] };
    const contact = body.objects.find((o) => o.name === 'Contact');
    assert.deepEqual(Object.keys(contact!).sort(), [
      'createable',
      'label',
      'name',
      'queryable',
      'updateable',
    ]);
    assert.equal(contact!.queryable, true);
  });

  it('describes one object with required-on-create, picklists and record types', async () => {
    const res = await get('/api/v1/sources/acme-sf/salesforce/objects/Contact');
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      name: string;
      fields: {
        name: string;
        requiredOnCreate: boolean;
        externalId: boolean;
        picklistValues: unknown[];
      }[];
      recordTypes: { id: string; name: string; default: boolean }[];
    };
    assert.equal(body.name, 'Contact');
    const required = body.fields.filter((f) => f.requiredOnCreate).map((f) => f.name);
    assert.deepEqual(required, ['LastName']);
    assert.equal(body.fields.find((f) => f.name === 'UserSync_Id__c')?.externalId, true);
    assert.ok((body.fields.find((f) => f.name === 'LeadSource')?.picklistValues.length ?? 0) > 0);
    assert.ok(body.recordTypes.length > 0);
    assert.equal(body.recordTypes.filter((r) => r.default).length, 1);
  });

  it('answers in { code, message }: unknown object, not Salesforce, refused sign-in, no key', async () => {
    const unknown = await get('/api/v1/sources/acme-sf/salesforce/objects/Nope__c');
    assert.equal(unknown.status, 404);
    assert.ok(((await unknown.json()) as { code: string }).code);

    const bad = await get('/api/v1/sources/acme-sf/salesforce/objects/Contact;DROP');
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'invalid_object');

    for (const slug of ['entra', 'missing']) {
      const res = await get(`/api/v1/sources/${slug}/salesforce/objects`);
      assert.equal(res.status, 404, `${slug}: ${await res.clone().text()}`);
      assert.equal(((await res.json()) as { code: string }).code, 'unknown_source');
    }

    const refused = await get('/api/v1/sources/broken-sf/salesforce/objects');
    assert.equal(refused.status, 502);
    const body = (await refused.json()) as { code: string; message: string };
    assert.equal(body.code, 'invalid_client');
    assert.match(body.message, /Sign-in to Salesforce failed/);

    assert.equal((await get('/api/v1/sources/acme-sf/salesforce/objects', null)).status, 401);
  });

  it('exposes the org API usage per connection as gauges', async () => {
    const res = await fetch(`${base}/metrics`);
    const text = await res.text();
    assert.match(text, /usersync_salesforce_api_usage\{[^}]*connection="acme-sf"[^}]*\} \d+/);
    assert.match(text, /usersync_salesforce_api_max\{[^}]*connection="acme-sf"[^}]*\} 100000/);
  });
});
