// "Push now" of one user to one target (a WordPress peer), for the profile screen (called by
// the plugin, never by browsers):
//   POST /api/v1/targets/:slug/users/:id/push?wait=ms   delivers the user's current state:
//        202 with the queued command at once, or (with `wait`, up to 60 s) 200 with the
//        outcome once it is known — `status` created, updated, unchanged or excluded, or the
//        target's `error`
// The push is a command for the replica that holds the target, like a dead letter's retry.
// Requires `Authorization: Bearer <SIDECAR_API_KEY>` when that key is configured.
import express from 'express';
import type { Request, Response, Router } from 'express';
import { requireApiKey } from '../auth/api-key.js';
import type { Logger } from '../logger.js';
import { TargetNotFoundError } from '../outbound/index.js';
import type { OutboundPipeline } from '../outbound/index.js';
import { WordPressError } from '../wordpress/client.js';

export interface UserPushRoutesDeps {
  pipeline: Pick<OutboundPipeline, 'requestUserPush' | 'waitForCommand'>;
  apiKey: string | null;
  logger: Logger;
}

export function userPushesRouter(deps: UserPushRoutesDeps): Router {
  const router = express.Router();
  router.use(requireApiKey(deps.apiKey));

  router.post('/targets/:slug/users/:id/push', async (req: Request, res: Response) => {
    const userId = Number(req.params.id);
    if (!Number.isInteger(userId) || userId < 1)
      return error(res, 404, 'not_found', 'No such user');
    const wait = Number(req.query.wait ?? 0);
    if (!Number.isInteger(wait) || wait < 0 || wait > 60_000)
      return error(res, 400, 'invalid_request', 'wait must be a whole number of ms up to 60000');
    try {
      const queued = await deps.pipeline.requestUserPush(String(req.params.slug), userId);
      const command = wait > 0 ? await deps.pipeline.waitForCommand(queued.id, wait) : queued;
      const done = command?.state === 'succeeded' || command?.state === 'failed';
      const result = (command?.result ?? {}) as { status?: string; error?: string | null };
      res.status(done ? 200 : 202).json({
        target: String(req.params.slug),
        userId,
        state: command?.state ?? 'queued',
        status: done ? (result.status ?? (command?.state === 'failed' ? 'failed' : null)) : null,
        error: command?.state === 'failed' ? (result.error ?? command.error ?? null) : null,
        command,
      });
    } catch (failure) {
      if (failure instanceof TargetNotFoundError)
        return error(res, 404, 'target_not_found', failure.message);
      if (failure instanceof WordPressError)
        return error(
          res,
          502,
          'wordpress_unavailable',
          `WordPress did not answer: ${failure.message}`,
        );
      deps.logger.error({ err: failure }, 'user push request failed');
      error(res, 500, 'internal_error', (failure as Error).message || 'Internal error');
    }
  });

  return router;
}

function error(res: Response, status: number, code: string, message: string) {
  res.status(status).json({ error: code, message });
}
