/**
 * A Salesforce connection as the form holds it, and back: the first object map's parts as
 * separate values, every other map, match key and row setting kept as stored.
 */

/**
 * Internal dependencies
 */
import type {
  SalesforceConnection,
  SalesforceConnectionInput,
  SalesforceDirection,
  SalesforceFieldRow,
  SalesforceMatchKey,
  SalesforceObjectMap,
} from '../../api';
import type { FieldRowValues } from '../salesforce-field-map/types';
import type { SalesforceFormValues } from './types';

/** Where the form's object map sits in the plugin's field paths. */
export const MAP_PATH = 'objectMaps[0]';

/** A new connection's field map: the contact's name and email, both ways. */
const STARTER_ROWS: FieldRowValues[] = [
  ['user_email', 'Email'],
  ['first_name', 'FirstName'],
  ['last_name', 'LastName'],
].map(([wp, sf]) => ({
  wp: wp!,
  sf: sf!,
  direction: 'both',
  transform: 'none',
  default: '',
  template: '',
  valueMap: '',
  nulls: 'propagate',
}));

function valueMapText(map: Record<string, string> | null): string {
  return map
    ? Object.entries(map)
        .map(([wp, sf]) => `${wp}=${sf}`)
        .join(', ')
    : '';
}

/** `gold=Gold, silver=Silver` as an object; null when empty. */
export function parseValueMap(text: string): Record<string, string> | null {
  const pairs = text
    .split(/[,\n]/)
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '');
  if (pairs.length === 0) {
    return null;
  }
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? [pair, ''] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    }),
  );
}

function rowValues(row: SalesforceFieldRow): FieldRowValues {
  return {
    wp: row.wp,
    sf: row.sf,
    direction: row.direction,
    transform: row.transform,
    default: row.default ?? '',
    template: row.template ?? '',
    valueMap: valueMapText(row.valueMap),
    nulls: row.nulls,
  };
}

function has(directions: SalesforceDirection[] | undefined, direction: SalesforceDirection) {
  return (directions ?? []).includes(direction);
}

export function initialValues(connection?: SalesforceConnection): SalesforceFormValues {
  const map = connection?.objectMaps[0];
  const external = map?.match.find((key) => key.kind === 'externalId');
  const lookup = map?.match.find((key) => key.kind === 'idLookup');
  return {
    name: connection?.name ?? '',
    slug: connection?.slug ?? '',
    loginUrl: connection?.loginUrl ?? '',
    flow: connection?.flow ?? 'client_credentials',
    clientId: connection?.clientId ?? '',
    username: connection?.username ?? '',
    clientSecret: '',
    privateKey: '',
    refreshToken: '',
    replaceClientSecret: false,
    replacePrivateKey: false,
    replaceRefreshToken: false,
    apiVersion: connection?.apiVersion ?? '62.0',
    push: connection?.push ?? true,
    enabled: connection?.enabled ?? true,
    mapId: map?.id ?? 'contacts',
    sfObject: map?.sfObject ?? 'Contact',
    recordTypeId: map?.recordTypeId ?? '',
    filter: map?.filter ?? '',
    createPush: map ? has(map.operations.create, 'push') : true,
    createPull: map ? has(map.operations.create, 'pull') : true,
    updatePush: map ? has(map.operations.update, 'push') : true,
    updatePull: map ? has(map.operations.update, 'pull') : true,
    deletePush: map ? has(map.operations.delete, 'push') : false,
    deletePull: map ? has(map.operations.delete, 'pull') : false,
    externalIdField: external?.sf ?? '',
    lookup: map ? lookup !== undefined : true,
    lookupSf: lookup?.sf ?? 'Email',
    lookupWp: lookup && lookup.kind === 'idLookup' ? lookup.wp : 'user_email',
    deletePolicyPull: map?.deletePolicy.pull ?? 'disable',
    deletePolicyPush: map?.deletePolicy.push ?? 'ignore',
    conflict: map?.conflict ?? 'last-writer-wins',
    fields: map ? map.fields.map(rowValues) : STARTER_ROWS,
  };
}

function directions(push: boolean, pull: boolean): SalesforceDirection[] {
  return [...(push ? (['push'] as const) : []), ...(pull ? (['pull'] as const) : [])];
}

