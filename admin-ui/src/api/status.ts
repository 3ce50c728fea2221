/**
 * Plugin, WordPress and sidecar status.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import { toApiError } from './errors';
import type { Status } from './types';

/**
 * Loads `GET /usersync/v1/status`, which also probes the sidecar's health.
 *
 * @throws {ApiError} When the request fails.
 */
export async function getStatus(): Promise<Status> {
  try {
    return await apiFetch<Status>({ path: '/usersync/v1/status' });
  } catch (error) {
    throw toApiError(error);
  }
}
