/**
 * Client-side checks of the create-token form, matching what the plugin enforces, and the
 * mapping of server errors to the field they concern.
 */

/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ApiError } from '../../api';
import type { FieldErrors } from './types';

export const NAME_MAX_LENGTH = 100;
export const CONNECTION_PATTERN = /^[a-z0-9-]{1,64}$/;

/** Checks the values before they are sent; an empty object means they may be sent. */
export function validateToken(name: string, connection: string): FieldErrors {
  const errors: FieldErrors = {};
  const trimmed = name.trim();
  if (trimmed === '') {
    errors.name = __('Enter a name for the token.', 'usersync');
  } else if (trimmed.length > NAME_MAX_LENGTH) {
    errors.name = __('Use at most 100 characters.', 'usersync');
  }
  const slug = connection.trim();
  if (slug !== '' && !CONNECTION_PATTERN.test(slug)) {
    errors.connection = __(
      'Use 1 to 64 lowercase letters, digits and hyphens, e.g. entra-production.',
      'usersync',
    );
  }
  return errors;
}

/** Picks the field a server error is about, if any. */
export function fieldErrorsFromApi(error: ApiError): FieldErrors {
  const errors: FieldErrors = {};
  if (error.params.name) {
    errors.name = error.params.name;
  }
  if (error.params.connection) {
    errors.connection = error.params.connection;
  }
  if (error.code === 'usersync_token_name_taken') {
    errors.name = error.message;
  } else if (/connection/.test(error.code) && !errors.connection) {
    errors.connection = error.message;
  }
  return errors;
}

/** What the plugin will derive from the name when no connection is given (sanitize_title). */
export function suggestConnection(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}
