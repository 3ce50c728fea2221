// The store as the engine uses it: every operation that fails because the database could not
// be reached (a dropped PostgreSQL connection, a busy SQLite file) is retried through the
// shared `retry.ts`, so inside a run it waits for as long as the run's patience allows, and
// the failure it finally gives up on is marked transient (the run is resumed, not failed).
import { withRetries } from '../retry.js';
import type { Store } from '../store/types.js';

/** PostgreSQL SQLSTATEs of a lost or refused connection, or a server going away. */
const PG_TRANSIENT = /^(08...|57P0[1-3]|53300|40001|40P01)$/;
const NET_TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** True when a store error is an outage (the same query may succeed later). */
export function isStoreOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = String((error as { code?: unknown }).code ?? '');
  if (PG_TRANSIENT.test(code) || NET_TRANSIENT.has(code)) return true;
  if (/^SQLITE_(BUSY|LOCKED|IOERR)/.test(code)) return true;
  return /Connection terminated|connection timeout|terminating connection|Client has encountered a connection error/i.test(
    error.message,
  );
}

/** Wraps `store` so that outages are retried; reads and writes are idempotent by key. */
export function resilientStore(
  store: Store,
  options: { retries?: number; baseMs?: number; maxDelayMs?: number } = {},
): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'close' || property === 'migrate') {
        return value;
      }
      return (...args: unknown[]) =>
        withRetries(
          async () => {
            try {
              return { done: await (value as (...a: unknown[]) => unknown).apply(target, args) };
            } catch (error) {
              if (!isStoreOutage(error)) throw error;
              return { failed: { error } };
            }
          },
          {
            target: 'the store',
            retries: options.retries ?? 3,
            baseMs: options.baseMs ?? 200,
            maxDelayMs: options.maxDelayMs ?? 30_000,
          },
        );
    },
  });
}
