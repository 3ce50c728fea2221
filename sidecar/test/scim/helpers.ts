// A real HTTP listener around the SCIM router over the in-memory store, and a small
// client that speaks to it the way an identity provider does.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { ScimTokenInfo, TokenVerifier } from '../../src/auth/scim-tokens.js';
import { MemoryDirectory } from '../../src/scim/memory-repository.js';
import { createScimRouterWith } from '../../src/scim/router.js';
import type { RateBuckets, RateLimit } from '../../src/scim/router.js';
import type { Repositories } from '../../src/scim/repository.js';
import type { ServiceLimits } from '../../src/scim/service.js';

export const TOKENS: Record<string, ScimTokenInfo> = {
  us_entra: { id: 'tok_entra', name: 'Entra production', connection: 'entra-production' },
  us_okta: { id: 'tok_okta', name: 'Okta', connection: 'okta' },
};

export class FakeTokens implements TokenVerifier {
  unreachable = false;
  async verify(token: string): Promise<ScimTokenInfo | null> {
    if (this.unreachable) throw new Error('connect ECONNREFUSED');
    return TOKENS[token] ?? null;
  }
}

export interface TestServer {
  url: string;
  base: string;
  dir: MemoryDirectory;
  tokens: FakeTokens;
  close(): Promise<void>;
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null; headers?: Record<string, string>; raw?: string },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert fields
  ): Promise<{ status: number; headers: Headers; body: any; text: string }>;
}

export async function startServer(
  options: {
    rateLimit?: RateLimit;
    rateBuckets?: RateBuckets;
    limits?: Partial<ServiceLimits>;
    maxBodyBytes?: number;
    /** Another store than the in-memory one (e.g. WordPress over a fake plugin). */
    repositories?: Repositories;
  } = {},
): Promise<TestServer> {
  const dir = new MemoryDirectory();
  const tokens = new FakeTokens();
  const app = express();
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app.use(
    '/scim/v2',
    createScimRouterWith({
      tokens,
      repositories: options.repositories ?? dir.repositories(),
      publicUrl: url,
      logger: pino({ level: 'silent' }),
      rateLimit: options.rateLimit ?? { requestsPerSecond: 10_000, burst: 10_000 },
      rateBuckets: options.rateBuckets,
      limits: options.limits,
      maxBodyBytes: options.maxBodyBytes,
    }),
  );
  const base = `${url}/scim/v2`;
  return {
    url,
    base,
    dir,
    tokens,
    close: () => new Promise((resolve) => server.close(() => resolve())),
    async call(method, path, body, callOptions = {}) {
      const headers: Record<string, string> = { ...callOptions.headers };
      const token = callOptions.token === undefined ? 'us_entra' : callOptions.token;
      if (token !== null) headers.authorization ??= `Bearer ${token}`;
      let payload: string | undefined = callOptions.raw;
      if (body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined) headers['content-type'] ??= 'application/scim+json';
      const response = await fetch(`${base}${path}`, { method, headers, body: payload });
      const text = await response.text();
      let parsed: unknown = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
  };
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export const patchBody = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

/** The user Entra ID sends on create (shape from its provisioning logs). */
export function entraUser(n: number | string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId: `ext-${n}`,
    userName: `user${n}@contoso.com`,
    active: true,
    displayName: `User ${n}`,
    emails: [{ primary: true, type: 'work', value: `user${n}@contoso.com` }],
    meta: { resourceType: 'User' },
    name: { formatted: `Given${n} Family${n}`, familyName: `Family${n}`, givenName: `Given${n}` },
    [ENTERPRISE]: { department: 'Sales', employeeNumber: `E${n}` },
    ...extra,
  };
}
