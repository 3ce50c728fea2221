/**
 * SCIM attribute paths as the attribute map's `source` column uses them, mirroring the
 * plugin's `Source_Attributes` check and the sidecar's reading of a path:
 * `userName`, `name.givenName`, `emails[primary].value`, `phoneNumbers[type eq "work"].value`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`, and any attribute of
 * another schema extension (`urn:<schema>:<attribute>`).
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Core User attributes (RFC 7643 §4.1) and B2C `identities`, with their sub-attributes. */
const CORE: Record<string, string[]> = {
  id: [],
  externalId: [],
  userName: [],
  name: [
    'formatted',
    'familyName',
    'givenName',
    'middleName',
    'honorificPrefix',
    'honorificSuffix',
  ],
  displayName: [],
  nickName: [],
  profileUrl: [],
  title: [],
  userType: [],
  preferredLanguage: [],
  locale: [],
  timezone: [],
  active: [],
  emails: ['value', 'display', 'type', 'primary'],
  phoneNumbers: ['value', 'display', 'type', 'primary'],
  ims: ['value', 'display', 'type', 'primary'],
  photos: ['value', 'display', 'type', 'primary'],
  addresses: [
    'formatted',
    'streetAddress',
    'locality',
    'region',
    'postalCode',
    'country',
    'type',
    'primary',
  ],
  groups: ['value', '$ref', 'display', 'type'],
  entitlements: ['value', 'display', 'type', 'primary'],
  roles: ['value', 'display', 'type', 'primary'],
  x509Certificates: ['value', 'display', 'type', 'primary'],
  identities: ['signInType', 'issuer', 'issuerAssignedId'],
};

const MULTI_VALUED = new Set(
  [
    'emails',
    'phoneNumbers',
    'ims',
    'photos',
    'addresses',
    'groups',
    'entitlements',
    'roles',
    'x509Certificates',
    'identities',
  ].map((name) => name.toLowerCase()),
);

const ENTERPRISE: Record<string, string[]> = {
  employeeNumber: [],
  costCenter: [],
  organization: [],
  division: [],
  department: [],
  manager: ['value', '$ref', 'displayName'],
};

/** Source paths to suggest while typing. */
export const SUGGESTED_SOURCES = [
  'userName',
  'externalId',
  'emails[primary].value',
  'emails[type eq "work"].value',
  'name.givenName',
  'name.familyName',
  'name.formatted',
  'displayName',
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
  'phoneNumbers[type eq "work"].value',
  'phoneNumbers[type eq "mobile"].value',
  'addresses[type eq "work"].locality',
  'addresses[type eq "work"].country',
  'photos[type eq "photo"].value',
  'identities[signInType eq "emailAddress"].issuerAssignedId',
  `${ENTERPRISE_URN}:employeeNumber`,
  `${ENTERPRISE_URN}:department`,
  `${ENTERPRISE_URN}:organization`,
  `${ENTERPRISE_URN}:division`,
  `${ENTERPRISE_URN}:costCenter`,
  `${ENTERPRISE_URN}:manager.displayName`,
];

/** A parsed source path. */
export interface AttributePath {
  /** Schema URN of an extension attribute, or null for the core schema. */
  schema: string | null;
  /** Attribute name as written. */
  attribute: string;
  /** The text between `[` and `]`, if any. */
  filter: string | null;
  /** Sub-attribute name, if any. */
  sub: string | null;
}

const PATH = /^([A-Za-z_$][A-Za-z0-9_$-]*)(?:\[([^\]]+)\])?(?:\.([A-Za-z_$][A-Za-z0-9_$-]*))?$/;

/** Splits a path into its parts, or null when it is not a path. */
export function parseAttributePath(path: string): AttributePath | null {
  const text = path.trim();
  let schema: string | null = null;
  let rest = text;
  if (/^urn:/i.test(text)) {
    // The attribute starts after the schema's last colon (sub-attributes use dots).
    const bracket = text.indexOf('[');
    const head = bracket === -1 ? text : text.slice(0, bracket);
    const colon = head.lastIndexOf(':');
    if (colon <= 4) {
      return null;
    }
    schema = text.slice(0, colon);
    rest = text.slice(colon + 1);
    if (!/^urn:[A-Za-z0-9][A-Za-z0-9.:_-]*$/.test(schema)) {
      return null;
    }
  }
  const match = PATH.exec(rest);
  if (!match) {
    return null;
  }
  return { schema, attribute: match[1], filter: match[2] ?? null, sub: match[3] ?? null };
}

function findName(names: string[], name: string): string | undefined {
  return names.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
}

/** Why a source path cannot be read, or null when it can. */
export function sourceProblem(path: string): string | null {
  if (path.trim() === '') {
    return __('Enter the source attribute.', 'usersync');
  }
  const parsed = parseAttributePath(path);
  if (!parsed) {
    return /^urn:/i.test(path.trim())
      ? __('An extension attribute looks like urn:<schema>:<attribute>.', 'usersync')
      : __(
          'Write an attribute path such as name.givenName, emails[primary].value or phoneNumbers[type eq "work"].value.',
          'usersync',
        );
  }
  let known = CORE;
  if (parsed.schema) {
    if (parsed.schema.toLowerCase() !== ENTERPRISE_URN.toLowerCase()) {
      // Another schema extension: its attributes are whatever the source defines.
      return null;
    }
    known = ENTERPRISE;
  }
  const attribute = findName(Object.keys(known), parsed.attribute);
  if (!attribute) {
    return sprintf(
      /* translators: %s: attribute name as typed. */
      __('Unknown attribute "%s".', 'usersync'),
      parsed.attribute,
    );
  }
  if (parsed.sub && !findName(known[attribute], parsed.sub)) {
    return sprintf(
      /* translators: 1: attribute name, 2: sub-attribute name. */
      __('"%1$s" has no sub-attribute "%2$s".', 'usersync'),
      parsed.attribute,
      parsed.sub,
    );
  }
  if (parsed.filter && (parsed.schema || !MULTI_VALUED.has(attribute.toLowerCase()))) {
    return sprintf(
      /* translators: %s: attribute name. */
      __('"%s" has a single value; it cannot be filtered with [ ].', 'usersync'),
      parsed.attribute,
    );
  }
  return null;
}
