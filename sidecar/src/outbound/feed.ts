// The outbound side's view of the local WordPress lives with the plugin's client
// (wordpress/feed.ts), so push targets in connectors/ use it without depending on outbound/.
export { PluginFeed, peerSettingsSchema } from '../wordpress/feed.js';
export type {
  AuditEntry,
  FeedPage,
  LinkResult,
  PasswordResult,
  PeerSettings,
} from '../wordpress/feed.js';
