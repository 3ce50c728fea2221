// The outbound pipeline's HTTP API, under /api/v1/outbound, for the plugin (never browsers):
//   POST /nudge                            the change feed has news (sent by the plugin at the
//                                          end of requests that wrote outbox rows)
//   GET  /                                 targets with their state, lag, last error, counts,
//                                          dead letters and push progress (the Overview)
//   GET  /dead-letters?target=&limit=&includeResolved=1
//   POST /dead-letters/:id/retry?wait=ms   delivers the user's current state again: 202 with
//                                          the queued command at once, or (with `wait`, up to
//                                          60 s) 200 with the outcome once it is known
//   POST /targets/:slug/push               full push of every user → 202 the run (joins one)
//                                          and its command
//   GET  /targets/:slug/push               the latest full push run of the target
//   GET  /commands/:id                     a push or retry command: queued, running,
//                                          succeeded or failed, with its result
// Pushes and retries are commands stored for the replica that delivers to the target, so any
// replica can take the request and answer at once.
// All require `Authorization: Bearer <SIDECAR_API_KEY>` when that key is configured.
import express from 'express';
import type { Request, Response, Router } from 'express';
import { requireApiKey } from '../auth/api-key.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/types.js';
import { WordPressError } from '../wordpress/client.js';
import { pushSource, retryOutcome, TargetNotFoundError } from './pipeline.js';
import type { OutboundPipeline } from './pipeline.js';

export interface OutboundRouteDeps {
  pipeline: OutboundPipeline;
  store: Store;
  apiKey: string | null;
  logger: Logger;
}

export function outboundRouter(deps: OutboundRouteDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '16kb' }));
  router.use(requireApiKey(deps.apiKey));

  router.post('/nudge', (req, res) => {
    deps.pipeline.nudge((req.body as { reload?: unknown } | undefined)?.reload === true);
    res.status(202).json({ ok: true });
  });

  router.get('/', async (_req, res) => {
    res.json(await deps.pipeline.status());
  });

  router.get('/dead-letters', async (req: Request, res: Response) => {
    const limit = Number(req.query.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      return error(res, 400, 'invalid_request', 'limit must be a whole number from 1 to 1000');
    const deadLetters = await deps.store.listDeadLetters({
      target: typeof req.query.target === 'string' ? req.query.target : undefined,
      includeResolved: req.query.includeResolved === '1' || req.query.includeResolved === 'true',
      limit,
    });
    res.json({ deadLetters });
  });

  router.post('/dead-letters/:id/retry', async (req: Request, res: Response) => {
    const id = Number(req.params.id);
    if (!Number.isInteger(id) || id < 1) return error(res, 404, 'not_found', 'No such dead letter');
    const wait = Number(req.query.wait ?? 0);
    if (!Number.isInteger(wait) || wait < 0 || wait > 60_000)
      return error(res, 400, 'invalid_request', 'wait must be a whole number of ms up to 60000');
    try {
      const queued = await deps.pipeline.requestRetry(id);
      if (queued === undefined) return error(res, 404, 'not_found', 'No such dead letter');
      if (queued === null) {
        const deadLetter = await deps.store.getDeadLetter(id);
        return res.json({ id, resolved: true, error: null, deadLetter, command: null });
      }
      const command = wait > 0 ? await deps.pipeline.waitForCommand(queued.id, wait) : queued;
      const done = command?.state === 'succeeded' || command?.state === 'failed';
      res.status(done ? 200 : 202).json({
        id,
        ...retryOutcome(command),
        deadLetter: await deps.store.getDeadLetter(id),
        command,
      });
    } catch (failure) {
      handle(res, failure, deps.logger);
    }
  });

  router.post('/targets/:slug/push', async (req: Request, res: Response) => {
    try {
      const { run, joined, command } = await deps.pipeline.requestPush(String(req.params.slug));
      res.status(202).json({ ...run, joined, command });
    } catch (failure) {
      handle(res, failure, deps.logger);
    }
  });

  router.get('/targets/:slug/push', async (req: Request, res: Response) => {
    const [run] = await deps.store.listRuns({
      source: pushSource(String(req.params.slug)),
      limit: 1,
    });
    if (!run) return error(res, 404, 'not_found', 'This target has not been pushed to yet');
    res.json(run);
  });

  router.get('/commands/:id', async (req: Request, res: Response) => {
    const command = await deps.store.getCommand(String(req.params.id));
    if (!command || !command.scope.startsWith('outbound:'))
      return error(res, 404, 'not_found', 'No such command');
    res.json(command);
  });

  return router;
}

function handle(res: Response, failure: unknown, logger: Logger) {
  if (failure instanceof TargetNotFoundError)
    return error(res, 404, 'target_not_found', failure.message);
  if (failure instanceof WordPressError)
    return error(res, 502, 'wordpress_unavailable', `WordPress did not answer: ${failure.message}`);
  logger.error({ err: failure }, 'outbound request failed');
  error(res, 500, 'internal_error', (failure as Error).message || 'Internal error');
}

function error(res: Response, status: number, code: string, message: string) {
  res.status(status).json({ error: code, message });
}
