// The one-person HTTP API: key check, Sync now of chosen users, Test with a user, and the
// JSON errors of bad requests, unknown sources and sources that cannot fetch one person.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { WordPressClient } from '../../src/wordpress/client.js';
import type { Harness } from '../engine/harness.js';
import { harness } from '../engine/harness.js';

const KEY = 'a-sidecar-api-key-of-some-length';

describe('one-person HTTP API', () => {
  let h: Harness;
  let server: Server;
  let base: string;

  before(async () => {
    h = await harness({ emulator: { users: 5 } });
    const app = createApp({
      store: h.store,
      wordpress: new WordPressClient({
        baseUrl: 'http://127.0.0.1:9',
        user: 'x',
        appPassword: 'y',
      }),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      version: 'test',
      engine: h.engine,
      apiKey: KEY,
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  after(async () => {
    server.close();
    await h.close();
  });

  const call = (path: string, body: unknown, key: string | null = KEY) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(key ? { Authorization: `Bearer ${key}` } : {}),
      },
      body: JSON.stringify(body),
    });

  it('refuses requests without the key', async () => {
    const answer = await call('/sources/contoso/users/preview', { lookup: 'x' }, null);
    assert.equal(answer.status, 401);
    assert.equal(((await answer.json()) as { error: string }).error, 'unauthorized');
  });

  it('syncs chosen users and previews one, in parallel', async () => {
    await h.sync();
    const [a, b] = h.emulator.directory.userOrder;
    h.emulator.directory.updateUser(a!, { department: 'Legal' });
    const upn = String(h.emulator.directory.user(b!).props.userPrincipalName);
    const [synced, preview] = await Promise.all([
      call('/sources/contoso/users/sync', { externalIds: [a, b] }),
      call('/sources/contoso/users/preview', { lookup: upn }),
    ]);
    assert.equal(synced.status, 200);
    const body = (await synced.json()) as { results: { externalId: string; outcome: string }[] };
    assert.deepEqual(
      body.results.map((r) => r.outcome),
      ['updated', 'unchanged'],
    );
    assert.equal(preview.status, 200);
    assert.equal(((await preview.json()) as { login: string }).login, upn);
  });

  it('answers JSON errors for bad requests and unknown sources, never a 500', async () => {
    const cases: [string, unknown, number, string][] = [
      ['/sources/contoso/users/sync', {}, 400, 'invalid_request'],
      ['/sources/contoso/users/sync', { externalIds: [] }, 400, 'invalid_request'],
      [
        '/sources/contoso/users/sync',
        { externalIds: Array.from({ length: 101 }, (_, i) => `id-${i}`) },
        400,
        'invalid_request',
      ],
      ['/sources/contoso/users/sync', { externalIds: ['a'], extra: 1 }, 400, 'invalid_request'],
      ['/sources/contoso/users/preview', { lookup: '  ' }, 400, 'invalid_request'],
      ['/sources/nope/users/preview', { lookup: 'x' }, 404, 'source_not_found'],
      ['/sources/nope/users/sync', { externalIds: ['x'] }, 404, 'source_not_found'],
    ];
    for (const [path, body, status, code] of cases) {
      const answer = await call(path, body);
      assert.equal(answer.status, status, `${path} ${JSON.stringify(body).slice(0, 40)}`);
      assert.equal(((await answer.json()) as { error: string }).error, code);
    }
  });

  it('says 502 source_error when the source refuses the lookup', async () => {
    h.emulator.addFault({ status: 403, match: '/users/someone', count: 50 });
    const answer = await call('/sources/contoso/users/preview', { lookup: 'someone' });
    assert.equal(answer.status, 502);
    assert.equal(((await answer.json()) as { error: string }).error, 'source_error');
    h.emulator.clearFaults();
  });
});
