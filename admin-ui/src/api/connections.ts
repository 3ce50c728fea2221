/**
 * Pull connections (Microsoft Entra ID / Azure AD B2C through Microsoft Graph), their runs,
 * Sync now, Cancel and Test connection. The plugin relays the last four to the sidecar.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import type { APIFetchOptions } from '@wordpress/api-fetch';
import { addQueryArgs } from '@wordpress/url';

/**
 * Internal dependencies
 */
import { toApiError } from './errors';
import type { Connection, ConnectionInput, ConnectionTest, Run } from './types';

const CONNECTIONS_PATH = '/usersync/v1/connections';

async function call<T>(options: APIFetchOptions<true>): Promise<T> {
  try {
    return await apiFetch<T>(options);
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * Lists the connections, oldest first.
 *
 * @throws {ApiError} When the request fails.
 */
export function listConnections(): Promise<Connection[]> {
  return call<Connection[]>({ path: CONNECTIONS_PATH });
}

/**
 * Creates a connection; the client secret is required.
 *
 * @throws {ApiError} `usersync_invalid_connection` naming the field, `usersync_connection_exists`.
 */
export function createConnection(input: ConnectionInput): Promise<Connection> {
  return call<Connection>({ path: CONNECTIONS_PATH, method: 'POST', data: input });
}

/**
 * Changes a connection; fields left out stay, and so does the secret unless one is given.
 *
 * @throws {ApiError} `usersync_invalid_connection` naming the field.
 */
export function updateConnection(slug: string, input: ConnectionInput): Promise<Connection> {
  return call<Connection>({
    path: `${CONNECTIONS_PATH}/${encodeURIComponent(slug)}`,
    method: 'PUT',
    data: input,
  });
}

/**
 * Deletes a connection (its users stay).
 *
 * @throws {ApiError} When the request fails.
 */
export function deleteConnection(slug: string): Promise<{ deleted: boolean; slug: string }> {
  return call({ path: `${CONNECTIONS_PATH}/${encodeURIComponent(slug)}`, method: 'DELETE' });
}

/**
 * Test connection: signs in and reads as a run would, and says what is missing.
 *
 * @throws {ApiError} When the sidecar cannot be reached or does not know the source.
 */
export function testConnection(slug: string): Promise<ConnectionTest> {
  return call<ConnectionTest>({
    path: `/usersync/v1/sources/${encodeURIComponent(slug)}/test`,
    method: 'POST',
  });
}

/** What a photo check found: linked users checked, photos brought or replaced, removed. */
export interface PhotoCheck {
  checked: number;
  updated: number;
  removed: number;
}

/**
 * Checks the profile photos of the source's linked users now (a delta sync never sees a
 * photo-only change); only changed photos are downloaded.
 *
 * @throws {ApiError} When the sidecar cannot be reached or does not know the source.
 */
export function checkPhotos(slug: string): Promise<PhotoCheck> {
  return call<PhotoCheck>({
    path: `/usersync/v1/sources/${encodeURIComponent(slug)}/photos`,
    method: 'POST',
  });
}

/**
 * Sync now: starts a run of the source, or joins the one going.
 *
 * @throws {ApiError} `usersync_run_conflict` when a different kind of run is going.
 */
export function startRun(
  slug: string,
  options: { dryRun?: boolean; full?: boolean } = {},
): Promise<Run> {
  return call<Run>({
    path: `/usersync/v1/sources/${encodeURIComponent(slug)}/runs`,
    method: 'POST',
    data: options,
  });
}

/**
 * Recent runs, newest first, of one source or all.
 *
 * @throws {ApiError} When the sidecar cannot be reached.
 */
export async function listRuns(source?: string, limit = 10): Promise<Run[]> {
  const query: Record<string, string | number> = { limit };
  if (source) {
    query.source = source;
  }
  const answer = await call<{ runs: Run[] }>({ path: addQueryArgs('/usersync/v1/runs', query) });
  return answer.runs;
}

/**
 * One run with its live progress.
 *
 * @throws {ApiError} When the request fails.
 */
export function getRun(id: string): Promise<Run> {
  return call<Run>({ path: `/usersync/v1/runs/${encodeURIComponent(id)}` });
}

/**
 * Asks a run to stop; it stops between two batches.
 *
 * @throws {ApiError} `usersync_run_finished` when it already ended.
 */
export function cancelRun(id: string): Promise<Run> {
  return call<Run>({ path: `/usersync/v1/runs/${encodeURIComponent(id)}/cancel`, method: 'POST' });
}
