/**
 * Salesforce connections: listed, created and changed through the connections routes (the
 * same list as Microsoft Graph ones, `type: "salesforce"`), and what the org offers — its
 * objects and one object's fields — read through the plugin's relay to the sidecar, which
 * signs in with the stored secrets. Test connection, Sync now and runs are the connections'
 * own (./connections).
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import type { APIFetchOptions } from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import { toApiError } from './errors';
import type {
  SalesforceConnection,
  SalesforceConnectionInput,
  SalesforceDescribe,
  SalesforceObjectSummary,
} from './types';

const CONNECTIONS_PATH = '/usersync/v1/connections';

async function call<T>(options: APIFetchOptions<true>): Promise<T> {
  try {
    return await apiFetch<T>(options);
  } catch (error) {
    throw toApiError(error);
  }
}

/** Whether a listed connection is a Salesforce one. */
export function isSalesforceConnection(connection: {
  type: string;
}): connection is SalesforceConnection {
  return connection.type === 'salesforce';
}

/**
 * The Salesforce connections, oldest first.
 *
 * @throws {ApiError} When the request fails.
 */
export async function listSalesforceConnections(): Promise<SalesforceConnection[]> {
  const all = await call<{ type: string }[]>({ path: CONNECTIONS_PATH });
  return all.filter(isSalesforceConnection);
}

/**
 * Creates a Salesforce connection; the secrets of its flow are required.
 *
 * @throws {ApiError} `usersync_invalid_connection` naming the field (`objectMaps[0][fields][2][wp]`).
 */
export function createSalesforceConnection(
  input: SalesforceConnectionInput,
): Promise<SalesforceConnection> {
  return call<SalesforceConnection>({
    path: CONNECTIONS_PATH,
    method: 'POST',
    data: { ...input, type: 'salesforce' },
  });
}

/**
 * Changes a Salesforce connection; fields left out stay, and so do secrets not given.
 *
 * @throws {ApiError} `usersync_invalid_connection` naming the field.
 */
export function updateSalesforceConnection(
  slug: string,
  input: SalesforceConnectionInput,
): Promise<SalesforceConnection> {
  return call<SalesforceConnection>({
    path: `${CONNECTIONS_PATH}/${encodeURIComponent(slug)}`,
    method: 'PUT',
    data: input,
  });
}

/**
 * The objects of the connection's org.
 *
 * @throws {ApiError} When the sidecar or Salesforce cannot be reached or refuses.
 */
export async function listSalesforceObjects(slug: string): Promise<SalesforceObjectSummary[]> {
  const answer = await call<{ objects: SalesforceObjectSummary[] }>({
    path: `${CONNECTIONS_PATH}/${encodeURIComponent(slug)}/salesforce/objects`,
  });
  return answer.objects;
}

/**
 * One object's fields and record types.
 *
 * @throws {ApiError} When the sidecar or Salesforce cannot be reached or refuses.
 */
export function describeSalesforceObject(
  slug: string,
  object: string,
): Promise<SalesforceDescribe> {
  return call<SalesforceDescribe>({
    path: `${CONNECTIONS_PATH}/${encodeURIComponent(slug)}/salesforce/objects/${encodeURIComponent(object)}`,
  });
}
