/**
 * Checks of the Salesforce connection form, matching the plugin's, and the one only the
 * form can make before a run: with the object's describe at hand, every field Salesforce
 * requires to create a record is filled by an outbound row or a default.
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { SalesforceConnection, SalesforceFieldInfo } from '../../api';
import type { FieldRowValues } from '../salesforce-field-map/types';
import type { SalesforceFormValues } from './types';
import { MAP_PATH, isEditingSecret, parseValueMap, secretsOf } from './values';

const SLUG = /^[a-z0-9-]{1,64}$/;
const MAP_ID = /^[a-z0-9-]{1,40}$/;
const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}(\.[A-Za-z][A-Za-z0-9_]{0,79})?$/;
const CORE_FIELDS = [
  'user_login',
  'user_email',
  'first_name',
  'last_name',
  'display_name',
  'nickname',
  'user_url',
  'description',
];

/** Why a login URL cannot be used with the flow, or null (the plugin's rules). */
export function loginUrlProblem(url: string, flow: SalesforceFormValues['flow']): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL('invalid:');
  }
  const host = parsed.hostname.toLowerCase();
  if (
    host === '' ||
    !/^https?:$/.test(parsed.protocol) ||
    (parsed.pathname !== '/' && parsed.pathname !== '') ||
    parsed.search !== '' ||
    parsed.hash !== '' ||
    parsed.username !== ''
  ) {
    return __(
      'Enter https://login.salesforce.com, https://test.salesforce.com or your org’s My Domain URL, e.g. https://acme.my.salesforce.com.',
      'usersync',
    );
  }
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(host);
  if (parsed.protocol !== 'https:' && !local) {
    return __('Use https (http only for an emulator on 127.0.0.1 or localhost).', 'usersync');
  }
  if (
    flow === 'client_credentials' &&
    ['login.salesforce.com', 'test.salesforce.com'].includes(host)
  ) {
    return __(
      'The client credentials flow signs in only on your org’s My Domain URL (e.g. https://acme.my.salesforce.com), not login.salesforce.com or test.salesforce.com.',
      'usersync',
    );
  }
  return null;
}

/** Why a WordPress field cannot be mapped, or null (roles and capabilities never can). */
function wordpressFieldProblem(field: string): string | null {
  if (field === '') {
    return __('Choose the WordPress field.', 'usersync');
  }
  if (CORE_FIELDS.includes(field) || /^xprofile:.+/.test(field)) {
    return null;
  }
  const meta = /^meta:(.*)$/.exec(field);
  if (meta) {
    const key = meta[1]!.toLowerCase();
    if (
      !/^[A-Za-z0-9_.:-]{1,191}$/.test(meta[1]!) ||
      key.startsWith('_') ||
      key.startsWith('usersync_') ||
      /(^|_)(capabilities|user_level)$/.test(key) ||
      ['session_tokens', 'user_pass', 'user_activation_key', 'default_password_nag'].includes(key)
    ) {
      return sprintf(
        /* translators: %s: meta key. */
        __('The meta key “%s” cannot be written by a sync.', 'usersync'),
        meta[1],
      );
    }
    return null;
  }
  return __(
    'Use a user field (user_email, first_name, …), meta:<key> or xprofile:<Field Name>.',
    'usersync',
  );
}

/**
 * Required-on-create fields of the object (createable, not nillable, not defaulted on create)
 * that no outbound or both-ways row fills.
 */
export function missingRequiredFields(
  rows: FieldRowValues[],
  described: SalesforceFieldInfo[] | undefined,
): SalesforceFieldInfo[] {
  if (!described) {
    return [];
  }
  // An outbound or both-ways row sends its WordPress value, or its default when that is empty.
  const filled = new Set(
    rows.filter((row) => row.direction !== 'inbound').map((row) => row.sf.trim().toLowerCase()),
  );
  return described.filter(
    (field) => field.requiredOnCreate && !filled.has(field.name.toLowerCase()),
  );
}

