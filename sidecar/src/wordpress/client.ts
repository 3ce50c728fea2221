// The one client of the WordPress REST API that all sidecar code uses: Application
// Password auth, per-request timeouts, retries of 5xx, 429 and network failures (the shared
// `retry.ts`: backoff with jitter, Retry-After honoured, a run's patience inside a run), and
// typed errors for the rest.
import axios from 'axios';
import type { AxiosInstance, AxiosResponse, Method } from 'axios';
import http from 'node:http';
import type { Logger } from '../logger.js';
import { retryAfterMs, withRetries } from '../retry.js';

export interface WordPressClientOptions {
  /** Base URL of the site, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  user: string;
  appPassword: string;
  timeoutMs?: number;
  /** How many times a retryable failure is retried outside a run (0 = no retries). */
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
    return withRetries<WordPressResponse<T>>(
      async () => {
        let response: AxiosResponse;
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
          return {
            failed: {
              error: new WordPressError(
                `WordPress ${method} ${req.path} failed: ${(error as Error).message}`,
                0,
                timedOut ? 'timeout' : 'network_error',
              ),
            },
          };
        }
        if (response.status < 400) {
          return {
            done: {
              status: response.status,
              data: response.data as T,
              headers: flatHeaders(response),
            },
          };
        }
        const failure = toWordPressError(method, req.path, response);
        if (response.status < 500 && response.status !== 429) throw failure;
        const retryAfter = retryAfterMs(response.headers['retry-after']);
        return {
          failed: {
            error: failure,
            retryAfterMs: retryAfter,
            throttled: response.status === 429 || retryAfter !== undefined,
          },
        };
      },
      {
        target: 'WordPress',
        retries: this.retries,
        baseMs: this.backoffMs,
        maxDelayMs: 60_000,
        retryable,
        onRetry: ({ attempt, delayMs, error }) => {
          const failure = error as WordPressError;
          this.logger?.warn(
            {
              path: req.path,
              method,
              status: failure.status,
              code: failure.code,
              attempt,
              delay: delayMs,
            },
            'wordpress request failed, retrying',
          );
        },
      },
    );
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
