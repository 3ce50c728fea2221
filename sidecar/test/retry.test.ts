// The one retry module: backoff with jitter, Retry-After honoured, a fixed count outside runs
// and the run's patience inside one (told to the run), and transient failures marked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoffDelay,
  describeWait,
  isTransient,
  retryAfterMs,
  withPatience,
  withRetries,
} from '../src/retry.js';
import type { RetryWait } from '../src/retry.js';

const options = { target: 'WordPress', retries: 2, baseMs: 1, maxDelayMs: 5 };

describe('retries', () => {
  it('backs off exponentially with jitter, capped', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const cap = Math.min(1000, 100 * 2 ** (attempt - 1));
      const delay = backoffDelay(attempt, { baseMs: 100, maxMs: 1000 });
      assert.ok(delay >= cap / 2 && delay <= cap, `attempt ${attempt}: ${delay}`);
    }
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(undefined), undefined);
    const now = Date.parse('2026-01-01T10:00:00Z');
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 10:00:05 GMT', now), 5000);
  });

  it('outside a run, gives up after the configured retries, marking the failure transient', async () => {
    let calls = 0;
    const error = new Error('503');
    await assert.rejects(
      withRetries(async () => {
        calls++;
        return { failed: { error } };
      }, options),
      (thrown) => thrown === error,
    );
    assert.equal(calls, 3);
    assert.equal(isTransient(error), true);
  });

  it('inside a run, keeps going past the retry count for as long as the patience allows', async () => {
    const waits: (RetryWait | null)[] = [];
    let calls = 0;
    const value = await withPatience({ patienceMs: 5_000, onWait: (w) => waits.push(w) }, () =>
      withRetries(async () => {
        calls++;
        return calls < 8
          ? { failed: { error: new Error('429'), retryAfterMs: 2, throttled: true } }
          : { done: 'ok' };
      }, options),
    );
    assert.equal(value, 'ok');
    assert.equal(calls, 8, 'more attempts than the 2 retries outside a run');
    assert.equal(waits.at(-1), null, 'the run hears that the wait is over');
    const first = waits[0]!;
    assert.equal(first.reason, 'throttled');
    assert.match(
      describeWait(first),
      /^waiting for WordPress \(throttled\) until \d\d:\d\d:\d\d UTC$/,
    );
    assert.match(
      describeWait({ ...first, reason: 'unavailable' }),
      /^WordPress is not answering, retrying at/,
    );
  });

  it('inside a run, gives up once an outage outlasts the patience', async () => {
    const started = Date.now();
    let calls = 0;
    await assert.rejects(
      withPatience({ patienceMs: 30 }, () =>
        withRetries(async () => {
          calls++;
          return { failed: { error: new Error('down') } };
        }, options),
      ),
      /down/,
    );
    assert.ok(calls > 3);
    assert.ok(Date.now() - started < 5_000);
  });

  it('never sends twice what may not be repeated, yet marks its outage transient', async () => {
    let calls = 0;
    const error = new Error('timeout');
    await assert.rejects(
      withPatience({ patienceMs: 5_000 }, () =>
        withRetries(
          async () => {
            calls++;
            return { failed: { error } };
          },
          { ...options, retryable: false },
        ),
      ),
    );
    assert.equal(calls, 1);
    assert.equal(isTransient(error), true);
  });
});
