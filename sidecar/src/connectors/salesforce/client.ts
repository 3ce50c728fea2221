// The typed Salesforce REST client: OAuth 2.0 sign-in (client credentials, JWT bearer signed
// with node:crypto, refresh token) against `<loginUrl>/services/oauth2/token`, every call
// under the pinned `/services/data/v<apiVersion>` of the `instance_url` the token answer
// names, SOQL pages that follow `nextRecordsUrl` only on that host, sObject Collections,
// Bulk API 2.0 ingest jobs (CSV uploads and results, read with csv-parse), and the API budget read from every answer's `Sforce-Limit-Info`.
//
// Salesforce's token answers carry no `expires_in` (session timeout is org policy), so the
// token is kept until an API call answers 401 INVALID_SESSION_ID, then fetched again once.
// Retries (shared `retry.ts`: backoff with jitter, a run's patience inside a run): 5xx,
// UNABLE_TO_LOCK_ROW, network failures, and 403 REQUEST_LIMIT_EXCEEDED — Salesforce's
// throttling answer, which has no Retry-After, so it is waited out with a longer
// exponential backoff and ends as a transient SalesforceError.
import axios from 'axios';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { createSign } from 'node:crypto';
import type { Logger } from '../../logger.js';
import { bearerApiHttp } from '../http.js';
import { markTransient, sleep, withRetries } from '../../retry.js';
import { SourceError } from '../types.js';
import { DescribeCache, describeGlobalSchema, objectDescribeSchema } from './describe.js';
import type { DescribeGlobalObject, ObjectDescribe } from './describe.js';
import type { SalesforceSettings } from './settings.js';

export type { DescribeGlobalObject, ObjectDescribe } from './describe.js';

/** A Salesforce or sign-in failure, after retries. */
export class SalesforceError extends SourceError {
  override name = 'SalesforceError';
  constructor(
    message: string,
    status: number,
    /** Salesforce `errorCode` / `statusCode`, or the OAuth `error`. */
    readonly errorCode: string,
    readonly fields: string[] = [],
    /** True when waiting may fix it: 5xx, UNABLE_TO_LOCK_ROW, REQUEST_LIMIT_EXCEEDED, network. */
    readonly transient = false,
  ) {
    super(message, status, errorCode);
    if (transient) markTransient(this);
  }
}

/** The API budget as the last answer's `Sforce-Limit-Info: api-usage=N/M` told it. */
export interface ApiUsage {
  used: number;
  max: number;
  /** When it was read (epoch ms). */
  at: number;
}

export interface RecordResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors: { statusCode: string; message: string; fields: string[] }[];
}

export interface RetryPolicy {
  /** Retries outside a run (a run retries for its patience). */
  retries: number;
  /** First backoff of a failed call. */
  baseMs: number;
  /** First backoff after 403 REQUEST_LIMIT_EXCEEDED (no Retry-After exists). */
  limitBaseMs: number;
  /** Longest single wait. */
  maxDelayMs: number;
}

export interface SalesforceClientDeps {
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  /** Told of every api-usage read (metrics). */
  onUsage?(usage: ApiUsage): void;
  /** How long a describe is used before it is revalidated (default 10 minutes). */
  describeMaxAgeMs?: number;
}

