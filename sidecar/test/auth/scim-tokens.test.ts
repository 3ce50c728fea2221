import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ScimTokenCache, sha256Hex } from '../../src/auth/scim-tokens.js';
import { WordPressClient } from '../../src/wordpress/client.js';
import { json, scriptedServer } from '../helpers/http-server.js';

type Server = Awaited<ReturnType<typeof scriptedServer>>;
let server: Server | undefined;
let cache: ScimTokenCache | undefined;
afterEach(async () => {
  cache?.close();
  await server?.close();
});

function siteWithTokens(tokens: { id: string; name: string; connection: string; token: string }[]) {
  return scriptedServer((req, res) => {
    if (req.url.searchParams.get('rest_route') === '/usersync/v1/sidecar/tokens') {
      json(
        res,
        200,
        tokens.map(({ token, ...rest }) => ({ ...rest, hash: sha256Hex(token) })),
      );
    } else {
      json(res, 200, { updated: 1 });
    }
  });
}

const wp = (url: string) =>
  new WordPressClient({ baseUrl: url, user: 'svc', appPassword: 'pw', retries: 0 });

describe('ScimTokenCache', () => {
  it('accepts a known token, refuses others, and caches the list', async () => {
    const tokens = [{ id: 'tok_1', name: 'Entra', connection: 'entra', token: 'us_secret-one' }];
    server = await siteWithTokens(tokens);
    cache = new ScimTokenCache(wp(server.url), { usageFlushMs: 0, missRefreshMs: 60_000 });
    assert.deepEqual(await cache.verify('us_secret-one'), {
      id: 'tok_1',
      name: 'Entra',
      connection: 'entra',
    });
    assert.deepEqual(await cache.verify('us_secret-one'), {
      id: 'tok_1',
      name: 'Entra',
      connection: 'entra',
    });
    assert.equal(await cache.verify('us_wrong'), null);
    assert.equal(await cache.verify(''), null);
    assert.equal(server.requests.length, 1, 'one fetch serves all verifications within the TTL');
  });

  it('picks up a token created after the cache was filled', async () => {
    const tokens = [{ id: 'tok_1', name: 'Entra', connection: 'entra', token: 'us_one' }];
    server = await siteWithTokens(tokens);
    cache = new ScimTokenCache(wp(server.url), { usageFlushMs: 0, missRefreshMs: 0 });
    await cache.verify('us_one');
    tokens.push({ id: 'tok_2', name: 'Okta', connection: 'okta', token: 'us_two' });
    assert.equal((await cache.verify('us_two'))?.connection, 'okta');
  });

  it('stops accepting a revoked token after the TTL', async () => {
    const tokens = [{ id: 'tok_1', name: 'Entra', connection: 'entra', token: 'us_one' }];
    server = await siteWithTokens(tokens);
    cache = new ScimTokenCache(wp(server.url), { usageFlushMs: 0, ttlMs: 50 });
    assert.ok(await cache.verify('us_one'));
    tokens.pop();
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(await cache.verify('us_one'), null);
  });

  it('refuses a revoked token at once, long before the TTL', async () => {
    const tokens = [
      { id: 'tok_1', name: 'Entra', connection: 'entra', token: 'us_one' },
      { id: 'tok_2', name: 'Okta', connection: 'okta', token: 'us_two' },
    ];
    server = await siteWithTokens(tokens);
    cache = new ScimTokenCache(wp(server.url), { usageFlushMs: 0, ttlMs: 60_000 });
    assert.ok(await cache.verify('us_one'));
    tokens.shift();
    await cache.revoke('tok_1');
    assert.equal(await cache.verify('us_one'), null);
    assert.equal((await cache.verify('us_two'))?.id, 'tok_2', 'the other token still works');
  });

  it('does not let a list fetched before the revocation bring the token back', async () => {
    const tokens = [{ id: 'tok_1', name: 'Entra', connection: 'entra', token: 'us_one' }];
    let release: () => void = () => undefined;
    let slow = false;
    server = await scriptedServer(async (req, res) => {
      // The list as it was when asked for, answered only after the revocation.
      const answer = tokens.map(({ token, ...rest }) => ({ ...rest, hash: sha256Hex(token) }));
      if (slow) await new Promise<void>((resolve) => (release = resolve));
      json(res, 200, req.url.searchParams.get('rest_route')?.endsWith('/used') ? {} : answer);
    });
    cache = new ScimTokenCache(wp(server.url), { usageFlushMs: 0, ttlMs: 0, missRefreshMs: 0 });
    assert.ok(await cache.verify('us_one'));
    await new Promise((resolve) => setTimeout(resolve, 5)); // past the TTL of 0 ms
    slow = true;
    const inFlight = cache.verify('us_one');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.requests.length, 2, 'the second fetch is in flight');
    await cache.revoke('tok_1');
    release();
    assert.equal(await inFlight, null, 'the stale list was fetched before the revocation');
    slow = false;
    tokens.shift();
    assert.equal(await cache.verify('us_one'), null);
  });

  it('tells the other replicas through the store, and hears theirs', async () => {
    const sent: string[] = [];
    let listener: ((message: string | null) => void) | undefined;
    const signals = {
      signal: async (topic: string, message: string) => void sent.push(`${topic} ${message}`),
      onSignal: async (_topic: string, fn: (message: string | null) => void) => {
        listener = fn;
        return () => (listener = undefined);
      },
    };
    const tokens = [
      { id: 'tok_1', name: 'Entra', connection: 'entra', token: 'us_one' },
      { id: 'tok_2', name: 'Okta', connection: 'okta', token: 'us_two' },
    ];
    server = await siteWithTokens(tokens);
    cache = new ScimTokenCache(wp(server.url), {
      usageFlushMs: 0,
      ttlMs: 60_000,
      missRefreshMs: 60_000,
      signals,
    });
    await cache.listen();
    await cache.revoke('tok_1');
    assert.deepEqual(sent, ['scim-token-revoked tok_1']);

    assert.ok(await cache.verify('us_two'));
    listener!('tok_2'); // revoked through another replica
    assert.equal(await cache.verify('us_two'), null);

    // "You may have missed some": the next verification fetches the list again.
    const fetches = server.requests.length;
    listener!(null);
    await cache.verify('us_never');
    assert.equal(server.requests.length, fetches + 1);
    cache.close();
    assert.equal(listener, undefined, 'close stops listening');
  });

  it('reports which tokens were used', async () => {
    server = await siteWithTokens([{ id: 'tok_9', name: 'A', connection: 'a', token: 'us_9' }]);
    cache = new ScimTokenCache(wp(server.url), { usageFlushMs: 0 });
    await cache.verify('us_9');
    await cache.verify('us_9');
    await cache.flushUsage();
    const report = server.requests.find(
      (req) => req.url.searchParams.get('rest_route') === '/usersync/v1/sidecar/tokens/used',
    );
    assert.deepEqual(JSON.parse(report!.body), { ids: ['tok_9'] });
    await cache.flushUsage();
    assert.equal(
      server.requests.filter((r) => r.method === 'POST').length,
      1,
      'nothing new to report',
    );
  });

  it('throws when WordPress cannot be asked, so callers can answer 503', async () => {
    cache = new ScimTokenCache(wp('http://127.0.0.1:9'), { usageFlushMs: 0 });
    await assert.rejects(cache.verify('us_any'));
  });
});
