// Waiting between delivery attempts: the shared backoff (`../retry.ts`), capped, honouring
// the target's Retry-After, and cut short when the pipeline stops.
import { backoffDelay as sharedBackoff } from '../retry.js';

export function backoffDelay(
  attempt: number,
  options: { baseMs: number; maxMs: number },
  retryAfterSeconds?: number,
): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds > 0) {
    return Math.min(retryAfterSeconds * 1000, options.maxMs);
  }
  return sharedBackoff(attempt, options);
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts or `wake` fires. */
export function pause(ms: number, signal: AbortSignal, wake?: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    void wake?.then(done);
  });
}
