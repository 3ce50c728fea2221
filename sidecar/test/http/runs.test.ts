// The engine's HTTP API: key check, Sync now (202, joining), run reads, cancel, Test
// connection, and JSON errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Harness } from '../engine/harness.js';
import type { EngineApi } from './engine-api.js';
import { startEngineApi } from './engine-api.js';

describe('engine HTTP API', () => {
  let api: EngineApi;
  let h: Harness;

  before(async () => {
    api = await startEngineApi({ emulator: { users: 40 } });
    h = api.h;
  });
  after(() => api.close());

  const call = (path: string, init: RequestInit = {}, key?: string | null) =>
    api.call(path, init, key);

  it('refuses calls without the API key', async () => {
    for (const key of [null, 'wrong']) {
      const response = await call('/runs', {}, key);
      assert.equal(response.status, 401);
      assert.deepEqual(await response.json(), {
        error: 'unauthorized',
        message: 'A valid sidecar API key is required',
      });
    }
  });

  it('starts a run with Sync now, joins a second request, and shows live progress', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    h.wordpress.beforeBatch = () => gate;
    const first = await call('/sources/contoso/runs', { method: 'POST', body: '{}' });
    assert.equal(first.status, 202);
    const run = (await first.json()) as { id: string; joined: boolean; state: string };
    assert.equal(run.joined, false);
    const second = await call('/sources/contoso/runs', { method: 'POST', body: '{}' });
    assert.equal(second.status, 202);
    const joined = (await second.json()) as { id: string; joined: boolean };
    assert.equal(joined.joined, true);
    assert.equal(joined.id, run.id);

    const dry = await call('/sources/contoso/runs', {
      method: 'POST',
      body: JSON.stringify({ dryRun: true }),
    });
    assert.equal(dry.status, 409);
    assert.equal(((await dry.json()) as { error: string }).error, 'run_conflict');

    const live = (await (await call(`/runs/${run.id}`)).json()) as { state: string };
    assert.equal(live.state, 'running');
    release();
    h.wordpress.beforeBatch = null;
    await h.engine.waitForRun(run.id);
    const done = (await (await call(`/runs/${run.id}`)).json()) as {
      state: string;
      processed: number;
      counts: { created: number };
      rate: number;
      elapsedSeconds: number;
      details: { changes: unknown[] };
    };
    assert.equal(done.state, 'succeeded');
    assert.equal(done.processed, 40);
    assert.equal(done.counts.created, 40);
    assert.ok(done.rate > 0);
    assert.ok(done.elapsedSeconds >= 0);
    assert.equal(done.details.changes.length, 40);

    const list = (await (await call('/runs?source=contoso')).json()) as {
      runs: { id: string; failures: number }[];
    };
    assert.equal(list.runs[0]?.id, run.id);
    assert.equal(list.runs[0]?.failures, 0);

    const cancel = await call(`/runs/${run.id}/cancel`, { method: 'POST' });
    assert.equal(cancel.status, 409);
    assert.equal(((await cancel.json()) as { error: string }).error, 'run_finished');
  });

  it('cancels a running run', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    h.wordpress.beforeBatch = () => gate;
    const started = await call('/sources/contoso/runs', {
      method: 'POST',
      body: JSON.stringify({ full: true }),
    });
    const run = (await started.json()) as { id: string };
    // Let the blocked batch go once the cancel is in.
    setTimeout(release, 50);
    const cancel = await call(`/runs/${run.id}/cancel`, { method: 'POST' });
    assert.equal(cancel.status, 202);
    assert.equal(((await cancel.json()) as { state: string }).state, 'cancelled');
    h.wordpress.beforeBatch = null;
  });

  it('tests the connection', async () => {
    const response = await call('/sources/contoso/test', { method: 'POST' });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { ok: boolean; missingPermissions: string[] };
    assert.equal(body.ok, true);
    assert.deepEqual(body.missingPermissions, []);
  });

  it('answers unknown sources, runs and bad bodies with JSON errors', async () => {
    const unknown = await call('/sources/nope/runs', { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: string }).error, 'source_not_found');
    const bad = await call('/sources/contoso/runs', {
      method: 'POST',
      body: JSON.stringify({ dryRun: 'yes' }),
    });
    assert.equal(bad.status, 400);
    const extra = await call('/sources/contoso/runs', {
      method: 'POST',
      body: JSON.stringify({ everything: true }),
    });
    assert.equal(extra.status, 400);
    const missing = await call('/runs/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    const test = await call('/sources/nope/test', { method: 'POST' });
    assert.equal(test.status, 404);
  });

  it('reloads sources on request, applying a change at once', async () => {
    h.wordpress.connections[0]!.name = 'Contoso renamed';
    const response = await call('/sources/reload', { method: 'POST' });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { sources: { name: string }[] };
    assert.equal(body.sources[0]?.name, 'Contoso renamed');
  });

  it('lists sources without their secrets', async () => {
    const body = (await (await call('/sources')).json()) as { sources: Record<string, unknown>[] };
    assert.equal(body.sources[0]?.slug, 'contoso');
    assert.equal('settings' in body.sources[0]!, false);
  });
});