/** The match keys as sent: the external ID first, then the lookup, then any others kept. */
export function matchKeys(
  values: SalesforceFormValues,
  stored: SalesforceMatchKey[] = [],
): SalesforceMatchKey[] {
  const keys: SalesforceMatchKey[] = [];
  if (values.externalIdField.trim() !== '') {
    keys.push({ kind: 'externalId', sf: values.externalIdField.trim() });
  }
  if (values.lookup) {
    const previous = stored.find((key) => key.kind === 'idLookup');
    keys.push({
      kind: 'idLookup',
      sf: values.lookupSf.trim(),
      wp: values.lookupWp.trim(),
      ...(previous && previous.kind === 'idLookup' && previous.caseInsensitive !== undefined
        ? { caseInsensitive: previous.caseInsensitive }
        : {}),
    });
  }
  // Keys the form does not show (a second lookup, say) stay as they are.
  const firstExternal = stored.findIndex((key) => key.kind === 'externalId');
  const firstLookup = stored.findIndex((key) => key.kind === 'idLookup');
  stored.forEach((key, index) => {
    if (index !== firstExternal && index !== firstLookup) {
      keys.push(key);
    }
  });
  return keys;
}

export function fieldRows(rows: FieldRowValues[]): SalesforceFieldRow[] {
  return rows.map((row) => ({
    wp: row.wp.trim(),
    sf: row.sf.trim(),
    direction: row.direction,
    transform: row.transform,
    default: row.default === '' ? null : row.default,
    template: row.transform === 'template' ? row.template : null,
    valueMap: row.transform === 'picklist-map' ? parseValueMap(row.valueMap) : null,
    nulls: row.nulls,
  }));
}

export function toInput(
  values: SalesforceFormValues,
  connection?: SalesforceConnection,
): SalesforceConnectionInput {
  const isNew = connection === undefined;
  const stored = connection?.objectMaps[0];
  const map: SalesforceObjectMap = {
    id: values.mapId.trim(),
    wpObject: 'user',
    sfObject: values.sfObject.trim(),
    recordTypeId: values.recordTypeId === '' ? null : values.recordTypeId,
    filter: values.filter.trim(),
    operations: {
      create: directions(values.createPush, values.createPull),
      update: directions(values.updatePush, values.updatePull),
      delete: directions(values.deletePush, values.deletePull),
    },
    match: matchKeys(values, stored?.match),
    deletePolicy: { pull: values.deletePolicyPull, push: values.deletePolicyPush },
    conflict: values.conflict,
    fields: fieldRows(values.fields),
  };
  const input: SalesforceConnectionInput = {
    name: values.name.trim(),
    loginUrl: values.loginUrl.trim(),
    flow: values.flow,
    clientId: values.clientId.trim(),
    username: values.flow === 'jwt' ? values.username.trim() : (connection?.username ?? ''),
    apiVersion: values.apiVersion.trim(),
    push: values.push,
    enabled: values.enabled,
    objectMaps: [map, ...(connection?.objectMaps.slice(1) ?? [])],
  };
  if (isNew) {
    // Salesforce users have no profile photos to bring.
    input.photos = false;
    if (values.slug.trim() !== '') {
      input.slug = values.slug.trim();
    }
  }
  for (const secret of secretsOf(values.flow)) {
    if (isEditingSecret(values, secret, connection)) {
      input[secret] = secret === 'privateKey' ? normalizePem(values[secret]) : values[secret];
    }
  }
  return input;
}

/**
 * A PEM key as pasted into a password input, which drops line breaks: header, the base64
 * body in lines of 64, footer. Anything else is left for the plugin to judge.
 */
export function normalizePem(text: string): string {
  const pem =
    /^\s*(-----BEGIN ([A-Z ]+)-----)\s*([A-Za-z0-9+/=\s]+?)\s*(-----END \2-----)\s*$/.exec(text);
  if (!pem) {
    return text;
  }
  const body = pem[3]!.replace(/\s+/g, '');
  return `${pem[1]}\n${body.match(/.{1,64}/g)!.join('\n')}\n${pem[4]}\n`;
}

/** The secrets a flow signs in with. */
export function secretsOf(
  flow: SalesforceFormValues['flow'],
): ('clientSecret' | 'privateKey' | 'refreshToken')[] {
  switch (flow) {
    case 'jwt':
      return ['privateKey'];
    case 'refresh_token':
      return ['clientSecret', 'refreshToken'];
    default:
      return ['clientSecret'];
  }
}

const REPLACE = {
  clientSecret: 'replaceClientSecret',
  privateKey: 'replacePrivateKey',
  refreshToken: 'replaceRefreshToken',
} as const;

/** The toggle that opens a stored secret for replacing. */
export function replaceKey(secret: keyof typeof REPLACE) {
  return REPLACE[secret];
}

/** Whether the secret's input is shown: new connection, secret not stored, or being replaced. */
export function isEditingSecret(
  values: SalesforceFormValues,
  secret: keyof typeof REPLACE,
  connection?: SalesforceConnection,
): boolean {
  return !connection || !connection[secret].set || values[REPLACE[secret]];
}
