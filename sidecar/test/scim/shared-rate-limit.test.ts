// The SCIM rate limit shared by replicas: two routers on one PostgreSQL store let a burst
// through no more than once, where two in-process buckets let it through twice; a store that
// cannot answer leaves the decision to the replica.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';

import { SharedTokenBuckets } from '../../src/scim/router.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { startServer } from './helpers.js';
import type { TestServer } from './helpers.js';

const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const LIMIT = { requestsPerSecond: 1, burst: 20 };

describe('SCIM rate limit across replicas on PostgreSQL', () => {
  const name = `usersync_test_${randomBytes(4).toString('hex')}`;
  const stores: PostgresStore[] = [];
  const servers: TestServer[] = [];

  before(async () => {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    for (let i = 0; i < 2; i++) {
      const store = new PostgresStore(url.toString());
      await store.migrate();
      stores.push(store);
      servers.push(
        await startServer({ rateLimit: LIMIT, rateBuckets: new SharedTokenBuckets(store, LIMIT) }),
      );
    }
  });
  after(async () => {
    for (const server of servers) await server.close();
    for (const store of stores) await store.close();
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });

  it('two replicas together let through one allowance of a burst', async () => {
    // 60 concurrent requests, alternating between the replicas.
    const statuses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => servers[i % 2]!.call('GET', '/Users')),
    ).then((answers) => answers.map((a) => a.status));
    const passed = statuses.filter((s) => s === 200).length;
    // The burst, and at most what refills during the burst itself.
    assert.ok(passed >= LIMIT.burst && passed <= LIMIT.burst + 2, `${passed} passed`);
    assert.equal(statuses.filter((s) => s === 429).length, 60 - passed);
    const limited = await servers[1]!.call('GET', '/Users');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // Another token has its own allowance.
    assert.equal(
      (await servers[0]!.call('GET', '/Users', undefined, { token: 'us_okta' })).status,
      200,
    );
  });

  it('refills at the configured rate, on the database clock', async () => {
    const key = `refill-${randomBytes(3).toString('hex')}`;
    const limit = { perSecond: 10, burst: 2 };
    assert.equal(await stores[0]!.takeRateToken(key, limit), 0);
    assert.equal(await stores[1]!.takeRateToken(key, limit), 0);
    assert.ok((await stores[0]!.takeRateToken(key, limit)) >= 1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(await stores[1]!.takeRateToken(key, limit), 0);
  });

  it('falls back to the replica’s own bucket when the store cannot answer', async () => {
    const failing = {
      takeRateToken: () => Promise.reject(new Error('terminating connection')),
    };
    const buckets = new SharedTokenBuckets(failing, { requestsPerSecond: 1, burst: 2 });
    assert.deepEqual(
      [await buckets.take('t'), await buckets.take('t'), (await buckets.take('t')) > 0],
      [0, 0, true],
    );
  });

  it('in-process buckets, for comparison, let each replica through a whole allowance', async () => {
    const local = [
      await startServer({ rateLimit: LIMIT }),
      await startServer({ rateLimit: LIMIT }),
    ];
    try {
      const statuses = await Promise.all(
        Array.from({ length: 60 }, (_, i) => local[i % 2]!.call('GET', '/Users')),
      ).then((answers) => answers.map((a) => a.status));
      assert.ok(statuses.filter((s) => s === 200).length >= 2 * LIMIT.burst);
    } finally {
      for (const server of local) await server.close();
    }
  });
});
