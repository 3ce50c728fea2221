/**
 * Globals and module shapes the settings app relies on.
 */

/// <reference types="@testing-library/jest-dom" />

/**
 * Settings the plugin prints before the app's script (`wp_add_inline_script`).
 */
interface UserSyncAdminSettings {
  /** REST namespace of the plugin's routes, `usersync/v1`. */
  restNamespace: string;
  /** Version of the plugin that rendered the page. */
  version: string;
  /** SCIM base URL identity providers use (`<sidecar URL>/scim/v2`), or null when the sidecar URL is not configured. */
  scimUrl: string | null;
}

interface Window {
  usersyncAdmin?: UserSyncAdminSettings;
}

declare module '*.css';
