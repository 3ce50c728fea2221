// The relay of the plugin's reloads and nudges between replicas sharing PostgreSQL: what one
// replica is told, the others hear over LISTEN/NOTIFY; the sender does not act twice, and an
// SQLite sidecar (one process) relays nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Request, Response } from 'express';
import pg from 'pg';
import { createLogger } from '../../src/logger.js';
import { ReplicaRelay } from '../../src/replicas.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/types.js';

const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `usersync_relay_${randomBytes(4).toString('hex')}`;
const logger = createLogger('silent');

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  await client.query(sql);
  await client.end();
}

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('replica relay', () => {
  const stores: Store[] = [];
  before(async () => {
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    for (let i = 0; i < 3; i++) stores.push(new PostgresStore(url.toString()));
    await stores[0]!.migrate();
  });
  after(async () => {
    for (const store of stores) await store.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('passes a reload and a nudge told to one replica on to the others only', async () => {
    const heard = stores.map(() => ({ reloads: 0, nudges: [] as boolean[] }));
    const relays = stores.map(
      (store, i) =>
        new ReplicaRelay({
          store,
          self: `replica-${i}`,
          logger,
          reloadSources: async () => void heard[i]!.reloads++,
          nudgeOutbound: (reload) => void heard[i]!.nudges.push(reload),
        }),
    );
    await Promise.all(relays.map((relay) => relay.listen()));
    try {
      await relays[0]!.reloaded();
      let passed = false;
      relays[1]!.nudgeMiddleware()(
        { body: { reload: true } } as Request,
        {} as Response,
        () => void (passed = true),
      );
      assert.ok(passed, 'the nudge goes on to the route');
      await until(
        () =>
          heard[1]!.reloads === 1 &&
          heard[2]!.reloads === 1 &&
          heard[0]!.nudges.length === 1 &&
          heard[2]!.nudges.length === 1,
      );
      assert.deepEqual(
        heard.map((each) => each.reloads),
        [0, 1, 1],
      );
      assert.deepEqual(
        heard.map((each) => each.nudges),
        [[true], [], [true]],
      );
    } finally {
      for (const relay of relays) relay.close();
    }
  });

  it('relays nothing for one process on SQLite', async () => {
    let signals = 0;
    const relay = new ReplicaRelay({
      store: {
        kind: 'sqlite',
        signal: async () => void signals++,
        onSignal: async () => () => undefined,
      },
      self: 'only',
      logger,
    });
    await relay.listen();
    await relay.reloaded();
    relay.nudgeMiddleware()({ body: {} } as Request, {} as Response, () => undefined);
    assert.equal(relay.shared, false);
    assert.equal(signals, 0);
  });
});
