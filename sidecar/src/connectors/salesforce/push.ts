// Builds the Salesforce push target of a connection: its settings parsed, its own client (one
// per target, so its token and API usage are the target's), and the site key that names this
// site in external-id values.
import type { Logger } from '../../logger.js';
import type { Store } from '../../store/types.js';
import type { PluginFeed } from '../../wordpress/feed.js';
import type { SourceConnection } from '../../wordpress/types.js';
import { SalesforceClient } from './client.js';
import { parseSalesforceSettings } from './settings.js';
import { SalesforceTarget, siteKeyOf } from './target.js';
import { recordApiUsage } from './usage.js';

export interface SalesforcePushDeps {
  feed: PluginFeed;
  store: Store;
  logger: Logger;
}

/**
 * The site key: the connection's `siteKey` setting when the admin set one, else the host
 * (and path) of the WordPress URL the sidecar talks to. It only matters for users not linked
 * yet (linked users are written by Id, and every write sets the key again), so a key that
 * changes costs a lookup by the other match keys, never a duplicate.
 */
export function siteKeyFor(connection: SourceConnection, feed: PluginFeed): string {
  const configured = connection.settings.siteKey;
  if (typeof configured === 'string' && configured.trim()) return configured.trim();
  return siteKeyOf(feed.baseUrl);
}

export function salesforcePushTarget(
  connection: SourceConnection,
  deps: SalesforcePushDeps,
): SalesforceTarget {
  const settings = parseSalesforceSettings(connection.settings);
  // Pushes count toward the connection's API budget (and its gauges) like its pulls.
  const client = new SalesforceClient(settings, {
    logger: deps.logger,
    onUsage: (usage) => recordApiUsage(connection.slug, usage),
  });
  return new SalesforceTarget({
    connection,
    settings: {
      ...settings,
      includeAdministrators: connection.settings.includeAdministrators === true,
    },
    client,
    siteKey: siteKeyFor(connection, deps.feed),
    ...deps,
  });
}
