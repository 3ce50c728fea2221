// A run sends a page's batches to WordPress at most `batchConcurrency` at a time, and starts
// no new batch once one has failed.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WordPressError } from '../../src/wordpress/client.js';
import { harness } from './harness.js';
import type { Harness } from './harness.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('batches of a run', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('are in flight at most batchConcurrency at a time, and that many at once', async () => {
    h = await harness({
      emulator: { users: 30, photoEvery: 0 },
      settings: { pageSize: 50 },
      source: { batchSize: 3, batchConcurrency: 3 },
    });
    let inFlight = 0;
    let most = 0;
    h.wordpress.beforeBatch = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await pause(15);
      inFlight--;
    };
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.created, 30);
    assert.equal(h.wordpress.requests.length, 10, 'ten batches of three');
    assert.equal(most, 3);
  });

  it('start no new batch after one fails', async () => {
    h = await harness({
      emulator: { users: 30, photoEvery: 0 },
      settings: { pageSize: 50 },
      source: { batchSize: 3, batchConcurrency: 2 },
    });
    let started = 0;
    h.wordpress.beforeBatch = async () => {
      started++;
      await pause(15);
    };
    h.wordpress.failure = {
      error: new WordPressError('Sorry, you are not allowed to do that.', 403, 'rest_forbidden'),
      afterApply: false,
      remaining: 1,
    };
    const run = await h.sync();
    assert.equal(run.state, 'failed');
    // The failed batch and the one in flight beside it; none of the other eight.
    assert.equal(started, 2);
    assert.equal(h.wordpress.requests.length, 1);
  });
});
