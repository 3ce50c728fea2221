// Tuning of the outbound pipeline from the environment, validated like the rest of the
// sidecar's configuration: a bad value stops start-up with a clear line.
import { z } from 'zod';
import { ConfigError } from '../config.js';

export interface OutboundSettings {
  /** How often the feed is polled when no nudge arrives (ms). */
  pollMs: number;
  /** Outbox rows read per page. */
  pageSize: number;
  /** Users delivered at once per target. */
  concurrency: number;
  /** First retry delay (ms); doubles per attempt, with jitter. */
  retryBaseMs: number;
  /** Longest delay between retries (ms). */
  retryMaxMs: number;
  /** Attempts before a change that fails for good becomes a dead letter. */
  maxAttempts: number;
  /** How often the peers are reloaded from WordPress without a nudge (ms). */
  reloadMs: number;
  /** How long a replica's claim on a target lasts without renewal (ms). */
  leaseMs: number;
}

export const DEFAULT_OUTBOUND_SETTINGS: OutboundSettings = {
  pollMs: 5_000,
  pageSize: 200,
  concurrency: 4,
  retryBaseMs: 500,
  retryMaxMs: 15_000,
  maxAttempts: 4,
  reloadMs: 30_000,
  leaseMs: 30_000,
};

const integer = (name: string, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return undefined;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a whole number from ${min} to ${max}`,
        });
        return z.NEVER;
      }
      return parsed;
    });

const schema = z.object({
  OUTBOUND_POLL_MS: integer('OUTBOUND_POLL_MS', 100, 3_600_000),
  OUTBOUND_PAGE_SIZE: integer('OUTBOUND_PAGE_SIZE', 1, 1000),
  OUTBOUND_CONCURRENCY: integer('OUTBOUND_CONCURRENCY', 1, 32),
  OUTBOUND_RETRY_BASE_MS: integer('OUTBOUND_RETRY_BASE_MS', 10, 600_000),
  OUTBOUND_RETRY_MAX_MS: integer('OUTBOUND_RETRY_MAX_MS', 10, 3_600_000),
  OUTBOUND_MAX_ATTEMPTS: integer('OUTBOUND_MAX_ATTEMPTS', 1, 100),
});

/** Reads OUTBOUND_* variables; throws ConfigError listing every bad one. */
export function loadOutboundSettings(env: NodeJS.ProcessEnv = process.env): OutboundSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => issue.message));
  const c = parsed.data;
  return {
    ...DEFAULT_OUTBOUND_SETTINGS,
    ...(c.OUTBOUND_POLL_MS !== undefined ? { pollMs: c.OUTBOUND_POLL_MS } : {}),
    ...(c.OUTBOUND_PAGE_SIZE !== undefined ? { pageSize: c.OUTBOUND_PAGE_SIZE } : {}),
    ...(c.OUTBOUND_CONCURRENCY !== undefined ? { concurrency: c.OUTBOUND_CONCURRENCY } : {}),
    ...(c.OUTBOUND_RETRY_BASE_MS !== undefined ? { retryBaseMs: c.OUTBOUND_RETRY_BASE_MS } : {}),
    ...(c.OUTBOUND_RETRY_MAX_MS !== undefined ? { retryMaxMs: c.OUTBOUND_RETRY_MAX_MS } : {}),
    ...(c.OUTBOUND_MAX_ATTEMPTS !== undefined ? { maxAttempts: c.OUTBOUND_MAX_ATTEMPTS } : {}),
  };
}
