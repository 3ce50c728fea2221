/**
 * Deletions scheduled by the grace period of the delete policy.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import { toApiError } from './errors';
import type { PendingDeletions } from './types';

/**
 * Loads `GET /usersync/v1/deprovision/pending`: how many deprovisioned users wait for
 * deletion, and when the next one is due.
 *
 * @throws {ApiError} When the request fails.
 */
export async function getPendingDeletions(): Promise<PendingDeletions> {
  try {
    return await apiFetch<PendingDeletions>({ path: '/usersync/v1/deprovision/pending' });
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * Keeps one user: cancels their pending deletion (they stay disabled). Answers the pending
 * deletions left.
 *
 * @throws {ApiError} `usersync_not_pending` when no deletion was pending for the user.
 */
export async function cancelPendingDeletion(userId: number): Promise<PendingDeletions> {
  try {
    return await apiFetch<PendingDeletions>({
      path: `/usersync/v1/deprovision/pending/${userId}`,
      method: 'DELETE',
    });
  } catch (error) {
    throw toApiError(error);
  }
}
