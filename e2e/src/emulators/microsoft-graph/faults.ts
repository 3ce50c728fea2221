// Request counting and injected faults, in front of every route but the `/_emulator` control
// API. A fault answers as Graph does when it throttles or fails ("Microsoft Graph throttling
// guidance": 429 `TooManyRequests` with a Retry-After header; 503 `serviceNotAvailable`), or
// only slows the request, or drops the connection.
import type { NextFunction, Request, Response } from 'express';

import { applyFault, firingFault } from '../faults.js';
import { graphError } from './http.js';
import type { EmulatorState } from './state.js';

/** The route a path counts under: ids and the tenant replaced by placeholders. */
function routeKey(path: string): string {
  return path
    .replace(/^\/[^/]+\/oauth2\/v2\.0\/token$/, '/{tenant}/oauth2/v2.0/token')
    .replace(/\/(users|groups)\/(?!delta|\$count)[^/]+/, '/$1/{id}');
}

export function faultsAndStats(state: EmulatorState) {
  const { faults, stats } = state;
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith('/_emulator')) return next();
    stats.total++;
    const batched = req.headers['x-emulator-batched'] ? ' (in $batch)' : '';
    const key = `${req.method} ${routeKey(req.path)}${batched}`;
    stats.requests[key] = (stats.requests[key] ?? 0) + 1;
    const fault = firingFault(faults, req);
    if (!fault) return next();
    stats.faulted++;
    applyFault(fault, req, next, (status) => {
      if (fault.retryAfter !== undefined) res.setHeader('Retry-After', String(fault.retryAfter));
      const [code, message] =
        status === 429
          ? ['TooManyRequests', 'Too many requests, please retry after the time specified.']
          : status === 503
            ? ['serviceNotAvailable', 'The service is temporarily unavailable.']
            : ['generalException', 'An unexpected error occurred.'];
      graphError(res, status, code, message);
    });
  };
}
