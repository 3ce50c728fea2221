// The typed Microsoft Graph client: OAuth 2.0 client credentials against the tenant's token
// endpoint (token cached until shortly before it expires), JSON and binary GETs that follow
// absolute paging links only on the Graph host, and retries of throttling (429, 503 with
// Retry-After), other 5xx and network failures through the shared `retry.ts`.
import axios from 'axios';
import type { AxiosInstance, AxiosResponse } from 'axios';
import type { Logger } from '../../logger.js';
import { bearerApiHttp } from '../http.js';
import { markTransient, retryAfterMs, withRetries } from '../../retry.js';
import { SourceError } from '../types.js';
import type { GraphSettings } from './settings.js';

/** Graph's error body: `{ "error": { "code", "message", "innerError" } }`. */
interface GraphErrorBody {
  error?: { code?: unknown; message?: unknown; innerError?: unknown };
}

/** The token endpoint's error body (AADSTS codes). */
interface TokenErrorBody {
  error?: unknown;
  error_description?: unknown;
  error_codes?: unknown;
}

/** A Graph or sign-in failure, after retries. */
export class GraphError extends SourceError {
  override name = 'GraphError';
  constructor(
    message: string,
    status: number,
    code: string,
    /** The request's path (without host), for messages. */
    readonly path: string,
    /** AADSTS error numbers from the token endpoint. */
    readonly aadsts: number[] = [],
    /** The codes of the nested `innerError`s, outermost first (e.g. `syncStateNotFound`). */
    readonly innerCodes: string[] = [],
  ) {
    super(message, status, code);
  }
}

export interface GraphClientOptions {
  logger?: Logger;
  /** Base backoff delay when Graph gives no Retry-After; tests shorten it. */
  backoffMs?: number;
  /** Longest single wait, whatever Retry-After says. */
  maxDelayMs?: number;
}

export interface AccessToken {
  value: string;
  expiresAt: number;
  /** Application permissions granted to the app (the token's `roles` claim). */
  roles: string[] | null;
}

const TRANSIENT = new Set([429, 500, 502, 503, 504]);

export class GraphClient {
  private readonly http: AxiosInstance;
  private readonly graphOrigin: string;
  private token: AccessToken | null = null;
  private tokenRequest: Promise<AccessToken> | null = null;
  private readonly backoffMs: number;
  private readonly maxDelayMs: number;
  /** Requests answered 429/503 (for metrics and tests). */
  throttled = 0;

  constructor(
    private readonly settings: GraphSettings,
    private readonly options: GraphClientOptions = {},
  ) {
    this.graphOrigin = new URL(settings.endpoints.graphUrl).origin;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 120_000;
    this.http = bearerApiHttp({ timeoutMs: settings.timeoutMs, maxSockets: 32 });
  }

  /** The absolute URL of a Graph path such as `/v1.0/users`. */
  url(path: string): string {
    return `${this.settings.endpoints.graphUrl}${path}`;
  }

  /** A valid access token, from the cache when it has more than a minute left. */
  async accessToken(signal?: AbortSignal): Promise<AccessToken> {
    if (this.token && this.token.expiresAt - Date.now() > 60_000) return this.token;
    this.tokenRequest ??= this.fetchToken(signal).finally(() => {
      this.tokenRequest = null;
    });
    this.token = await this.tokenRequest;
    return this.token;
  }

  private async fetchToken(signal?: AbortSignal): Promise<AccessToken> {
    const { authorityUrl, graphUrl } = this.settings.endpoints;
    const path = `/${encodeURIComponent(this.settings.tenantId)}/oauth2/v2.0/token`;
    const body = new URLSearchParams({
      client_id: this.settings.clientId,
      client_secret: this.settings.clientSecret,
      scope: `${graphUrl}/.default`,
      grant_type: 'client_credentials',
    });
    const response = await this.send(
      () =>
        this.http.post(`${authorityUrl}${path}`, body.toString(), {
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          signal,
        }),
      path,
      signal,
    );
    const data = response.data as {
      access_token?: unknown;
      expires_in?: unknown;
    } & TokenErrorBody;
    if (response.status !== 200 || typeof data.access_token !== 'string') {
      const error = tokenError(response.status, data, path);
      throw TRANSIENT.has(response.status) ? markTransient(error) : error;
    }
    const expiresIn = Number(data.expires_in ?? 3599);
    return {
      value: data.access_token,
      expiresAt: Date.now() + (Number.isFinite(expiresIn) ? expiresIn : 3599) * 1000,
      roles: rolesOf(data.access_token),
    };
  }

