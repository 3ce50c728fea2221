// What every Graph route shares: the error body of "Microsoft Graph error responses and
// resource types" (`{ "error": { "code", "message", "innerError" } }`), the base URL links are
// built on, the OData query options `$select` and `$top` and the `Prefer: odata.maxpagesize`
// header ("Paging Microsoft Graph data in your app"), the access tokens (HS256 JWTs carrying
// the app's `roles`) and the application permissions each resource needs ("Microsoft Graph
// permissions reference"; a missing one is 403 `Authorization_RequestDenied`).
import crypto from 'node:crypto';

import type { Request, Response } from 'express';

import { DirectoryError } from './directory.js';

/** The query string of a Graph request, as Express parses it. */
export type Query = Record<string, string | undefined>;

export function graphError(
  res: Response,
  status: number,
  code: string,
  message: string,
  extra: { location?: string; innerCode?: string } = {},
): void {
  const requestId = crypto.randomUUID();
  if (extra.location) {
    const req = res.req;
    res.setHeader('Location', `${base(req)}${extra.location}`);
  }
  res.status(status).json({
    error: {
      code,
      message,
      innerError: {
        ...(extra.innerCode ? { code: extra.innerCode } : {}),
        date: new Date().toISOString().slice(0, 19),
        'request-id': requestId,
        'client-request-id': requestId,
      },
    },
  });
}

export function base(req: Request): string {
  return `${req.protocol}://${req.headers.host ?? '127.0.0.1'}`;
}

export function selectOf(query: Query): string[] | null {
  const select = query.$select;
  if (!select) return null;
  return select
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function top(query: Query): number {
  if (query.$top === undefined) return 100;
  const n = Number(query.$top);
  if (!Number.isInteger(n) || n < 1 || n > 999) {
    throw new DirectoryError(
      400,
      'Request_BadRequest',
      `Invalid page size specified: '${query.$top}'. Must be between 1 and 999 inclusive.`,
    );
  }
  return n;
}

export function maxPageSize(req: Request, fallback: number): number {
  const match = /odata\.maxpagesize=(\d+)/i.exec(String(req.headers.prefer ?? ''));
  return match ? Math.min(Math.max(Number(match[1]), 1), 999) : fallback;
}

const PERMISSIONS = {
  users: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  groups: [
    'GroupMember.Read.All',
    'Group.Read.All',
    'Group.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  photos: ['ProfilePhoto.Read.All', 'User.Read.All', 'User.ReadWrite.All'],
};

/** Refuses the request (403) unless the token's roles grant one of the permissions `kind` needs. */
export function needs(roles: string[], kind: keyof typeof PERMISSIONS): void {
  const allowed = PERMISSIONS[kind].some((role) => roles.includes(role));
  if (!allowed) {
    throw new DirectoryError(
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
  }
}

export function sign(key: Buffer, claims: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'HS256' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = crypto
    .createHmac('sha256', key)
    .update(`${header}.${payload}`)
    .digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** The token's claims, or the reason it is refused. */
export function verify(
  key: Buffer,
  authorization: string | undefined,
): Record<string, unknown> | string {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return 'Access token is empty.';
  const [header, payload, signature] = match[1]!.split('.');
  if (!header || !payload || !signature) return 'IDX14100: JWT is not well formed.';
  const expected = crypto.createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    return 'Invalid signature.';
  }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) {
    return 'Lifetime validation failed, the token is expired.';
  }
  return claims;
}
