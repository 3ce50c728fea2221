// One person at a time, for the admin's screens (called by the plugin, never by browsers):
//   POST /api/v1/sources/:source/users/sync     { externalIds } → a result per user: the source
//                                               is asked for each one and it is written as a
//                                               run would write it (Users screen, profile,
//                                               Failed records' retry)
//   POST /api/v1/sources/:source/users/preview  { lookup } → "Test with a user": what the source
//                                               returns for one id, sign-in name or email and
//                                               what the attribute and role maps make of it;
//                                               writes nothing
// Sources that cannot be asked for one person (SCIM connections are pushed to) answer 409
// `cannot_fetch`. All require `Authorization: Bearer <SIDECAR_API_KEY>` when that key is set.
import express from 'express';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { requireApiKey } from '../auth/api-key.js';
import { SourceError } from '../connectors/types.js';
import { SourceCannotFetchError, SourceNotFoundError } from '../engine/index.js';
import type { SyncEngine } from '../engine/index.js';
import type { Logger } from '../logger.js';
import { WordPressError } from '../wordpress/client.js';

export interface UserRoutesDeps {
  engine: Pick<SyncEngine, 'syncUsers' | 'previewUser'>;
  /** SIDECAR_API_KEY; null leaves the routes open (local development only). */
  apiKey: string | null;
  logger: Logger;
}

/** Enough for a page of the Users screen; bigger selections are a run's job. */
export const MAX_USERS_PER_SYNC = 100;

const syncRequest = z
  .object({
    externalIds: z
      .array(z.string().trim().min(1).max(512))
      .min(1)
      .max(MAX_USERS_PER_SYNC, `at most ${MAX_USERS_PER_SYNC} users at a time`),
  })
  .strict();

const previewRequest = z.object({ lookup: z.string().trim().min(1).max(512) }).strict();

export function usersRouter(deps: UserRoutesDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '64kb' }));
  router.use(requireApiKey(deps.apiKey));

  router.post('/sources/:source/users/sync', async (req: Request, res: Response) => {
    const body = syncRequest.safeParse(req.body ?? {});
    if (!body.success) return invalid(res, body.error.issues);
    try {
      const results = await deps.engine.syncUsers(String(req.params.source), body.data.externalIds);
      res.json({ source: String(req.params.source), results });
    } catch (failure) {
      handle(res, failure, deps.logger);
    }
  });

  router.post('/sources/:source/users/preview', async (req: Request, res: Response) => {
    const body = previewRequest.safeParse(req.body ?? {});
    if (!body.success) return invalid(res, body.error.issues);
    try {
      res.json(await deps.engine.previewUser(String(req.params.source), body.data.lookup));
    } catch (failure) {
      handle(res, failure, deps.logger);
    }
  });

  return router;
}

function invalid(res: Response, issues: { path: PropertyKey[]; message: string }[]) {
  const message = issues
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
  error(res, 400, 'invalid_request', message);
}

function handle(res: Response, failure: unknown, logger: Logger) {
  if (failure instanceof SourceNotFoundError)
    return error(res, 404, 'source_not_found', failure.message);
  if (failure instanceof SourceCannotFetchError)
    return error(res, 409, 'cannot_fetch', failure.message);
  if (failure instanceof SourceError)
    return error(res, 502, 'source_error', `The source answered: ${failure.message}`);
  if (failure instanceof WordPressError)
    return error(res, 502, 'wordpress_unavailable', `WordPress did not answer: ${failure.message}`);
  logger.error({ err: failure }, 'user request failed');
  error(res, 500, 'internal_error', (failure as Error).message || 'Internal error');
}

function error(res: Response, status: number, code: string, message: string) {
  res.status(status).json({ error: code, message });
}
