/**
 * The site's roles and users, for the role map and the reassign-to picker.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { addQueryArgs } from '@wordpress/url';

/**
 * Internal dependencies
 */
import { toApiError } from './errors';
import type { Peer, Role, RuleConnection, Token, UserSummary } from './types';

/**
 * Lists the roles a mapping may grant (the service role is left out).
 *
 * @throws {ApiError} When the request fails.
 */
export async function listRoles(): Promise<Role[]> {
  try {
    return await apiFetch<Role[]>({ path: '/usersync/v1/roles' });
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * The connections a role rule can name: SCIM tokens' connections, directory connections and
 * WordPress peers, each slug once (the first name found wins), in that order.
 *
 * @throws {ApiError} When a request fails.
 */
export async function listRuleConnections(): Promise<RuleConnection[]> {
  try {
    const [tokens, directories, config] = await Promise.all([
      apiFetch<Token[]>({ path: '/usersync/v1/tokens' }),
      apiFetch<{ slug: string; name: string }[]>({ path: '/usersync/v1/connections' }),
      apiFetch<{ peers?: Peer[] }>({ path: '/usersync/v1/config' }),
    ]);
    const found = new Map<string, string>();
    for (const { slug, name } of [
      ...tokens.map((token) => ({ slug: token.connection, name: token.name })),
      ...directories,
      ...(config.peers ?? []),
    ]) {
      if (!found.has(slug)) {
        found.set(slug, name);
      }
    }
    return [...found].map(([slug, name]) => ({ slug, name }));
  } catch (error) {
    throw toApiError(error);
  }
}

interface UsersAnswer {
  total: number;
  users: UserSummary[];
}

function summary({ id, login, email, displayName, roles }: UserSummary): UserSummary {
  return { id, login, email, displayName, roles };
}

/**
 * Users whose login, email or name contains `search`, or the user with that id when
 * `search` is a number (at most 20).
 *
 * @throws {ApiError} When the request fails.
 */
export async function findUsers(search: string): Promise<UserSummary[]> {
  const term = search.trim();
  const query: Record<string, string | number> = { per_page: 20, orderby: 'login' };
  if (/^\d+$/.test(term)) {
    query.id = term;
  } else if (term !== '') {
    query.search = term;
  }
  try {
    const answer = await apiFetch<UsersAnswer>({
      path: addQueryArgs('/usersync/v1/users', query),
    });
    return answer.users.map(summary);
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * One user by id, or null when there is none.
 *
 * @throws {ApiError} When the request fails.
 */
export async function getUser(id: number): Promise<UserSummary | null> {
  try {
    const answer = await apiFetch<UsersAnswer>({
      path: addQueryArgs('/usersync/v1/users', { id }),
    });
    return answer.users[0] ? summary(answer.users[0]) : null;
  } catch (error) {
    throw toApiError(error);
  }
}
