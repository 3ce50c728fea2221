// A plugin answering out of contract: the run stops with an error that names the route and
// what was wrong, and the sidecar keeps running (the typed client checks every answer).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { WordPressRequest, WordPressResponse } from '../../src/wordpress/client.js';
import type { Harness } from './harness.js';
import { harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('a plugin answering out of contract', () => {
  it('fails the run with a clear error when a batch answer is malformed; the next run recovers', async () => {
    h = await harness({ emulator: { users: 5 } });
    const wordpress = h.wordpress;
    const real = wordpress.request.bind(wordpress);
    wordpress.request = async <T>(req: WordPressRequest): Promise<WordPressResponse<T>> => {
      if (req.path === '/usersync/v1/users/batch')
        return { status: 200, data: { results: [{ ref: 0, ok: 'yes' }] } as T, headers: {} };
      return real<T>(req);
    };
    const run = await h.sync();
    assert.equal(run.state, 'failed');
    assert.match(run.error ?? '', /\/usersync\/v1\/users\/batch unexpectedly/);

    // The same engine runs again once the plugin answers as it should.
    wordpress.request = real;
    const next = await h.sync();
    assert.equal(next.state, 'succeeded', next.error ?? '');
    assert.equal(wordpress.users.size, 5);
  });

  it('fails the run when the configuration is malformed', async () => {
    h = await harness({ emulator: { users: 2 } });
    h.wordpress.config = { deprovision: { action: 'shred' } } as never;
    const run = await h.sync();
    assert.equal(run.state, 'failed');
    assert.match(run.error ?? '', /\/usersync\/v1\/config unexpectedly: deprovision\.action/);
  });
});
