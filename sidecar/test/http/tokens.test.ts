// The route the plugin calls when the admin revokes a SCIM token: behind the API key, a
// strict body, and the token refused from the answer on.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { WordPressClient } from '../../src/wordpress/client.js';

const KEY = 'a-sidecar-api-key-of-some-length';

describe('SCIM tokens HTTP API', () => {
  const revoked: string[] = [];
  let failing = false;
  let store: SqliteStore;
  let server: Server;
  let base: string;

  before(async () => {
    store = new SqliteStore(':memory:');
    await store.migrate();
    const app = createApp({
      store,
      wordpress: new WordPressClient({
        baseUrl: 'http://127.0.0.1:9',
        user: 'x',
        appPassword: 'y',
      }),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      version: 'test',
      apiKey: KEY,
      tokens: {
        revoke: async (id: string) => {
          if (failing) throw new Error('database is down');
          revoked.push(id);
        },
      },
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/tokens`;
  });
  after(async () => {
    server.close();
    await store.close();
  });

  const post = (body: unknown, key: string | null = KEY) =>
    fetch(`${base}/revoked`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(key ? { Authorization: `Bearer ${key}` } : {}),
      },
      body: JSON.stringify(body),
    });

  it('refuses calls without the API key', async () => {
    for (const key of [null, 'wrong-key-wrong-key']) {
      const response = await post({ id: 'tok_1' }, key);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    }
    assert.deepEqual(revoked, []);
  });

  it('revokes the token and says so', async () => {
    const response = await post({ id: 'tok_1' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { revoked: 'tok_1' });
    assert.deepEqual(revoked, ['tok_1']);
  });

  it('answers 400 for a body without an id, or with more', async () => {
    for (const body of [{}, { id: '' }, { id: 'tok_1', extra: true }]) {
      const response = await post(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
    }
  });

  it('answers 502 when the other replicas could not be told', async () => {
    failing = true;
    const response = await post({ id: 'tok_2' });
    failing = false;
    assert.equal(response.status, 502);
    assert.deepEqual(await response.json(), {
      error: 'store_unavailable',
      message: 'The token is refused here, but the other replicas could not be told',
    });
  });
});
