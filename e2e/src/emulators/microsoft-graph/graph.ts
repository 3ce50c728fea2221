// `GET /v1.0/…`: checks the Bearer access token (401 `InvalidAuthenticationToken` when it is
// missing, forged or expired), hands the request to the users or groups routes with the
// token's application `roles`, and answers a `DirectoryError` they throw in the error format
// of "Microsoft Graph error responses and resource types"; an unknown collection is 400
// `BadRequest`, as Graph answers an unknown segment.
import type { Request, Response } from 'express';

import { DirectoryError } from './directory.js';
import { groupsRoute } from './groups.js';
import { graphError, verify } from './http.js';
import type { EmulatorState } from './state.js';
import { usersRoute } from './users.js';

export function graphGet(state: EmulatorState) {
  return (req: Request, res: Response) => {
    const claims = verify(state.signingKey, req.headers.authorization);
    if (typeof claims === 'string')
      return graphError(res, 401, 'InvalidAuthenticationToken', claims);
    const roles = Array.isArray(claims.roles) ? claims.roles.map(String) : [];
    try {
      route(state, req, res, roles);
    } catch (error) {
      if (error instanceof DirectoryError) {
        return graphError(res, error.status, error.code, error.message, error.extra);
      }
      throw error;
    }
  };
}

function route(state: EmulatorState, req: Request, res: Response, roles: string[]) {
  const segments = req.path
    .slice('/v1.0/'.length)
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  const [collection, ...rest] = segments;
  if (collection === 'users') return usersRoute(state, req, res, roles, rest);
  if (collection === 'groups') return groupsRoute(state, req, res, roles, rest);
  throw new DirectoryError(
    400,
    'BadRequest',
    `Resource not found for the segment '${collection ?? ''}'.`,
  );
}
