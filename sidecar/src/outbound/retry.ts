// Waiting between attempts: exponential backoff with full jitter, capped, honouring the
// target's Retry-After, and cut short when the pipeline stops.

export function backoffDelay(
  attempt: number,
  options: { baseMs: number; maxMs: number },
  retryAfterSeconds?: number,
): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds > 0) {
    return Math.min(retryAfterSeconds * 1000, options.maxMs);
  }
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
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
