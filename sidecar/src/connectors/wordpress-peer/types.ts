// Shapes shared by the WordPress peer target and its full push.
import type { Logger } from '../../logger.js';
import type { PluginFeed } from '../../wordpress/feed.js';
import type { AuditEntry, PeerSettings } from '../../wordpress/types.js';
import type { DeliveryOutcome } from '../types.js';
import type { OutboundStateInput, Store } from '../../store/types.js';
import type { PeerClient } from './client.js';
import type { CompanionClient } from './companion.js';

export interface PeerTargetDeps {
  peer: PeerSettings;
  feed: PluginFeed;
  store: Store;
  logger: Logger;
  /** Injected by tests; built from the peer's settings otherwise. */
  client?: PeerClient;
  companion?: CompanionClient | null;
}

/** What delivering one user produced besides the outcome. */
export interface Delivered {
  outcome: DeliveryOutcome;
  state: OutboundStateInput | 'forget' | null;
  link: string | null | undefined;
  audit: AuditEntry[];
}

/**
 * What recording delivered users waits for: the outbound states until `states` has settled
 * (and are not saved when it failed), the links until `links` has (likewise). Nothing waits
 * when left out.
 */
export interface RecordAfter {
  states?: Promise<unknown>;
  links?: Promise<unknown>;
}
