// A small SCIM 2.0 client for a peer UserSync site: bearer token, per-request timeout, kept-
// alive connections, and failures turned into DeliveryErrors the pipeline can act on —
// transient (unreachable, throttled, 5xx, token refused: wait and retry) or not (the peer
// refused this user: 4xx with a SCIM error). It never retries by itself; the pipeline does,
// with backoff.
import axios from 'axios';
import type { AxiosInstance, AxiosResponse } from 'axios';
import http from 'node:http';
import https from 'node:https';
import { DeliveryError } from '../types.js';

export interface PeerRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under the base URL, e.g. `/Users/45`. */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
  ifMatch?: string;
}

export interface PeerResponse<T = Record<string, unknown>> {
  status: number;
  data: T;
  headers: Record<string, string>;
}

/** The peer answered with an error status (4xx/5xx) and, usually, a SCIM error body. */
export class PeerHttpError extends DeliveryError {
  override name = 'PeerHttpError';
  constructor(
    message: string,
    code: string,
    transient: boolean,
    status: number,
    retryAfterSeconds: number | undefined,
    /** SCIM `scimType` (uniqueness, invalidValue, …) when the peer sent one. */
    readonly scimType: string | null,
  ) {
    super(message, code, transient, status, retryAfterSeconds);
  }
}

export interface PeerClientOptions {
  /** Base URL of the API, e.g. https://child.example/scim/v2 */
  baseUrl: string;
  token: string;
  /** Names the peer in error messages. */
  peerName: string;
  timeoutMs?: number;
}

export class PeerClient {
  readonly baseUrl: string;
  /** Requests sent so far (for the pipeline's counters and the tests). */
  requests = 0;
  private readonly http: AxiosInstance;

  constructor(private readonly options: PeerClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.http = axios.create({
      baseURL: this.baseUrl,
      timeout: options.timeoutMs ?? 30_000,
      headers: {
        Accept: 'application/scim+json, application/json',
        Authorization: `Bearer ${options.token}`,
      },
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 16 }),
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: 64 * 1024 * 1024,
      maxBodyLength: 64 * 1024 * 1024,
    });
  }

  async request<T = Record<string, unknown>>(req: PeerRequest): Promise<PeerResponse<T>> {
    this.requests++;
    const headers: Record<string, string> = {};
    if (req.body !== undefined) headers['Content-Type'] = 'application/scim+json';
    if (req.ifMatch) headers['If-Match'] = req.ifMatch;
    let response: AxiosResponse;
    try {
      response = await this.http.request({
        method: req.method,
        url: req.path,
        params: req.query,
        data: req.body === undefined ? undefined : JSON.stringify(req.body),
        headers,
      });
    } catch (error) {
      const timedOut = axios.isAxiosError(error) && error.code === 'ECONNABORTED';
      throw new DeliveryError(
        `${this.options.peerName} (${this.baseUrl}) ${timedOut ? 'did not answer in time' : `is unreachable: ${(error as Error).message}`}`,
        timedOut ? 'peer_timeout' : 'peer_unreachable',
        true,
      );
    }
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(response.headers)) {
      if (value !== undefined && value !== null) flat[key.toLowerCase()] = String(value);
    }
    if (response.status < 400) {
      return { status: response.status, data: parse(response.data) as T, headers: flat };
    }
    throw this.toError(req, response.status, parse(response.data), flat);
  }

  private toError(
    req: PeerRequest,
    status: number,
    body: unknown,
    headers: Record<string, string>,
  ): PeerHttpError {
    const scim = body as { detail?: unknown; scimType?: unknown; schemas?: unknown } | null;
    const isScim = !!scim && Array.isArray(scim.schemas) && typeof scim.detail === 'string';
    const detail = isScim ? String(scim!.detail) : `HTTP ${status}`;
    const scimType = isScim && typeof scim!.scimType === 'string' ? scim!.scimType : null;
    const retryAfter = retryAfterSeconds(headers['retry-after']);
    const where = `${this.options.peerName}: ${req.method} ${req.path}`;
    if (status === 401)
      return new PeerHttpError(
        `${this.options.peerName} refused the bearer token (revoked or mistyped): ${detail}`,
        'peer_token_refused',
        true,
        status,
        retryAfter,
        scimType,
      );
    if (status === 429)
      return new PeerHttpError(
        `${where} was throttled: ${detail}`,
        'peer_throttled',
        true,
        status,
        retryAfter,
        scimType,
      );
    if (status >= 500)
      return new PeerHttpError(
        `${where} failed: ${detail}`,
        'peer_error',
        true,
        status,
        retryAfter,
        scimType,
      );
    if (!isScim)
      // Not a SCIM answer at all: most likely a wrong URL. Waiting for a fix loses nothing.
      return new PeerHttpError(
        `${where} answered HTTP ${status} without a SCIM body: is ${this.baseUrl} the peer's SCIM URL?`,
        'peer_not_scim',
        true,
        status,
        retryAfter,
        null,
      );
    return new PeerHttpError(
      `${where} was refused (${status}${scimType ? ` ${scimType}` : ''}): ${detail}`,
      scimType ?? `http_${status}`,
      false,
      status,
      retryAfter,
      scimType,
    );
  }
}

function parse(data: unknown): unknown {
  if (typeof data !== 'string') return data ?? {};
  if (data === '') return {};
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function retryAfterSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : undefined;
}
