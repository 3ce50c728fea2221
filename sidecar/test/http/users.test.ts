// The one-person HTTP API: key check, Sync now of chosen users, Test with a user, and the
// JSON errors of bad requests, unknown sources and sources that cannot fetch one person.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Harness } from '../engine/harness.js';
import type { EngineApi } from './engine-api.js';
import { startEngineApi } from './engine-api.js';

describe('one-person HTTP API', () => {
  let api: EngineApi;
  let h: Harness;

  before(async () => {
    api = await startEngineApi({ emulator: { users: 5 } });
    h = api.h;
  });
  after(() => api.close());

  const call = (path: string, body: unknown, key?: string | null) =>
    api.call(path, { method: 'POST', body: JSON.stringify(body) }, key);

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
