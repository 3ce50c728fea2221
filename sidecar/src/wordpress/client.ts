// The one client of the WordPress REST API that all sidecar code uses: Application
// Password auth, per-request timeouts, retries with exponential backoff and jitter on
// 5xx, 429 and network failures (honouring Retry-After), and typed errors for the rest.
import axios from 'axios';
import type { AxiosInstance, AxiosResponse, Method } from 'axios';
import http from 'node:http';
import type { Logger } from '../logger.js';

export interface WordPressClientOptions {
  /** Base URL of the site, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  user: string;
  appPassword: string;
  timeoutMs?: number;
  /** How many times a retryable failure is retried (0 = no retries). */
  retries?: number;
  logger?: Logger;
  /** Base backoff delay; tests shorten it. */
  backoffMs?: number;
}

export type QueryValue = string | number | boolean | undefined | null;

export interface WordPressRequest {
  method?: Method;
  /** REST route, e.g. `/usersync/v1/users` (without `/wp-json`). */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  timeoutMs?: number;
  /**
   * Whether a failure may be retried. Defaults to true for GET, PUT and DELETE and false
   * for POST/PATCH, which only the caller knows to be idempotent.
   */
  retry?: boolean;
}

export interface WordPressResponse<T> {
  status: number;
  data: T;
  headers: Record<string, string>;
}

/** A WordPress REST error (`WP_Error` JSON) or a transport failure after all retries. */
export class WordPressError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when WordPress could not be reached. */
    readonly status: number,
    /** WP_Error code such as `usersync_not_found`, or `network_error` / `timeout`. */
    readonly code: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'WordPressError';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class WordPressClient {
  readonly baseUrl: string;
  private readonly http: AxiosInstance;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly logger?: Logger;

  constructor(options: WordPressClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 200;
    this.logger = options.logger;
    this.http = axios.create({
      baseURL: this.baseUrl,
      timeout: options.timeoutMs ?? 15_000,
      auth: { username: options.user, password: options.appPassword },
      headers: { Accept: 'application/json' },
      // Keep connections open: every sync writes through here.
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
      validateStatus: () => true,
      maxContentLength: 64 * 1024 * 1024,
      maxBodyLength: 64 * 1024 * 1024,
    });
  }

  async request<T>(req: WordPressRequest): Promise<WordPressResponse<T>> {
    const method = (req.method ?? 'GET').toUpperCase() as Method;
    const retryable = req.retry ?? ['GET', 'PUT', 'DELETE'].includes(method);
    const params: Record<string, string> = { rest_route: req.path };
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined && value !== null) params[key] = String(value);
    }
    for (let attempt = 0; ; attempt++) {
      let response: AxiosResponse | undefined;
      let failure: WordPressError;
      try {
        response = await this.http.request({
          method,
          url: '/',
          params,
          data: req.body,
          timeout: req.timeoutMs,
        });
      } catch (error) {
        const timedOut = axios.isAxiosError(error) && error.code === 'ECONNABORTED';
        failure = new WordPressError(
          `WordPress ${method} ${req.path} failed: ${(error as Error).message}`,
          0,
          timedOut ? 'timeout' : 'network_error',
        );
      }
      if (response) {
        if (response.status < 400) {
          return {
            status: response.status,
            data: response.data as T,
            headers: flatHeaders(response),
          };
        }
        failure = toWordPressError(method, req.path, response);
        const transient = response.status >= 500 || response.status === 429;
        if (!transient) throw failure;
      }
      if (!retryable || attempt >= this.retries) throw failure!;
      const delay = this.delayFor(attempt, response);
      this.logger?.warn(
        { path: req.path, method, status: failure!.status, code: failure!.code, attempt, delay },
        'wordpress request failed, retrying',
      );
      await sleep(delay);
    }
  }

  get<T>(path: string, query?: Record<string, QueryValue>): Promise<WordPressResponse<T>> {
    return this.request<T>({ method: 'GET', path, query });
  }

  post<T>(
    path: string,
    body: unknown,
    options: Omit<WordPressRequest, 'path' | 'body' | 'method'> = {},
  ): Promise<WordPressResponse<T>> {
    return this.request<T>({ ...options, method: 'POST', path, body });
  }

  /** Full jitter exponential backoff, or the server's Retry-After when it gives one. */
  private delayFor(attempt: number, response?: AxiosResponse): number {
    const retryAfter = response?.headers['retry-after'];
    if (retryAfter !== undefined) {
      const seconds = Number(retryAfter);
      if (Number.isFinite(seconds)) return Math.min(seconds * 1000, 60_000);
      const date = Date.parse(String(retryAfter));
      if (Number.isFinite(date)) return Math.max(0, Math.min(date - Date.now(), 60_000));
    }
    const cap = this.backoffMs * 2 ** attempt;
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }
}

function flatHeaders(response: AxiosResponse): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(response.headers)) {
    if (value !== undefined && value !== null) headers[key.toLowerCase()] = String(value);
  }
  return headers;
}

function toWordPressError(method: string, path: string, response: AxiosResponse): WordPressError {
  const body = response.data as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const code = typeof body?.code === 'string' ? body.code : `http_${response.status}`;
  const message =
    typeof body?.message === 'string'
      ? body.message
      : `WordPress ${method} ${path} answered HTTP ${response.status}`;
  return new WordPressError(message, response.status, code, body?.data ?? body);
}
