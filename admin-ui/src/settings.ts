/**
 * Reads the settings the plugin hands to the app through `window.usersyncAdmin`.
 */

export type AdminSettings = UserSyncAdminSettings;

/**
 * Returns the page settings, with safe defaults when the plugin did not print them
 * (for example when the script is loaded on its own).
 */
export function getAdminSettings(): AdminSettings {
  const settings = typeof window === 'undefined' ? undefined : window.usersyncAdmin;
  return {
    restNamespace: settings?.restNamespace || 'usersync/v1',
    version: settings?.version || '',
    scimUrl: settings?.scimUrl || null,
  };
}
