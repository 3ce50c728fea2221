// A Salesforce org emulator for tests, benchmarks and the local demo. One base URL serves both
// the login host (`/services/oauth2/token`, `/authorize`, `/revoke`, `/userinfo`) and the
// instance (`/services/data/vNN.0/…`), and the token answer's `instance_url` points at it, so
// clients must follow it. It follows Salesforce's documented contract:
//
// - OAuth (oauth.ts): client credentials (refused on the generic login host), JWT bearer
//   (RS256), web server flow + refresh token; answers without `expires_in`; an expired or
//   revoked session answers 401 INVALID_SESSION_ID on every API call.
// - `GET /services/data` (versions) and `/services/data/vNN.0/` (resources); an unknown
//   version is 404 NOT_FOUND.
// - Describe, records, upsert, query/queryAll with locators, Get Updated/Deleted (rest.ts);
//   sObject Collections (collections.ts); SOQL subset (soql.ts); Bulk API 2.0 ingest
//   (bulk2.ts); Change Data Capture over CometD (cometd.ts).
// - `Sforce-Limit-Info: api-usage=N/M` on every REST answer except `/services/data`; past
//   the daily allocation 403 REQUEST_LIMIT_EXCEEDED (limits.ts).
// - Errors in the REST envelope `[{"message","errorCode","fields"?}]`.
//
// Tests drive it through the returned object or the control API under `/_emulator`
// (control.ts): seed, create/update/delete/undelete/merge records, clock, limits, faults
// (`{status, errorCode, recordError, match, method, count, every, delayMs, drop}`), session
// expiry and request stats.
import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import express from 'express';
import type { NextFunction, Request, Response } from 'express';

import { applyFault, firingFault } from '../faults.js';

import { bulk2Router } from './bulk2.js';
import { ChangeLog, cometdRouter } from './cometd.js';
import type { CometdSettings } from './cometd.js';
import { newStats, sfError } from './context.js';
import type { ActiveFault, Context, Fault, Stats } from './context.js';
import { controlRouter } from './control.js';
import { Limits } from './limits.js';
import type { LimitSettings } from './limits.js';
import { INVALID_SESSION, oauthRouter, Sessions, signAssertion } from './oauth.js';
import { formatDatetime, Org, ORG_ID, parseDatetime, USER_ID } from './org.js';
import type { WriteOrigin } from './org.js';
import { fullRecord, versionRouter } from './rest.js';
import { seedOrg } from './seed.js';
import type { SeedOptions } from './seed.js';

export { Org, WriteError, formatDatetime, parseDatetime, normalizeId, to18 } from './org.js';
export type { ChangeRecord, RecordError, StoredRecord, WriteOrigin } from './org.js';
export type { Fault, Stats } from './context.js';
export { seededContact } from './seed.js';
export type { SeedOptions } from './seed.js';
export { signAssertion } from './oauth.js';
export { ChangeLog } from './cometd.js';
export type { ChangeEventMessage, CometdSettings } from './cometd.js';
export { standardObjects } from './objects.js';

/** API versions the org serves (`GET /services/data`); the last is the newest. */
export const API_VERSIONS = Array.from({ length: 64 - 31 + 1 }, (_v, i) => `${31 + i}.0`);

export interface SalesforceEmulatorOptions extends SeedOptions {
  port?: number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** The integration user (`sub` of JWT assertions). */
  username?: string;
  /** RS256 key pair for the JWT bearer flow (default: generated at start). */
  privateKeyPem?: string;
  publicKeyPem?: string;
  /**
   * Host name (without port) that plays login.salesforce.com: client credentials sent there
   * are refused ("request not supported on this domain"). E.g. `localhost` while the
   * emulator's URL uses 127.0.0.1.
   */
  genericLoginHost?: string;
  /** Session timeout without use, in seconds (default 7200). */
  sessionSeconds?: number;
  /**
   * Concurrent long-running requests allowed (default 25, production orgs; 5 on Developer
   * Edition): while this many API requests have run for `longRunningMs` (default 20,000)
   * or more, further API requests are refused with 403 REQUEST_LIMIT_EXCEEDED
   * "ConcurrentRequests (Concurrent API Requests) Limit exceeded." (Developer Limits and
   * Allocations, "Concurrent API Request Limits").
   */
  concurrentLongRunning?: number;
  longRunningMs?: number;
  /** CometD timings (long-poll timeout, reconnect window, retention) and CDC-enabled objects. */
  cometd?: Partial<CometdSettings>;
  /** How long a closed Bulk API 2.0 job waits before it is processed (default 50 ms). */
  bulkProcessDelayMs?: number;
  /** Daily API request allocation (default 100,000) and requests already used. */
  limits?: LimitSettings;
}

