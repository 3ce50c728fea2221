/**
 * Checks of the attribute map as the admin types, matching what the plugin enforces on save:
 * readable source attributes, well-formed templates on inbound rows only, known targets,
 * writable meta keys, each WordPress field filled by one row, each source attribute written
 * back by one row, and a login for every user.
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { AttributeMapping } from '../../api';
import { sourceProblem } from '../../scim/attribute-path';
import { templateProblem } from '../../scim/template';

/** WordPress fields a row may fill (besides `meta:<key>`). */
export const CORE_TARGETS = [
  'user_login',
  'user_email',
  'first_name',
  'last_name',
  'display_name',
  'nickname',
  'user_url',
  'description',
  'avatar',
] as const;

/** Prefix of BuddyPress extended profile field targets: `xprofile:<Field Name>`. */
export const XPROFILE = 'xprofile:';

const META_KEY = /^[A-Za-z0-9_.:-]{1,191}$/;
const FIXED_PROTECTED = [
  'session_tokens',
  'default_password_nag',
  'user_activation_key',
  'user_pass',
];

/** Why a meta key cannot be a target, or null when it can. */
export function metaKeyProblem(key: string): string | null {
  if (key.trim() === '') {
    return __('Enter the meta key.', 'usersync');
  }
  if (!META_KEY.test(key)) {
    return __('Use letters, digits and _ . : - only (at most 191).', 'usersync');
  }
  const lower = key.toLowerCase();
  if (
    lower.startsWith('_') ||
    lower.startsWith('usersync_') ||
    /(^|_)(capabilities|user_level)$/.test(lower) ||
    FIXED_PROTECTED.includes(lower)
  ) {
    return __(
      'This meta key is protected: it grants roles, holds secrets or belongs to a plugin.',
      'usersync',
    );
  }
  return null;
}

/** Path of a row's field in the plugin's error `params`. */
export const rowPath = (index: number, field: keyof AttributeMapping) =>
  `attributeMap[${index}][${field}]`;

/** Errors by field path; `attributeMap` holds what concerns the map as a whole. */
export function validateAttributeMap(rows: AttributeMapping[]): Record<string, string> {
  const errors: Record<string, string> = {};
  const add = (path: string, message: string) => {
    if (!(path in errors)) {
      errors[path] = message;
    }
  };
  const filledBy = new Map<string, number>();
  const writtenBackBy = new Map<string, number>();
  let hasLogin = false;

  rows.forEach((row, index) => {
    const number = index + 1;
    const isTemplate = row.transform === 'template';
    if (isTemplate) {
      const template = templateProblem(row.template ?? '');
      if (template) {
        add(rowPath(index, 'template'), template);
      }
      if (row.direction !== 'inbound') {
        add(
          rowPath(index, 'direction'),
          __(
            'A value built from a template cannot be split back into source attributes. Choose “Into WordPress”.',
            'usersync',
          ),
        );
      }
      if (row.target === 'avatar') {
        add(
          rowPath(index, 'transform'),
          __(
            'Profile pictures come from the source’s photo; a template cannot build one.',
            'usersync',
          ),
        );
      }
    } else {
      const source = sourceProblem(row.source);
      if (source) {
        add(rowPath(index, 'source'), source);
      }
    }

    if (row.target.startsWith('meta:')) {
      const problem = metaKeyProblem(row.target.slice(5));
      if (problem) {
        add(rowPath(index, 'target'), problem);
      }
    } else if (row.target.startsWith(XPROFILE)) {
      // Whether the field exists (and BuddyPress is active) only WordPress knows: it says so on save.
      if (row.target.slice(XPROFILE.length).trim() === '') {
        add(rowPath(index, 'target'), __('Enter the profile field’s name.', 'usersync'));
      }
    } else if (!(CORE_TARGETS as readonly string[]).includes(row.target)) {
      add(
        rowPath(index, 'target'),
        sprintf(
          /* translators: %s: target as stored. */
          __('Unknown WordPress field "%s".', 'usersync'),
          row.target,
        ),
      );
    }

    if (row.direction !== 'outbound') {
      const key = row.target.toLowerCase();
      const other = filledBy.get(key);
      if (other !== undefined) {
        add(
          rowPath(index, 'target'),
          sprintf(
            /* translators: %d: number of the other row. */
            __('Row %d already fills this field. Map each WordPress field once.', 'usersync'),
            other,
          ),
        );
      } else {
        filledBy.set(key, number);
      }
      if (row.target === 'user_login') {
        hasLogin = true;
      }
    }
    if (row.direction !== 'inbound' && !isTemplate && row.source.trim() !== '') {
      const key = row.source.trim().toLowerCase();
      const other = writtenBackBy.get(key);
      if (other !== undefined) {
        add(
          rowPath(index, 'source'),
          sprintf(
            /* translators: %d: number of the other row. */
            __(
              'Row %d already writes this attribute back. Send each attribute from one WordPress field.',
              'usersync',
            ),
            other,
          ),
        );
      } else {
        writtenBackBy.set(key, number);
      }
    }
  });

  if (!hasLogin) {
    add(
      'attributeMap',
      __(
        'Map one source attribute to Login (user_login), inbound: every WordPress user needs a login. Usually it is userName.',
        'usersync',
      ),
    );
  }
  return errors;
}
