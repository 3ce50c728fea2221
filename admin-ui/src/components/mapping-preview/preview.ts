/**
 * What one source user becomes in WordPress under an attribute map: each inbound row read,
 * defaulted and transformed (or its template filled) the way the sidecar does it, the login
 * made WordPress-safe.
 */

/**
 * External dependencies
 */
import { applyTransform as transform, rowValue } from '@usersync/provisioning';
import type { RowValue } from '@usersync/provisioning';

/**
 * Internal dependencies
 */
import type { AttributeMapping, MappingTransform } from '../../api';
import { templateProblem } from '../../scim/template';
import type { PreviewRow } from './types';

export function applyTransform(transform_: MappingTransform, value: string): string {
  return transform(transform_, value);
}

const NOTES: Record<NonNullable<RowValue['note']>, PreviewRow['note']> = {
  default: 'default',
  'template-unfilled': 'template-unfilled',
  'template-invalid': 'template-invalid',
  'login-cleaned': 'login-sanitized',
  'login-shortened': 'login-shortened',
  'login-generated': 'login-generated',
};

/** One line per inbound row, in the map's order: the sidecar's own mapping of the row. */
export function previewUser(user: Record<string, unknown>, rows: AttributeMapping[]): PreviewRow[] {
  return rows
    .filter((row) => row.direction !== 'outbound')
    .map((row) => {
      const isTemplate = row.transform === 'template';
      const template = row.template ?? '';
      const source = isTemplate ? template : row.source;
      // A template the plugin would refuse on save fills nothing: the row's default, if any.
      const invalid = isTemplate && templateProblem(template) !== null;
      const { value, note } = rowValue(user, invalid ? { ...row, template: '{' } : row);
      return { source, target: row.target, value, note: note === null ? null : NOTES[note] };
    });
}

/** A sample user shaped like what Microsoft Entra ID sends over SCIM. */
export const SAMPLE_USER = {
  schemas: [
    'urn:ietf:params:scim:schemas:core:2.0:User',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  ],
  externalId: '8a1f3c52-6b1e-4c1d-9a55-0c2f1e9d7b31',
  userName: 'AdeleV@contoso.com',
  active: true,
  displayName: 'Adele Vance',
  title: 'Retail Manager',
  name: { givenName: 'Adele', familyName: 'Vance', formatted: 'Adele Vance' },
  emails: [{ type: 'work', primary: true, value: 'AdeleV@contoso.com' }],
  phoneNumbers: [
    { type: 'work', value: '+1 425 555 0109' },
    { type: 'mobile', value: '+1 425 555 0110' },
  ],
  addresses: [{ type: 'work', locality: 'Bellevue', country: 'US', primary: true }],
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': {
    department: 'Retail',
    employeeNumber: '10452',
    organization: 'Contoso',
  },
};
