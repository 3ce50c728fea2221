// The users resource: `GET /v1.0/users` ("List users": `$select`, `$top` ≤ 999, `$count` with
// `ConsistencyLevel: eventual`, no `$filter` emulated), `/users/delta` ("user: delta": `@removed`
// with reason `changed` for the recycle bin or `deleted`, never-set properties left out, page
// size only by `Prefer: odata.maxpagesize`), `/users/$count`, `/users/{id | userPrincipalName}`,
// `/users/{id}/memberOf` and `/users/{id}/photo` and `/photo/$value` ("profilePhoto resource
// type"). A B2C tenant refuses delta queries, `$count` and photos, as the real service does.
import type { Request, Response } from 'express';

import { DirectoryError, project } from './directory.js';
import type { Directory, EmulatedUser, GraphProps } from './directory.js';
import { memberOf } from './groups.js';
import { base, needs, selectOf, top } from './http.js';
import type { Query } from './http.js';
import {
  advancedUnsupported,
  count,
  deltaPage,
  deltaStart,
  refuseDeltaInB2c,
  listPage,
  pageSizeAt,
  readToken,
} from './paging.js';
import type { EmulatorState } from './state.js';

/** `/v1.0/users/{id}/{sub}/{leaf}`, with the token's application permissions. */
export function usersRoute(
  state: EmulatorState,
  req: Request,
  res: Response,
  roles: string[],
  [id, sub, leaf]: (string | undefined)[],
): unknown {
  const { directory } = state;
  const query = req.query as Query;
  if (id === 'delta' || id === 'delta()' || id === 'microsoft.graph.delta()') {
    needs(roles, 'users');
    return usersDelta(state, req, res, query);
  }
  if (id === '$count') {
    needs(roles, 'users');
    // "Advanced query capabilities on Microsoft Entra ID objects": `$count` is one of them,
    // and advanced queries are not available in Azure AD B2C tenants.
    if (directory.b2c) return advancedUnsupported(res);
    return count(req, res, directory.userCount);
  }
  if (!id) {
    needs(roles, 'users');
    return usersList(state, req, res, query);
  }
  if (sub === 'photo' || sub === 'photos') {
    needs(roles, 'photos');
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
    needs(roles, 'groups');
    directory.user(id);
    return memberOf(state, req, res, query, id);
  }
  if (sub)
    throw new DirectoryError(400, 'BadRequest', `Resource not found for the segment '${sub}'.`);
  needs(roles, 'users');
  const user = findUser(directory, id);
  return res.json({
    '@odata.context': `${base(req)}/v1.0/$metadata#users/$entity`,
    ...project(user, selectOf(query)),
  });
}

function findUser(directory: Directory, idOrUpn: string): EmulatedUser {
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

function usersDelta(state: EmulatorState, req: Request, res: Response, query: Query) {
  const { directory } = state;
  refuseDeltaInB2c(state);
  // users: delta — `$top` is not among the query parameters the function supports; the page
  // size is asked for with the `Prefer: odata.maxpagesize` header, which is only a hint.
  if (query.$top !== undefined) {
    throw new DirectoryError(
      400,
      'Request_UnsupportedQuery',
      'The query parameter $top is not supported with delta queries on users.',
    );
  }
  const token = deltaStart(state, req, res, query, 'users', directory.userLog);
  if (!token) return;
  const value: GraphProps[] = [];
  let p = token.p;
  if (token.m === 'i') {
    const n = pageSizeAt(state, token, p);
    while (p < directory.userOrder.length && value.length < n) {
      const user = directory.users.get(directory.userOrder[p++]!)!;
      if (!user.deleted) value.push(project(user, token.sel, true));
    }
    const done = p >= directory.userOrder.length;
    return deltaPage(state, req, res, 'users', value, token, p, done, token.u!);
  }
  const log = directory.userLog;
  const n = pageSizeAt(state, token, p);
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
  return deltaPage(state, req, res, 'users', value, token, p, done, token.u!);
}

function usersList(state: EmulatorState, req: Request, res: Response, query: Query) {
  const { directory } = state;
  if (query.$filter) {
    throw new DirectoryError(400, 'Request_UnsupportedQuery', 'Unsupported query: $filter.');
  }
  const token = query.$skiptoken
    ? readToken(state, query.$skiptoken, 'users-list')
    : { k: 'users-list' as const, p: 0, sel: selectOf(query), n: top(query), iss: directory.seq };
  const value: GraphProps[] = [];
  let p = token.p;
  while (p < directory.userOrder.length && value.length < token.n) {
    const user = directory.users.get(directory.userOrder[p++]!)!;
    if (!user.deleted) value.push(project(user, token.sel));
  }
  return listPage(
    state,
    req,
    res,
    'users',
    value,
    token,
    p,
    p >= directory.userOrder.length,
    query,
  );
}
