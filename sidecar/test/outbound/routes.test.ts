// The outbound API the plugin calls (behind SIDECAR_API_KEY) and the routes peers call (behind
// this site's SCIM tokens), over real HTTP.
import assert from 'node:assert/strict';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { peerCompanionRouter } from '../../src/connectors/wordpress-peer/companion.js';
import { OutboundPipeline } from '../../src/outbound/pipeline.js';
import { outboundRouter } from '../../src/outbound/routes.js';
import type { OutboundTarget } from '../../src/outbound/types.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { FakeTokens } from '../scim/helpers.js';
import { FakeFeed } from './fake-feed.js';

const KEY = 'k'.repeat(24);
const logger = pino({ level: 'silent' });
let url: string;
let close: () => Promise<void>;
let feed: FakeFeed;
let pipeline: OutboundPipeline;
let store: SqliteStore;

const target = (slug: string): OutboundTarget => ({
  slug,
  kind: 'test',
  describe: () => ({ slug, name: slug, kind: 'test', endpoint: null, twoWay: false }),
  covers: () => true,
  deliver: async (changes) =>
    new Map(
      changes.map((c) => [
        c.userId,
        { ok: true, outcome: { userId: c.userId, status: 'updated', requests: 1 } },
      ]),
    ),
  fullPush: async () => ({
    processed: 0,
    total: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
  }),
});

