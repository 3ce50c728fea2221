// Sidecar configuration from environment variables, validated up front: a bad value stops
// start-up with one clear line per problem instead of failing later at first use.
import { isIP } from 'node:net';
import { z } from 'zod';

const url = (name: string) =>
  z
    .string({ error: `${name} is required` })
    .trim()
    .refine((value) => /^https?:\/\/[^\s/]+/.test(value), `${name} must be an http(s) URL`)
    .transform((value) => value.replace(/\/+$/, ''));

const integer = (name: string, fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
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

/**
 * Whether a listen address reaches only this machine: 127.0.0.0/8, ::1 (also IPv4-mapped)
 * or the name localhost. Anything else (0.0.0.0, ::, a LAN address, a host name) may be
 * reached from the network.
 */
export function isLoopbackHost(host: string): boolean {
  const value = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (value === 'localhost') return true;
  if (isIP(value) === 4) return value.startsWith('127.');
  if (isIP(value) === 6) return value === '::1' || /^::ffff:127\./.test(value);
  return false;
}

const schema = z.object({
  WP_URL: url('WP_URL'),
  WP_USER: z.string({ error: 'WP_USER is required' }).trim().min(1, 'WP_USER is required'),
  WP_APP_PASSWORD: z
    .string({ error: 'WP_APP_PASSWORD is required' })
    .trim()
    .min(1, 'WP_APP_PASSWORD is required'),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: integer('PORT', 8787, 0, 65535),
  PUBLIC_URL: url('PUBLIC_URL').optional(),
  SQLITE_PATH: z.string().trim().min(1).default('.usersync/sidecar.sqlite'),
  DATABASE_URL: z
    .string()
    .trim()
    .refine((value) => /^postgres(ql)?:\/\//.test(value), 'DATABASE_URL must be a postgres:// URL')
    .optional(),
  SIDECAR_API_KEY: z
    .string()
    .trim()
    .min(16, 'SIDECAR_API_KEY must be at least 16 characters')
    .optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  WP_TIMEOUT_MS: integer('WP_TIMEOUT_MS', 15_000, 100, 600_000),
  WP_RETRIES: integer('WP_RETRIES', 3, 0, 10),
  /** How long a run rides out an outage before it stops as interrupted (resumed later). */
  RUN_PATIENCE_MINUTES: integer('RUN_PATIENCE_MINUTES', 30, 1, 24 * 60),
  /** How often a running run records a sign of life in the store. */
  RUN_HEARTBEAT_SECONDS: integer('RUN_HEARTBEAT_SECONDS', 5, 1, 300),
  /** A run without a sign of life for this long is taken over by another replica. */
  RUN_STALE_SECONDS: integer('RUN_STALE_SECONDS', 60, 2, 3600),
  /** First wait before an interrupted run is resumed (doubling up to 15 minutes). */
  RUN_RESUME_SECONDS: integer('RUN_RESUME_SECONDS', 30, 1, 900),
  SCIM_RATE_LIMIT: integer('SCIM_RATE_LIMIT', 50, 1, 100_000),
  SCIM_RATE_BURST: integer('SCIM_RATE_BURST', 200, 1, 1_000_000),
});

export interface Config {
  wordpress: { url: string; user: string; appPassword: string; timeoutMs: number; retries: number };
  /** Runs: how long an outage of Graph, WordPress or the store is waited out. */
  runPatienceMs: number;
  /** Runs: heartbeat interval, the silence after which a run counts as dead, first resume wait. */
  runs: { heartbeatMs: number; staleMs: number; resumeBaseMs: number };
  http: { host: string; port: number; publicUrl: string };
  store: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  /** SIDECAR_API_KEY; null only when the sidecar listens on loopback (see isLoopbackHost). */
  apiKey: string | null;
  logLevel: string;
  /** Per-token SCIM rate limit: sustained requests per second and burst size. */
  scimRateLimit: { requestsPerSecond: number; burst: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    // One problem is one line; several are listed one per line.
    super(
      problems.length === 1
        ? `Invalid configuration: ${problems[0]}`
        : `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Reads the configuration; throws ConfigError listing every bad or missing variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Treat empty variables as unset, as shells and compose files often export them empty.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(present);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => describe(issue));
  // Without the key the API that runs syncs and reloads sources is open to whoever reaches
  // the port: acceptable on loopback for local development, never on the network.
  const host = String(present.HOST ?? '127.0.0.1').trim() || '127.0.0.1';
  if (!present.SIDECAR_API_KEY?.trim() && !isLoopbackHost(host)) {
    problems.push(
      `SIDECAR_API_KEY is required when HOST is not a loopback address (HOST=${host}): set it to the value of USERSYNC_SIDECAR_KEY in wp-config.php, or listen on 127.0.0.1`,
    );
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const c = parsed.data;
  return {
    wordpress: {
      url: c.WP_URL,
      user: c.WP_USER,
      appPassword: c.WP_APP_PASSWORD,
      timeoutMs: c.WP_TIMEOUT_MS,
      retries: c.WP_RETRIES,
    },
    runPatienceMs: c.RUN_PATIENCE_MINUTES * 60_000,
    runs: {
      heartbeatMs: c.RUN_HEARTBEAT_SECONDS * 1000,
      // Several heartbeats must be missed before a run is taken over.
      staleMs: Math.max(c.RUN_STALE_SECONDS, c.RUN_HEARTBEAT_SECONDS * 2) * 1000,
      resumeBaseMs: c.RUN_RESUME_SECONDS * 1000,
    },
    http: {
      host: c.HOST,
      port: c.PORT,
      publicUrl:
        c.PUBLIC_URL ?? `http://${c.HOST.includes(':') ? `[${c.HOST}]` : c.HOST}:${c.PORT}`,
    },
    store: c.DATABASE_URL
      ? { kind: 'postgres', url: c.DATABASE_URL }
      : { kind: 'sqlite', path: c.SQLITE_PATH },
    apiKey: c.SIDECAR_API_KEY ?? null,
    logLevel: c.LOG_LEVEL,
    scimRateLimit: { requestsPerSecond: c.SCIM_RATE_LIMIT, burst: c.SCIM_RATE_BURST },
  };
}

function describe(issue: z.core.$ZodIssue): string {
  const name = issue.path.join('.');
  return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
}
