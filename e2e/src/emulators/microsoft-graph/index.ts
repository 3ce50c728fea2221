// A Microsoft Graph emulator for tests, benchmarks and the local demo: the token endpoint
// (client credentials, AADSTS errors), `/v1.0/users`, `/users/delta`, `/users/$count`,
// `/users/{id}`, `/users/{id}/memberOf`, `/users/{id}/photo` and `/photo/$value`, `/groups`,
// `/groups/delta` (with `members@delta`), `/groups/{id}/members` — following Microsoft's
// documented response shapes: `@odata.nextLink` / `@odata.deltaLink` paging with opaque
// `$skiptoken` / `$deltatoken`, `@removed` with reason `changed` (recycle bin) or `deleted`,
// `Prefer: odata.maxpagesize`, `$select`, `$top` ≤ 999, and errors as
// `{ "error": { "code", "message", "innerError" } }`. Application permissions are checked
// from the token's `roles` (403 `Authorization_RequestDenied`). A B2C tenant answers delta
// queries with 400, as the real service does.
//
// Where Microsoft's documentation allows Graph to be unkind, so is the emulator — always for
// what costs tests nothing (never-set properties omitted from delta items, 410 Gone for an
// expired delta token, no `$count` and no photos in B2C, `$top` refused on `/users/delta`), and
// with `strict: true` also for what makes pages unpredictable (empty pages that carry a
// nextLink, items repeated on the next page, changes out of order, page sizes the server
// picks). Each behaviour cites the documentation it follows where it is implemented; the
// strict choices are seeded, so a seed always gives the same pages.
//
// Tests drive it through a control API under `/_emulator` (or the returned object): list (with
// ids, UPNs and names, paged), create, update, disable, delete and restore users, change photos and groups, inject throttling (429 /
// 503 with Retry-After) and faults, expire delta tokens, read request counts.
import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import express from 'express';
import type { NextFunction, Request, Response } from 'express';

import { Directory, DirectoryError, project } from './directory.js';
import type { EmulatedGroup, EmulatedUser, GraphProps } from './directory.js';
import { seedDirectory, seededId, seededUser, solidPng } from './seed.js';
import type { SeedOptions } from './seed.js';

export { Directory, DirectoryError } from './directory.js';
export { SEEDED_GROUPS, seededId, seededUser, solidPng } from './seed.js';

export interface App {
  clientId: string;
  clientSecret: string;
  /** Application permissions granted (and consented), e.g. `User.Read.All`. */
  roles: string[];
}

export interface Fault {
  /** HTTP status to answer, e.g. 429, 503, 500; without one, `delayMs` only slows the request. */
  status?: number;
  /** Seconds in the Retry-After header. */
  retryAfter?: number;
  /** Only requests whose path contains this. */
  match?: string;
  /** Fire on the next `count` matching requests, then stop. */
  count?: number;
  /** Fire on every `every`-th matching request. */
  every?: number;
  /** Delay before answering (ms), to simulate slowness. */
  delayMs?: number;
  /** Close the connection instead of answering. */
  drop?: boolean;
}

export interface GraphEmulatorOptions extends SeedOptions {
  port?: number;
  host?: string;
  tenantId?: string;
  /** The tenant's initial domain (default `contoso.onmicrosoft.com`, B2C `contosob2c…`). */
  domain?: string;
  b2c?: boolean;
  /** Registered applications (default one with User.Read.All, GroupMember.Read.All, ProfilePhoto.Read.All). */
  apps?: App[];
  /** Lifetime of access tokens in seconds (default 3599). */
  tokenLifetime?: number;
  /**
   * Page like Microsoft says Graph may: empty pages with a nextLink, items repeated across
   * pages, shuffled changes, server-chosen page sizes (default false).
   */
  strict?: boolean;
}

export interface GraphEmulator {
  /** Base URL: both the authority URL and the Graph URL of the connector settings. */
  url: string;
  authorityUrl: string;
  graphUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  directory: Directory;
  apps: Map<string, App>;
  seed: string;
  /** Requests served per route (`GET /v1.0/users/delta`, …) and how many were faulted. */
  stats: { requests: Record<string, number>; faulted: number; total: number };
  addFault(fault: Fault): void;
  clearFaults(): void;
  /** Delta and skip tokens issued so far stop working (410 Gone, `resyncRequired`). */
  expireDeltaTokens(): void;
  /** Replaces the tenant with a freshly seeded one (and clears faults and counts). */
  reset(options?: SeedOptions & { b2c?: boolean; domain?: string }): void;
  close(): Promise<void>;
}

interface PagingToken {
  /** Which collection. */
  k: 'users' | 'groups' | 'users-list' | 'groups-list' | 'members' | 'memberOf';
  /** initial listing (`i`) or changes (`c`). */
  m?: 'i' | 'c';
  /** Changes after this sequence number … */
  s?: number;
  /** … up to this one (the session's snapshot). */
  u?: number;
  /** Position in the order or log being walked. */
  p: number;
  /** Member offset within the group at `p` (initial groups delta). */
  o?: number;
  sel: string[] | null;
  /** Page size. */
  n: number;
  /** Owner id (members / memberOf). */
  id?: string;
  /** Sequence number when the token was issued. */
  iss: number;
  /** Token generation: expireDeltaTokens() starts a new one and refuses older tokens. */
  g?: number;
  /** Strict paging: the position at which an empty page was already served. */
  e?: number;
}

