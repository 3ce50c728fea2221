// Builds connectors by kind: the one place that knows which folder implements which system.
// engine/ asks for pull sources, outbound/ for push targets and the routes a push target's
// peer calls back; neither imports a connector's folder.
import type { Router } from 'express';
import type { TokenVerifier } from '../auth/scim-tokens.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/types.js';
import type { PluginFeed } from '../wordpress/feed.js';
import type { SourceConnection } from '../wordpress/types.js';
import { MicrosoftGraphConnector } from './microsoft-graph/index.js';
import { SalesforceConnector } from './salesforce/index.js';
import { salesforcePushTarget } from './salesforce/push.js';
import type { Connector, OutboundTarget, PushTargetSpec } from './types.js';
import { peerCompanionRouter } from './wordpress-peer/companion.js';
import { wordpressPeerTarget } from './wordpress-peer/index.js';

export class UnknownSourceTypeError extends Error {
  override name = 'UnknownSourceTypeError';
}

/** The pull source of a configured source; throws `UnknownSourceTypeError` for other kinds. */
export function createPullSource(source: SourceConnection, logger: Logger): Connector {
  switch (source.type) {
    case 'microsoft-graph':
      return new MicrosoftGraphConnector(source.settings, { logger });
    case 'salesforce':
      return new SalesforceConnector(source.settings, { logger, connection: source.slug });
    default:
      throw new UnknownSourceTypeError(
        `Source "${source.slug}" has type "${source.type}", which this sidecar cannot pull from`,
      );
  }
}

export interface PushTargetDeps {
  feed: PluginFeed;
  store: Store;
  logger: Logger;
}

/** The push target of a peer WordPress site, or of a connection that receives pushes. */
export function createPushTarget(target: PushTargetSpec, deps: PushTargetDeps): OutboundTarget {
  switch (target.kind) {
    case 'wordpress-peer':
      return wordpressPeerTarget({ peer: target.peer, ...deps });
    case 'salesforce':
      return salesforcePushTarget(target.connection, deps);
  }
}

/** The routes push targets' peers call on this site (mounted at /peer/v1). */
export function createPeerRoutes(deps: {
  tokens: TokenVerifier;
  feed: PluginFeed;
  logger: Logger;
}): Router {
  return peerCompanionRouter(deps);
}
