import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { migrations } from '../../src/store/sqlite/migrations.js';
import { WordPressClient } from '../../src/wordpress/client.js';
import { json, scriptedServer } from '../helpers/http-server.js';

type Site = Awaited<ReturnType<typeof scriptedServer>>;
const API_KEY = 'health-details-key-0123456789';
const withKey = { headers: { authorization: `Bearer ${API_KEY}` } };
interface Health {
  status: string;
  version: string;
  store: unknown;
  wordpress: { ok: boolean; pluginVersion?: string; error?: string };
}

describe('sidecar app', () => {
  let site: Site;
  let siteUp = true;
  let store: SqliteStore;
  let server: Server;
  let base: string;

  before(async () => {
    site = await scriptedServer((_req, res) =>
      siteUp
        ? json(res, 200, { plugin: { version: '0.1.0' }, wordpress: { version: '6.1.9' } })
        : json(res, 500, { code: 'db_error', message: 'Error establishing a database connection' }),
    );
    store = new SqliteStore(':memory:');
    await store.migrate();
    const wordpress = new WordPressClient({
      baseUrl: site.url,
      user: 'svc',
      appPassword: 'pw',
      retries: 0,
    });
    const app = createApp({
      store,
      wordpress,
      logger: createLogger('silent'),
      metrics: createMetrics(),
      version: '9.9.9',
      apiKey: API_KEY,
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await store.close();
    await site.close();
  });
  afterEach(() => {
    siteUp = true;
  });

  it('is healthy when its store and WordPress answer', async () => {
    const response = await fetch(`${base}/healthz`, withKey);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Health;
    assert.equal(body.status, 'ok');
    assert.equal(body.version, '9.9.9');
    assert.deepEqual(body.store, {
      ok: true,
      kind: 'sqlite',
      schemaVersion: Math.max(...migrations.map((m) => m.version)),
    });
    assert.equal(body.wordpress.ok, true);
    assert.equal(body.wordpress.pluginVersion, '0.1.0');
    const probe = site.requests.at(-1)!;
    assert.equal(probe.url.searchParams.get('rest_route'), '/usersync/v1/status');
    assert.equal(probe.url.searchParams.get('sidecar'), '0', 'no probe back to the sidecar');
  });

  it('answers 503 with the reason when WordPress fails', async () => {
    siteUp = false;
    const response = await fetch(`${base}/healthz`, withKey);
    assert.equal(response.status, 503);
    const body = (await response.json()) as Health;
    assert.equal(body.status, 'degraded');
    assert.equal(body.wordpress.ok, false);
    assert.match(body.wordpress.error ?? '', /db_error/);
  });

  it('tells a caller without the API key only ok, without versions or the WordPress URL', async () => {
    for (const init of [{}, { headers: { authorization: 'Bearer not-the-key-0123456789' } }]) {
      const response = await fetch(`${base}/healthz`, init);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const text = await response.text();
      assert.deepEqual(JSON.parse(text), { status: 'ok' });
      assert.doesNotMatch(text, /9\.9\.9|0\.1\.0|127\.0\.0\.1|sqlite/);
    }
  });

  it('tells a caller without the API key only that it is unavailable, not why', async () => {
    siteUp = false;
    const response = await fetch(`${base}/healthz`);
    assert.equal(response.status, 503);
    const text = await response.text();
    assert.deepEqual(JSON.parse(text), { status: 'unavailable' });
    assert.doesNotMatch(text, /db_error|database/);
  });

  it('serves Prometheus metrics that count requests', async () => {
    await fetch(`${base}/no-such-route`);
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    assert.match(text, /# TYPE usersync_http_requests_total counter/);
    assert.match(text, /usersync_http_requests_total\{[^}]*status="404"[^}]*\} 1/);
    assert.match(text, /usersync_process_cpu_seconds_total/);
  });

  it('answers unknown routes with JSON 404', async () => {
    const response = await fetch(`${base}/nope`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: 'not_found', message: 'No such route' });
  });
});
