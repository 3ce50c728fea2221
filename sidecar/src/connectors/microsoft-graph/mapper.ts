// Microsoft Graph users and groups, validated, and mapped to the canonical (SCIM-shaped) user
// the attribute map reads — the same attribute names Entra ID's own SCIM provisioning uses:
// userPrincipalName → userName, mail → emails[work], jobTitle → title, employeeId →
// enterprise employeeNumber, and so on. Any other Graph property is reachable as
// `urn:usersync:graph:User:<property>` (also extension attributes), which `$select` includes.
import { z } from 'zod';
import type { CanonicalUser } from '../types.js';

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** Raw Graph properties, for attribute-map paths such as `urn:usersync:graph:User:officeLocation`. */
export const GRAPH_EXTENSION = 'urn:usersync:graph:User';

/** Properties every sync selects: what the canonical user is built from. */
const BASE_SELECT = [
  'id',
  'accountEnabled',
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'otherMails',
  'mailNickname',
  'jobTitle',
  'department',
  'employeeId',
  'companyName',
  'businessPhones',
  'mobilePhone',
  'preferredLanguage',
  'streetAddress',
  'city',
  'state',
  'postalCode',
  'country',
];

const identity = z.object({
  signInType: z.string().nullish(),
  issuer: z.string().nullish(),
  issuerAssignedId: z.string().nullish(),
});

export const graphUserSchema = z.looseObject({
  id: z.string().min(1),
  '@removed': z.object({ reason: z.string() }).optional(),
  accountEnabled: z.boolean().nullish(),
  userPrincipalName: z.string().nullish(),
  displayName: z.string().nullish(),
  givenName: z.string().nullish(),
  surname: z.string().nullish(),
  mail: z.string().nullish(),
  otherMails: z.array(z.string()).nullish(),
  mailNickname: z.string().nullish(),
  jobTitle: z.string().nullish(),
  department: z.string().nullish(),
  employeeId: z.string().nullish(),
  companyName: z.string().nullish(),
  businessPhones: z.array(z.string()).nullish(),
  mobilePhone: z.string().nullish(),
  preferredLanguage: z.string().nullish(),
  streetAddress: z.string().nullish(),
  city: z.string().nullish(),
  state: z.string().nullish(),
  postalCode: z.string().nullish(),
  country: z.string().nullish(),
  identities: z.array(identity).nullish(),
});

export type GraphUser = z.infer<typeof graphUserSchema>;

const memberRef = z.looseObject({
  id: z.string().min(1),
  '@odata.type': z.string().optional(),
  '@removed': z.object({ reason: z.string() }).optional(),
});

export const graphGroupSchema = z.looseObject({
  id: z.string().min(1),
  displayName: z.string().nullish(),
  '@removed': z.object({ reason: z.string() }).optional(),
  'members@delta': z.array(memberRef).optional(),
});

export type GraphGroup = z.infer<typeof graphGroupSchema>;

export const collectionSchema = z.looseObject({
  value: z.array(z.unknown()),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
  '@odata.count': z.number().optional(),
});

export const directoryObjectRefSchema = z.looseObject({
  id: z.string().min(1),
  '@odata.type': z.string().optional(),
});

/** `$select` for the attribute map's source paths: the base set plus raw Graph properties. */
export function selectFor(attributePaths: string[], b2c: boolean): string[] {
  const select = new Set(BASE_SELECT);
  if (b2c || attributePaths.some((path) => /^identities\b/i.test(path))) select.add('identities');
  const prefix = `${GRAPH_EXTENSION.toLowerCase()}:`;
  for (const path of attributePaths) {
    if (!path.toLowerCase().startsWith(prefix)) continue;
    const property = path.slice(prefix.length).split(/[.[]/)[0];
    if (property && /^[A-Za-z0-9_]+$/.test(property)) select.add(property);
  }
  return [...select];
}

const clean = (value: string | null | undefined) =>
  typeof value === 'string' && value.trim() !== '' ? value : null;

/** Whether the attribute map reads raw Graph properties (only then are they copied along). */
export function readsRawProperties(attributePaths: string[]): boolean {
  const prefix = `${GRAPH_EXTENSION.toLowerCase()}:`;
  return attributePaths.some((path) => path.toLowerCase().startsWith(prefix));
}

/** Graph user → canonical user. */
export function toCanonicalUser(user: GraphUser, b2c: boolean, raw = true): CanonicalUser {
  const identities = (user.identities ?? []).map((entry) => ({
    signInType: entry.signInType ?? null,
    issuer: entry.issuer ?? null,
    issuerAssignedId: entry.issuerAssignedId ?? null,
  }));
  const identityOf = (type: string) =>
    clean(identities.find((entry) => entry.signInType === type)?.issuerAssignedId);

  const upn = clean(user.userPrincipalName);
  const mail = clean(user.mail);
  // Guests' UPNs look like `jane_example.com#EXT#@contoso.onmicrosoft.com`; their mail is
  // the name people know. B2C's UPNs are generated; the sign-in name is in identities.
  const userName = b2c
    ? (identityOf('emailAddress') ?? identityOf('userName') ?? upn ?? mail)
    : upn && upn.includes('#EXT#') && mail
      ? mail
      : (upn ?? mail);
  const primaryEmail = b2c
    ? (identityOf('emailAddress') ?? mail ?? clean(user.otherMails?.[0]))
    : (mail ?? (upn && !upn.includes('#EXT#') && upn.includes('@') ? upn : null));

  const emails: { value: string; type: string; primary: boolean }[] = [];
  if (primaryEmail) emails.push({ value: primaryEmail, type: 'work', primary: true });
  for (const other of user.otherMails ?? []) {
    if (clean(other) && other !== primaryEmail)
      emails.push({ value: other, type: 'other', primary: false });
  }
  const phoneNumbers: { value: string; type: string }[] = [];
  const work = clean(user.businessPhones?.[0]);
  if (work) phoneNumbers.push({ value: work, type: 'work' });
  const mobile = clean(user.mobilePhone);
  if (mobile) phoneNumbers.push({ value: mobile, type: 'mobile' });
  const address = {
    type: 'work',
    streetAddress: clean(user.streetAddress),
    locality: clean(user.city),
    region: clean(user.state),
    postalCode: clean(user.postalCode),
    country: clean(user.country),
  };
  const hasAddress = Object.entries(address).some(([key, value]) => key !== 'type' && value);

  const attributes: Record<string, unknown> = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    externalId: user.id,
    userName,
    active: user.accountEnabled !== false,
    name: {
      givenName: clean(user.givenName),
      familyName: clean(user.surname),
      formatted: clean(user.displayName),
    },
    displayName: clean(user.displayName),
    nickName: clean(user.mailNickname),
    title: clean(user.jobTitle),
    preferredLanguage: clean(user.preferredLanguage),
    emails,
    phoneNumbers,
    addresses: hasAddress ? [address] : [],
    identities,
    [ENTERPRISE]: {
      department: clean(user.department),
      employeeNumber: clean(user.employeeId),
      organization: clean(user.companyName),
    },
  };
  if (raw) {
    const properties: Record<string, unknown> = {};
    for (const key in user) {
      if (!key.includes('@')) properties[key] = user[key];
    }
    attributes[GRAPH_EXTENSION] = properties;
  }
  return { externalId: user.id, attributes, active: user.accountEnabled !== false };
}
