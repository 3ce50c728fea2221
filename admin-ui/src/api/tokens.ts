/**
 * SCIM bearer tokens: list, create (the only answer that holds the secret), revoke.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import { toApiError } from './errors';
import type { CreatedToken, CreateTokenInput, RevokedToken, Token } from './types';

const TOKENS_PATH = '/usersync/v1/tokens';

/**
 * Lists the active tokens.
 *
 * @throws {ApiError} When the request fails.
 */
export async function listTokens(): Promise<Token[]> {
  try {
    return await apiFetch<Token[]>({ path: TOKENS_PATH });
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * Creates a token. The answer holds the secret: show it once, never store it.
 *
 * @throws {ApiError} When the request fails, e.g. `usersync_token_name_taken` (409).
 */
export async function createToken(input: CreateTokenInput): Promise<CreatedToken> {
  const data: CreateTokenInput = { name: input.name };
  if (input.connection) {
    data.connection = input.connection;
  }
  try {
    return await apiFetch<CreatedToken>({ path: TOKENS_PATH, method: 'POST', data });
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * Revokes a token: identity providers using it are refused from then on.
 *
 * @throws {ApiError} When the request fails, e.g. `usersync_token_not_found` (404).
 */
export async function revokeToken(id: string): Promise<RevokedToken> {
  try {
    return await apiFetch<RevokedToken>({
      path: `${TOKENS_PATH}/${encodeURIComponent(id)}`,
      method: 'DELETE',
    });
  } catch (error) {
    throw toApiError(error);
  }
}