const MEMBER_CHUNK = 500;

export async function startGraphEmulator(
  options: GraphEmulatorOptions = {},
): Promise<GraphEmulator> {
  const tenantId = options.tenantId ?? '8f3c1a52-6a4e-4c7b-9d0e-2b6f1e5a7c90';
  const signingKey = crypto.randomBytes(32);
  const tokenLifetime = options.tokenLifetime ?? 3599;
  let seed = options.seed ?? 'usersync';
  let b2c = options.b2c ?? false;
  const domainFor = (isB2c: boolean) =>
    options.domain ?? (isB2c ? 'contosob2c.onmicrosoft.com' : 'contoso.onmicrosoft.com');
  let directory = new Directory(domainFor(b2c), b2c);
  const strict = options.strict ?? false;
  /** A number in [0, 1) fixed by the seed and `key`: strict choices repeat run after run. */
  const chance = (key: string) =>
    crypto.createHash('sha256').update(`${seed}:${key}`).digest().readUInt32BE(0) / 2 ** 32;
  seedDirectory(directory, options);

  const defaultApp: App = {
    clientId: '5b1f7e2c-3d4a-4f6b-8c9d-0e1f2a3b4c5d',
    clientSecret: 'emulator-secret-value',
    roles: ['User.Read.All', 'GroupMember.Read.All', 'ProfilePhoto.Read.All'],
  };
  const apps = new Map<string, App>();
  for (const app of options.apps ?? [defaultApp]) apps.set(app.clientId, app);
  const faults: (Fault & { seen: number })[] = [];
  const stats = { requests: {} as Record<string, number>, faulted: 0, total: 0 };
  let generation = 0;

  const writeToken = (token: PagingToken) =>
    Buffer.from(JSON.stringify({ ...token, g: generation })).toString('base64url');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Faults and counting apply to everything but the control API.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith('/_emulator')) return next();
    stats.total++;
    const batched = req.headers['x-emulator-batched'] ? ' (in $batch)' : '';
    const key = `${req.method} ${routeKey(req.path)}${batched}`;
    stats.requests[key] = (stats.requests[key] ?? 0) + 1;
    for (const fault of faults) {
      if (fault.match && !req.path.includes(fault.match)) continue;
      fault.seen++;
      let fire: boolean;
      if (fault.every) fire = fault.seen % fault.every === 0;
      else if (fault.count !== undefined) fire = fault.count-- > 0;
      else fire = true;
      if (!fire) continue;
      stats.faulted++;
      if (!fault.status && !fault.drop) {
        setTimeout(next, fault.delayMs ?? 0);
        return;
      }
      const status = fault.status ?? 500;
      const answer = () => {
        if (fault.drop) {
          req.socket.destroy();
          return;
        }
        if (fault.retryAfter !== undefined) res.setHeader('Retry-After', String(fault.retryAfter));
        const [code, message] =
          status === 429
            ? ['TooManyRequests', 'Too many requests, please retry after the time specified.']
            : status === 503
              ? ['serviceNotAvailable', 'The service is temporarily unavailable.']
              : ['generalException', 'An unexpected error occurred.'];
        graphError(res, status, code, message);
      };
      if (fault.delayMs) setTimeout(answer, fault.delayMs);
      else answer();
      return;
    }
    next();
  });

  // ---- Token endpoint -------------------------------------------------------------------
  app.post(
    '/:tenant/oauth2/v2.0/token',
    express.urlencoded({ extended: false }),
    (req: Request, res: Response) => {
      const body = (req.body ?? {}) as Record<string, string | undefined>;
      const tenant = String(req.params.tenant);
      const fail = (status: number, error: string, code: number, description: string) => {
        const traceId = crypto.randomUUID();
        res.status(status).json({
          error,
          error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${crypto.randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
          error_codes: [code],
          timestamp: new Date().toISOString(),
          trace_id: traceId,
          correlation_id: crypto.randomUUID(),
        });
      };
      if (tenant !== tenantId && tenant.toLowerCase() !== directory.domain) {
        return fail(
          400,
          'invalid_request',
          90002,
          `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        );
      }
      if (body.grant_type !== 'client_credentials') {
        return fail(
          400,
          'unsupported_grant_type',
          70003,
          'The app requested an unsupported grant type.',
        );
      }
      const registered = body.client_id ? apps.get(body.client_id) : undefined;
      if (!registered) {
        return fail(
          400,
          'unauthorized_client',
          700016,
          `Application with identifier '${body.client_id ?? ''}' was not found in the directory '${tenant}'.`,
        );
      }
      if (!body.client_secret) {
        return fail(
          401,
          'invalid_client',
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
      }
      if (body.client_secret !== registered.clientSecret) {
        return fail(
          401,
          'invalid_client',
          7000215,
          'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
        );
      }
      if (!body.scope?.endsWith('/.default')) {
        return fail(
          400,
          'invalid_scope',
          1002012,
          `The provided value for scope ${body.scope ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`,
        );
      }
      const now = Math.floor(Date.now() / 1000);
      const token = sign(signingKey, {
        aud: body.scope.slice(0, -'/.default'.length),
        iss: `https://sts.windows.net/${tenantId}/`,
        iat: now,
        nbf: now,
        exp: now + tokenLifetime,
        appid: registered.clientId,
        tid: tenantId,
        roles: registered.roles,
      });
      res.json({
        token_type: 'Bearer',
        expires_in: tokenLifetime,
        ext_expires_in: tokenLifetime,
        access_token: token,
      });
    },
  );

  // ---- Graph ----------------------------------------------------------------------------
  app.get(/^\/v1\.0\/.*/, (req: Request, res: Response) => {
    const claims = verify(signingKey, req.headers.authorization);
    if (typeof claims === 'string')
      return graphError(res, 401, 'InvalidAuthenticationToken', claims);
    const roles = Array.isArray(claims.roles) ? claims.roles.map(String) : [];
    try {
      route(req, res, roles);
    } catch (error) {
      if (error instanceof DirectoryError) {
        return graphError(res, error.status, error.code, error.message, error.extra);
      }
      throw error;
    }
  });

  // JSON batching ("Combine multiple HTTP requests using JSON batching"): up to 20 requests in
  // one POST, each answered with its own id, status, headers and body; a throttled
  // sub-request is answered 429 with its Retry-After inside an otherwise successful batch.
  app.post('/v1.0/$batch', express.json({ limit: '4mb' }), async (req: Request, res: Response) => {
    const claims = verify(signingKey, req.headers.authorization);
    if (typeof claims === 'string')
      return graphError(res, 401, 'InvalidAuthenticationToken', claims);
    const requests = (req.body as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) {
      return graphError(res, 400, 'BadRequest', 'The batch has no requests.');
    }
    if (requests.length > 20) {
      return graphError(
        res,
        400,
        'BadRequest',
        'The number of requests in the batch exceeds the limit of 20.',
      );
    }
    const responses = await Promise.all(
      (requests as { id?: unknown; method?: unknown; url?: unknown }[]).map(async (item) => {
        const id = String(item.id ?? '');
        if (item.method !== 'GET' || typeof item.url !== 'string' || !item.url.startsWith('/')) {
          return {
            id,
            status: 400,
            body: {
              error: {
                code: 'BadRequest',
                message: 'Only GET requests to relative URLs are emulated in a batch.',
              },
            },
          };
        }
        const answer = await fetch(`${base(req)}/v1.0${item.url}`, {
          headers: {
            Authorization: String(req.headers.authorization),
            'x-emulator-batched': '1',
          },
        });
        const headers: Record<string, string> = {};
        const retryAfter = answer.headers.get('retry-after');
        if (retryAfter) headers['Retry-After'] = retryAfter;
        headers['Content-Type'] = answer.headers.get('content-type') ?? 'application/json';
        const text = await answer.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        return { id, status: answer.status, headers, body };
      }),
    );
    res.json({ responses });
  });

  function route(req: Request, res: Response, roles: string[]) {
    const segments = req.path
      .slice('/v1.0/'.length)
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
    const [collection, id, sub, leaf] = segments;
    const query = req.query as Record<string, string | undefined>;
    const needs = (kind: 'users' | 'groups' | 'photos') => {
      const allowed = PERMISSIONS[kind].some((role) => roles.includes(role));
      if (!allowed) {
        throw new DirectoryError(
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      }
    };

    if (collection === 'users') {
      if (id === 'delta' || id === 'delta()' || id === 'microsoft.graph.delta()') {
        needs('users');
        return usersDelta(req, res, query);
      }
      if (id === '$count') {
        needs('users');
        // "Advanced query capabilities on Microsoft Entra ID objects": `$count` is one of them,
        // and advanced queries are not available in Azure AD B2C tenants.
        if (directory.b2c) return advancedUnsupported(res);
        return count(req, res, directory.userCount);
      }
      if (!id) {
        needs('users');
        return usersList(req, res, query);
      }
      if (sub === 'photo' || sub === 'photos') {
        needs('photos');
        // profilePhoto resource type: profile photos are not supported in Azure AD B2C tenants.
        if (directory.b2c) {
          throw new DirectoryError(
            400,
            'Request_UnsupportedQuery',
            'Profile photos are not supported in Azure AD B2C tenants.',
          );
        }
        const user = directory.user(id);
        if (!user.photo) {
          throw new DirectoryError(
            404,
            'ImageNotFound',
            "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.",
          );
        }
        if (leaf === '$value') {
          res.setHeader('Content-Type', user.photo.contentType);
          res.setHeader('ETag', user.photo.etag);
          return res.end(user.photo.data);
        }
        return res.json({
          '@odata.context': `${base(req)}/v1.0/$metadata#users('${user.id}')/photo/$entity`,
          '@odata.mediaContentType': user.photo.contentType,
          '@odata.mediaEtag': user.photo.etag,
          id: '240X240',
          height: 240,
          width: 240,
        });
      }
      if (sub === 'memberOf') {
        needs('groups');
        directory.user(id);
        return memberOf(req, res, query, id);
      }
      if (sub)
        throw new DirectoryError(400, 'BadRequest', `Resource not found for the segment '${sub}'.`);
      needs('users');
      const user = findUser(id);
      return res.json({
        '@odata.context': `${base(req)}/v1.0/$metadata#users/$entity`,
        ...project(user, selectOf(query)),
      });
    }

    if (collection === 'groups') {
      needs('groups');
      if (id === 'delta' || id === 'delta()' || id === 'microsoft.graph.delta()') {
        return groupsDelta(req, res, query);
      }
      if (!id) return groupsList(req, res, query);
      const group = directory.group(id);
      if (sub === 'members') return groupMembers(req, res, query, group);
      if (sub)
        throw new DirectoryError(400, 'BadRequest', `Resource not found for the segment '${sub}'.`);
      return res.json({
        '@odata.context': `${base(req)}/v1.0/$metadata#groups/$entity`,
        ...projectGroup(group, selectOf(query)),
      });
    }
    throw new DirectoryError(
      400,
      'BadRequest',
      `Resource not found for the segment '${collection ?? ''}'.`,
    );
  }

  function findUser(idOrUpn: string): EmulatedUser {
    if (idOrUpn.includes('@')) {
      for (const user of directory.users.values()) {
        if (
          !user.deleted &&
          String(user.props.userPrincipalName).toLowerCase() === idOrUpn.toLowerCase()
        )
          return user;
      }
    }
    return directory.user(idOrUpn);
  }

  function usersDelta(req: Request, res: Response, query: Record<string, string | undefined>) {
    if (directory.b2c) {
      throw new DirectoryError(
        400,
        'Request_UnsupportedQuery',
        'Change tracking (delta query) is not supported in Azure AD B2C tenants.',
      );
    }
    // users: delta — `$top` is not among the query parameters the function supports; the page
    // size is asked for with the `Prefer: odata.maxpagesize` header, which is only a hint.
    if (query.$top !== undefined) {
      throw new DirectoryError(
        400,
        'Request_UnsupportedQuery',
        'The query parameter $top is not supported with delta queries on users.',
      );
    }
    const pageSize = maxPageSize(req, 100);
    let token: PagingToken;
    if (query.$skiptoken) token = readToken(query.$skiptoken, 'users');
    else if (query.$deltatoken === 'latest') {
      return res.json({
        '@odata.context': `${base(req)}/v1.0/$metadata#users(${(selectOf(query) ?? []).join(',')})`,
        '@odata.deltaLink': deltaLink(req, 'users', directory.seq, selectOf(query)),
        value: [],
      });
    } else if (query.$deltatoken) {
      const delta = readToken(query.$deltatoken, 'users');
      token = {
        ...delta,
        m: 'c',
        u: directory.seq,
        p: Directory.firstAfter(directory.userLog, delta.s ?? 0),
        n: pageSize,
      };
    } else {
      token = {
        k: 'users',
        m: 'i',
        u: directory.seq,
        p: 0,
        sel: selectOf(query),
        n: pageSize,
        iss: directory.seq,
      };
    }
    const value: GraphProps[] = [];
    let p = token.p;
    if (token.m === 'i') {
      const n = pageSizeAt(token, p);
      while (p < directory.userOrder.length && value.length < n) {
        const user = directory.users.get(directory.userOrder[p++]!)!;
        if (!user.deleted) value.push(project(user, token.sel, true));
      }
      const done = p >= directory.userOrder.length;
      return page(req, res, 'users', value, token, p, done, token.u!);
    }
    const log = directory.userLog;
    const n = pageSizeAt(token, p);
    while (p < log.length && log[p]!.seq <= token.u! && value.length < n) {
      const entry = log[p++]!;
      const user = directory.users.get(entry.id)!;
      if (user.changedSeq !== entry.seq) continue; // reported at its latest change
      if (user.deleted) {
        value.push({
          id: user.id,
          '@removed': { reason: user.deleted === 'hard' ? 'deleted' : 'changed' },
        });
      } else {
        value.push(project(user, token.sel, true));
      }
    }
    const done = p >= log.length || log[p]!.seq > token.u!;
    return page(req, res, 'users', value, token, p, done, token.u!);
  }

  function groupsDelta(req: Request, res: Response, query: Record<string, string | undefined>) {
    if (directory.b2c) {
      throw new DirectoryError(
        400,
        'Request_UnsupportedQuery',
        'Change tracking (delta query) is not supported in Azure AD B2C tenants.',
      );
    }
    const pageSize = maxPageSize(req, 100);
    let token: PagingToken;
    if (query.$skiptoken) token = readToken(query.$skiptoken, 'groups');
    else if (query.$deltatoken === 'latest') {
      return res.json({
        '@odata.deltaLink': deltaLink(req, 'groups', directory.seq, selectOf(query)),
        value: [],
      });
    } else if (query.$deltatoken) {
      const delta = readToken(query.$deltatoken, 'groups');
      token = {
        ...delta,
        m: 'c',
        u: directory.seq,
        p: Directory.firstAfter(directory.groupLog, delta.s ?? 0),
        n: pageSize,
      };
    } else {
      token = {
        k: 'groups',
        m: 'i',
        u: directory.seq,
        p: 0,
        o: 0,
        sel: selectOf(query),
        n: pageSize,
        iss: directory.seq,
      };
    }
    const withMembers = token.sel?.includes('members') ?? false;
    const sel = token.sel?.filter((s) => s !== 'members') ?? ['displayName'];
    const value: GraphProps[] = [];
    let p = token.p;
    let o = token.o ?? 0;
    if (token.m === 'i') {
      // Large groups are split over several items (and pages), each with part of the members.
      while (p < directory.groupOrder.length && value.length < token.n) {
        const group = directory.groups.get(directory.groupOrder[p]!)!;
        if (group.deleted) {
          p++;
          continue;
        }
        const item: GraphProps = projectGroup(group, sel);
        if (withMembers) {
          const members = [...group.members].slice(o, o + MEMBER_CHUNK);
          item['members@delta'] = members.map((id) => ({
            '@odata.type': '#microsoft.graph.user',
            id,
          }));
          o += members.length;
        }
        value.push(item);
        if (!withMembers || o >= group.members.size) {
          p++;
          o = 0;
        }
      }
      const done = p >= directory.groupOrder.length;
      return page(req, res, 'groups', value, { ...token, o }, p, done, token.u!);
    }
    const log = directory.groupLog;
    while (p < log.length && log[p]!.seq <= token.u! && value.length < token.n) {
      const entry = log[p++]!;
      const group = directory.groups.get(entry.id)!;
      if (group.changedSeq !== entry.seq) continue;
      if (group.deleted) {
        value.push({ id: group.id, '@removed': { reason: 'deleted' } });
        continue;
      }
      const item = projectGroup(group, sel);
      if (withMembers) {
        const final = new Map<string, boolean>();
        for (const change of group.memberLog) {
          if (change.seq > token.s! && change.seq <= token.u!)
            final.set(change.userId, change.added);
        }
        item['members@delta'] = [...final].map(([id, added]) =>
          added
            ? { '@odata.type': '#microsoft.graph.user', id }
            : { '@odata.type': '#microsoft.graph.user', id, '@removed': { reason: 'deleted' } },
        );
      }
      value.push(item);
    }
    const done = p >= log.length || log[p]!.seq > token.u!;
    return page(req, res, 'groups', value, token, p, done, token.u!);
  }

  function page(
    req: Request,
    res: Response,
    kind: 'users' | 'groups',
    value: GraphProps[],
    token: PagingToken,
    p: number,
    done: boolean,
    upto: number,
  ) {
    const body: GraphProps = {
      '@odata.context': `${base(req)}/v1.0/$metadata#${kind}(${(token.sel ?? []).join(',')})`,
    };
    let next = p;
    let items = value;
    if (strict && kind === 'users') {
      const key = `${kind}:${token.m}:${token.s ?? 0}:${token.p}`;
      if (token.e !== token.p && chance(`${key}:empty`) < 0.2) {
        // "Use delta query to track changes in Microsoft Graph data": a nextLink means more
        // pages in the session "even if the current response contains an empty result".
        items = [];
        next = token.p;
        done = false;
      } else if (!done && items.length >= 2 && chance(`${key}:replay`) < 0.25) {
        // Delta query: the same resource may be returned more than once (in one session it can
        // reappear on a later page); clients must apply changes idempotently.
        next = p - 1;
      }
      if (items.length > 1 && chance(`${key}:order`) < 0.5) {
        // Delta query: changes are not guaranteed to come in the order they were made.
        items = shuffled(items, chance(`${key}:shuffle`));
      }
    }
    if (done) body['@odata.deltaLink'] = deltaLink(req, kind, upto, token.sel);
    else
      body['@odata.nextLink'] = `${base(req)}/v1.0/${kind}/delta?$skiptoken=${writeToken({
        ...token,
        p: next,
        e: items.length === 0 ? token.p : undefined,
        iss: token.iss,
      })}`;
    body.value = items;
    res.setHeader('Preference-Applied', `odata.maxpagesize=${token.n}`);
    res.json(body);
  }

  /**
   * The page size the server uses: what `Prefer: odata.maxpagesize` asked for, or (strict)
   * fewer — "Paging Microsoft Graph data in your app": the maximum page size is a preference,
   * the server may return fewer items, and clients page by the links, not by counting.
   */
  function pageSizeAt(token: PagingToken, p: number): number {
    if (!strict) return token.n;
    const share = chance(`size:${token.m}:${token.s ?? 0}:${p}`);
    return Math.max(1, Math.ceil(token.n * (0.4 + 0.6 * share)));
  }

  function deltaLink(req: Request, kind: 'users' | 'groups', seq: number, sel: string[] | null) {
    const token: PagingToken = { k: kind, s: seq, p: 0, sel, n: 100, iss: directory.seq };
    return `${base(req)}/v1.0/${kind}/delta?$deltatoken=${writeToken(token)}`;
  }

  function usersList(req: Request, res: Response, query: Record<string, string | undefined>) {
    if (query.$filter) {
      throw new DirectoryError(400, 'Request_UnsupportedQuery', 'Unsupported query: $filter.');
    }
    const token = query.$skiptoken
      ? readToken(query.$skiptoken, 'users-list')
      : { k: 'users-list' as const, p: 0, sel: selectOf(query), n: top(query), iss: directory.seq };
    const value: GraphProps[] = [];
    let p = token.p;
    while (p < directory.userOrder.length && value.length < token.n) {
      const user = directory.users.get(directory.userOrder[p++]!)!;
      if (!user.deleted) value.push(project(user, token.sel));
    }
    return listPage(req, res, 'users', value, token, p, p >= directory.userOrder.length, query);
  }

  function groupsList(req: Request, res: Response, query: Record<string, string | undefined>) {
    const token = query.$skiptoken
      ? readToken(query.$skiptoken, 'groups-list')
      : {
          k: 'groups-list' as const,
          p: 0,
          sel: selectOf(query),
          n: top(query),
          iss: directory.seq,
        };
    const value: GraphProps[] = [];
    let p = token.p;
    while (p < directory.groupOrder.length && value.length < token.n) {
      const group = directory.groups.get(directory.groupOrder[p++]!)!;
      if (!group.deleted) value.push(projectGroup(group, token.sel));
    }
    return listPage(req, res, 'groups', value, token, p, p >= directory.groupOrder.length, query);
  }

  function groupMembers(
    req: Request,
    res: Response,
    query: Record<string, string | undefined>,
    group: EmulatedGroup,
  ) {
    const token = query.$skiptoken
      ? readToken(query.$skiptoken, 'members')
      : {
          k: 'members' as const,
          p: 0,
          sel: selectOf(query),
          n: top(query),
          id: group.id,
          iss: directory.seq,
        };
    const ids = [...group.members];
    const value = ids.slice(token.p, token.p + token.n).map((id) => ({
      '@odata.type': '#microsoft.graph.user',
      ...project(directory.users.get(id)!, token.sel ?? ['displayName', 'userPrincipalName']),
    }));
    const p = token.p + value.length;
    return listPage(
      req,
      res,
      `groups/${group.id}/members`,
      value,
      token,
      p,
      p >= ids.length,
      query,
    );
  }

  function memberOf(
    req: Request,
    res: Response,
    query: Record<string, string | undefined>,
    userId: string,
  ) {
    const token = query.$skiptoken
      ? readToken(query.$skiptoken, 'memberOf')
      : {
          k: 'memberOf' as const,
          p: 0,
          sel: selectOf(query),
          n: top(query),
          id: userId,
          iss: directory.seq,
        };
    const groups = directory.groupsOf(userId);
    const value = groups.slice(token.p, token.p + token.n).map((group) => ({
      '@odata.type': '#microsoft.graph.group',
      ...projectGroup(group, token.sel),
    }));
    const p = token.p + value.length;
    return listPage(
      req,
      res,
      `users/${userId}/memberOf`,
      value,
      token,
      p,
      p >= groups.length,
      query,
    );
  }

  function listPage(
    req: Request,
    res: Response,
    path: string,
    value: GraphProps[],
    token: PagingToken,
    p: number,
    done: boolean,
    query: Record<string, string | undefined>,
  ) {
    const body: GraphProps = { '@odata.context': `${base(req)}/v1.0/$metadata#${path}` };
    if (query.$count === 'true') {
      if (directory.b2c) return advancedUnsupported(res);
      if (req.headers.consistencylevel !== 'eventual') return countUnsupported(res);
      body['@odata.count'] = path === 'users' ? directory.userCount : value.length;
    }
    if (!done)
      body['@odata.nextLink'] =
        `${base(req)}/v1.0/${path}?$skiptoken=${writeToken({ ...token, p })}`;
    body.value = value;
    res.json(body);
  }

  function count(req: Request, res: Response, n: number) {
    if (req.headers.consistencylevel !== 'eventual') return countUnsupported(res);
    res.type('text/plain').send(String(n));
  }

  function advancedUnsupported(res: Response) {
    graphError(
      res,
      400,
      'Request_UnsupportedQuery',
      'Advanced query capabilities ($count, $search, ConsistencyLevel) are not supported in Azure AD B2C tenants.',
    );
  }

  function countUnsupported(res: Response) {
    graphError(
      res,
      400,
      'Request_BadRequest',
      'Count is not currently supported. Add the ConsistencyLevel header set to eventual.',
    );
  }

  function readToken(raw: string, kind: PagingToken['k']): PagingToken {
    let token: PagingToken;
    try {
      token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as PagingToken;
    } catch {
      throw new DirectoryError(
        400,
        'Request_BadRequest',
        'The skip token or delta token is malformed.',
      );
    }
    if (token.k !== kind) {
      throw new DirectoryError(
        400,
        'Request_BadRequest',
        'The token does not belong to this query.',
      );
    }
    if ((token.g ?? 0) !== generation) {
      if (kind === 'users' || kind === 'groups') {
        // "Use delta query to track changes in Microsoft Graph data" (synchronization reset):
        // the service may answer 410 Gone, with a Location header holding a new delta query,
        // when the state token is no longer valid; the client must start a full
        // synchronization. Error codes named there: `syncStateNotFound`, `resyncRequired`.
        throw new DirectoryError(
          410,
          'resyncRequired',
          'The sync state is no longer valid. A full synchronization is required.',
          {
            location: `/v1.0/${kind}/delta${token.sel ? `?$select=${token.sel.join(',')}` : ''}`,
            innerCode: 'syncStateNotFound',
          },
        );
      }
      throw new DirectoryError(
        400,
        'syncStateNotFound',
        'The sync state generation is not found. The token is expired and the listing must start again.',
      );
    }
    return token;
  }

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    listening.once('listening', () => resolve(listening));
    listening.once('error', reject);
  });
  server.keepAliveTimeout = 30_000;

  // ---- Control API (JSON) -----------------------------------------------------------------
  const control = express.Router();
  control.use(express.json({ limit: '10mb' }));
  control.get('/state', (_req, res) => {
    res.json({
      tenantId,
      domain: directory.domain,
      b2c: directory.b2c,
      seed,
      users: directory.userCount,
      groups: [...directory.groups.values()].filter((g) => !g.deleted).length,
      seq: directory.seq,
      stats,
    });
  });
  control.post('/reset', (req, res) => {
    emulator.reset(req.body as SeedOptions & { b2c?: boolean; domain?: string });
    res.json({ users: directory.userCount });
  });
  // Which ids there are, to PATCH or DELETE one: `?page=1&per_page=20` (at most 200), an optional
  // `search` in the UPN, mail or display name; users in the recycle bin are marked, purged
  // ones left out. `next` is the path of the following page.
  control.get('/users', (req, res) => {
    const number = (value: unknown, fallback: number) => {
      const parsed = typeof value === 'string' ? Number(value) : NaN;
      return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
    };
    const perPage = Math.min(number(req.query.per_page, 20), 200);
    const page = number(req.query.page, 1);
    const search = typeof req.query.search === 'string' ? req.query.search.toLowerCase() : '';
    const found: EmulatedUser[] = [];
    for (const id of directory.userOrder) {
      const user = directory.users.get(id);
      if (!user || user.deleted === 'hard') continue;
      const text = [user.props.userPrincipalName, user.props.mail, user.props.displayName]
        .filter((v): v is string => typeof v === 'string')
        .join(' ')
        .toLowerCase();
      if (!search || text.includes(search)) found.push(user);
    }
    const totalPages = Math.max(1, Math.ceil(found.length / perPage));
    const query = (n: number) =>
      `/_emulator/users?${new URLSearchParams({
        page: String(n),
        per_page: String(perPage),
        ...(search ? { search } : {}),
      }).toString()}`;
    res.json({
      total: found.length,
      page,
      perPage,
      totalPages,
      next: page < totalPages ? query(page + 1) : null,
      users: found.slice((page - 1) * perPage, page * perPage).map((user) => ({
        id: user.id,
        userPrincipalName: user.props.userPrincipalName ?? null,
        displayName: user.props.displayName ?? null,
        mail: user.props.mail ?? null,
        accountEnabled: user.props.accountEnabled ?? null,
        inRecycleBin: user.deleted === 'soft',
      })),
    });
  });
  control.post('/users', (req, res) => {
    const user = directory.createUser(req.body as GraphProps);
    res.status(201).json({ ...user.props, id: user.id });
  });
  control.get('/users/:id', (req, res) => {
    const user = directory.users.get(req.params.id);
    if (!user) return graphError(res, 404, 'Request_ResourceNotFound', 'No such user');
    res.json({
      ...user.props,
      id: user.id,
      deleted: user.deleted,
      photo: user.photo?.etag ?? null,
    });
  });
  control.patch('/users/:id', (req, res) => {
    const user = directory.updateUser(req.params.id, req.body as GraphProps);
    res.json({ ...user.props, id: user.id });
  });
  control.delete('/users/:id', (req, res) => {
    directory.deleteUser(req.params.id, req.query.permanent === 'true');
    res.status(204).end();
  });
  control.post('/users/:id/restore', (req, res) => {
    const user = directory.restoreUser(req.params.id);
    res.json({ ...user.props, id: user.id });
  });
  control.put('/users/:id/photo', express.raw({ type: () => true, limit: '10mb' }), (req, res) => {
    const data = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : null;
    directory.setPhoto(
      req.params.id,
      data
        ? { contentType: req.headers['content-type'] ?? 'image/jpeg', data }
        : solidPng(seed, Date.now(), Math.random()),
    );
    res.json({ etag: directory.user(req.params.id).photo?.etag });
  });
  control.delete('/users/:id/photo', (req, res) => {
    directory.setPhoto(req.params.id, null);
    res.status(204).end();
  });
  control.post('/groups', (req, res) => {
    const body = req.body as { displayName?: string; members?: string[] };
    if (!body.displayName)
      return graphError(res, 400, 'Request_BadRequest', 'displayName is required');
    const group = directory.createGroup(body.displayName, body.members ?? []);
    res
      .status(201)
      .json({ id: group.id, displayName: group.displayName, members: [...group.members] });
  });
  control.patch('/groups/:id', (req, res) => {
    const group = directory.updateGroup(
      req.params.id,
      req.body as { displayName?: string; add?: string[]; remove?: string[] },
    );
    res.json({ id: group.id, displayName: group.displayName, members: [...group.members] });
  });
  control.delete('/groups/:id', (req, res) => {
    directory.deleteGroup(req.params.id);
    res.status(204).end();
  });
  control.post('/apps', (req, res) => {
    const body = req.body as Partial<App>;
    if (!body.clientId || !body.clientSecret) {
      return graphError(res, 400, 'Request_BadRequest', 'clientId and clientSecret are required');
    }
    const registered = {
      clientId: body.clientId,
      clientSecret: body.clientSecret,
      roles: body.roles ?? [],
    };
    apps.set(registered.clientId, registered);
    res.status(201).json(registered);
  });
  control.post('/faults', (req, res) => {
    emulator.addFault(req.body as Fault);
    res.status(201).json({ faults: faults.length });
  });
  control.delete('/faults', (_req, res) => {
    emulator.clearFaults();
    res.status(204).end();
  });
  control.post('/expire-delta-tokens', (_req, res) => {
    emulator.expireDeltaTokens();
    res.status(204).end();
  });
  control.get('/stats', (_req, res) => res.json(stats));
  control.delete('/stats', (_req, res) => {
    stats.requests = {};
    stats.faulted = 0;
    stats.total = 0;
    res.status(204).end();
  });
  control.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof DirectoryError)
      return graphError(res, error.status, error.code, error.message, error.extra);
    graphError(res, 500, 'generalException', error.message);
  });
  app.use('/_emulator', control);

  app.use((req: Request, res: Response) =>
    graphError(res, 404, 'UnknownError', `No route for ${req.method} ${req.path}`),
  );
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    graphError(res, 500, 'generalException', error.message);
  });

  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const defaultRegistered = [...apps.values()][0]!;
  const emulator: GraphEmulator = {
    url,
    authorityUrl: url,
    graphUrl: url,
    tenantId,
    clientId: defaultRegistered.clientId,
    clientSecret: defaultRegistered.clientSecret,
    get directory() {
      return directory;
    },
    apps,
    get seed() {
      return seed;
    },
    stats,
    addFault: (fault) => faults.push({ ...fault, seen: 0 }),
    clearFaults: () => {
      faults.length = 0;
    },
    expireDeltaTokens: () => {
      generation++;
    },
    reset: (reset = {}) => {
      seed = reset.seed ?? seed;
      b2c = reset.b2c ?? b2c;
      directory = new Directory(reset.domain ?? domainFor(b2c), b2c);
      seedDirectory(directory, { ...options, ...reset, seed });
      faults.length = 0;
      generation++;
      stats.requests = {};
      stats.faulted = 0;
      stats.total = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return emulator;
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

function projectGroup(group: EmulatedGroup, select: string[] | null): GraphProps {
  const fields = select ?? ['displayName', 'description', 'mail', 'securityEnabled'];
  const out: GraphProps = { id: group.id };
  for (const field of fields) {
    if (field === 'displayName') out.displayName = group.displayName;
    else if (field === 'securityEnabled') out.securityEnabled = true;
    else if (field !== 'id' && field !== 'members') out[field] = null;
  }
  return out;
}

function graphError(
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

/** Items in an order fixed by `share` (a seeded number in [0, 1)). */
function shuffled<T>(items: T[], share: number): T[] {
  const out = [...items];
  let state = Math.floor(share * 2 ** 31) || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 48271) % 2147483647;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function base(req: Request): string {
  return `${req.protocol}://${req.headers.host ?? '127.0.0.1'}`;
}

function selectOf(query: Record<string, string | undefined>): string[] | null {
  const select = query.$select;
  if (!select) return null;
  return select
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function top(query: Record<string, string | undefined>): number {
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

function maxPageSize(req: Request, fallback: number): number {
  const match = /odata\.maxpagesize=(\d+)/i.exec(String(req.headers.prefer ?? ''));
  return match ? Math.min(Math.max(Number(match[1]), 1), 999) : fallback;
}

function routeKey(path: string): string {
  return path
    .replace(/^\/[^/]+\/oauth2\/v2\.0\/token$/, '/{tenant}/oauth2/v2.0/token')
    .replace(/\/(users|groups)\/(?!delta|\$count)[^/]+/, '/$1/{id}');
}

function sign(key: Buffer, claims: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'HS256' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = crypto
    .createHmac('sha256', key)
    .update(`${header}.${payload}`)
    .digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** The token's claims, or the reason it is refused. */
function verify(key: Buffer, authorization: string | undefined): Record<string, unknown> | string {
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

/** Seeded ids, to address seeded users and groups in tests. */
export const seeded = {
  userId: (seed: string, index: number) => seededId(seed, 'user', index),
  groupId: (seed: string, index: number) => seededId(seed, 'group', index),
  user: seededUser,
};
