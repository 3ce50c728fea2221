// Outbound delivery, assembled: the plugin's change feed, the pipeline with one worker per
// target (WordPress peers, Salesforce connections with pushes on), its API for the plugin and the routes peers call.
import type { Router } from 'express';
import type { TokenVerifier } from '../auth/scim-tokens.js';
import { createPeerRoutes, createPushTarget } from '../connectors/registry.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/types.js';
import type { WordPressPlugin, WordPressTransport } from '../wordpress/plugin.js';
import { PluginFeed } from '../wordpress/feed.js';
import { outboundMetrics } from './metrics.js';
import { OutboundPipeline } from './pipeline.js';
import { outboundRouter } from './routes.js';
import type { OutboundSettings } from './settings.js';

export { PluginFeed } from './feed.js';
export type { PeerSettings } from './feed.js';
export { OutboundPipeline, TargetNotFoundError } from './pipeline.js';
export type { TargetStatus } from './pipeline.js';
export { loadOutboundSettings, DEFAULT_OUTBOUND_SETTINGS } from './settings.js';
export type { OutboundSettings } from './settings.js';

export interface OutboundDeps {
  wordpress: WordPressTransport | WordPressPlugin;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** Verifies the bearer tokens peers present (the SCIM tokens of this site). */
  tokens: TokenVerifier;
  apiKey: string | null;
  settings?: Partial<OutboundSettings>;
}

export interface Outbound {
  pipeline: OutboundPipeline;
  /** Mounted at /api/v1/outbound. */
  api: Router;
  /** Mounted at /peer/v1. */
  peer: Router;
}

export function createOutbound(deps: OutboundDeps): Outbound {
  const feed = new PluginFeed(deps.wordpress);
  const logger = deps.logger.child({ component: 'outbound' });
  const pipeline = new OutboundPipeline({
    store: deps.store,
    feed,
    logger,
    settings: deps.settings,
    metrics: outboundMetrics(deps.metrics.registry),
    targetFactory: (target) =>
      createPushTarget(target, {
        feed,
        store: deps.store,
        logger: logger.child({ target: target.slug }),
      }),
  });
  return {
    pipeline,
    api: outboundRouter({ pipeline, store: deps.store, apiKey: deps.apiKey, logger }),
    peer: createPeerRoutes({ tokens: deps.tokens, feed, logger }),
  };
}
