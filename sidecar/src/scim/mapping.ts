// SCIM resources ↔ WordPress users and groups, through the admin's attribute map
// (GET /usersync/v1/config). WordPress is the truth for mapped fields; attributes it has
// no field for come back from the SCIM object the connection last sent, so an IdP reads
// back what it wrote. userName is kept exactly as sent while WordPress gets a login that
// sanitize_user( $login, true ) leaves unchanged.
import { loginMatches, sanitizeLogin } from '../engine/logins.js';
import { fillTemplate } from '../engine/mapping.js';
import { compileValueFilter, parsePatchPath } from './filter.js';
import type { FilterNode } from './filter.js';
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  USER_RESOURCE,
  USER_SCHEMA,
} from './schemas/definitions.js';
import { findByName, getProp, resolveAttribute } from './schemas/model.js';
import type { ResolvedAttribute, ScimResource } from './schemas/model.js';

export interface AttributeMapEntry {
  /** SCIM attribute path; empty on template rows. */
  source: string;
  target: string;
  direction: 'inbound' | 'outbound' | 'both';
  transform: string;
  default: string | null;
  /** With the transform `template`: e.g. `{name.givenName}.{name.familyName}`. */
  template?: string | null;
}

// The plugin's snapshots and write input are defined once, with their schemas, in wordpress/.
export type { GroupSnapshot, UserSnapshot, WordPressUserInput } from '../wordpress/types.js';
import type { GroupSnapshot, UserSnapshot, WordPressUserInput } from '../wordpress/types.js';
import { defaultAttributeMap } from '../wordpress/types.js';

/** The attribute map WordPress uses when the admin has not changed it. */
export const DEFAULT_ATTRIBUTE_MAP: AttributeMapEntry[] = defaultAttributeMap();

const CORE_TARGETS: Record<string, keyof WordPressUserInput & keyof UserSnapshot> = {
  user_login: 'login',
  user_email: 'email',
  first_name: 'firstName',
  last_name: 'lastName',
  display_name: 'displayName',
  nickname: 'nickname',
  user_url: 'url',
};

// Login helpers live with the engine (scheduled pulls make logins the same way).
export { loginCandidate, loginMatches, sanitizeLogin } from '../engine/logins.js';

/** Attribute map target of a BuddyPress profile field: `xprofile:<Field Name>`. */
export const XPROFILE_PREFIX = 'xprofile:';

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

interface SourcePath {
  resolved: ResolvedAttribute;
  filter?: FilterNode;
  /** `[primary]` shorthand: the primary item, else the first. */
  primaryOrFirst: boolean;
  sub?: string;
}

const sourceCache = new Map<string, SourcePath | null>();

