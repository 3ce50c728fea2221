/**
 * The sync configuration: attribute map, role map, deprovisioning policy, audit retention.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import { toApiError } from './errors';
import type { RoleImpact, RoleMap, SyncConfig } from './types';

const CONFIG_PATH = '/usersync/v1/config';

/**
 * Loads the complete configuration (defaults filled in).
 *
 * @throws {ApiError} When the request fails.
 */
export async function getConfig(): Promise<SyncConfig> {
  try {
    return await apiFetch<SyncConfig>({ path: CONFIG_PATH });
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * Saves the parts given (each top-level key replaces the stored one) and answers the whole
 * configuration as stored.
 *
 * @throws {ApiError} When the plugin refuses a value: `params` names each field at fault.
 */
export async function saveConfig(parts: Partial<SyncConfig>): Promise<SyncConfig> {
  try {
    return await apiFetch<SyncConfig>({ path: CONFIG_PATH, method: 'PUT', data: parts });
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * Whose roles saving this role map would change (the current members of the groups its rules
 * name). Nothing is stored.
 *
 * @throws {ApiError} When the plugin refuses the role map: `params` names each field at fault.
 */
export async function getRoleImpact(roleMap: RoleMap): Promise<RoleImpact> {
  try {
    return await apiFetch<RoleImpact>({
      path: `${CONFIG_PATH}/role-impact`,
      method: 'POST',
      data: { roleMap },
    });
  } catch (error) {
    throw toApiError(error);
  }
}
