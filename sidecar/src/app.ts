// Composes the sidecar's HTTP surface: health, metrics and SCIM. Everything it needs comes
// in as dependencies, so tests build the same app around a temporary store.
import express from 'express';
import type { Router } from 'express';
import type { ScimTokenCache } from './auth/scim-tokens.js';
import type { SyncEngine } from './engine/index.js';
import { healthHandler } from './http/health.js';
import { observe } from './http/observability.js';
import { mountRunRoutes } from './http/runs.js';
import { salesforceRouter } from './http/salesforce.js';
import { tokensRouter } from './http/tokens.js';
import { userPushesRouter } from './http/user-pushes.js';
import { usersRouter } from './http/users.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Outbound } from './outbound/index.js';
import type { Store } from './store/index.js';
import type { WordPressClient } from './wordpress/client.js';
import { requireApiKey } from './auth/api-key.js';
import type { ReplicaRelay } from './replicas.js';

export interface AppDeps {
  store: Store;
  wordpress: WordPressClient;
  logger: Logger;
  metrics: Metrics;
  version: string;
  scim?: Router;
  /** The SCIM token cache: the plugin tells it about revoked tokens under /api/v1/tokens. */
  tokens?: Pick<ScimTokenCache, 'revoke'>;
  /** The sync engine; its API (runs, Sync now, Test connection) lives under /api/v1. */
  engine?: SyncEngine;
  /** SIDECAR_API_KEY, required by the /api/v1 routes when set. */
  apiKey?: string | null;
  /** Outbound delivery: its API under /api/v1/outbound, the routes peers call at /peer/v1. */
  outbound?: Pick<Outbound, 'api' | 'peer'> & Partial<Pick<Outbound, 'pipeline'>>;
  /** Passes the plugin's reloads and nudges on to the other replicas (PostgreSQL). */
  replicas?: ReplicaRelay;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Only resources carry an ETag, their version; Express's weak body hashes would not match it.
  app.set('etag', false);
  app.set('trust proxy', 'loopback');
  app.use(observe(deps.metrics, deps.logger));

  app.get('/healthz', healthHandler(deps));
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  if (deps.scim) app.use('/scim/v2', deps.scim);
  if (deps.tokens) {
    app.use(
      '/api/v1/tokens',
      tokensRouter({ tokens: deps.tokens, apiKey: deps.apiKey ?? null, logger: deps.logger }),
    );
  }
  if (deps.outbound) {
    if (deps.replicas?.shared) {
      app.post(
        '/api/v1/outbound/nudge',
        requireApiKey(deps.apiKey ?? null),
        express.json({ limit: '16kb' }),
        deps.replicas.nudgeMiddleware(),
      );
    }
    app.use('/api/v1/outbound', deps.outbound.api);
    app.use('/peer/v1', deps.outbound.peer);
    if (deps.outbound.pipeline) {
      app.use(
        '/api/v1',
        userPushesRouter({
          pipeline: deps.outbound.pipeline,
          apiKey: deps.apiKey ?? null,
          logger: deps.logger,
        }),
      );
    }
  }
  if (deps.engine) {
    app.use(
      '/api/v1',
      usersRouter({ engine: deps.engine, apiKey: deps.apiKey ?? null, logger: deps.logger }),
    );
    app.use(
      '/api/v1',
      salesforceRouter({ engine: deps.engine, apiKey: deps.apiKey ?? null, logger: deps.logger }),
    );
    mountRunRoutes(app, {
      engine: deps.engine,
      apiKey: deps.apiKey ?? null,
      logger: deps.logger,
      replicas: {
        reloaded: async () => {
          // Connections name push targets too (Salesforce with pushes on).
          deps.outbound?.pipeline?.nudge(true);
          await deps.replicas?.reloaded();
        },
      },
    });
  }

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No such route' });
  });
  // Last resort: anything thrown above becomes a JSON error, never an HTML page.
  app.use(
    (error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      deps.logger.error({ err: error }, 'unhandled error');
      if (!res.headersSent)
        res.status(500).json({ error: 'internal_error', message: 'Internal error' });
    },
  );
  return app;
}
