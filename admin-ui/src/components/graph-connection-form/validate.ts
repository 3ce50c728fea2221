/**
 * Checks of the Microsoft Graph connection form, matching the plugin's.
 */

/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { GraphConnectionValues } from './types';

const ID = /^[A-Za-z0-9._-]{1,256}$/;
const SLUG = /^[a-z0-9-]{1,64}$/;

export function validateGraphConnection(
  values: GraphConnectionValues,
  isNew: boolean,
): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = values.name.trim();
  if (name === '') {
    errors.name = __('Enter a name for the connection.', 'usersync');
  } else if (name.length > 100) {
    errors.name = __('Use at most 100 characters.', 'usersync');
  }
  if (isNew && values.slug.trim() !== '' && !SLUG.test(values.slug.trim())) {
    errors.slug = __(
      'Use 1 to 64 lowercase letters, digits and hyphens, e.g. contoso-entra.',
      'usersync',
    );
  }
  if (!ID.test(values.tenantId.trim())) {
    errors.tenantId = __(
      'Enter the directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain such as contoso.onmicrosoft.com.',
      'usersync',
    );
  }
  if (!ID.test(values.clientId.trim())) {
    errors.clientId = __(
      'Enter the application (client) ID of the app registration, a GUID.',
      'usersync',
    );
  }
  if ((isNew || values.replaceSecret) && values.clientSecret === '') {
    errors.clientSecret = __(
      'Enter the client secret’s value (not its ID) from Certificates & secrets.',
      'usersync',
    );
  }
  return errors;
}
