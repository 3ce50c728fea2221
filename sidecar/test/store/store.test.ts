// One behaviour suite for every Store implementation: SQLite in a temp file and PostgreSQL
// in a throwaway database on the local server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Backend {
  name: string;
  open(): Promise<{ make: () => Store; cleanup: () => Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-store-'));
      const file = path.join(dir, 'sidecar.sqlite');
      return {
        make: () => new SqliteStore(file),
        cleanup: async () => rmSync(dir, { recursive: true }),
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const name = `usersync_test_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${name}`;
      return {
        make: () => new PostgresStore(url.toString()),
        cleanup: async () => {
          const client = new pg.Client({ connectionString: PG_ADMIN_URL });
          await client.connect();
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await client.end();
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`${backend.name} store`, () => {
    let env: Awaited<ReturnType<Backend['open']>>;
    let store: Store;

    before(async () => {
      env = await backend.open();
      store = env.make();
      await store.migrate();
    });
    after(async () => {
      await store.close();
      await env.cleanup();
    });

    it('migrates once: a second migrate and a second replica apply nothing', async () => {
      assert.equal(await store.migrate(), 0);
      const replica = env.make();
      try {
        assert.equal(await replica.migrate(), 0);
      } finally {
        await replica.close();
      }
      const health = await store.health();
      assert.deepEqual(health, { ok: true, kind: backend.name, schemaVersion: 1 });
    });

    it('creates, updates and lists runs newest first', async () => {
      const first = await store.createRun({ source: 'graph:contoso', trigger: 'schedule' });
      assert.equal(first.state, 'queued');
      assert.equal(first.dryRun, false);
      assert.equal(first.counts.created, 0);
      const second = await store.createRun({
        source: 'graph:contoso',
        trigger: 'on-demand',
        dryRun: true,
      });
      await store.createRun({ source: 'peer:child', trigger: 'schedule' });

      const startedAt = new Date().toISOString();
      const updated = await store.updateRun(second.id, {
        state: 'running',
        startedAt,
        processed: 40,
        total: 100,
        counts: { created: 3, updated: 2, unchanged: 35, disabled: 0, deleted: 0, failed: 0 },
      });
      assert.equal(updated?.state, 'running');
      assert.equal(updated?.processed, 40);
      assert.equal(updated?.total, 100);
      assert.equal(updated?.counts.unchanged, 35);
      assert.equal(updated?.dryRun, true);
      assert.equal(new Date(updated!.startedAt!).getTime(), new Date(startedAt).getTime());

      const runs = await store.listRuns({ source: 'graph:contoso' });
      assert.deepEqual(
        runs.map((run) => run.id),
        [second.id, first.id],
      );
      assert.equal((await store.listRuns()).length, 3);
      assert.equal(await store.getRun('no-such-run'), null);
      assert.equal(await store.updateRun('no-such-run', { state: 'failed' }), null);
    });

    it('saves, replaces and deletes cursors', async () => {
      assert.equal(await store.getCursor('graph:contoso'), null);
      await store.saveCursor('graph:contoso', 'https://graph/delta?token=1');
      const saved = await store.saveCursor('graph:contoso', 'https://graph/delta?token=2');
      const read = await store.getCursor('graph:contoso');
      assert.equal(read?.value, 'https://graph/delta?token=2');
      assert.equal(read?.updatedAt, saved.updatedAt);
      await store.deleteCursor('graph:contoso');
      assert.equal(await store.getCursor('graph:contoso'), null);
    });

    it('keeps its data across a reopen', async () => {
      const run = await store.createRun({ source: 'durable', trigger: 'catch-up' });
      await store.saveCursor('durable', '42');
      const reopened = env.make();
      try {
        assert.equal((await reopened.getRun(run.id))?.source, 'durable');
        assert.equal((await reopened.getCursor('durable'))?.value, '42');
      } finally {
        await reopened.close();
      }
    });
  });
}
