// The engine's HTTP API, called by the plugin on the admin's behalf (never by browsers):
//   POST /api/v1/sources/:source/runs   Sync now ({ dryRun?, full? }) → 202 the run (joins a running one)
//   GET  /api/v1/runs?source=&limit=    recent runs, newest first
//   GET  /api/v1/runs/:id               one run with live progress, counts and details
//   POST /api/v1/runs/:id/cancel        stop a run between batches
//   POST /api/v1/sources/:source/test   Test connection: what works, which permission is missing
//   GET  /api/v1/sources                configured sources (without secrets)
//   POST /api/v1/sources/reload         re-read sources now (the plugin calls it after a change)
// All require `Authorization: Bearer <SIDECAR_API_KEY>` when that key is configured.
import express from 'express';
import type { Request, Response, Router } from 'express';
import { requireApiKey } from '../auth/api-key.js';
import { z } from 'zod';
import { RunConflictError, SourceNotFoundError } from '../engine/index.js';
import type { RunView, SyncEngine } from '../engine/index.js';
import type { Logger } from '../logger.js';
import { WordPressError } from '../wordpress/client.js';

export interface RunRoutesDeps {
  engine: SyncEngine;
  /** SIDECAR_API_KEY; null leaves the routes open (local development only). */
  apiKey: string | null;
  logger: Logger;
  /** Passes a reload on to the other replicas sharing PostgreSQL. */
  replicas?: { reloaded(): Promise<void> };
}

const runRequest = z
  .object({
    dryRun: z.boolean().optional(),
    full: z.boolean().optional(),
  })
  .strict();

export function runsRouter(deps: RunRoutesDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '64kb' }));
  router.use(requireApiKey(deps.apiKey));

  router.get('/sources', (_req, res) => {
    res.json({ sources: deps.engine.listSources() });
  });

  router.post('/sources/reload', async (_req: Request, res: Response) => {
    try {
      await deps.engine.reloadSources();
      await deps.replicas?.reloaded();
      res.json({ sources: deps.engine.listSources() });
    } catch (failure) {
      handle(res, failure, deps.logger);
    }
  });

  router.post('/sources/:source/runs', async (req: Request, res: Response) => {
    const body = runRequest.safeParse(req.body ?? {});
    if (!body.success) {
      return error(res, 400, 'invalid_request', body.error.issues.map((i) => i.message).join('; '));
    }
    try {
      const { run, joined } = await deps.engine.requestRun(String(req.params.source), {
        trigger: 'on-demand',
        ...body.data,
      });
      res.status(202).json({ ...run, joined });
    } catch (failure) {
      handle(res, failure, deps.logger);
    }
  });

  router.get('/runs', async (req: Request, res: Response) => {
    const source = typeof req.query.source === 'string' ? req.query.source : undefined;
    const limit = Number(req.query.limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      return error(res, 400, 'invalid_request', 'limit must be a whole number from 1 to 200');
    }
    const runs = await deps.engine.listRuns({ source, limit });
    res.json({ runs: runs.map(summary) });
  });

  router.get('/runs/:id', async (req: Request, res: Response) => {
    const run = await deps.engine.getRun(String(req.params.id));
    if (!run) return error(res, 404, 'run_not_found', 'No such run');
    res.json(run);
  });

  router.post('/runs/:id/cancel', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const before = await deps.engine.getRun(id);
    if (!before) return error(res, 404, 'run_not_found', 'No such run');
    if (before.state !== 'queued' && before.state !== 'running' && before.state !== 'interrupted') {
      return res
        .status(409)
        .json({ error: 'run_finished', message: `The run already ${before.state}`, run: before });
    }
    const run = await deps.engine.cancelRun(id);
    res.status(202).json(run);
  });

  // Photo reconciliation on demand (it also runs on its own schedule).
  router.post('/sources/:source/photos', async (req: Request, res: Response) => {
    try {
      res.json(await deps.engine.reconcilePhotos(String(req.params.source)));
    } catch (failure) {
      handle(res, failure, deps.logger);
    }
  });

  router.post('/sources/:source/test', async (req: Request, res: Response) => {
    try {
      res.json(await deps.engine.testConnection(String(req.params.source)));
    } catch (failure) {
      handle(res, failure, deps.logger);
    }
  });

  return router;
}

/** Mounts the engine's routes under /api/v1. */
export function mountRunRoutes(app: express.Express, deps: RunRoutesDeps): void {
  app.use('/api/v1', runsRouter(deps));
}

function summary(run: RunView) {
  const { details, ...rest } = run;
  return { ...rest, failures: details.failures.length, waiting: details.waiting ?? null };
}

function handle(res: Response, failure: unknown, logger: Logger) {
  if (failure instanceof SourceNotFoundError)
    return error(res, 404, 'source_not_found', failure.message);
  if (failure instanceof RunConflictError) {
    return res
      .status(409)
      .json({ error: 'run_conflict', message: failure.message, run: failure.run });
  }
  if (failure instanceof WordPressError) {
    return error(res, 502, 'wordpress_unavailable', `WordPress did not answer: ${failure.message}`);
  }
  logger.error({ err: failure }, 'engine request failed');
  error(res, 500, 'internal_error', (failure as Error).message || 'Internal error');
}

function error(res: Response, status: number, code: string, message: string) {
  res.status(status).json({ error: code, message });
}