export interface SalesforceToken {
  accessToken: string;
  instanceUrl: string;
  /** The identity URL (`<login>/id/<orgId>/<userId>`). */
  id: string | null;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is with its content type instead (a Bulk API 2.0 CSV upload: `text/csv`). */
  raw?: { data: string; type: string };
  /** Reads the answer as text (Bulk API 2.0 results are CSV); error answers are still read as JSON. */
  text?: boolean;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface QueryPage<T> {
  records: T[];
  totalSize: number;
  done: boolean;
}

/** A Bulk API 2.0 ingest job's operation. */
export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';

/** Bulk API 2.0 job states; the last three are final. */
export type JobState =
  'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

/** `GET /jobs/ingest/{id}` (the fields a client relies on). */
export interface JobInfo {
  id: string;
  state: JobState;
  object: string;
  operation: IngestOperation;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  errorMessage: string | null;
}

/** A row of an ingest job's results: `sf__Id`, `sf__Created` or `sf__Error`, the uploaded columns. */
export type JobResultRow = Record<string, string>;

/** How a wait for an ingest job polls (Salesforce processes jobs asynchronously). */
export interface JobWait {
  /** First wait between polls (doubles up to maxMs). */
  firstMs?: number;
  maxMs?: number;
  /** Gives up (the job keeps running in Salesforce) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const FINAL_STATES = new Set<JobState>(['JobComplete', 'Failed', 'Aborted']);

/** Bulk API 2.0 CSV's null: "#N/A" sets a field to null (an empty field leaves it alone). */
export const CSV_NULL = '#N/A';

/** Records per sObject Collections call (Salesforce refuses more: EXCEEDED_ID_LIMIT). */
export const COLLECTION_LIMIT = 200;

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const TRANSIENT_CODES = new Set([
  'UNABLE_TO_LOCK_ROW',
  'REQUEST_LIMIT_EXCEEDED',
  'SERVER_UNAVAILABLE',
  'QUERY_TIMEOUT',
]);

/** `Sforce-Limit-Info: api-usage=10018/100000; api-bursts=1/750` → the api-usage part. */
export function parseLimitInfo(header: unknown, now = Date.now()): ApiUsage | null {
  if (typeof header !== 'string') return null;
  for (const part of header.split(/[;,]/)) {
    const match = /^\s*api-usage\s*=\s*(\d+)\s*\/\s*(\d+)\s*$/i.exec(part);
    if (match) return { used: Number(match[1]), max: Number(match[2]), at: now };
  }
  return null;
}

/** An RS256 JWT for the OAuth 2.0 JWT bearer flow. */
export function jwtAssertion(
  settings: Pick<SalesforceSettings, 'clientId' | 'username' | 'loginUrl' | 'privateKey'>,
  now = Date.now(),
): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'RS256', typ: 'JWT' });
  // Salesforce: `exp` within 3 minutes (10 s kept back for a server clock a little behind
  // ours); `aud` the login URL (login/test/My Domain).
  const claims = encode({
    iss: settings.clientId,
    sub: settings.username,
    aud: settings.loginUrl,
    exp: Math.floor(now / 1000) + 170,
  });
  const signer = createSign('RSA-SHA256');
  signer.update(`${header}.${claims}`);
  const signature = signer.sign(settings.privateKey).toString('base64url');
  return `${header}.${claims}.${signature}`;
}

export class SalesforceClient {
  private readonly http: AxiosInstance;
  private readonly policy: RetryPolicy;
  private token: SalesforceToken | null = null;
  private tokenRequest: Promise<SalesforceToken> | null = null;
  private readonly describes: DescribeCache;
  private latestUsage: ApiUsage | null = null;
  /** Latest api-usage read from Sforce-Limit-Info (null before the first answer). */
  get usage(): ApiUsage | null {
    return this.latestUsage;
  }
  /** Counts of calls made, by kind, for benchmarks and tests. */
  readonly calls = { query: 0, write: 0, other: 0 };
  /** Calls answered 403 REQUEST_LIMIT_EXCEEDED. */
  throttled = 0;

  constructor(
    readonly settings: SalesforceSettings,
    private readonly deps: SalesforceClientDeps,
  ) {
    this.policy = {
      retries: settings.retries,
      baseMs: 500,
      limitBaseMs: 5_000,
      maxDelayMs: 120_000,
      ...deps.retry,
    };
    this.http = bearerApiHttp({ timeoutMs: settings.timeoutMs, maxSockets: 16 });
    this.describes = new DescribeCache(async (object, previous) => {
      const response = await this.request<unknown>(
        'GET',
        `/sobjects/${encodeURIComponent(object)}/describe`,
        previous?.lastModified ? { headers: { 'If-Modified-Since': previous.lastModified } } : {},
      );
      if (response.status === 304 && previous) return previous;
      return {
        describe: objectDescribeSchema.parse(response.data),
        lastModified: response.headers['last-modified'] ?? null,
      };
    }, deps.describeMaxAgeMs);
  }