/** Parses a map source such as `emails[primary].value` or `phoneNumbers[type eq "work"].value`. */
export function parseSource(source: string): SourcePath | null {
  if (sourceCache.has(source)) return sourceCache.get(source)!;
  let parsed: SourcePath | null = null;
  try {
    const primaryOrFirst = /\[\s*primary\s*\]/i.test(source);
    const path = parsePatchPath(source.replace(/\[\s*primary\s*\]/i, '[primary eq true]'));
    const resolved = resolveAttribute(USER_RESOURCE, path.attribute);
    if (resolved)
      parsed = { resolved, filter: path.filter, primaryOrFirst, sub: path.subAttribute };
  } catch {
    parsed = null;
  }
  sourceCache.set(source, parsed);
  return parsed;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function container(resource: ScimResource, resolved: ResolvedAttribute, create: boolean) {
  if (!resolved.schema) return resource;
  let value = getProp(resource, resolved.schema);
  if (!isPlainObject(value) && create) {
    value = {};
    resource[resolved.schema] = value;
  }
  return isPlainObject(value) ? value : undefined;
}

/** Reads a map source from a SCIM resource as a string (undefined when absent). */
export function readSource(resource: ScimResource, source: string): string | undefined {
  const path = parseSource(source);
  if (!path) return undefined;
  const { resolved } = path;
  const holder = container(resource, resolved, false);
  let value: unknown;
  if (path.filter) {
    const items = getProp(holder, resolved.attribute.name);
    const list = Array.isArray(items) ? items : items === undefined ? [] : [items];
    const match = compileValueFilter(path.filter, resolved);
    const item = list.find(match) ?? (path.primaryOrFirst ? list[0] : undefined);
    value = path.sub ? getProp(item, path.sub) : getProp(item, 'value');
  } else if (resolved.parent) {
    const parent = getProp(holder, resolved.parent.name);
    const item = Array.isArray(parent)
      ? (parent.find((p) => getProp(p, 'primary') === true) ?? parent[0])
      : parent;
    value = getProp(item, resolved.attribute.name);
  } else {
    value = getProp(holder, resolved.attribute.name);
    if (isPlainObject(value)) value = getProp(value, 'value');
    if (Array.isArray(value)) {
      const item = value.find((p) => getProp(p, 'primary') === true) ?? value[0];
      value = isPlainObject(item) ? getProp(item, 'value') : item;
    }
  }
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'object' ? undefined : String(value);
}

/** Writes (or, with undefined, removes) a map source's value in a SCIM resource. */
export function writeSource(resource: ScimResource, source: string, value: string | undefined) {
  const path = parseSource(source);
  if (!path) return;
  const { resolved } = path;
  const holder = container(resource, resolved, value !== undefined);
  if (!holder) return;
  const attribute = resolved.parent ?? resolved.attribute;
  if (path.filter) {
    const name = resolved.attribute.name;
    const current = getProp(holder, name);
    const list: Record<string, unknown>[] = Array.isArray(current) ? [...current] : [];
    const match = compileValueFilter(path.filter, resolved);
    let index = list.findIndex(match);
    if (index === -1 && path.primaryOrFirst && list.length) index = 0;
    const sub = path.sub ?? 'value';
    if (value === undefined) {
      if (index === -1) return;
      const rest = list.filter((_, i) => i !== index);
      if (rest.length) holder[name] = rest;
      else delete holder[name];
      return;
    }
    if (index >= 0) {
      list[index] = { ...list[index], [sub]: value };
    } else {
      const item: Record<string, unknown> = { [sub]: value };
      if (path.primaryOrFirst) Object.assign(item, { type: 'work', primary: true });
      else Object.assign(item, itemFromEq(path.filter, resolved));
      list.push(item);
    }
    holder[name] = list;
    return;
  }
  if (resolved.parent) {
    const parentValue = getProp(holder, attribute.name);
    if (Array.isArray(parentValue)) return;
    const parent = isPlainObject(parentValue) ? { ...parentValue } : {};
    if (value === undefined) delete parent[resolved.attribute.name];
    else parent[resolved.attribute.name] = value;
    if (Object.keys(parent).length) holder[attribute.name] = parent;
    else delete holder[attribute.name];
    return;
  }
  if (value === undefined) delete holder[resolved.attribute.name];
  else if (resolved.attribute.type === 'complex') holder[resolved.attribute.name] = { value };
  else if (resolved.attribute.type === 'boolean')
    holder[resolved.attribute.name] = value === 'true' || value === '1';
  else holder[resolved.attribute.name] = value;
}

function itemFromEq(filter: FilterNode, resolved: ResolvedAttribute): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  const nodes = filter.op === 'and' ? filter.filters : [filter];
  for (const node of nodes) {
    if (node.op !== 'eq' || node.value === null) continue;
    const sub =
      resolved.attribute.subAttributes && findByName(resolved.attribute.subAttributes, node.path);
    if (sub) item[sub.name] = node.value;
  }
  return item;
}

