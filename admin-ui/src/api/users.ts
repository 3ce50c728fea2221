/**
 * One person at a time: sync chosen users from their source now, retry what failed (an
 * inbound failure by syncing the person again, an outbound dead letter by delivering again),
 * and "Test with a user" of a source.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { addQueryArgs } from '@wordpress/url';

/**
 * Internal dependencies
 */
import { listAudit } from './audit';
import { toApiError } from './errors';
import type { AuditPage, DeadLetter, DeadLetterRetry, RefreshSummary, UserPreview } from './types';

/**
 * Syncs people from their source now: WordPress users (`users`) or, for a person WordPress
 * never got, their ids in the connection's source (`externalIds`).
 *
 * @throws {ApiError} When the request fails.
 */
export async function refreshUsers(
  request: { users: number[]; connection?: string } | { externalIds: string[]; connection: string },
): Promise<RefreshSummary> {
  try {
    return await apiFetch<RefreshSummary>({
      path: '/usersync/v1/users/refresh',
      method: 'POST',
      data: request,
    });
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * The failures of syncs from one connection (or every connection), newest first.
 *
 * @throws {ApiError} When the request fails.
 */
export function listSyncFailures(
  connection: string,
  page: number,
  perPage: number,
): Promise<AuditPage> {
  return listAudit(
    { result: 'failure', source: connection ? `connection:${connection}` : 'run:*' },
    page,
    perPage,
  );
}

/**
 * Changes that could not be delivered to a peer (open ones only).
 *
 * @throws {ApiError} When the request fails (e.g. the sidecar is unreachable).
 */
export async function listDeadLetters(target = ''): Promise<DeadLetter[]> {
  try {
    const answer = await apiFetch<{ deadLetters: DeadLetter[] }>({
      path: addQueryArgs('/usersync/v1/outbound/dead-letters', target ? { target } : {}),
    });
    return answer.deadLetters;
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * Delivers a dead letter's user again and says whether it worked.
 *
 * @throws {ApiError} When the request fails.
 */
export async function retryDeadLetter(id: number): Promise<DeadLetterRetry> {
  try {
    return await apiFetch<DeadLetterRetry>({
      path: `/usersync/v1/outbound/dead-letters/${id}/retry`,
      method: 'POST',
    });
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * "Test with a user": one person as the source returns them and what the maps make of them.
 * Nothing is written.
 *
 * @throws {ApiError} When the request fails (e.g. `usersync_source_error`).
 */
export async function previewUser(source: string, lookup: string): Promise<UserPreview> {
  try {
    return await apiFetch<UserPreview>({
      path: `/usersync/v1/sources/${encodeURIComponent(source)}/user-preview`,
      method: 'POST',
      data: { lookup },
    });
  } catch (error) {
    throw toApiError(error);
  }
}