  /** `/services/data/v62.0`: the pinned version's base path. */
  get basePath(): string {
    return `/services/data/v${this.settings.apiVersion}`;
  }

  /** A token, from the cache or signed in anew. */
  async signIn(signal?: AbortSignal): Promise<SalesforceToken> {
    if (this.token) return this.token;
    this.tokenRequest ??= this.fetchToken(signal).finally(() => {
      this.tokenRequest = null;
    });
    this.token = await this.tokenRequest;
    return this.token;
  }

  /** Forgets the token (the next call signs in again). */
  forgetToken(): void {
    this.token = null;
  }

  private async fetchToken(signal?: AbortSignal): Promise<SalesforceToken> {
    const { settings } = this;
    const form = new URLSearchParams();
    if (settings.flow === 'client_credentials') {
      form.set('grant_type', 'client_credentials');
      form.set('client_id', settings.clientId);
      form.set('client_secret', settings.clientSecret);
    } else if (settings.flow === 'jwt') {
      let assertion: string;
      try {
        assertion = jwtAssertion(settings);
      } catch (error) {
        throw new SalesforceError(
          `The private key cannot sign the sign-in request: ${(error as Error).message}`,
          0,
          'invalid_private_key',
        );
      }
      form.set('grant_type', 'urn:ietf:params:oauth:grant-type:jwt-bearer');
      form.set('assertion', assertion);
    } else {
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', settings.refreshToken);
      form.set('client_id', settings.clientId);
      if (settings.clientSecret) form.set('client_secret', settings.clientSecret);
    }
    const path = '/services/oauth2/token';
    const response = await this.send(
      () =>
        this.http.post(`${settings.loginUrl}${path}`, form.toString(), {
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            Accept: 'application/json',
          },
          signal,
        }),
      'POST',
      path,
      signal,
    );
    const data = (response.data ?? {}) as {
      access_token?: unknown;
      instance_url?: unknown;
      id?: unknown;
      error?: unknown;
      error_description?: unknown;
    };
    if (response.status !== 200 || typeof data.access_token !== 'string') {
      throw tokenError(response.status, data, settings);
    }
    const instanceUrl = typeof data.instance_url === 'string' ? data.instance_url : '';
    if (!/^https?:\/\/[^\s/]+/.test(instanceUrl)) {
      throw new SalesforceError(
        'Salesforce signed in but named no instance URL',
        response.status,
        'invalid_instance_url',
      );
    }
    return {
      accessToken: data.access_token,
      instanceUrl: new URL(instanceUrl).origin,
      id: typeof data.id === 'string' ? data.id : null,
    };
  }

  /**
   * Any REST call under `/services/data/v<apiVersion>`; `path` relative to it
   * (`/sobjects/Contact/describe`), or a `/services/…` path the instance answered with
   * (`nextRecordsUrl`). Retries transient failures; signs in again once on 401.
   */
  async request<T>(
    method: Method,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; data: T; headers: Record<string, string> }> {
    const write = method !== 'GET';
    const kind = /^\/(query|queryAll)(\/|\?|$)/.test(path.replace(/^\/services\/data\/v[\d.]+/, ''))
      ? 'query'
      : write
        ? 'write'
        : 'other';
    let signedInAgain = false;
    for (;;) {
      const token = await this.signIn(options.signal);
      const url = this.resolve(token, path);
      const headers: Record<string, string> = {
        Authorization: `Bearer ${token.accessToken}`,
        Accept: options.text ? 'text/csv, application/json' : 'application/json',
        ...(options.raw
          ? { 'Content-Type': options.raw.type }
          : options.body === undefined
            ? {}
            : { 'Content-Type': 'application/json' }),
        ...(write && this.settings.callOptionsClient
          ? { 'Sforce-Call-Options': `client=${this.settings.callOptionsClient}` }
          : {}),
        ...options.headers,
      };
      this.calls[kind]++;
      const response = await this.send(
        () =>
          this.http.request({
            url,
            method,
            data:
              options.raw?.data ??
              (options.body === undefined ? undefined : JSON.stringify(options.body)),
            params: options.query,
            headers,
            signal: options.signal,
            ...(options.text
              ? {
                  responseType: 'text' as const,
                  // Errors keep Salesforce's JSON envelope: read it as such.
                  transformResponse: (data: unknown, _headers: unknown, status?: number) =>
                    typeof data === 'string' && (status ?? 200) >= 400 ? jsonOrText(data) : data,
                }
              : {}),
          }),
        method,
        path.split('?')[0]!,
        options.signal,
        // A create sent twice would create twice: only reads and idempotent writes are
        // resent after a network failure (the outbox redelivers the rest).
        method !== 'POST' || kind === 'query',
      );
      if (response.status === 401 && !signedInAgain) {
        // Sessions end by org policy (no expires_in): sign in again, once.
        signedInAgain = true;
        if (this.token?.accessToken === token.accessToken) this.token = null;
        continue;
      }
      if (response.status >= 400) throw restError(response, method, path);
      return {
        status: response.status,
        data: response.data as T,
        headers: flatHeaders(response),
      };
    }
  }

  /** `GET /services/data`: the API versions the instance serves. */
  async versions(signal?: AbortSignal): Promise<{ version: string; label: string; url: string }[]> {
    const { data } = await this.request<unknown>('GET', '/services/data', { signal });
    if (!Array.isArray(data)) return [];
    return data
      .filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
      .map((v) => ({
        version: String(v.version),
        label: String(v.label ?? ''),
        url: String(v.url ?? ''),
      }));
  }

  /**
   * Bayeux messages to the Streaming API (`POST /cometd/<apiVersion>`, Change Data Capture
   * over CometD), with the bearer token and the `BAYEUX_BROWSER` cookie a client must keep.
   * A long-poll (`/meta/connect`, held by the server up to its advised timeout, 110 s on real
   * orgs) passes the HTTP `timeoutMs` it needs. HTTP 401 throws a SalesforceError with status
   * 401 (the caller signs in again and handshakes anew).
   */
  async cometd(
    messages: Record<string, unknown>[],
    session: { cookie?: string } = {},
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<Record<string, unknown>[]> {
    const { signal, timeoutMs } = options;
    const token = await this.signIn(signal);
    const path = `/cometd/${this.settings.apiVersion}`;
    this.calls.other++;
    const response = await this.send(
      () =>
        this.http.post(`${token.instanceUrl}${path}`, JSON.stringify(messages), {
          headers: {
            Authorization: `Bearer ${token.accessToken}`,
            'Content-Type': 'application/json',
            Accept: 'application/json',
            ...(session.cookie ? { Cookie: session.cookie } : {}),
          },
          ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
          signal,
        }),
      'POST',
      path,
      signal,
    );
    const cookies = response.headers['set-cookie'];
    const bayeux = (Array.isArray(cookies) ? cookies : [])
      .map((cookie) => String(cookie).split(';')[0]!)
      .find((cookie) => cookie.startsWith('BAYEUX_BROWSER='));
    if (bayeux) session.cookie = bayeux;
    if (response.status >= 400) throw restError(response, 'POST', path);
    return Array.isArray(response.data) ? (response.data as Record<string, unknown>[]) : [];
  }

  /** `GET /limits`: the org's limits (DailyApiRequests …). */
  async limits(signal?: AbortSignal): Promise<Record<string, { Max: number; Remaining: number }>> {
    const { data } = await this.request<Record<string, { Max: number; Remaining: number }>>(
      'GET',
      '/limits',
      { signal },
    );
    return data;
  }

  /**
   * SOQL pages, following `nextRecordsUrl` (only on the instance host). `all` = queryAll,
   * which also returns deleted and merged records; its next pages say `query` but continue
   * the queryAll.
   */
  async *query<T = Record<string, unknown>>(
    soql: string,
    options: { all?: boolean; batchSize?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<QueryPage<T>> {
    const batchSize = options.batchSize ?? this.settings.batchSize;
    const headers = { 'Sforce-Query-Options': `batchSize=${batchSize}` };
    let next: string | null = null;
    let first = true;
    while (first || next) {
      const response: { data: unknown } = first
        ? await this.request<unknown>('GET', options.all ? '/queryAll' : '/query', {
            query: { q: soql },
            headers,
            signal: options.signal,
          })
        : await this.request<unknown>('GET', next!, { headers, signal: options.signal });
      first = false;
      const body = (response.data ?? {}) as {
        records?: unknown;
        totalSize?: unknown;
        done?: unknown;
        nextRecordsUrl?: unknown;
      };
      if (!Array.isArray(body.records)) {
        throw new SalesforceError(
          'Salesforce answered a query without records',
          200,
          'invalid_response',
        );
      }
      const done = body.done !== false || typeof body.nextRecordsUrl !== 'string';
      next = done ? null : (body.nextRecordsUrl as string);
      yield { records: body.records as T[], totalSize: Number(body.totalSize ?? 0), done };
    }
  }

  async describeGlobal(signal?: AbortSignal): Promise<{ sobjects: DescribeGlobalObject[] }> {
    const { data } = await this.request<unknown>('GET', '/sobjects', { signal });
    return describeGlobalSchema.parse(data);
  }

  /** An object's describe, fetched once per client. */
  describe(object: string): Promise<ObjectDescribe> {
    return this.describes.get(object);
  }

  /** sObject Collections create; each record has `attributes.type`. */
  createRecords(
    records: Record<string, unknown>[],
    options: { allOrNone?: boolean } = {},
  ): Promise<RecordResult[]> {
    return this.collection('POST', '/composite/sobjects', records, options);
  }

  /** sObject Collections update; each record has `attributes.type` and `Id`. */
  updateRecords(
    records: Record<string, unknown>[],
    options: { allOrNone?: boolean } = {},
  ): Promise<RecordResult[]> {
    return this.collection('PATCH', '/composite/sobjects', records, options);
  }

  /** sObject Collections upsert of one object type by an external-id field. */
  upsertRecords(
    object: string,
    externalIdField: string,
    records: Record<string, unknown>[],
    options: { allOrNone?: boolean } = {},
  ): Promise<RecordResult[]> {
    const path = `/composite/sobjects/${encodeURIComponent(object)}/${encodeURIComponent(externalIdField)}`;
    return this.collection(
      'PATCH',
      path,
      records.map((record) => ({ attributes: { type: object }, ...record })),
      options,
    );
  }

  async deleteRecords(
    ids: string[],
    options: { allOrNone?: boolean } = {},
  ): Promise<RecordResult[]> {
    if (ids.length === 0) return [];
    checkCollectionSize(ids.length);
    const { data } = await this.request<unknown>('DELETE', '/composite/sobjects', {
      query: { ids: ids.join(','), allOrNone: String(options.allOrNone ?? false) },
    });
    return recordResults(data);
  }

  private async collection(
    method: 'POST' | 'PATCH',
    path: string,
    records: Record<string, unknown>[],
    options: { allOrNone?: boolean },
  ): Promise<RecordResult[]> {
    if (records.length === 0) return [];
    checkCollectionSize(records.length);
    const { data } = await this.request<unknown>(method, path, {
      body: { allOrNone: options.allOrNone ?? false, records },
    });
    return recordResults(data);
  }

  /**
   * Bulk API 2.0: creates an ingest job for CSV data (comma-separated, LF line endings);
   * `externalIdFieldName` for upserts.
   */
  async createIngestJob(job: {
    object: string;
    operation: IngestOperation;
    externalIdFieldName?: string;
    signal?: AbortSignal;
  }): Promise<JobInfo> {
    const { data } = await this.request<unknown>('POST', '/jobs/ingest', {
      body: {
        object: job.object,
        operation: job.operation,
        ...(job.externalIdFieldName ? { externalIdFieldName: job.externalIdFieldName } : {}),
        contentType: 'CSV',
        columnDelimiter: 'COMMA',
        lineEnding: 'LF',
      },
      signal: job.signal,
    });
    return jobInfoOf(data);
  }

  /** Uploads a job's CSV (one upload per job; at most 150 MB). */
  async uploadJobData(jobId: string, csv: string, signal?: AbortSignal): Promise<void> {
    await this.request<unknown>('PUT', `/jobs/ingest/${encodeURIComponent(jobId)}/batches`, {
      raw: { data: csv, type: 'text/csv' },
      signal,
    });
  }

  /** Closes a job's upload (`UploadComplete`): Salesforce starts processing it. */
  async closeJob(jobId: string, signal?: AbortSignal): Promise<JobInfo> {
    return this.setJobState(jobId, 'UploadComplete', signal);
  }

  /** Aborts a job that is not processed yet (nothing of it is written). */
  async abortJob(jobId: string, signal?: AbortSignal): Promise<JobInfo> {
    return this.setJobState(jobId, 'Aborted', signal);
  }

  private async setJobState(
    jobId: string,
    state: 'UploadComplete' | 'Aborted',
    signal?: AbortSignal,
  ): Promise<JobInfo> {
    const { data } = await this.request<unknown>(
      'PATCH',
      `/jobs/ingest/${encodeURIComponent(jobId)}`,
      { body: { state }, signal },
    );
    return jobInfoOf(data);
  }

  /**
   * A job's state and counts; with `wait`, polled with backoff until it is final
   * (JobComplete, Failed or Aborted).
   */
  async jobInfo(jobId: string, wait?: JobWait): Promise<JobInfo> {
    const path = `/jobs/ingest/${encodeURIComponent(jobId)}`;
    const read = async () =>
      jobInfoOf((await this.request<unknown>('GET', path, { signal: wait?.signal })).data);
    let info = await read();
    if (!wait) return info;
    const started = Date.now();
    let delay = wait.firstMs ?? 500;
    while (!FINAL_STATES.has(info.state)) {
      if (Date.now() - started + delay > (wait.timeoutMs ?? 30 * 60_000)) {
        throw new SalesforceError(
          `Bulk API job ${jobId} is still ${info.state} after ${Math.round((Date.now() - started) / 1000)} s`,
          0,
          'job_timeout',
          [],
          true,
        );
      }
      await sleep(delay, wait.signal);
      delay = Math.min(wait.maxMs ?? 10_000, delay * 2);
      info = await read();
    }
    return info;
  }

  /** A finished job's records written (`sf__Id`, `sf__Created`, the uploaded columns). */
  successfulResults(jobId: string, signal?: AbortSignal): Promise<JobResultRow[]> {
    return this.jobResults(jobId, 'successfulResults', signal);
  }

  /** A finished job's records refused (`sf__Id`, `sf__Error`, the uploaded columns). */
  failedResults(jobId: string, signal?: AbortSignal): Promise<JobResultRow[]> {
    return this.jobResults(jobId, 'failedResults', signal);
  }

  private async jobResults(
    jobId: string,
    kind: 'successfulResults' | 'failedResults',
    signal?: AbortSignal,
  ): Promise<JobResultRow[]> {
    const { data } = await this.request<unknown>(
      'GET',
      `/jobs/ingest/${encodeURIComponent(jobId)}/${kind}`,
      { text: true, signal },
    );
    try {
      return parseCsv(typeof data === 'string' ? data : '', {
        columns: true,
        skip_empty_lines: true,
        bom: true,
      }) as JobResultRow[];
    } catch (error) {
      throw new SalesforceError(
        `Salesforce answered ${kind} of job ${jobId} with unreadable CSV: ${(error as Error).message}`,
        200,
        'invalid_response',
      );
    }
  }

  /** The absolute URL of a call; links are only ever followed on the instance host. */
  private resolve(token: SalesforceToken, path: string): string {
    if (/^https?:\/\//i.test(path)) {
      if (new URL(path).origin !== token.instanceUrl) {
        throw new SalesforceError(
          `Salesforce returned a link to another host (${new URL(path).host}); refusing to follow it`,
          0,
          'foreign_link',
        );
      }
      return path;
    }
    if (path.startsWith('/services/')) return `${token.instanceUrl}${path}`;
    return `${token.instanceUrl}${this.basePath}${path}`;
  }

  /**
   * Sends with retries of transient failures; returns the last response when retries of a
   * 5xx end, throws a transient SalesforceError for network failures and throttling.
   */
  private async send(
    request: () => Promise<AxiosResponse>,
    method: string,
    path: string,
    signal?: AbortSignal,
    resendAfterNetworkFailure = true,
  ): Promise<AxiosResponse> {
    let limitAttempts = 0;
    return withRetries<AxiosResponse>(
      async () => {
        let response: AxiosResponse;
        try {
          response = await request();
        } catch (error) {
          if (signal?.aborted) throw signal.reason as Error;
          const timedOut = axios.isAxiosError(error) && error.code === 'ECONNABORTED';
          const failure = new SalesforceError(
            `Salesforce request ${method} ${path} failed: ${(error as Error).message}`,
            0,
            timedOut ? 'timeout' : 'network_error',
            [],
            true,
          );
          if (!resendAfterNetworkFailure) throw failure;
          return { failed: { error: failure } };
        }
        this.readUsage(response);
        const code = errorCodeOf(response.data);
        if (response.status === 403 && code === 'REQUEST_LIMIT_EXCEEDED') {
          this.throttled++;
          limitAttempts++;
          // No Retry-After exists for this answer: a longer exponential backoff.
          const cap = Math.min(
            this.policy.maxDelayMs,
            this.policy.limitBaseMs * 2 ** (limitAttempts - 1),
          );
          return {
            failed: {
              error: restError(response, method, path),
              retryAfterMs: Math.round(cap / 2 + Math.random() * (cap / 2)),
              throttled: true,
            },
          };
        }
        if (TRANSIENT_STATUS.has(response.status) || (code && TRANSIENT_CODES.has(code))) {
          return { failed: { error: restError(response, method, path), fallback: response } };
        }
        return { done: response };
      },
      {
        target: 'Salesforce',
        retries: this.policy.retries,
        baseMs: this.policy.baseMs,
        maxDelayMs: this.policy.maxDelayMs,
        signal,
        onRetry: ({ attempt, delayMs, error }) =>
          this.deps.logger.warn(
            {
              path,
              status: (error as SalesforceError).status,
              code: (error as SalesforceError).errorCode,
              attempt,
              delay: delayMs,
            },
            'salesforce request failed, retrying',
          ),
      },
    );
  }

  private readUsage(response: AxiosResponse): void {
    const usage = parseLimitInfo(response.headers['sforce-limit-info']);
    if (!usage) return;
    this.latestUsage = usage;
    this.deps.onUsage?.(usage);
  }
}

/**
 * Bulk API 2.0 CSV of records: a header of `columns`, then one line per record; null is
 * `#N/A`, an absent value an empty field (left alone by Salesforce).
 */
export function ingestCsv(columns: string[], rows: Record<string, unknown>[]): string {
  return stringifyCsv(
    rows.map((row) =>
      columns.map((column) => {
        const value = row[column];
        if (value === null) return CSV_NULL;
        return value === undefined ? '' : String(value);
      }),
    ),
    { header: true, columns, record_delimiter: 'unix' },
  );
}

function jobInfoOf(data: unknown): JobInfo {
  const body = (data ?? {}) as Record<string, unknown>;
  if (typeof body.id !== 'string' || typeof body.state !== 'string') {
    throw new SalesforceError('Salesforce answered without a job', 200, 'invalid_response');
  }
  return {
    id: body.id,
    state: body.state as JobState,
    object: String(body.object ?? ''),
    operation: String(body.operation ?? '') as IngestOperation,
    numberRecordsProcessed: Number(body.numberRecordsProcessed ?? 0),
    numberRecordsFailed: Number(body.numberRecordsFailed ?? 0),
    errorMessage: typeof body.errorMessage === 'string' ? body.errorMessage : null,
  };
}

function jsonOrText(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

function checkCollectionSize(count: number): void {
  if (count > COLLECTION_LIMIT) {
    throw new SalesforceError(
      `cannot submit more than ${COLLECTION_LIMIT} records into one call (got ${count})`,
      0,
      'EXCEEDED_ID_LIMIT',
    );
  }
}

function flatHeaders(response: AxiosResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(response.headers ?? {})) {
    if (value !== undefined && value !== null) out[key.toLowerCase()] = String(value);
  }
  return out;
}

/** The first error of a REST error body (`[{message, errorCode, fields}]`). */
function firstError(data: unknown): { message?: unknown; errorCode?: unknown; fields?: unknown } {
  const first: unknown = Array.isArray(data) ? data[0] : data;
  return typeof first === 'object' && first !== null
    ? (first as { message?: unknown; errorCode?: unknown; fields?: unknown })
    : {};
}

function errorCodeOf(data: unknown): string | null {
  const error = firstError(data);
  return typeof error.errorCode === 'string' ? error.errorCode : null;
}

function restError(response: AxiosResponse, method: string, path: string): SalesforceError {
  const error = firstError(response.data);
  const code = typeof error.errorCode === 'string' ? error.errorCode : `http_${response.status}`;
  const fields = Array.isArray(error.fields) ? error.fields.map(String) : [];
  const message =
    typeof error.message === 'string' && error.message
      ? error.message
      : `Salesforce answered HTTP ${response.status}`;
  return new SalesforceError(
    `${message} (${code}, ${method} ${path.split('?')[0]})`,
    response.status,
    code,
    fields,
    TRANSIENT_STATUS.has(response.status) || TRANSIENT_CODES.has(code),
  );
}

/** Explains the OAuth errors an admin can fix. */
function tokenError(
  status: number,
  body: { error?: unknown; error_description?: unknown },
  settings: SalesforceSettings,
): SalesforceError {
  const code = typeof body.error === 'string' ? body.error : `http_${status}`;
  const description = typeof body.error_description === 'string' ? body.error_description : '';
  let hint = '';
  if (/not supported on this domain/i.test(description)) {
    hint =
      "The client credentials flow only works on the org's My Domain URL (https://<domain>.my.salesforce.com), not login.salesforce.com or test.salesforce.com. ";
  } else if (/audience/i.test(description)) {
    hint = `The JWT audience must be the login URL (${settings.loginUrl}). `;
  } else if (code === 'invalid_client_id' || code === 'invalid_client') {
    hint = 'The consumer key (client id) or secret is wrong. ';
  } else if (/expired/i.test(description) && settings.flow === 'refresh_token') {
    hint = 'The refresh token was revoked or has expired: connect again. ';
  } else if (/approved/i.test(description)) {
    hint = 'The integration user has not been pre-authorized for this connected app. ';
  }
  const transient = TRANSIENT_STATUS.has(status);
  return new SalesforceError(
    `Sign-in to Salesforce failed: ${hint}(${code}${description ? `: ${description}` : ''})`,
    status,
    code,
    [],
    transient,
  );
}

function recordResults(data: unknown): RecordResult[] {
  if (!Array.isArray(data)) {
    throw new SalesforceError(
      'Salesforce answered a collection call without results',
      200,
      'invalid_response',
    );
  }
  return data.map((item: unknown) => {
    const row = (item ?? {}) as {
      id?: unknown;
      success?: unknown;
      created?: unknown;
      errors?: unknown;
    };
    const errors = Array.isArray(row.errors) ? row.errors : [];
    return {
      ...(typeof row.id === 'string' ? { id: row.id } : {}),
      success: row.success === true,
      ...(typeof row.created === 'boolean' ? { created: row.created } : {}),
      errors: errors.map((error: unknown) => {
        const e = (error ?? {}) as { statusCode?: unknown; message?: unknown; fields?: unknown };
        return {
          statusCode: typeof e.statusCode === 'string' ? e.statusCode : 'UNKNOWN_EXCEPTION',
          message: typeof e.message === 'string' ? e.message : '',
          fields: Array.isArray(e.fields) ? e.fields.map(String) : [],
        };
      }),
    };
  });
}
