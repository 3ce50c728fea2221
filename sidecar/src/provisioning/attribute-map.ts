// The attribute map, one reading for every path that turns a source person into a WordPress
// user (SCIM writes, scheduled pulls, peer pushes, the admin's Preview): which targets exist,
// the default map, transforms, and what each inbound row gives for a person — read (or its
// template filled), defaulted, transformed, and for the login the login rule applied.
import { readAttribute } from './attribute-path.js';
import type { Attributes } from './attribute-path.js';
import { planLogin } from './logins.js';
import type { PlannedLogin } from './logins.js';
import { fillTemplate, parseTemplate, templatePaths } from './templates.js';

export type Transform = 'none' | 'lowercase' | 'uppercase' | 'trim' | 'template';

/** One row of the attribute map. */
export interface AttributeMapRow {
  /** Source path in the person's SCIM-shaped attributes; empty on template rows. */
  source: string;
  /** `user_login`, `user_email`, …, `description`, `avatar`, `meta:<key>`, `xprofile:<Field>`. */
  target: string;
  direction: 'inbound' | 'outbound' | 'both';
  transform: Transform | string;
  default: string | null;
  /** With the transform `template`: e.g. `{name.givenName}.{name.familyName}`. */
  template?: string | null;
  /**
   * `propagate` (absent: the default): an empty source value clears the WordPress value;
   * `ignore`: an empty source value leaves the WordPress value as it is.
   */
  nulls?: 'propagate' | 'ignore';
}

/** WordPress core user fields by target name, as the plugin's users/batch route names them. */
export const CORE_TARGETS = {
  user_login: 'login',
  user_email: 'email',
  first_name: 'firstName',
  last_name: 'lastName',
  display_name: 'displayName',
  nickname: 'nickname',
  user_url: 'url',
} as const;

export type CoreField = (typeof CORE_TARGETS)[keyof typeof CORE_TARGETS];

export const META_PREFIX = 'meta:';
/** Attribute map target of a BuddyPress profile field: `xprofile:<Field Name>`. */
export const XPROFILE_PREFIX = 'xprofile:';

/** What a target writes in WordPress; null for a target no path can write. */
export type TargetKind =
  | { kind: 'core'; field: CoreField }
  | { kind: 'description' }
  | { kind: 'avatar' }
  | { kind: 'meta'; key: string }
  | { kind: 'xprofile'; field: string };

export function targetKind(target: string): TargetKind | null {
  if (Object.hasOwn(CORE_TARGETS, target))
    return { kind: 'core', field: CORE_TARGETS[target as keyof typeof CORE_TARGETS] };
  if (target === 'description') return { kind: 'description' };
  if (target === 'avatar') return { kind: 'avatar' };
  if (target.startsWith(META_PREFIX) && target.length > META_PREFIX.length)
    return { kind: 'meta', key: target.slice(META_PREFIX.length) };
  if (target.startsWith(XPROFILE_PREFIX) && target.length > XPROFILE_PREFIX.length)
    return { kind: 'xprofile', field: target.slice(XPROFILE_PREFIX.length) };
  return null;
}

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** The attribute map WordPress uses when the admin has not changed it. */
export const DEFAULT_ATTRIBUTE_MAP: AttributeMapRow[] = [
  ['userName', 'user_login'],
  ['emails[primary].value', 'user_email'],
  ['name.givenName', 'first_name'],
  ['name.familyName', 'last_name'],
  ['displayName', 'display_name'],
  ['nickName', 'nickname'],
  ['profileUrl', 'user_url'],
  ['title', 'meta:title'],
  ['phoneNumbers[type eq "work"].value', 'meta:phone'],
  [`${ENTERPRISE}:department`, 'meta:department'],
  [`${ENTERPRISE}:employeeNumber`, 'meta:employee_number'],
  [`${ENTERPRISE}:organization`, 'meta:organization'],
  ['photos[type eq "photo"].value', 'avatar'],
].map(([source, target]) => ({
  source: source!,
  target: target!,
  direction: target === 'avatar' ? ('inbound' as const) : ('both' as const),
  transform: 'none',
  default: null,
}));

export function applyTransform(transform: string, value: string): string {
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

export const isTemplateRow = (row: Pick<AttributeMapRow, 'transform'>) =>
  row.transform === 'template';

/** Rows that write into WordPress (inbound or both). */
export function inboundRows<T extends Pick<AttributeMapRow, 'direction'>>(map: T[]): T[] {
  return map.filter((row) => row.direction !== 'outbound');
}

/** Source paths the inbound rows read (what a connector must fetch). */
export function sourcePathsOf(map: AttributeMapRow[]): string[] {
  return inboundRows(map).flatMap((row) =>
    isTemplateRow(row) ? templatePaths(row.template ?? '') : [row.source],
  );
}

/** What one inbound row gives for a person. */
export interface RowValue {
  row: AttributeMapRow;
  /** The value to write; undefined when the person has none and the row no default. */
  value: string | undefined;
  /**
   * - `default`: the person had no value, the row's default was used;
   * - `template-unfilled`: a placeholder had no value (and there is no default);
   * - `template-invalid`: the template is malformed;
   * - `login-cleaned`, `login-shortened`, `login-generated`: the login rule changed the value.
   */
  note:
    | 'default'
    | 'template-unfilled'
    | 'template-invalid'
    | `login-${Exclude<PlannedLogin['how'], 'kept'>}`
    | null;
}

/**
 * The value an inbound row gives: the source read, defaulted, then transformed; or the
 * template filled (else the default as it is); the login row through the login rule.
 */
export function rowValue(attributes: Attributes, row: AttributeMapRow): RowValue {
  let value: string | undefined;
  let note: RowValue['note'] = null;
  if (isTemplateRow(row)) {
    const template = row.template ?? '';
    value = fillTemplate(template, (path) => readAttribute(attributes, path)) ?? undefined;
    if (value === undefined) {
      if (row.default !== null && row.default !== undefined) {
        value = row.default;
        note = 'default';
      } else {
        note = parseTemplate(template) ? 'template-unfilled' : 'template-invalid';
      }
    }
  } else {
    value = readAttribute(attributes, row.source);
    if (value === undefined && row.default !== null && row.default !== undefined) {
      value = row.default;
      note = 'default';
    }
    if (value !== undefined) value = applyTransform(row.transform, value);
  }
  if (row.target === 'user_login' && value !== undefined) {
    const planned = planLogin(value);
    value = planned.login;
    if (planned.how !== 'kept') note = `login-${planned.how}`;
  }
  return { row, value, note };
}

/**
 * Every inbound row's value for a person, in the map's order. A row whose empty values are
 * ignored (`nulls: 'ignore'`) gives nothing when the person has no value (after its
 * default): the WordPress value stays as it is.
 */
export function mapPerson(attributes: Attributes, map: AttributeMapRow[]): RowValue[] {
  return inboundRows(map)
    .map((row) => rowValue(attributes, row))
    .filter(({ row, value }) => !(row.nulls === 'ignore' && (value === undefined || value === '')));
}