const isTemplate = (entry: AttributeMapEntry) => entry.transform === 'template';
const inbound = (entry: AttributeMapEntry) => entry.direction !== 'outbound';
// A templated value cannot be split back into attributes (the plugin keeps such rows inbound).
const outbound = (entry: AttributeMapEntry) => entry.direction !== 'inbound' && !isTemplate(entry);
const isUserName = (entry: AttributeMapEntry) => entry.source.toLowerCase() === 'username';

/** The WordPress value a map target holds in a snapshot. */
function snapshotValue(snapshot: UserSnapshot, target: string): string | undefined {
  let value: unknown;
  if (target in CORE_TARGETS) value = snapshot[CORE_TARGETS[target]!];
  else if (target === 'description') value = snapshot.description;
  else if (target === 'avatar') value = snapshot.avatarUrl;
  else if (target.startsWith('meta:')) value = snapshot.meta?.[target.slice(5)];
  else if (target.startsWith(XPROFILE_PREFIX))
    value = snapshot.xprofile?.[target.slice(XPROFILE_PREFIX.length)];
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'object' ? undefined : String(value);
}

/** The stored SCIM object: what the IdP sent, minus what is never stored or is computed. */
export function storableScim(resource: ScimResource): Record<string, unknown> {
  const { password: _p, id: _i, meta: _m, groups: _g, active: _a, ...rest } = resource;
  return rest;
}

/**
 * WordPress user fields for a SCIM User. `current` (on updates) is the snapshot being
 * changed: the login is only sent when the userName really changed.
 */
export function userToWordPress(
  resource: ScimResource,
  map: AttributeMapEntry[],
  options: { password?: string; current?: UserSnapshot; creating: boolean },
): WordPressUserInput {
  const input: WordPressUserInput = {};
  const meta: Record<string, unknown> = {};
  const xprofile: Record<string, string | null> = {};
  for (const entry of map.filter(inbound)) {
    const value = inboundValue(resource, entry);
    const target = entry.target;
    if (target === 'user_login') {
      if (value === undefined) continue;
      if (
        options.current &&
        loginMatches(value, options.current.sourceLogin ?? options.current.login)
      )
        continue;
      input.login = sanitizeLogin(value);
    } else if (target in CORE_TARGETS) {
      const field = CORE_TARGETS[target]!;
      // Absent means empty for names and URLs (PUT replaces); the email is never blanked.
      if (value === undefined && (field === 'email' || field === 'login')) continue;
      (input as Record<string, unknown>)[field] = value ?? '';
    } else if (target === 'description') {
      if (value !== undefined || !options.creating) input.description = value ?? '';
    } else if (target === 'avatar') {
      // Absent on create: no picture to store; absent on an update (PUT): removed.
      if (value !== undefined || !options.creating) input.avatarUrl = value ?? null;
    } else if (target.startsWith('meta:')) {
      meta[target.slice(5)] = value ?? null;
    } else if (target.startsWith(XPROFILE_PREFIX)) {
      xprofile[target.slice(XPROFILE_PREFIX.length)] = value ?? null;
    }
  }
  if (options.creating) {
    for (const key of Object.keys(meta)) if (meta[key] === null) delete meta[key];
    for (const key of Object.keys(xprofile)) if (xprofile[key] === null) delete xprofile[key];
  }
  if (Object.keys(meta).length) input.meta = meta;
  if (Object.keys(xprofile).length) input.xprofile = xprofile;
  if (typeof resource.externalId === 'string') input.externalId = resource.externalId;
  if (typeof resource.active === 'boolean') input.active = resource.active;
  if (options.password !== undefined) input.password = options.password;
  input.scim = storableScim(resource);
  return input;
}

/**
 * The value an inbound row gives for a SCIM resource: the source read, defaulted, then
 * transformed; or the template filled from the attributes it names (all of them, or the
 * default as it is).
 */
