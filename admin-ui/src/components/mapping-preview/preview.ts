/**
 * What one source user becomes in WordPress under an attribute map: each inbound row read,
 * defaulted and transformed (or its template filled) the way the sidecar does it, the login
 * made WordPress-safe.
 */

/**
 * Internal dependencies
 */
import type { AttributeMapping, MappingTransform } from '../../api';
import { readSource, sanitizeLogin } from '../../scim/read';
import { fillTemplate, templateProblem } from '../../scim/template';
import type { PreviewRow } from './types';

export function applyTransform(transform: MappingTransform, value: string): string {
  switch (transform) {
    case 'lowercase':
      return value.toLowerCase();
    case 'uppercase':
      return value.toUpperCase();
    case 'trim':
      return value.trim();
    default:
      return value;
  }
}

/** One line per inbound row, in the map's order. */
export function previewUser(user: Record<string, unknown>, rows: AttributeMapping[]): PreviewRow[] {
  return rows
    .filter((row) => row.direction !== 'outbound')
    .map((row) => {
      const isTemplate = row.transform === 'template';
      const template = row.template ?? '';
      let value = isTemplate
        ? fillTemplate(template, (path) => readSource(user, path))
        : readSource(user, row.source);
      const usedDefault = value === undefined && row.default !== null && row.default !== '';
      if (usedDefault) {
        value = row.default ?? undefined;
      }
      // A template's default is used as it is; other rows transform whatever they got.
      if (value !== undefined && !isTemplate) {
        value = applyTransform(row.transform, value);
      }
      let note: PreviewRow['note'] = usedDefault ? 'default' : null;
      if (isTemplate && value === undefined) {
        note = templateProblem(template) === null ? 'template-unfilled' : 'template-invalid';
      }
      if (row.target === 'user_login' && value !== undefined) {
        const login = sanitizeLogin(value);
        if (login !== value) {
          note = login === null ? 'login-generated' : 'login-sanitized';
        }
        value = login ?? undefined;
      }
      return { source: isTemplate ? template : row.source, target: row.target, value, note };
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