export interface SalesforceEmulator {
  /** Base URL: the login URL and the instance URL. */
  url: string;
  loginUrl: string;
  instanceUrl: string;
  /** Newest API version served, e.g. `64.0`. */
  apiVersion: string;
  versions: string[];
  clientId: string;
  clientSecret: string;
  username: string;
  privateKeyPem: string;
  publicKeyPem: string;
  orgId: string;
  userId: string;
  org: Org;
  limits: Limits;
  stats: Stats;
  faults: ActiveFault[];
  /** Retained change events (CDC) and their replay ids. */
  changes: ChangeLog;
  /**
   * Publishes a gap event for an object (GAP_OVERFLOW: "more than 100,000 changes in one
   * transaction"; GAP_* for changes the event bus could not describe); returns its replay id.
   */
  emitGap(
    entity: string,
    changeType: 'GAP_CREATE' | 'GAP_UPDATE' | 'GAP_DELETE' | 'GAP_UNDELETE' | 'GAP_OVERFLOW',
    recordIds?: string[],
  ): number;
  /**
   * Publishes a change event without changing any record (fields as they appear in the
   * payload, changedFields = their names for UPDATE); returns its replay id.
   */
  emitChange(
    entity: string,
    changeType: 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE',
    recordIds: string[],
    fields?: Record<string, unknown>,
    changeOrigin?: string,
  ): number;
  /** Creates seeded records (see SeedOptions); returns their Ids. */
  seed(options: SeedOptions): { contacts: string[]; leads: string[]; accounts: string[] };
  /** Writes as an admin in the UI would (no changeOrigin), or as `origin` says. */
  create(type: string, fields: Record<string, unknown>, origin?: WriteOrigin): string;
  update(id: string, fields: Record<string, unknown>, origin?: WriteOrigin): void;
  delete(id: string, origin?: WriteOrigin): void;
  undelete(id: string): void;
  /** Merges losers (1 or 2) into the master: losers deleted with MasterRecordId. */
  merge(masterId: string, loserIds: string[]): void;
  /** A system-only change: SystemModstamp moves, LastModifiedDate does not, no event. */
  touch(id: string): void;
  /** A record as `GET /sobjects/{T}/{id}` shows it (deleted ones too), or undefined. */
  record(id: string): Record<string, unknown> | undefined;
  /** Sets the org clock (ISO string or epoch ms); `freeze` stops it there. */
  setClock(now: string | number, options?: { freeze?: boolean }): void;
  advance(ms: number): void;
  clock(): { now: string; frozen: boolean };
  setLimit(settings: LimitSettings): void;
  fault(fault: Fault): void;
  clearFaults(): void;
  /** Every access token issued so far stops working (401 INVALID_SESSION_ID). */
  expireTokens(): void;
  revokeRefreshTokens(): void;
  /** A JWT bearer assertion signed with the emulator's key (claims override the defaults). */
  assertion(claims?: Record<string, unknown>): string;
  /** An access token for tests that skip the OAuth dance. */
  token(): string;
  resetStats(): void;
  /**
   * A fresh org: every record and retained change event gone, clock, limits, faults and stats
   * reset, then seeded with `options` (sessions stay valid).
   */
  reset(options?: SeedOptions): { contacts: string[]; leads: string[]; accounts: string[] };
  close(): Promise<void>;
}

function routeKey(path: string): string {
  if (/^\/services\/data\/v[\d.]+\/?$/.test(path)) return '/services/data/{version}/';
  return path
    .replace(/^\/services\/data\/v\d+\.\d+/, '')
    .replace(/^(\/sobjects\/[^/]+\/(?!describe|updated|deleted)[^/]+)\/[^/]+$/, '$1/{value}')
    .replace(/\/(query|queryAll)\/01g[A-Za-z0-9]+-\d+$/, '/$1/{locator}')
    .replace(/\/jobs\/ingest\/[A-Za-z0-9]{15,18}/, '/jobs/ingest/{id}')
    .replace(/\/[A-Za-z0-9]{3}5g[A-Za-z0-9]{10,13}(?=\/|$)/, '/{id}')
    .replace(/^\/cometd\/[\d.]+/, '/cometd/{version}');
}

