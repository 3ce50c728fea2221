// The Salesforce client against scripted answers: the three sign-in flows (the JWT verified
// with the public key), a session ended by org policy, throttling without Retry-After,
// retried lock errors, Sforce-Limit-Info, paging links only on the instance host, and the
// Call Options header on writes.
import assert from 'node:assert/strict';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import type { SalesforceError } from '../../../src/connectors/salesforce/client.js';
import {
  SalesforceClient,
  jwtAssertion,
  parseLimitInfo,
} from '../../../src/connectors/salesforce/client.js';
import { parseSalesforceSettings } from '../../../src/connectors/salesforce/settings.js';
import type { SalesforceSettingsInput } from '../../../src/connectors/salesforce/settings.js';
import { isTransient } from '../../../src/retry.js';
import { json, scriptedServer } from '../../helpers/http-server.js';
import type { Handler } from '../../helpers/http-server.js';

const logger = pino({ level: 'silent' });
const fast = { baseMs: 1, limitBaseMs: 2, maxDelayMs: 20 };
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const servers: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A scripted org: the token endpoint answers `token`, the rest goes to `api`. */
async function org(api: Handler, token?: Handler) {
  let url = '';
  const server = await scriptedServer((req, res) => {
    if (req.url.pathname === '/services/oauth2/token') {
      if (token) return token(req, res);
      return json(res, 200, {
        access_token: 'tok-1',
        instance_url: url,
        id: `${url}/id/00D/005`,
        token_type: 'Bearer',
      });
    }
    return api(req, res);
  });
  url = server.url;
  servers.push(server);
  return server;
}

function client(url: string, extra: Partial<SalesforceSettingsInput> = {}) {
  const settings = parseSalesforceSettings({
    loginUrl: url,
    clientId: 'client-id',
    clientSecret: 'client-secret',
    apiVersion: '62.0',
    retries: 3,
    ...extra,
  });
  return new SalesforceClient(settings, { logger, retry: fast });
}

