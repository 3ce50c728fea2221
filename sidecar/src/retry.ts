// Waiting out transient failures, for every client of the sidecar (WordPress, Microsoft Graph,
// outbound targets, the store): exponential backoff with jitter, the server's Retry-After
// honoured (never an early retry), and — inside a run — a run-level patience instead of a
// fixed number of attempts, each wait told to the run so its live status can say it.
// Hand-written rather than p-retry (in the lockfile only through a dev tool): p-retry counts
// attempts and cannot wait the per-response delay a Retry-After asks for.
import { AsyncLocalStorage } from 'node:async_hooks';

/** A wait for a failing target, as a run's live status shows it. */
export interface RetryWait {
  /** Who is waited for, in the admin's words: `Microsoft Graph`, `WordPress`, `the store`. */
  target: string;
  /** `throttled`: the target asked to slow down (429, 503 with Retry-After). */
  reason: 'throttled' | 'unavailable';
  /** When the next attempt is made (ISO 8601). */
  until: string;
  /** Since when the target has failed without a break (ISO 8601). */
  since: string;
  attempt: number;
}

/** How long a run rides out an outage, and who hears of the waits. */
export interface Patience {
  /** The longest a target may keep failing before the run gives up (ms). */
  patienceMs: number;
  /** Told of every wait, then of `null` once the target answers again. */
  onWait?(wait: RetryWait | null): void;
}

const scope = new AsyncLocalStorage<Patience>();

/** Runs `work` with `patience`: every retry inside it waits as long as patience allows. */
export function withPatience<T>(patience: Patience, work: () => Promise<T>): Promise<T> {
  return scope.run(patience, work);
}

/** Delay before retry `attempt` (1 = the first retry): exponential, capped, half jittered. */
export function backoffDelay(attempt: number, options: { baseMs: number; maxMs: number }): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds, or undefined. */
export function retryAfterMs(header: unknown, now = Date.now()): number | undefined {
  if (header === undefined || header === null || header === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds) * 1000;
  const date = Date.parse(String(header));
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** What one attempt came to: a value, or a transient failure that may be retried. */
export type Attempt<T> =
  | { done: T }
  | {
      failed: {
        error: unknown;
        /** The target's Retry-After, in ms. */
        retryAfterMs?: number;
        throttled?: boolean;
        /** Returned instead of throwing `error` when retries end (e.g. the last response). */
        fallback?: T;
      };
    };

export interface RetryOptions {
  /** Who is called, for the run's status: `WordPress`, `Microsoft Graph`, `the store`. */
  target: string;
  /** Retries outside a run (where nothing is patient); a run retries for its patience. */
  retries: number;
  baseMs: number;
  /** Longest backoff between attempts; outside a run also the longest Retry-After honoured. */
  maxDelayMs: number;
  /** False for a request that must not be sent twice: its failure still counts as transient. */
  retryable?: boolean;
  signal?: AbortSignal;
  /** Told of each retry (for logs). */
  onRetry?(info: { attempt: number; delayMs: number; error: unknown }): void;
}

const transient = new WeakSet<object>();

/** True for an error a retry loop classed transient: a run that stops on it is resumed. */
export function isTransient(error: unknown): boolean {
  return typeof error === 'object' && error !== null && transient.has(error);
}

/** Marks an error as transient (an outage, not a fault of the request). */
export function markTransient<E>(error: E): E {
  if (typeof error === 'object' && error !== null) transient.add(error);
  return error;
}

/**
 * Calls `attempt` until it is done, waiting between transient failures. Inside a run the
 * attempts go on while the outage is shorter than the run's patience; elsewhere `retries`
 * bounds them. Throws the last failure (marked transient) when it gives up.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<Attempt<T>>,
  options: RetryOptions,
): Promise<T> {
  const patience = scope.getStore();
  let since: number | null = null;
  for (let n = 0; ; n++) {
    const outcome = await attempt(n);
    if ('done' in outcome) {
      if (since !== null) patience?.onWait?.(null);
      return outcome.done;
    }
    const failure = outcome.failed;
    markTransient(failure.error);
    since ??= Date.now();
    const backoff = backoffDelay(n + 1, { baseMs: options.baseMs, maxMs: options.maxDelayMs });
    let delay: number;
    let giveUp: boolean;
    if (patience) {
      // Never earlier than the target asked; never beyond the run's patience. A Retry-After of
      // 0 gives no pace for a long outage: back off instead of hammering the target.
      delay = failure.retryAfterMs ? failure.retryAfterMs : backoff;
      giveUp = Date.now() + delay - since > patience.patienceMs;
    } else {
      delay = Math.min(failure.retryAfterMs ?? backoff, options.maxDelayMs);
      giveUp = n >= options.retries;
    }
    if (options.retryable === false || giveUp || options.signal?.aborted) {
      if (since !== null && n > 0) patience?.onWait?.(null);
      if ('fallback' in failure && failure.fallback !== undefined) return failure.fallback;
      throw failure.error;
    }
    options.onRetry?.({ attempt: n + 1, delayMs: delay, error: failure.error });
    patience?.onWait?.({
      target: options.target,
      reason: failure.throttled ? 'throttled' : 'unavailable',
      until: new Date(Date.now() + delay).toISOString(),
      since: new Date(since).toISOString(),
      attempt: n + 1,
    });
    await sleep(delay, options.signal);
  }
}

/** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The sentence a run's live status shows for a wait. */
export function describeWait(wait: RetryWait): string {
  const time = wait.until.slice(11, 19);
  return wait.reason === 'throttled'
    ? `waiting for ${wait.target} (throttled) until ${time} UTC`
    : `${wait.target} is not answering, retrying at ${time} UTC`;
}
