// Revocation across replicas on a real PostgreSQL: two sidecars' token caches share one
// database; the plugin tells one of them, and the other refuses the token at once (its cache
// lifetime is a minute, so only the signal can explain it), also after its listening
// connection was cut and came back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ScimTokenCache, sha256Hex } from '../../src/auth/scim-tokens.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { WordPressClient } from '../../src/wordpress/client.js';
import { json, scriptedServer } from '../helpers/http-server.js';

const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `usersync_test_${randomBytes(4).toString('hex')}`;

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Polls until `check` holds, for at most `ms`; how long it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

describe('SCIM token revocation across replicas (PostgreSQL)', () => {
  const tokens = [
    { id: 'tok_1', name: 'Entra', connection: 'entra', token: 'us_one' },
    { id: 'tok_2', name: 'Okta', connection: 'okta', token: 'us_two' },
    { id: 'tok_3', name: 'Local', connection: 'local', token: 'us_three' },
  ];
  let site: Awaited<ReturnType<typeof scriptedServer>>;
  let stores: PostgresStore[];
  let replicas: ScimTokenCache[];

  before(async () => {
    await admin((client) => client.query(`CREATE DATABASE ${name}`));
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    site = await scriptedServer((_req, res) =>
      json(
        res,
        200,
        tokens.map(({ token, ...rest }) => ({ ...rest, hash: sha256Hex(token) })),
      ),
    );
    stores = [new PostgresStore(url.toString()), new PostgresStore(url.toString())];
    await stores[0]!.migrate();
    replicas = stores.map(
      (store) =>
        new ScimTokenCache(
          new WordPressClient({ baseUrl: site.url, user: 'svc', appPassword: 'pw', retries: 0 }),
          { usageFlushMs: 0, ttlMs: 60_000, missRefreshMs: 60_000, signals: store },
        ),
    );
    for (const replica of replicas) await replica.listen();
    for (const replica of replicas) {
      for (const { token } of tokens) assert.ok(await replica.verify(token), token);
    }
  });
  after(async () => {
    for (const replica of replicas ?? []) replica.close();
    for (const store of stores ?? []) await store.close();
    await site?.close();
    await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });

  it('a token revoked through one replica is refused by the other at once', async () => {
    const [told, other] = replicas as [ScimTokenCache, ScimTokenCache];
    tokens.splice(0, 1);
    await told.revoke('tok_1');
    assert.equal(await told.verify('us_one'), null);
    const took = await within(2_000, async () => (await other.verify('us_one')) === null);
    assert.ok(took < 2_000, `refused after ${took} ms`);
    assert.equal((await other.verify('us_two'))?.id, 'tok_2', 'other tokens still work');
  });

  it('a replica whose listening connection was cut catches up when it is back', async () => {
    const [told, other] = replicas as [ScimTokenCache, ScimTokenCache];
    // Cut every listening connection of the database (the pools' connections never LISTEN).
    await admin((client) =>
      client.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = $1 AND query LIKE 'LISTEN%'`,
        [name],
      ),
    );
    // Revoked while nobody may be listening: the signal can be lost, the resync is not.
    tokens.splice(0, 1);
    await told.revoke('tok_2');
    await within(5_000, async () => (await other.verify('us_two')) === null);
    assert.equal((await other.verify('us_three'))?.id, 'tok_3');

    // Listening again: the next revocation reaches the other replica through the signal.
    await within(5_000, async () => {
      const listening = await admin((client) =>
        client.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = $1 AND query LIKE 'LISTEN%'`,
          [name],
        ),
      );
      return (listening.rows[0] as { n: number }).n === 2;
    });
    tokens.splice(0, 1);
    await told.revoke('tok_3');
    await within(2_000, async () => (await other.verify('us_three')) === null);
  });
});
