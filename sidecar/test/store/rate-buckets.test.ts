// The token buckets of the SQLite store (PostgreSQL's are in test/scim/shared-rate-limit.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { SqliteStore } from '../../src/store/sqlite/index.js';

describe('sqlite store: rate buckets', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'usersync-rate-'));
  const store = new SqliteStore(path.join(dir, 'sidecar.sqlite'));
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true });
  });

  it('lets the burst through, then refills at the rate', async () => {
    await store.migrate();
    const limit = { perSecond: 10, burst: 3 };
    const waits = [];
    for (let i = 0; i < 4; i++) waits.push(await store.takeRateToken('t', limit));
    assert.deepEqual(waits.slice(0, 3), [0, 0, 0]);
    assert.ok(waits[3]! >= 1);
    assert.equal(await store.takeRateToken('other', limit), 0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(await store.takeRateToken('t', limit), 0);
  });
});
