import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WordPressClient, WordPressError } from '../../src/wordpress/client.js';
import { json, scriptedServer } from '../helpers/http-server.js';

type Server = Awaited<ReturnType<typeof scriptedServer>>;
let server: Server | undefined;
afterEach(async () => server?.close());

const client = (url: string, extra = {}) =>
  new WordPressClient({
    baseUrl: `${url}/`,
    user: 'usersync-service',
    appPassword: 'abcd efgh ijkl',
    backoffMs: 5,
    timeoutMs: 2_000,
    ...extra,
  });

describe('WordPressClient', () => {
  it('calls the REST route with Application Password auth and query parameters', async () => {
    server = await scriptedServer((_req, res) => json(res, 200, { ok: true }));
    const response = await client(server.url).get<{ ok: boolean }>('/usersync/v1/users', {
      login: 'ada',
      page: 2,
      skip: undefined,
    });
    assert.deepEqual(response.data, { ok: true });
    const [req] = server.requests;
    assert.equal(req?.url.searchParams.get('rest_route'), '/usersync/v1/users');
    assert.equal(req?.url.searchParams.get('login'), 'ada');
    assert.equal(req?.url.searchParams.get('page'), '2');
    assert.equal(req?.url.searchParams.has('skip'), false);
    const expected = `Basic ${Buffer.from('usersync-service:abcd efgh ijkl').toString('base64')}`;
    assert.equal(req?.headers.authorization, expected);
  });

  it('retries 5xx with backoff and then succeeds', async () => {
    let calls = 0;
    server = await scriptedServer((_req, res) =>
      ++calls < 3 ? json(res, 503, { code: 'busy', message: 'busy' }) : json(res, 200, [1]),
    );
    const response = await client(server.url).get<number[]>('/usersync/v1/status');
    assert.deepEqual(response.data, [1]);
    assert.equal(server.requests.length, 3);
  });

  it('honours Retry-After on 429', async () => {
    let calls = 0;
    server = await scriptedServer((_req, res) =>
      ++calls === 1
        ? json(res, 429, { code: 'too_many' }, { 'Retry-After': '1' })
        : json(res, 200, {}),
    );
    const started = Date.now();
    await client(server.url).get('/usersync/v1/status');
    assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
    assert.equal(server.requests.length, 2);
  });

  it('does not retry client errors and exposes the WP_Error code', async () => {
    server = await scriptedServer((_req, res) =>
      json(res, 409, {
        code: 'usersync_login_exists',
        message: 'Login taken',
        data: { status: 409 },
      }),
    );
    await assert.rejects(
      client(server.url).post('/usersync/v1/users/batch', {}, { retry: true }),
      (error) => {
        assert.ok(error instanceof WordPressError);
        assert.equal(error.status, 409);
        assert.equal(error.code, 'usersync_login_exists');
        assert.equal(error.message, 'Login taken');
        return true;
      },
    );
    assert.equal(server.requests.length, 1);
  });

  it('does not retry POST unless the caller says it is idempotent', async () => {
    server = await scriptedServer((_req, res) => json(res, 500, { code: 'boom', message: 'boom' }));
    await assert.rejects(client(server.url).post('/x', { a: 1 }), { status: 500, code: 'boom' });
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.body, '{"a":1}');
  });

  it('gives up after the configured retries with a timeout error', async () => {
    server = await scriptedServer(() => undefined); // never answers
    await assert.rejects(
      client(server.url, { timeoutMs: 100, retries: 2 }).get('/slow'),
      (error) => error instanceof WordPressError && error.code === 'timeout' && error.status === 0,
    );
    assert.equal(server.requests.length, 3);
  });

  it('reports an unreachable site as a network error', async () => {
    await assert.rejects(
      client('http://127.0.0.1:9', { retries: 0 }).get('/x'),
      (error) => error instanceof WordPressError && error.code === 'network_error',
    );
  });
});
