// A WordPress user as a peer's SCIM endpoint sees it, through this site's attribute map read
// backwards: each row whose direction lets WordPress write out (`outbound` or `both`) sends
// its WordPress target's value to its SCIM source path. Peer values are read with
// provisioning's one attribute-path reader and login rule. Values are compared by WordPress
// target name (`first_name`, `meta:title`), plus `user_login` and `active` always.
import { createHash } from 'node:crypto';
import type { AttributeMapping, UserSnapshot } from '../../wordpress/types.js';
import { readAttribute, sanitizeLogin, targetKind } from '../../provisioning/index.js';
import { writeSource } from '../../scim/mapping.js';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from '../../scim/schemas/definitions.js';
import type { ScimResource } from '../../scim/schemas/model.js';
import type { MappedValues } from '../../store/types.js';

export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Attribute names every user has, mapped or not. */
export const LOGIN = 'user_login';
export const ACTIVE = 'active';

/**
 * Map rows this site sends out: direction outbound or both, with a target WordPress has —
 * every kind the inbound paths write (core fields, biography, profile picture, meta,
 * BuddyPress profile fields), so that no row is dropped on the way out.
 */
export function outboundEntries(map: AttributeMapping[]): AttributeMapping[] {
  return map.filter(
    (entry) =>
      entry.direction !== 'inbound' &&
      targetKind(entry.target) !== null &&
      !/^username$/i.test(entry.source),
  );
}

/** The value a snapshot holds for one map target. */
function snapshotValue(snapshot: UserSnapshot, target: string): unknown {
  const kind = targetKind(target);
  switch (kind?.kind) {
    case 'core':
      return snapshot[kind.field];
    case 'description':
      return snapshot.description;
    case 'avatar':
      return snapshot.avatarUrl;
    case 'meta':
      return snapshot.meta?.[kind.key];
    case 'xprofile':
      return snapshot.xprofile?.[kind.field];
    default:
      return undefined;
  }
}

/** Every attribute name a peer receives for these rows. */
export function sentAttributes(entries: AttributeMapping[]): Set<string> {
  return new Set([LOGIN, ACTIVE, ...entries.map((entry) => entry.target)]);
}

const clean = (value: unknown): string | null => {
  if (value === undefined || value === null || value === '') return null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

/** The values this site holds for a user. */
export function localValues(snapshot: UserSnapshot, entries: AttributeMapping[]): MappedValues {
  const values: MappedValues = {
    [LOGIN]: snapshot.login,
    [ACTIVE]: snapshot.active ? 'true' : 'false',
  };
  for (const entry of entries) values[entry.target] = clean(snapshotValue(snapshot, entry.target));
  return values;
}

/** The values a peer's SCIM User holds for the same attributes. */
export function peerValues(resource: ScimResource, entries: AttributeMapping[]): MappedValues {
  const values: MappedValues = {
    // The login the peer's userName makes here (the one login rule), so that `Tomás` there
    // and `Tomas` here are the same value, not a difference to push forever.
    [LOGIN]: typeof resource.userName === 'string' ? clean(sanitizeLogin(resource.userName)) : null,
    [ACTIVE]: resource.active === false ? 'false' : 'true',
  };
  for (const entry of entries) values[entry.target] = clean(readAttribute(resource, entry.source));
  return values;
}

/** Hash of a set of values, independent of key order. */
export function valuesHash(values: MappedValues): string {
  const sorted = Object.keys(values)
    .sort()
    .map((key) => [key, values[key] ?? null]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32);
}

/** A SCIM path for PATCH: `emails[primary].value` becomes `emails[primary eq true].value`. */
export function patchPath(source: string): string {
  return source.replace(/\[\s*primary\s*\]/i, '[primary eq true]');
}

/** The SCIM User to create on the peer. `externalId` is this site's user id. */
export function scimUser(
  values: MappedValues,
  entries: AttributeMapping[],
  externalId: string,
): ScimResource {
  const resource: ScimResource = {
    schemas: [USER_SCHEMA],
    userName: values[LOGIN],
    externalId,
    active: values[ACTIVE] !== 'false',
  };
  for (const entry of entries) {
    const value = values[entry.target];
    if (value !== null && value !== undefined) writeSource(resource, entry.source, value);
  }
  if (resource[ENTERPRISE_USER_SCHEMA] !== undefined)
    resource.schemas = [USER_SCHEMA, ENTERPRISE_USER_SCHEMA];
  return resource;
}

export interface PatchOp {
  op: 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/**
 * PATCH operations that set `names` to `values` on the peer (and keep the identity link's
 * externalId right). Attributes outside the map are never touched.
 */
export function patchOperations(
  values: MappedValues,
  entries: AttributeMapping[],
  names: Iterable<string>,
  externalId: string,
): PatchOp[] {
  const wanted = new Set(names);
  const ops: PatchOp[] = [{ op: 'replace', path: 'externalId', value: externalId }];
  if (wanted.has(LOGIN)) ops.push({ op: 'replace', path: 'userName', value: values[LOGIN] });
  if (wanted.has(ACTIVE))
    ops.push({ op: 'replace', path: 'active', value: values[ACTIVE] !== 'false' });
  for (const entry of entries) {
    if (!wanted.has(entry.target)) continue;
    const value = values[entry.target];
    const path = patchPath(entry.source);
    ops.push(
      value === null || value === undefined
        ? { op: 'remove', path }
        : { op: 'replace', path, value },
    );
  }
  return ops;
}

/** The attributes whose values differ between two sets (missing counts as different). */
export function differing(a: MappedValues, b: MappedValues | null): string[] {
  if (!b) return Object.keys(a);
  return Object.keys(a).filter((key) => !(key in b) || (a[key] ?? null) !== (b[key] ?? null));
}

/** The role group names a peer's SCIM User is a member of (groups of this connection). */
export function memberOf(resource: ScimResource): string[] {
  const groups = Array.isArray(resource.groups) ? resource.groups : [];
  return groups
    .map((group) => (group as { display?: unknown }).display)
    .filter((name): name is string => typeof name === 'string');
}

/** The peer's id from a SCIM Location (…/Users/45). */
export function idFromLocation(location: string | undefined): string | null {
  const match = location ? /\/Users\/([^/?#]+)\/?$/.exec(location) : null;
  return match ? decodeURIComponent(match[1]!) : null;
}
