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
import type { GraphAdvancedValues } from '../graph-advanced-settings/types';
import type { GraphConnectionValues } from './types';

/** An application (client) ID or a directory (tenant) ID: a GUID. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A tenant's domain, e.g. contoso.onmicrosoft.com or contoso.com. */
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const SLUG = /^[a-z0-9-]{1,64}$/;

/** Like the plugin's `FILTER_VALIDATE_URL` plus an http(s) scheme: printable ASCII, a host. */
function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\/[!-~]+$/i.test(value)) {
    return false;
  }
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}

function isWholeNumberIn(value: string, min: number, max: number): boolean {
  const number = Number(value.trim());
  return /^\d+$/.test(value.trim()) && number >= min && number <= max;
}

/**
 * Checks of the advanced settings, as the plugin makes them: endpoint overrides are http(s)
 * URLs or empty, the page size and parallel requests whole numbers in their ranges. The form
 * shows these as the admin types.
 */
export function validateGraphAdvanced(values: GraphAdvancedValues): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const key of ['authorityUrl', 'graphUrl'] as const) {
    const url = values[key].trim();
    if (url !== '' && !isHttpUrl(url)) {
      errors[key] = __(
        'Enter an http(s) URL such as https://login.example.com, or leave it empty for the cloud’s own.',
        'usersync',
      );
    }
  }
  if (!isWholeNumberIn(values.pageSize, 1, 999)) {
    errors.pageSize = __('Enter a whole number from 1 to 999.', 'usersync');
  }
  if (!isWholeNumberIn(values.concurrency, 1, 32)) {
    errors.concurrency = __('Enter a whole number from 1 to 32.', 'usersync');
  }
  return errors;
}

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
  const tenant = values.tenantId.trim();
  if (!GUID.test(tenant) && !DOMAIN.test(tenant)) {
    errors.tenantId = __(
      'Enter the directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain such as contoso.onmicrosoft.com.',
      'usersync',
    );
  }
  if (!GUID.test(values.clientId.trim())) {
    errors.clientId = __(
      'Enter the application (client) ID of the app registration, a GUID such as 5b1f7e2c-3d4a-4f6b-8c9d-0e1f2a3b4c5d.',
      'usersync',
    );
  }
  if ((isNew || values.replaceSecret) && values.clientSecret === '') {
    errors.clientSecret = __(
      'Enter the client secret’s value (not its ID) from Certificates & secrets.',
      'usersync',
    );
  }
  return { ...errors, ...validateGraphAdvanced(values) };
}
