/**
 * Helpers to fake the plugin's REST API in component tests. Each test file mocks
 * `@wordpress/api-fetch` itself (`jest.mock` is per file); these helpers drive the mock.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import type {
  AttributeMapping,
  AuditEntry,
  Connection,
  Role,
  Run,
  Status,
  SyncConfig,
  Token,
} from '../api';

export const mockedApiFetch = apiFetch as unknown as jest.Mock<Promise<unknown>, [APIFetchOptions]>;

/** Answers a route gets: a value, or a function of the request (which may throw). */
export type RouteHandler = unknown | ((options: APIFetchOptions) => unknown);

/**
 * Answers requests by `"METHOD /path"`; any other request fails the call with an error
 * naming it, so a test notices requests it did not expect.
 */
export function mockRoutes(routes: Record<string, RouteHandler>): void {
  mockedApiFetch.mockImplementation(async (options: APIFetchOptions) => {
    const key = `${options.method ?? 'GET'} ${options.path}`;
    if (!(key in routes)) {
      throw new Error(`Unexpected request: ${key}`);
    }
    const handler = routes[key];
    return typeof handler === 'function' ? handler(options) : handler;
  });
}

/** The body `@wordpress/api-fetch` rejects with for a `WP_Error` answer. */
export function wpError(
  code: string,
  message: string,
  status: number,
  params?: Record<string, string>,
): { code: string; message: string; data: { status: number; params?: Record<string, string> } } {
  return { code, message, data: params ? { status, params } : { status } };
}

/** A promise with its resolve/reject exposed, to hold a request in flight. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Requests the mock received, as `"METHOD /path"`. */
export function requestsMade(): string[] {
  return mockedApiFetch.mock.calls.map(([options]) => `${options.method ?? 'GET'} ${options.path}`);
}

/** A healthy status answer; override parts per test. */
export function statusFixture(overrides: Partial<Status> = {}): Status {
  return {
    plugin: { version: '0.1.0', dbVersion: '3' },
    wordpress: { version: '6.1.9', php: '8.2.29', multisite: false },
    tables: { outbox: true, audit: true },
    sidecar: {
      configured: true,
      url: 'http://127.0.0.1:8787',
      reachable: true,
      health: {
        status: 'ok',
        version: '0.1.0',
        store: { ok: true, kind: 'sqlite' },
        wordpress: { ok: true },
      },
      error: null,
    },
    ...overrides,
  };
}

/** A listed token; override fields per test. */
export function tokenFixture(overrides: Partial<Token> = {}): Token {
  return {
    id: 'tok_1',
    name: 'Entra production',
    connection: 'entra-production',
    prefix: 'us_ab12',
    createdAt: '2025-01-15T09:30:00Z',
    lastUsedAt: null,
    ...overrides,
  };
}

/** The configuration with the plugin's defaults; override parts per test. */
export function configFixture(overrides: Partial<SyncConfig> = {}): SyncConfig {
  const row = (
    source: string,
    target: string,
    direction: AttributeMapping['direction'] = 'both',
  ): AttributeMapping => ({ source, target, direction, transform: 'none', default: null });
  return {
    attributeMap: [
      row('userName', 'user_login'),
      row('emails[primary].value', 'user_email'),
      row('name.givenName', 'first_name'),
      row('name.familyName', 'last_name'),
      row('displayName', 'display_name'),
      row(
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
        'meta:department',
      ),
      row('photos[type eq "photo"].value', 'avatar', 'inbound'),
    ],
    roleMap: { rules: [], defaultRole: 'subscriber', allowAdministrator: false },
    deprovision: {
      action: 'disable',
      deactivate: 'disable',
      reassignTo: null,
      touchUnlinked: false,
      touchAdministrators: false,
      graceDays: 0,
    },
    audit: { retentionDays: 90 },
    ...overrides,
  };
}

/** The roles of a fresh WordPress site. */
export function rolesFixture(): Role[] {
  return [
    { slug: 'administrator', name: 'Administrator', privileged: true },
    { slug: 'shop_manager', name: 'Shop manager', privileged: true },
    { slug: 'editor', name: 'Editor' },
    { slug: 'author', name: 'Author' },
    { slug: 'contributor', name: 'Contributor' },
    { slug: 'subscriber', name: 'Subscriber' },
  ];
}

/** The body the last request of a method and path sent. */
export function lastBody(key: string): unknown {
  const calls = mockedApiFetch.mock.calls.filter(
    ([options]) => `${options.method ?? 'GET'} ${options.path}` === key,
  );
  return calls.length ? calls[calls.length - 1][0].data : undefined;
}

/** What api-fetch resolves with when `parse` is false: enough of a Response for the app. */
export function fakeResponse(
  body: unknown,
  headers: Record<string, string> = {},
): Pick<Response, 'json' | 'blob' | 'headers' | 'status'> {
  const lower = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return {
    status: 200,
    json: async () => body,
    blob: async () => new Blob([typeof body === 'string' ? body : JSON.stringify(body)]),
    headers: { get: (name: string) => lower[name.toLowerCase()] ?? null } as Headers,
  };
}

/** An audit entry; override fields per test. */
export function auditEntryFixture(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: 1,
    createdAt: '2025-03-01T10:00:00Z',
    actor: 'sidecar',
    source: 'scim:Entra production',
    action: 'create',
    userId: 12,
    userLogin: 'adele.vance',
    fields: ['user_login', 'user_email'],
    result: 'success',
    error: null,
    runId: null,
    ...overrides,
  };
}

/** A stored Microsoft Graph connection; override fields per test. */
export function connectionFixture(overrides: Partial<Connection> = {}): Connection {
  return {
    slug: 'contoso',
    name: 'Contoso',
    type: 'microsoft-graph',
    enabled: true,
    schedule: null,
    photos: true,
    tenantId: 'contoso.onmicrosoft.com',
    clientId: '11111111-2222-3333-4444-555555555555',
    clientSecret: { set: true },
    cloud: 'global',
    b2c: false,
    authorityUrl: null,
    graphUrl: null,
    pageSize: 500,
    concurrency: 4,
    batchSize: 100,
    batchConcurrency: 2,
    createdAt: '2025-01-10T08:00:00Z',
    modifiedAt: '2025-01-10T08:00:00Z',
    ...overrides,
  };
}

/** A run; override fields per test. */
export function runFixture(overrides: Partial<Run> = {}): Run {
  return {
    id: 'run-1',
    source: 'contoso',
    trigger: 'on-demand',
    state: 'succeeded',
    dryRun: false,
    full: false,
    createdAt: '2025-01-15T10:00:00Z',
    startedAt: '2025-01-15T10:00:01Z',
    finishedAt: '2025-01-15T10:00:31Z',
    processed: 120,
    total: 120,
    counts: { created: 100, updated: 10, unchanged: 5, disabled: 2, deleted: 0, failed: 3 },
    error: null,
    cancelRequested: false,
    rate: 4,
    elapsedSeconds: 30,
    ...overrides,
  };
}
