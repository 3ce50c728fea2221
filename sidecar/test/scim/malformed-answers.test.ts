// A plugin answering out of contract: the IdP gets SCIM's error JSON with a 502 that says
// WordPress answered unexpectedly, never a 500 (the typed client checks every answer).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { wordpressRepositories } from '../../src/scim/wordpress-repository.js';
import type { WordPressRequest, WordPressResponse } from '../../src/wordpress/client.js';
import { FakeWordPress } from './fake-wordpress.js';
import { entraUser, startServer } from './helpers.js';
import type { TestServer } from './helpers.js';

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('SCIM over a plugin answering out of contract', () => {
  let wp: FakeWordPress;
  let server: TestServer;
  const broken = new Map<string, unknown>();
  before(async () => {
    wp = new FakeWordPress();
    const real = wp.request.bind(wp);
    wp.request = async <T>(req: WordPressRequest): Promise<WordPressResponse<T>> => {
      const key = `${req.method ?? 'GET'} ${req.path}`;
      if (broken.has(key)) return { status: 200, data: broken.get(key) as T, headers: {} };
      return real<T>(req);
    };
    server = await startServer({
      repositories: wordpressRepositories({ wordpress: wp, logger: pino({ level: 'silent' }) }),
    });
  });
  after(() => server.close());

  it('answers a list whose users lack ids with a 502 SCIM error', async () => {
    broken.set('GET /usersync/v1/users', { total: 1, users: [{ login: 'ada' }] });
    const r = await server.call('GET', '/Users?startIndex=1&count=2');
    broken.clear();
    assert.equal(r.status, 502);
    assert.deepEqual(r.body.schemas, [ERROR_SCHEMA]);
    assert.match(r.body.detail, /\/usersync\/v1\/users unexpectedly: users\.0\.id/);
  });

  it('answers a create whose batch answer has no results with a 502, and stores nothing', async () => {
    broken.set('POST /usersync/v1/users/batch', { done: true });
    const r = await server.call('POST', '/Users', entraUser(1));
    broken.clear();
    assert.equal(r.status, 502);
    assert.deepEqual(r.body.schemas, [ERROR_SCHEMA]);
    assert.match(r.body.detail, /users\/batch unexpectedly: expected `results`/);
    assert.equal(wp.users.size, 0);
    // Once the plugin answers as it should, the same create succeeds.
    const retried = await server.call('POST', '/Users', entraUser(1));
    assert.equal(retried.status, 201);
  });

  it('answers with a 502 when the configuration is malformed', async () => {
    const other = new FakeWordPress();
    other.config = { attributeMap: 'everything' };
    const site = await startServer({
      repositories: wordpressRepositories({ wordpress: other, logger: pino({ level: 'silent' }) }),
    });
    try {
      const r = await site.call('GET', '/Users?startIndex=1&count=2');
      assert.equal(r.status, 502);
      assert.match(r.body.detail, /\/usersync\/v1\/config unexpectedly: attributeMap/);
    } finally {
      await site.close();
    }
  });
});
