// Paging shared by the users and groups routes, as "Paging Microsoft Graph data in your app"
// and "Use delta query to track changes in Microsoft Graph data" describe it: opaque
// `$skiptoken` / `$deltatoken` values (here base64url JSON with a generation, so expired
// tokens can be refused with 410 Gone), `@odata.nextLink` until the last page and then
// `@odata.deltaLink`, `Preference-Applied: odata.maxpagesize`, `$count` with
// `ConsistencyLevel: eventual` ("Advanced query capabilities on Microsoft Entra ID objects"),
// and with `strict: true` the unkind pages the documentation allows, seeded by the tenant's
// seed.
import crypto from 'node:crypto';

import type { Request, Response } from 'express';

import { Directory, DirectoryError } from './directory.js';
import type { GraphProps } from './directory.js';
import { base, graphError, maxPageSize, selectOf } from './http.js';
import type { Query } from './http.js';
import type { EmulatorState } from './state.js';

export interface PagingToken {
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

/** A number in [0, 1) fixed by the seed and `key`: strict choices repeat run after run. */
function chance(state: EmulatorState, key: string): number {
  return (
    crypto.createHash('sha256').update(`${state.seed}:${key}`).digest().readUInt32BE(0) / 2 ** 32
  );
}

function writeToken(state: EmulatorState, token: PagingToken): string {
  return Buffer.from(JSON.stringify({ ...token, g: state.generation })).toString('base64url');
}

export function readToken(state: EmulatorState, raw: string, kind: PagingToken['k']): PagingToken {
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
    throw new DirectoryError(400, 'Request_BadRequest', 'The token does not belong to this query.');
  }
  if ((token.g ?? 0) !== state.generation) {
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

/** Change tracking (delta query) is not available in Azure AD B2C tenants. */
export function refuseDeltaInB2c(state: EmulatorState): void {
  if (state.directory.b2c) {
    throw new DirectoryError(
      400,
      'Request_UnsupportedQuery',
      'Change tracking (delta query) is not supported in Azure AD B2C tenants.',
    );
  }
}

/**
 * Where a delta request starts: the next page of a round (`$skiptoken`), the changes since a
 * deltaLink (`$deltatoken`), or a new round over everything. `$deltatoken=latest` is answered
 * here, with no items and a deltaLink from now on, and gives `undefined`.
 */
export function deltaStart(
  state: EmulatorState,
  req: Request,
  res: Response,
  query: Query,
  kind: 'users' | 'groups',
  log: { seq: number }[],
): PagingToken | undefined {
  const { directory } = state;
  const pageSize = maxPageSize(req, 100);
  if (query.$skiptoken) return readToken(state, query.$skiptoken, kind);
  if (query.$deltatoken === 'latest') {
    const sel = selectOf(query);
    res.json({
      ...(kind === 'users'
        ? { '@odata.context': `${base(req)}/v1.0/$metadata#users(${(sel ?? []).join(',')})` }
        : {}),
      '@odata.deltaLink': deltaLink(state, req, kind, directory.seq, sel),
      value: [],
    });
    return undefined;
  }
  if (query.$deltatoken) {
    const delta = readToken(state, query.$deltatoken, kind);
    return {
      ...delta,
      m: 'c',
      u: directory.seq,
      p: Directory.firstAfter(log, delta.s ?? 0),
      n: pageSize,
    };
  }
  return {
    k: kind,
    m: 'i',
    u: directory.seq,
    p: 0,
    // Groups: the member offset within the group at `p`.
    ...(kind === 'groups' ? { o: 0 } : {}),
    sel: selectOf(query),
    n: pageSize,
    iss: directory.seq,
  };
}

/**
 * The page size the server uses: what `Prefer: odata.maxpagesize` asked for, or (strict)
 * fewer — "Paging Microsoft Graph data in your app": the maximum page size is a preference,
 * the server may return fewer items, and clients page by the links, not by counting.
 */
export function pageSizeAt(state: EmulatorState, token: PagingToken, p: number): number {
  if (!state.strict) return token.n;
  const share = chance(state, `size:${token.m}:${token.s ?? 0}:${p}`);
  return Math.max(1, Math.ceil(token.n * (0.4 + 0.6 * share)));
}

function deltaLink(
  state: EmulatorState,
  req: Request,
  kind: 'users' | 'groups',
  seq: number,
  sel: string[] | null,
): string {
  const token: PagingToken = { k: kind, s: seq, p: 0, sel, n: 100, iss: state.directory.seq };
  return `${base(req)}/v1.0/${kind}/delta?$deltatoken=${writeToken(state, token)}`;
}

/** A page of a delta query: a nextLink to position `p`, or (done) the deltaLink up to `upto`. */
export function deltaPage(
  state: EmulatorState,
  req: Request,
  res: Response,
  kind: 'users' | 'groups',
  value: GraphProps[],
  token: PagingToken,
  p: number,
  done: boolean,
  upto: number,
): void {
  const body: GraphProps = {
    '@odata.context': `${base(req)}/v1.0/$metadata#${kind}(${(token.sel ?? []).join(',')})`,
  };
  let next = p;
  let items = value;
  if (state.strict && kind === 'users') {
    const key = `${kind}:${token.m}:${token.s ?? 0}:${token.p}`;
    if (token.e !== token.p && chance(state, `${key}:empty`) < 0.2) {
      // "Use delta query to track changes in Microsoft Graph data": a nextLink means more
      // pages in the session "even if the current response contains an empty result".
      items = [];
      next = token.p;
      done = false;
    } else if (!done && items.length >= 2 && chance(state, `${key}:replay`) < 0.25) {
      // Delta query: the same resource may be returned more than once (in one session it can
      // reappear on a later page); clients must apply changes idempotently.
      next = p - 1;
    }
    if (items.length > 1 && chance(state, `${key}:order`) < 0.5) {
      // Delta query: changes are not guaranteed to come in the order they were made.
      items = shuffled(items, chance(state, `${key}:shuffle`));
    }
  }
  if (done) body['@odata.deltaLink'] = deltaLink(state, req, kind, upto, token.sel);
  else
    body['@odata.nextLink'] = `${base(req)}/v1.0/${kind}/delta?$skiptoken=${writeToken(state, {
      ...token,
      p: next,
      e: items.length === 0 ? token.p : undefined,
      iss: token.iss,
    })}`;
  body.value = items;
  res.setHeader('Preference-Applied', `odata.maxpagesize=${token.n}`);
  res.json(body);
}

/** A page of a plain listing (`/users`, `/groups`, members, memberOf) at `path`. */
export function listPage(
  state: EmulatorState,
  req: Request,
  res: Response,
  path: string,
  value: GraphProps[],
  token: PagingToken,
  p: number,
  done: boolean,
  query: Query,
): void {
  const body: GraphProps = { '@odata.context': `${base(req)}/v1.0/$metadata#${path}` };
  if (query.$count === 'true') {
    if (state.directory.b2c) return advancedUnsupported(res);
    if (req.headers.consistencylevel !== 'eventual') return countUnsupported(res);
    body['@odata.count'] = path === 'users' ? state.directory.userCount : value.length;
  }
  if (!done)
    body['@odata.nextLink'] =
      `${base(req)}/v1.0/${path}?$skiptoken=${writeToken(state, { ...token, p })}`;
  body.value = value;
  res.json(body);
}

/** `/$count`: the number as text/plain, only with `ConsistencyLevel: eventual`. */
export function count(req: Request, res: Response, n: number): void {
  if (req.headers.consistencylevel !== 'eventual') return countUnsupported(res);
  res.type('text/plain').send(String(n));
}

export function advancedUnsupported(res: Response): void {
  graphError(
    res,
    400,
    'Request_UnsupportedQuery',
    'Advanced query capabilities ($count, $search, ConsistencyLevel) are not supported in Azure AD B2C tenants.',
  );
}

function countUnsupported(res: Response): void {
  graphError(
    res,
    400,
    'Request_BadRequest',
    'Count is not currently supported. Add the ConsistencyLevel header set to eventual.',
  );
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