export function validateSalesforceConnection(
  values: SalesforceFormValues,
  connection: SalesforceConnection | undefined,
  described: SalesforceFieldInfo[] | undefined,
): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = values.name.trim();
  if (name === '') {
    errors.name = __('Enter a name for the connection.', 'usersync');
  } else if (name.length > 100) {
    errors.name = __('Use at most 100 characters.', 'usersync');
  }
  if (!connection && values.slug.trim() !== '' && !SLUG.test(values.slug.trim())) {
    errors.slug = __(
      'Use 1 to 64 lowercase letters, digits and hyphens, e.g. acme-salesforce.',
      'usersync',
    );
  }
  const urlProblem = loginUrlProblem(values.loginUrl.trim(), values.flow);
  if (urlProblem) {
    errors.loginUrl = urlProblem;
  }
  if (!/^[!-~]{1,256}$/.test(values.clientId.trim())) {
    errors.clientId = __('Enter the consumer key of the connected app.', 'usersync');
  }
  if (values.flow === 'jwt' && !/^[^\s@]+@[^\s@]+$/.test(values.username.trim())) {
    errors.username = __(
      'Enter the username the sidecar signs in as, e.g. integration@acme.com.',
      'usersync',
    );
  }
  for (const secret of secretsOf(values.flow)) {
    if (isEditingSecret(values, secret, connection) && values[secret] === '') {
      errors[secret] =
        secret === 'privateKey'
          ? __(
              'Paste the private key (PEM) whose certificate is uploaded to the connected app.',
              'usersync',
            )
          : secret === 'refreshToken'
            ? __('Enter a refresh token issued to the connected app.', 'usersync')
            : __('Enter the consumer secret of the connected app.', 'usersync');
    }
  }
  if (
    values.flow === 'jwt' &&
    isEditingSecret(values, 'privateKey', connection) &&
    values.privateKey !== '' &&
    !/^-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----\s*$/.test(
      values.privateKey.trim(),
    )
  ) {
    errors.privateKey = __(
      'Paste the whole unencrypted PEM key, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----.',
      'usersync',
    );
  }
  if (!/^[1-9][0-9]\.0$/.test(values.apiVersion.trim())) {
    errors.apiVersion = __('Enter a version such as 62.0.', 'usersync');
  }

  if (!MAP_ID.test(values.mapId.trim())) {
    errors[`${MAP_PATH}[id]`] = __(
      'Use 1 to 40 lowercase letters, digits and hyphens, e.g. contacts.',
      'usersync',
    );
  }
  if (!OBJECT_NAME.test(values.sfObject.trim())) {
    errors[`${MAP_PATH}[sfObject]`] = __('Choose the Salesforce object.', 'usersync');
  }
  const filter = values.filter.trim();
  if (filter.length > 2000) {
    errors[`${MAP_PATH}[filter]`] = __('Use at most 2000 characters.', 'usersync');
  } else if (filter.includes(';')) {
    errors[`${MAP_PATH}[filter]`] = __('The filter cannot contain “;”.', 'usersync');
  }
  if (values.externalIdField.trim() !== '' && !OBJECT_NAME.test(values.externalIdField.trim())) {
    errors[`${MAP_PATH}[match][0][sf]`] = __(
      'Enter the API name of an external ID field, e.g. UserSync_Id__c.',
      'usersync',
    );
  }

  const rowsPath = `${MAP_PATH}[fields]`;
  if (values.fields.length === 0) {
    errors[rowsPath] = __('Map at least one field.', 'usersync');
  }
  const inbound = new Map<string, number>();
  values.fields.forEach((row, index) => {
    const at = `${rowsPath}[${index}]`;
    const wp = row.wp.trim();
    const wpProblem = wordpressFieldProblem(wp);
    if (wpProblem) {
      errors[`${at}[wp]`] = wpProblem;
    } else if (row.direction !== 'outbound') {
      const other = inbound.get(wp.toLowerCase());
      if (other !== undefined) {
        errors[`${at}[wp]`] = sprintf(
          /* translators: %d: the other row's number. */
          __(
            'Already filled from Salesforce by row %d. Map each WordPress field inbound once.',
            'usersync',
          ),
          other + 1,
        );
      } else {
        inbound.set(wp.toLowerCase(), index);
      }
    }
    if (!FIELD_NAME.test(row.sf.trim())) {
      errors[`${at}[sf]`] =
        row.sf.trim() === ''
          ? __('Choose the Salesforce field.', 'usersync')
          : __('Enter an API name such as Email, Phone__c or MailingAddress.city.', 'usersync');
    }
    if (row.transform === 'template') {
      if (!/\{[A-Za-z][A-Za-z0-9_.]*\}/.test(row.template)) {
        errors[`${at}[template]`] = __(
          'Enter a template such as {FirstName} {LastName}.',
          'usersync',
        );
      } else if (row.direction !== 'inbound') {
        errors[`${at}[direction]`] = __(
          'A template builds a WordPress value; set the direction to Salesforce → WordPress.',
          'usersync',
        );
      }
    }
    if (row.transform === 'picklist-map' && parseValueMap(row.valueMap) === null) {
      errors[`${at}[valueMap]`] = __(
        'Enter the values, e.g. gold=Gold, silver=Silver.',
        'usersync',
      );
    }
  });

  // Salesforce refuses a create without its required fields; say so before saving.
  const missing = values.createPush ? missingRequiredFields(values.fields, described) : [];
  if (missing.length > 0 && !errors[rowsPath]) {
    errors[rowsPath] = sprintf(
      /* translators: %s: list of Salesforce fields. */
      __(
        'Not saved: creating a record in Salesforce needs %s. Map each with an outbound or both-ways row, give it a default, or turn off creating from WordPress.',
        'usersync',
      ),
      missing.map((field) => `${field.label} (${field.name})`).join(', '),
    );
  }
  return errors;
}