before(async () => {
  feed = new FakeFeed();
  feed.peerList = [
    {
      slug: 'child',
      name: 'Child',
      scimUrl: 'https://c/scim/v2',
      token: 't',
      push: true,
      roles: true,
      sendPasswords: false,
      acceptPasswords: false,
      includeAdministrators: false,
    },
  ];
  store = new SqliteStore(':memory:');
  await store.migrate();
  pipeline = new OutboundPipeline({
    store,
    feed: feed.asFeed(),
    logger,
    targetFactory: (p) => target(p.slug),
    settings: { pollMs: 50 },
  });
  await pipeline.start();
  const app = express();
  app.use('/api/v1/outbound', outboundRouter({ pipeline, store, apiKey: KEY, logger }));
  app.use(
    '/peer/v1',
    peerCompanionRouter({ tokens: new FakeTokens(), feed: feed.asFeed(), logger }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});

after(async () => {
  await pipeline.stop();
  await close();
});

async function until(condition: () => Promise<boolean>, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields
  return { status: response.status, body: (text ? JSON.parse(text) : null) as any };
}

describe('outbound API', () => {
  it('requires the sidecar API key', async () => {
    assert.equal((await call('POST', '/api/v1/outbound/nudge')).status, 401);
    assert.equal((await call('GET', '/api/v1/outbound', { token: 'wrong' })).status, 401);
  });

  it('takes nudges and shows the targets', async () => {
    assert.equal(
      (await call('POST', '/api/v1/outbound/nudge', { token: KEY, body: { reload: true } })).status,
      202,
    );
    const status = await call('GET', '/api/v1/outbound', { token: KEY });
    assert.equal(status.status, 200);
    assert.deepEqual(
      status.body.targets.map((t: { slug: string }) => t.slug),
      ['child'],
    );
  });

  it('starts a full push, shows it, and says when a target does not exist', async () => {
    const started = await call('POST', '/api/v1/outbound/targets/child/push', { token: KEY });
    assert.equal(started.status, 202);
    assert.equal(started.body.source, 'push:child');
    assert.equal(started.body.command.id, started.body.id, 'the command of the run');
    assert.equal(started.body.command.state, 'queued', 'answered at once');
    await until(async () => {
      const command = await call('GET', `/api/v1/outbound/commands/${started.body.id}`, {
        token: KEY,
      });
      return command.body.state === 'succeeded';
    }, 'the push command to be carried out');
    const shown = await call('GET', '/api/v1/outbound/targets/child/push', { token: KEY });
    assert.equal(shown.body.id, started.body.id);
    const missing = await call('POST', '/api/v1/outbound/targets/nobody/push', { token: KEY });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'target_not_found');
    assert.equal(
      (await call('GET', '/api/v1/outbound/targets/nobody/push', { token: KEY })).status,
      404,
    );
  });

  it('lists dead letters and retries one', async () => {
    const letterFields = {
      target: 'child',
      outboxId: 3,
      userId: 4,
      action: 'update',
      changed: ['first_name'],
      origin: 'local',
      code: 'x',
      message: 'y',
      attempts: 4,
    };
    const letter = await store.addDeadLetter(letterFields);
    const list = await call('GET', '/api/v1/outbound/dead-letters?target=child', { token: KEY });
    assert.deepEqual(
      list.body.deadLetters.map((l: { id: number }) => l.id),
      [letter.id],
    );
    const queued = await call('POST', `/api/v1/outbound/dead-letters/${letter.id}/retry`, {
      token: KEY,
    });
    assert.equal(queued.status, 202, 'answered at once');
    assert.equal(queued.body.command.state, 'queued');
    assert.equal(queued.body.command.kind, 'retry');
    await until(async () => {
      const command = await call('GET', `/api/v1/outbound/commands/${queued.body.command.id}`, {
        token: KEY,
      });
      return command.body.state === 'succeeded' && command.body.result.resolved === true;
    }, 'the retry to be carried out');
    const again = await call('POST', `/api/v1/outbound/dead-letters/${letter.id}/retry`, {
      token: KEY,
    });
    assert.equal(again.status, 200, 'already resolved');
    assert.equal(again.body.resolved, true);

    const second = await store.addDeadLetter({ ...letterFields, userId: 5 });
    const waited = await call(
      'POST',
      `/api/v1/outbound/dead-letters/${second.id}/retry?wait=5000`,
      { token: KEY },
    );
    assert.equal(waited.status, 200, 'waited for the outcome');
    assert.equal(waited.body.resolved, true);
    assert.equal(waited.body.command.state, 'succeeded');
    assert.ok(waited.body.deadLetter.resolvedAt);
    assert.equal((await call('GET', '/api/v1/outbound/commands/nope', { token: KEY })).status, 404);
    assert.equal(
      (await call('POST', '/api/v1/outbound/dead-letters/999/retry', { token: KEY })).status,
      404,
    );
    assert.equal(
      (await call('GET', '/api/v1/outbound/dead-letters?limit=0', { token: KEY })).status,
      400,
    );
  });
});

describe('routes for peers', () => {
  it('require a SCIM token of this site, answered as SCIM errors', async () => {
    const answer = await call('GET', '/peer/v1/clock?ids=1');
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  });

  it('answer change times only for users linked to the asking peer', async () => {
    const linked = feed.addUser('linked');
    linked.links.set('entra-production', '77');
    const other = feed.addUser('other');
    feed.clocks.set(linked.id, { first_name: '2025-01-01T00:00:00.000001Z' });
    feed.clocks.set(other.id, { first_name: '2025-01-01T00:00:00.000002Z' });
    const answer = await call('GET', `/peer/v1/clock?ids=${linked.id},${other.id}`, {
      token: 'us_entra',
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.clock, {
      [linked.id]: { first_name: '2025-01-01T00:00:00.000001Z' },
    });
    assert.equal((await call('GET', '/peer/v1/clock?ids=abc', { token: 'us_entra' })).status, 400);
  });

  it('hand password hashes to WordPress under the asking peer’s connection', async () => {
    const answer = await call('POST', '/peer/v1/passwords', {
      token: 'us_okta',
      body: { users: [{ id: '12', hash: '$P$Bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }] },
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(feed.accepted.at(-1), {
      connection: 'okta',
      users: [{ id: 12, hash: '$P$Bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }],
    });
    const bad = await call('POST', '/peer/v1/passwords', {
      token: 'us_okta',
      body: { users: [{ id: 1, password: 'plain' }] },
    });
    assert.equal(bad.status, 400);
  });
});