export function inboundValue(resource: ScimResource, entry: AttributeMapEntry): string | undefined {
  if (isTemplate(entry)) {
    const filled = fillTemplate(entry.template ?? '', (path) => readSource(resource, path));
    return filled ?? entry.default ?? undefined;
  }
  let value = readSource(resource, entry.source);
  if (value === undefined && entry.default !== null && entry.default !== undefined)
    value = entry.default;
  if (value !== undefined) value = applyTransform(entry.transform, value);
  return value;
}

/** The SCIM User for a WordPress user snapshot. */
export function userFromWordPress(
  snapshot: UserSnapshot,
  map: AttributeMapEntry[],
  baseUrl: string,
): ScimResource {
  const stored =
    snapshot.scim && isPlainObject(snapshot.scim) ? structuredClone(snapshot.scim) : {};
  const resource: ScimResource = { ...stored };
  for (const entry of map.filter(outbound)) {
    const wpValue = snapshotValue(snapshot, entry.target);
    if (isUserName(entry) || entry.target === 'user_login') {
      if (!isUserName(entry)) continue;
      const sent = typeof stored.userName === 'string' ? stored.userName : undefined;
      const login = snapshot.sourceLogin ?? snapshot.login;
      resource.userName =
        sent && loginMatches(applyTransform(entry.transform, sent), login) ? sent : login;
      continue;
    }
    const sent = readSource(stored, entry.source);
    // What the IdP sent stays when WordPress holds it as the map made it (round trip).
    if (
      sent !== undefined &&
      wpValue !== undefined &&
      applyTransform(entry.transform, sent) === wpValue
    )
      continue;
    writeSource(resource, entry.source, wpValue);
  }
  if (resource.userName === undefined) resource.userName = snapshot.login;
  const schemas = [USER_SCHEMA];
  if (
    isPlainObject(resource[ENTERPRISE_USER_SCHEMA]) &&
    Object.keys(resource[ENTERPRISE_USER_SCHEMA] as object).length
  )
    schemas.push(ENTERPRISE_USER_SCHEMA);
  else delete resource[ENTERPRISE_USER_SCHEMA];
  const { schemas: _s, ...attributes } = resource;
  const out: ScimResource = { schemas, id: String(snapshot.id) };
  if (snapshot.externalId) out.externalId = snapshot.externalId;
  Object.assign(out, attributes);
  delete out.password;
  out.active = snapshot.active;
  if (snapshot.groups?.length)
    out.groups = snapshot.groups.map((g) => ({
      value: String(g.id),
      display: g.displayName,
      $ref: `${baseUrl}/Groups/${g.id}`,
      type: 'direct',
    }));
  out.meta = {
    resourceType: 'User',
    created: snapshot.registered,
    lastModified: snapshot.modified,
    location: `${baseUrl}/Users/${snapshot.id}`,
    version: snapshot.version,
  };
  return out;
}

/** The SCIM Group for a WordPress group snapshot. */
export function groupFromWordPress(snapshot: GroupSnapshot, baseUrl: string): ScimResource {
  const out: ScimResource = { schemas: [GROUP_SCHEMA], id: String(snapshot.id) };
  if (snapshot.externalId) out.externalId = snapshot.externalId;
  out.displayName = snapshot.displayName;
  if (snapshot.members?.length)
    out.members = snapshot.members.map((m) => ({
      value: String(m.id),
      display: m.displayName || m.login,
      $ref: `${baseUrl}/Users/${m.id}`,
      type: 'User',
    }));
  out.meta = {
    resourceType: 'Group',
    created: snapshot.created,
    lastModified: snapshot.modified,
    location: `${baseUrl}/Groups/${snapshot.id}`,
    version: snapshot.version,
  };
  return out;
}

/** Member ids as WordPress user ids; undefined for one that cannot be a user id. */
export function memberIds(resource: ScimResource): (number | undefined)[] {
  const members = Array.isArray(resource.members) ? resource.members : [];
  return members.map((m) => toUserId(String(getProp(m, 'value'))));
}

export function toUserId(id: string): number | undefined {
  return /^[1-9]\d{0,18}$/.test(id) ? Number(id) : undefined;
}