describe('Salesforce sign-in', () => {
  it('posts client credentials to loginUrl + /services/oauth2/token and follows instance_url', async () => {
    let instance = '';
    const instanceServer = await scriptedServer((_req, res) =>
      json(res, 200, { ok: true }, { 'Sforce-Limit-Info': 'api-usage=18/15000; api-bursts=1/750' }),
    );
    servers.push(instanceServer);
    instance = instanceServer.url;
    const login = await org(
      () => undefined,
      (_req, res) =>
        json(res, 200, { access_token: 'tok-cc', instance_url: instance, token_type: 'Bearer' }),
    );
    const c = client(login.url);
    const { data } = await c.request<{ ok: boolean }>('GET', '/limits');
    assert.equal(data.ok, true);
    const form = new URLSearchParams(login.requests[0]!.body);
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('client_id'), 'client-id');
    assert.equal(form.get('client_secret'), 'client-secret');
    const call = instanceServer.requests[0]!;
    assert.equal(call.url.pathname, '/services/data/v62.0/limits');
    assert.equal(call.headers.authorization, 'Bearer tok-cc');
    assert.deepEqual(c.usage && { used: c.usage.used, max: c.usage.max }, { used: 18, max: 15000 });
  });

  it('signs a JWT bearer assertion with RS256: iss, sub, aud, exp within 3 minutes', async () => {
    const login = await org((_req, res) => json(res, 200, {}));
    const c = client(login.url, {
      flow: 'jwt',
      privateKey: pem,
      username: 'integration@acme.com',
      clientSecret: '',
    });
    await c.signIn();
    const form = new URLSearchParams(login.requests[0]!.body);
    assert.equal(form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:jwt-bearer');
    const [header, claims, signature] = form.get('assertion')!.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), {
      alg: 'RS256',
      typ: 'JWT',
    });
    const body = JSON.parse(Buffer.from(claims!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    assert.equal(body.iss, 'client-id');
    assert.equal(body.sub, 'integration@acme.com');
    assert.equal(body.aud, login.url);
    const exp = Number(body.exp) - Date.now() / 1000;
    assert.ok(exp > 120 && exp <= 180, `exp in ${exp}s`);
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${header}.${claims}`);
    assert.equal(verifier.verify(publicKey, Buffer.from(signature!, 'base64url')), true);
  });

  it('says why a key cannot sign instead of sending a broken assertion', async () => {
    const login = await org((_req, res) => json(res, 200, {}));
    const c = client(login.url, {
      flow: 'jwt',
      privateKey: 'not a key',
      username: 'u@x',
      clientSecret: '',
    });
    await assert.rejects(c.signIn(), (e: SalesforceError) => e.errorCode === 'invalid_private_key');
    assert.equal(login.requests.length, 0);
    assert.throws(() =>
      jwtAssertion({ clientId: 'c', username: 'u', loginUrl: 'x', privateKey: 'nope' }),
    );
  });

  it('uses the refresh token flow', async () => {
    const login = await org((_req, res) => json(res, 200, {}));
    const c = client(login.url, { flow: 'refresh_token', refreshToken: 'refresh-1' });
    await c.signIn();
    const form = new URLSearchParams(login.requests[0]!.body);
    assert.equal(form.get('grant_type'), 'refresh_token');
    assert.equal(form.get('refresh_token'), 'refresh-1');
  });

  it('explains the My Domain rule of the client credentials flow', async () => {
    const login = await org(
      () => undefined,
      (_req, res) =>
        json(res, 400, {
          error: 'invalid_grant',
          error_description: 'request not supported on this domain',
        }),
    );
    await assert.rejects(client(login.url).signIn(), (e: SalesforceError) => {
      assert.equal(e.errorCode, 'invalid_grant');
      assert.equal(e.transient, false);
      assert.match(e.message, /My Domain/);
      return true;
    });
  });

  it('signs in again once when a session ends (401 INVALID_SESSION_ID, no expires_in)', async () => {
    let tokens = 0;
    let url = '';
    const server = await scriptedServer((req, res) => {
      if (req.url.pathname === '/services/oauth2/token') {
        tokens++;
        return json(res, 200, { access_token: `tok-${tokens}`, instance_url: url });
      }
      if (req.headers.authorization === 'Bearer tok-1') {
        return json(res, 401, [
          { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' },
        ]);
      }
      json(res, 200, { ok: true });
    });
    url = server.url;
    servers.push(server);
    const c = client(url);
    await c.request('GET', '/sobjects');
    await c.request('GET', '/sobjects');
    assert.equal(tokens, 2, 'one new sign-in, then the token is kept');
  });
});

describe('Salesforce retries and limits', () => {
  it('backs off on 403 REQUEST_LIMIT_EXCEEDED (no Retry-After), then succeeds', async () => {
    let calls = 0;
    const server = await org((_req, res) => {
      calls++;
      if (calls <= 2) {
        return json(res, 403, [
          { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
        ]);
      }
      json(res, 200, { ok: true });
    });
    const c = client(server.url);
    await c.request('GET', '/sobjects');
    assert.equal(calls, 3);
    assert.equal(c.throttled, 2);
  });

  it('ends throttling that lasts with a transient SalesforceError', async () => {
    const server = await org((_req, res) =>
      json(res, 403, [
        { message: 'ConcurrentRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
      ]),
    );
    const c = client(server.url, { retries: 2 });
    await assert.rejects(c.request('GET', '/sobjects'), (e: SalesforceError) => {
      assert.equal(e.errorCode, 'REQUEST_LIMIT_EXCEEDED');
      assert.equal(e.status, 403);
      assert.equal(e.transient, true);
      assert.equal(isTransient(e), true);
      return true;
    });
    assert.equal(
      server.requests.filter((r) => r.url.pathname !== '/services/oauth2/token').length,
      3,
    );
  });

  it('retries UNABLE_TO_LOCK_ROW and 503, but not a refused query', async () => {
    let calls = 0;
    const server = await org((req, res) => {
      calls++;
      if (req.url.pathname.endsWith('/bad')) {
        return json(res, 400, [
          { message: "No such column 'Foo__c'", errorCode: 'INVALID_FIELD', fields: ['Foo__c'] },
        ]);
      }
      if (calls === 1)
        return json(res, 400, [
          { message: 'unable to obtain exclusive access', errorCode: 'UNABLE_TO_LOCK_ROW' },
        ]);
      if (calls === 2)
        return json(res, 503, [{ message: 'down', errorCode: 'SERVER_UNAVAILABLE' }]);
      json(res, 200, { ok: true });
    });
    const c = client(server.url);
    await c.request('PATCH', '/sobjects/Contact/003', { body: { LastName: 'X' } });
    assert.equal(calls, 3);
    await assert.rejects(c.request('GET', '/bad'), (e: SalesforceError) => {
      assert.equal(e.errorCode, 'INVALID_FIELD');
      assert.deepEqual(e.fields, ['Foo__c']);
      assert.equal(e.transient, false);
      return true;
    });
    assert.equal(calls, 4, 'a refused query is not retried');
  });

  it('reads api-usage among other Sforce-Limit-Info fields', () => {
    assert.deepEqual(parseLimitInfo('api-usage=10018/100000; api-bursts=1/750', 5), {
      used: 10018,
      max: 100000,
      at: 5,
    });
    assert.deepEqual(parseLimitInfo('api-bursts=1/750;api-usage=3/15000', 1), {
      used: 3,
      max: 15000,
      at: 1,
    });
    assert.equal(parseLimitInfo('api-bursts=1/750'), null);
    assert.equal(parseLimitInfo(undefined), null);
  });
});

describe('Salesforce queries and collections', () => {
  it('follows nextRecordsUrl on the instance host and sends the batch size', async () => {
    const server = await org((req, res) => {
      if (req.url.pathname.endsWith('/queryAll')) {
        return json(res, 200, {
          totalSize: 3,
          done: false,
          nextRecordsUrl: '/services/data/v62.0/query/01g-2',
          records: [{ Id: 'a' }, { Id: 'b' }],
        });
      }
      json(res, 200, { totalSize: 3, done: true, records: [{ Id: 'c' }] });
    });
    const c = client(server.url);
    const ids: string[] = [];
    for await (const page of c.query<{ Id: string }>('SELECT Id FROM Contact', {
      all: true,
      batchSize: 200,
    })) {
      ids.push(...page.records.map((r) => r.Id));
    }
    assert.deepEqual(ids, ['a', 'b', 'c']);
    const api = server.requests.filter((r) => r.url.pathname !== '/services/oauth2/token');
    assert.equal(api[0]!.url.searchParams.get('q'), 'SELECT Id FROM Contact');
    assert.equal(api[0]!.headers['sforce-query-options'], 'batchSize=200');
    assert.equal(api[1]!.url.pathname, '/services/data/v62.0/query/01g-2');
    assert.equal(c.calls.query, 2);
  });

  it('refuses a paging link to another host (the token would go with it)', async () => {
    const server = await org((_req, res) =>
      json(res, 200, {
        totalSize: 4,
        done: false,
        nextRecordsUrl: 'https://evil.example/services/data/v62.0/query/x',
        records: [{ Id: 'a' }],
      }),
    );
    const c = client(server.url);
    await assert.rejects(
      (async () => {
        for await (const _page of c.query('SELECT Id FROM Contact')) void _page;
      })(),
      (e: SalesforceError) => e.errorCode === 'foreign_link',
    );
  });

  it('sends Sforce-Call-Options on writes, chunks nothing itself and refuses more than 200', async () => {
    const server = await org((req, res) => {
      const body = JSON.parse(req.body || '{}') as { records?: unknown[] };
      json(
        res,
        200,
        (body.records ?? []).map((_, i) =>
          i === 0
            ? { id: '003A', success: true, errors: [] }
            : {
                success: false,
                errors: [
                  {
                    statusCode: 'REQUIRED_FIELD_MISSING',
                    message: 'Required fields are missing: [LastName]',
                    fields: ['LastName'],
                  },
                ],
              },
        ),
      );
    });
    const c = client(server.url, { callOptionsClient: 'usersync-test' });
    const results = await c.createRecords([
      { attributes: { type: 'Contact' }, LastName: 'A' },
      { attributes: { type: 'Contact' } },
    ]);
    assert.deepEqual(results, [
      { id: '003A', success: true, errors: [] },
      {
        success: false,
        errors: [
          {
            statusCode: 'REQUIRED_FIELD_MISSING',
            message: 'Required fields are missing: [LastName]',
            fields: ['LastName'],
          },
        ],
      },
    ]);
    const write = server.requests.find((r) => r.url.pathname.endsWith('/composite/sobjects'))!;
    assert.equal(write.headers['sforce-call-options'], 'client=usersync-test');
    assert.equal(JSON.parse(write.body).allOrNone, false);
    await assert.rejects(
      c.updateRecords(
        Array.from({ length: 201 }, (_, i) => ({ attributes: { type: 'Contact' }, Id: String(i) })),
      ),
      (e: SalesforceError) => e.errorCode === 'EXCEEDED_ID_LIMIT',
    );
  });
});
