/**
 * Checks of the role map as the admin edits it, matching the plugin: every role exists,
 * privileged roles (administrator, and any role that can manage users, plugins or settings)
 * only when explicitly allowed, a group name on every rule, whole-number priorities, no rule
 * twice for the same connections.
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { Role, RoleMap } from '../../api';

export const rulePath = (index: number, field: 'group' | 'role' | 'priority' | 'connections') =>
  `roleMap[rules][${index}][${field}]`;

export const DEFAULT_ROLE_PATH = 'roleMap[defaultRole]';

/** Errors by field path. `roles` undefined (not loaded yet) skips the existence checks. */
export function validateRoleMap(
  roleMap: RoleMap,
  roles: Role[] | undefined,
): Record<string, string> {
  const errors: Record<string, string> = {};
  const roleProblem = (role: string): string | null => {
    if (role === '') {
      return __('Choose a role.', 'usersync');
    }
    if (roles && !roles.some((candidate) => candidate.slug === role)) {
      return sprintf(
        /* translators: %s: role name as stored. */
        __('The role "%s" does not exist on this site.', 'usersync'),
        role,
      );
    }
    const privileged =
      role === 'administrator' || roles?.find((candidate) => candidate.slug === role)?.privileged;
    if (privileged && !roleMap.allowAdministrator) {
      return __(
        'This role can manage users, plugins or settings. Turn on “Allow the administrator role” below to give it through a group.',
        'usersync',
      );
    }
    return null;
  };

  const seen = new Map<string, number>();
  roleMap.rules.forEach((rule, index) => {
    if (rule.group.trim() === '') {
      errors[rulePath(index, 'group')] = __(
        'Enter the group’s name as the identity provider shows it.',
        'usersync',
      );
    }
    const role = roleProblem(rule.role);
    if (role) {
      errors[rulePath(index, 'role')] = role;
    }
    if (rule.connections !== undefined && rule.connections.length === 0) {
      errors[rulePath(index, 'connections')] = __(
        'Choose the connection whose groups this rule reads.',
        'usersync',
      );
    }
    if (!Number.isInteger(rule.priority)) {
      errors[rulePath(index, 'priority')] = __('Enter a whole number.', 'usersync');
    }
    const scope = [...(rule.connections ?? ['*'])].sort().join(',');
    const key = `${rule.group.trim().toLowerCase()}\n${rule.role}\n${scope}`;
    const other = seen.get(key);
    if (rule.group.trim() !== '' && other !== undefined && !errors[rulePath(index, 'group')]) {
      errors[rulePath(index, 'group')] = sprintf(
        /* translators: %d: number of the other rule. */
        __('Rule %d already gives this group this role.', 'usersync'),
        other,
      );
    } else if (other === undefined) {
      seen.set(key, index + 1);
    }
  });

  const defaultRole = roleProblem(roleMap.defaultRole);
  if (defaultRole) {
    errors[DEFAULT_ROLE_PATH] = defaultRole;
  }
  return errors;
}