  /** GET JSON from a Graph path or an absolute link Graph returned. */
  async getJson<T>(
    pathOrUrl: string,
    options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<T> {
    const response = await this.get(pathOrUrl, 'json', options);
    return response.data as T;
  }

  /**
   * POST JSON to a Graph path; used for JSON batching (`/$batch`), whose sub-requests are all
   * reads, so a retry of the whole batch is harmless.
   */
  async postJson<T>(
    path: string,
    body: unknown,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const response = await this.get(path, 'json', { ...options, body });
    return response.data as T;
  }

  /** GET bytes (e.g. `/users/{id}/photo/$value`); null when Graph answers 404. */
  async getBinary(
    pathOrUrl: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ contentType: string; data: Buffer } | null> {
    try {
      const response = await this.get(pathOrUrl, 'arraybuffer', options);
      return {
        contentType: String(response.headers['content-type'] ?? 'application/octet-stream'),
        data: Buffer.from(response.data as ArrayBuffer),
      };
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) return null;
      throw error;
    }
  }

  private async get(
    pathOrUrl: string,
    responseType: 'json' | 'arraybuffer',
    options: { headers?: Record<string, string>; signal?: AbortSignal; body?: unknown },
  ): Promise<AxiosResponse> {
    const url = this.resolve(pathOrUrl);
    const path = url.slice(this.graphOrigin.length).split('?')[0] ?? url;
    let refreshed = false;
    for (;;) {
      const token = await this.accessToken(options.signal);
      const response = await this.send(
        () =>
          this.http.request({
            url,
            method: options.body === undefined ? 'GET' : 'POST',
            data: options.body,
            headers: {
              Authorization: `Bearer ${token.value}`,
              Accept: responseType === 'json' ? 'application/json' : '*/*',
              ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
              ...options.headers,
            },
            responseType,
            signal: options.signal,
          }),
        path,
        options.signal,
      );
      if (response.status < 400) return response;
      // A token revoked or expired early: fetch a new one once.
      if (response.status === 401 && !refreshed) {
        refreshed = true;
        this.token = null;
        continue;
      }
      const error = graphError(response, path);
      throw TRANSIENT.has(response.status) ? markTransient(error) : error;
    }
  }

  /**
   * Sends with retries of transient failures (the shared `retry.ts`: Retry-After honoured, a
   * run's patience inside a run); returns the last response when retries end.
   */
  private async send(
    request: () => Promise<AxiosResponse>,
    path: string,
    signal?: AbortSignal,
  ): Promise<AxiosResponse> {
    return withRetries<AxiosResponse>(
      async () => {
        let response: AxiosResponse;
        try {
          response = await request();
        } catch (error) {
          if (signal?.aborted) throw signal.reason as Error;
          const timedOut = axios.isAxiosError(error) && error.code === 'ECONNABORTED';
          return {
            failed: {
              error: new GraphError(
                `Microsoft Graph request ${path} failed: ${(error as Error).message}`,
                0,
                timedOut ? 'timeout' : 'network_error',
                path,
              ),
            },
          };
        }
        if (!TRANSIENT.has(response.status)) return { done: response };
        const throttled = response.status === 429 || response.status === 503;
        if (throttled) this.throttled++;
        return {
          failed: {
            error: graphError(response, path),
            retryAfterMs: retryAfterMs(response.headers['retry-after']),
            throttled: response.status === 429 || response.headers['retry-after'] !== undefined,
            fallback: response,
          },
        };
      },
      {
        target: 'Microsoft Graph',
        retries: this.settings.retries,
        baseMs: this.backoffMs,
        maxDelayMs: this.maxDelayMs,
        signal,
        onRetry: ({ attempt, delayMs, error }) =>
          this.options.logger?.warn(
            { path, status: (error as GraphError).status, attempt, delay: delayMs },
            'microsoft graph request failed, retrying',
          ),
      },
    );
  }