export async function startSalesforceEmulator(
  options: SalesforceEmulatorOptions = {},
): Promise<SalesforceEmulator> {
  const keys =
    options.privateKeyPem && options.publicKeyPem
      ? { privateKey: options.privateKeyPem, publicKey: options.publicKeyPem }
      : crypto.generateKeyPairSync('rsa', {
          modulusLength: 2048,
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        });
  const clientId =
    options.clientId ??
    '3MVG9emulatorUserSyncConsumerKey0000000000000000000000000000000000000000000000000';
  const clientSecret =
    options.clientSecret ?? 'EMULATOR0CONSUMER0SECRET0000000000000000000000000000000000000000';
  const username = options.username ?? 'integration@usersync.example';
  const apiVersion = API_VERSIONS[API_VERSIONS.length - 1]!;
  const org = new Org();
  const limits = new Limits(options.limits);
  const stats = newStats();
  const faults: ActiveFault[] = [];
  const ctx: Context = { org, limits, faults, stats };
  const oauthSettings = {
    clientId,
    clientSecret,
    username,
    publicKeyPem: keys.publicKey,
    genericLoginHost: options.genericLoginHost,
    sessionSeconds: options.sessionSeconds ?? 7200,
  };
  const sessions = new Sessions(oauthSettings, Date.now);
  const changes = new ChangeLog(org, options.cometd);
  let url = '';
  const self: { emulator?: SalesforceEmulator } = {};

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(
    '/_emulator',
    controlRouter(() => self.emulator!),
  );

  // Long-running requests in flight (start times), for the concurrent request limit.
  const inFlight = new Set<{ started: number }>();
  const longRunningMs = options.longRunningMs ?? 20_000;
  const concurrentLongRunning = options.concurrentLongRunning ?? 25;

  // Faults and counting apply to everything but the control API.
  app.use((req: Request, res: Response, next: NextFunction) => {
    stats.total++;
    const key = `${req.method} ${routeKey(req.path)}`;
    stats.requests[key] = (stats.requests[key] ?? 0) + 1;
    const api = /^\/services\/data\/v[\d.]+\//.test(req.path);
    if (api) {
      const now = Date.now();
      let long = 0;
      for (const entry of inFlight) if (now - entry.started >= longRunningMs) long++;
      if (long >= concurrentLongRunning) {
        res.setHeader('Sforce-Limit-Info', limits.header());
        return sfError(
          res,
          403,
          'REQUEST_LIMIT_EXCEEDED',
          'ConcurrentRequests (Concurrent API Requests) Limit exceeded.',
        );
      }
      const entry = { started: now };
      inFlight.add(entry);
      res.on('close', () => inFlight.delete(entry));
    }
    if (api && req.method !== 'GET' && !/\/composite\/sobjects\/[^/]+$/.test(req.path)) {
      stats.writes++;
    }
    // Per-record errors are the collections' to answer (collections.ts).
    const fault = firingFault(
      faults.filter((f) => !f.recordError),
      req,
    );
    if (!fault) return next();
    stats.faulted++;
    applyFault(fault, req, next, (status) => {
      if (api) res.setHeader('Sforce-Limit-Info', limits.header());
      const [code, message] =
        status === 403
          ? ['REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.']
          : status === 503
            ? ['SERVER_UNAVAILABLE', 'Server is temporarily unavailable. Please try again later.']
            : status === 401
              ? ['INVALID_SESSION_ID', 'Session expired or invalid']
              : [
                  'UNKNOWN_EXCEPTION',
                  'An unexpected error occurred. Please include this ErrorId if you contact support: 1803838296-101810 (-1178430129)',
                ];
      sfError(res, status, fault.errorCode ?? code, fault.message ?? message);
    });
  });

  app.use(
    '/services/oauth2',
    oauthRouter(oauthSettings, sessions, () => url),
  );

  // "Versions" (REST API Developer Guide): no authentication, no Sforce-Limit-Info.
  app.get('/services/data', (_req, res) => {
    res.json(
      API_VERSIONS.map((version) => ({
        label: `Emulated release ${version}`,
        url: `/services/data/v${version}`,
        version,
      })),
    );
  });

  const versioned = express.Router({ mergeParams: true });
  versioned.use((req: Request, res: Response, next: NextFunction) => {
    const version = String(req.params.version);
    if (!API_VERSIONS.includes(version)) {
      return sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    if (!sessions.check(req.headers.authorization)) {
      return res.status(401).json(INVALID_SESSION);
    }
    // The resource map of a version does not count and carries no Limit Info either.
    if (req.path === '/' || req.path === '') return next();
    if (limits.exceeded) {
      res.setHeader('Sforce-Limit-Info', limits.header());
      return sfError(res, 403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    }
    limits.used++;
    res.setHeader('Sforce-Limit-Info', limits.header());
    next();
  });
  versioned.use('/jobs/ingest', bulk2Router(ctx, options.bulkProcessDelayMs ?? 50));
  versioned.use(versionRouter(ctx));
  app.use('/services/data/v:version', versioned);

  // The identity URL of the token answer (`id`), "Identity URLs".
  app.get('/id/:org/:user', (req, res) => {
    if (!sessions.check(req.headers.authorization))
      return res.status(403).type('text/plain').send('Bad_OAuth_Token');
    res.json({
      id: `${url}/id/${ORG_ID}/${USER_ID}`,
      organization_id: ORG_ID,
      user_id: USER_ID,
      username,
      display_name: 'Integration User',
      urls: {
        rest: `${url}/services/data/v{version}/`,
        sobjects: `${url}/services/data/v{version}/sobjects/`,
      },
      active: true,
      user_type: 'STANDARD',
    });
  });

  app.use('/cometd', cometdRouter(changes, sessions, API_VERSIONS));

  app.use((req: Request, res: Response) =>
    sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist'),
  );
  app.use(
    (
      error: Error & { type?: string; status?: number },
      _req: Request,
      res: Response,
      _next: NextFunction,
    ) => {
      if (error.type === 'entity.parse.failed') {
        return sfError(res, 400, 'JSON_PARSER_ERROR', `Unexpected character: ${error.message}`);
      }
      if (error.status === 413) return sfError(res, 413, 'REQUEST_ENTITY_TOO_LARGE', error.message);
      sfError(res, 500, 'UNKNOWN_EXCEPTION', error.message);
    },
  );

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  if (options.contacts || options.leads || options.accounts) seedOrg(org, options);

  const emulator: SalesforceEmulator = {
    url,
    loginUrl: url,
    instanceUrl: url,
    apiVersion,
    versions: API_VERSIONS,
    clientId,
    clientSecret,
    username,
    privateKeyPem: keys.privateKey,
    publicKeyPem: keys.publicKey,
    orgId: ORG_ID,
    userId: USER_ID,
    org,
    limits,
    stats,
    faults,
    changes,
    emitGap: (entity, changeType, recordIds = []) => changes.gap(entity, changeType, recordIds),
    emitChange: (entity, changeType, recordIds, fields = {}, changeOrigin = '') =>
      changes.inject(entity, changeType, recordIds, fields, changeOrigin),
    seed: (seedOptions) => seedOrg(org, { seed: options.seed, ...seedOptions }),
    create: (type, fields, origin = { api: 'control' }) => org.create(type, fields, origin),
    update: (id, fields, origin = { api: 'control' }) => org.update(id, fields, origin),
    delete: (id, origin = { api: 'control' }) => org.delete(id, origin),
    undelete: (id) => org.undelete(id, { api: 'control' }),
    merge: (masterId, loserIds) => org.merge(masterId, loserIds, { api: 'control' }),
    touch: (id) => org.touch(id),
    record: (id) => {
      const record = org.get(id);
      return record ? fullRecord(ctx, record, apiVersion) : undefined;
    },
    setClock: (now, { freeze = false } = {}) => {
      const ms = typeof now === 'number' ? now : parseDatetime(now);
      if (Number.isNaN(ms)) throw new Error(`Not a datetime: ${String(now)}`);
      org.clock.set(ms, freeze);
    },
    advance: (ms) => org.clock.advance(ms),
    clock: () => ({ now: formatDatetime(org.clock.now()), frozen: org.clock.isFrozen }),
    setLimit: (settings) => limits.set(settings),
    fault: (fault) => faults.push({ ...fault, seen: 0 }),
    clearFaults: () => {
      faults.length = 0;
    },
    expireTokens: () => sessions.expireAll(),
    revokeRefreshTokens: () => sessions.revokeRefreshTokens(),
    assertion: (claims = {}) =>
      signAssertion(
        {
          iss: clientId,
          sub: username,
          aud: url,
          exp: Math.floor(Date.now() / 1000) + 170,
          ...claims,
        },
        keys.privateKey,
      ),
    token: () => sessions.issue(clientId, username).token,
    resetStats: () => {
      Object.assign(stats, newStats());
    },
    reset: (seedOptions = {}) => {
      org.clear();
      changes.clear();
      limits.set({ dailyMax: options.limits?.dailyMax ?? 100_000, used: 0 });
      faults.length = 0;
      Object.assign(stats, newStats());
      return seedOrg(org, { seed: options.seed, ...seedOptions });
    },
    close: () =>
      new Promise<void>((resolve) => {
        changes.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  self.emulator = emulator;
  return emulator;
}
