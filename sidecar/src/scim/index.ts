// The SCIM 2.0 service provider, mounted by the app at /scim/v2: users and groups stored
// in WordPress through the UserSync plugin, scoped to each bearer token's connection.
import type express from 'express';
import type { TokenVerifier } from '../auth/scim-tokens.js';
import type { Logger } from '../logger.js';
import type { WordPressPlugin, WordPressTransport } from '../wordpress/plugin.js';
import { createScimRouterWith, DEFAULT_RATE_LIMIT, SharedTokenBuckets } from './router.js';
import { wordpressRepositories } from './wordpress-repository.js';

export interface ScimDeps {
  tokens: TokenVerifier;
  wordpress: WordPressTransport | WordPressPlugin;
  /** Sidecar base URL; the SCIM base is publicUrl + '/scim/v2'. */
  publicUrl: string;
  logger: Logger;
  rateLimit?: { requestsPerSecond: number; burst: number };
  /** A store shared by replicas (PostgreSQL): the rate limit is then shared too. */
  sharedStore?: ConstructorParameters<typeof SharedTokenBuckets>[0];
}

export function createScimRouter(deps: ScimDeps): express.Router {
  return createScimRouterWith({
    tokens: deps.tokens,
    repositories: wordpressRepositories({ wordpress: deps.wordpress, logger: deps.logger }),
    publicUrl: deps.publicUrl,
    logger: deps.logger,
    rateLimit: deps.rateLimit,
    rateBuckets: deps.sharedStore
      ? new SharedTokenBuckets(deps.sharedStore, deps.rateLimit ?? DEFAULT_RATE_LIMIT, deps.logger)
      : undefined,
  });
}

export { createScimRouterWith } from './router.js';
export type { ScimRouterOptions, RateLimit, RateBuckets } from './router.js';
export { SharedTokenBuckets, TokenBuckets } from './router.js';
export { MemoryDirectory } from './memory-repository.js';
export type { Repositories, ResourceRepository, ScimContext } from './repository.js';