  private resolve(pathOrUrl: string): string {
    if (!/^https?:\/\//i.test(pathOrUrl)) return this.url(pathOrUrl);
    // Paging links carry the bearer token along: only ever to the Graph host configured.
    if (new URL(pathOrUrl).origin !== this.graphOrigin) {
      throw new GraphError(
        `Microsoft Graph returned a link to another host (${new URL(pathOrUrl).host}); refusing to follow it`,
        0,
        'foreign_link',
        pathOrUrl,
      );
    }
    return pathOrUrl;
  }
}

/** The `roles` claim of a JWT access token, or null when it cannot be read. */
export function rolesOf(accessToken: string): string[] | null {
  const payload = accessToken.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      roles?: unknown;
    };
    return Array.isArray(claims.roles) ? claims.roles.map(String) : [];
  } catch {
    return null;
  }
}

function graphError(response: AxiosResponse, path: string): GraphError {
  let body = response.data as GraphErrorBody | ArrayBuffer | undefined;
  if (body instanceof ArrayBuffer || Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(Buffer.from(body as ArrayBuffer).toString('utf8')) as GraphErrorBody;
    } catch {
      body = undefined;
    }
  }
  const error = (body as GraphErrorBody | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `http_${response.status}`;
  const message =
    typeof error?.message === 'string' && error.message
      ? error.message
      : `Microsoft Graph answered HTTP ${response.status}`;
  const inner = innerCodes(error?.innerError ?? (error as { innererror?: unknown })?.innererror);
  const codes = inner.length > 0 ? `${code}/${inner.join('/')}` : code;
  return new GraphError(
    `${message} (${codes}, GET ${path})`,
    response.status,
    code,
    path,
    [],
    inner,
  );
}

/**
 * The codes of nested inner errors: Graph's error resource nests `innerError` (sometimes
 * spelled `innererror`) objects, each with a more specific `code` than the one around it.
 */
function innerCodes(inner: unknown, depth = 0): string[] {
  if (!inner || typeof inner !== 'object' || depth > 8) return [];
  const record = inner as { code?: unknown; innerError?: unknown; innererror?: unknown };
  const here = typeof record.code === 'string' ? [record.code] : [];
  return [...here, ...innerCodes(record.innerError ?? record.innererror, depth + 1)];
}

/** Explains the AADSTS errors an admin can fix. */
function tokenError(status: number, body: TokenErrorBody, path: string): GraphError {
  const codes = Array.isArray(body.error_codes) ? body.error_codes.map(Number) : [];
  const description =
    typeof body.error_description === 'string' ? body.error_description.split('\r\n')[0]! : '';
  const hints: Record<number, string> = {
    7000215:
      'The client secret is wrong. Copy the secret Value (not its ID) from the app registration.',
    7000222: 'The client secret has expired. Create a new one in the app registration.',
    700016: 'No application with this client id exists in the tenant.',
    90002: 'The tenant was not found. Check the tenant id and the cloud.',
    900023: 'The tenant id is not a valid directory id or domain.',
    7000218: 'The request has no client secret.',
  };
  const hint = codes.map((code) => hints[code]).find(Boolean);
  const code = typeof body.error === 'string' ? body.error : `http_${status}`;
  const message = hint
    ? `${hint} (${description || code})`
    : description || `Sign-in to Microsoft Entra ID failed with HTTP ${status}`;
  return new GraphError(message, status === 0 ? 0 : status, code, path, codes);
}
