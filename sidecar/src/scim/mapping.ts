// SCIM resources ↔ WordPress users and groups, through the admin's attribute map
// (GET /usersync/v1/config), read by provisioning/ as every other path reads it. WordPress
// is the truth for mapped fields; attributes it has no field for come back from the SCIM
// object the connection last sent, so an IdP reads back what it wrote. userName is kept exactly as sent while WordPress gets a login that
// sanitize_user( $login, true ) leaves unchanged.
import {
  DEFAULT_ATTRIBUTE_MAP as DEFAULT_MAP,
  applyTransform,
  loginMatches,
  readAttribute,
  rowValue,
  targetKind,
} from '../provisioning/index.js';
import type { AttributeMapRow } from '../provisioning/index.js';
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

export type AttributeMapEntry = AttributeMapRow;

// The plugin's snapshots and write input are defined once, with their schemas, in wordpress/.
export type { GroupSnapshot, UserSnapshot, WordPressUserInput } from '../wordpress/types.js';
import type { GroupSnapshot, UserSnapshot, WordPressUserInput } from '../wordpress/types.js';

/** The attribute map WordPress uses when the admin has not changed it. */
export const DEFAULT_ATTRIBUTE_MAP: AttributeMapEntry[] = DEFAULT_MAP;

// The login rule is provisioning's (scheduled pulls make logins the same way).
export {
  applyTransform,
  loginCandidate,
  loginMatches,
  sanitizeLogin,
  XPROFILE_PREFIX,
} from '../provisioning/index.js';

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
  return readAttribute(resource, source);
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
  const kind = targetKind(target);
  let value: unknown;
  if (kind?.kind === 'core') value = snapshot[kind.field];
  else if (kind?.kind === 'description') value = snapshot.description;
  else if (kind?.kind === 'avatar') value = snapshot.avatarUrl;
  else if (kind?.kind === 'meta') value = snapshot.meta?.[kind.key];
  else if (kind?.kind === 'xprofile') value = snapshot.xprofile?.[kind.field];
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
 * changed. A login is decided when the user is created: an update sends one only when the
 * IdP renamed the userName the login is made of (a templated login never changes), and
 * `adopting` (an existing account becoming the connection's user) sends the planned one.
 */
export function userToWordPress(
  resource: ScimResource,
  map: AttributeMapEntry[],
  options: { password?: string; current?: UserSnapshot; creating: boolean; adopting?: boolean },
): WordPressUserInput {
  const input: WordPressUserInput = {};
  const meta: Record<string, unknown> = {};
  const xprofile: Record<string, string | null> = {};
  for (const entry of map.filter(inbound)) {
    const { value } = rowValue(resource, entry);
    const target = targetKind(entry.target);
    if (!target) continue;
    if (target.kind === 'core' && target.field === 'login') {
      if (value === undefined) continue;
      if (options.current) {
        if (!options.adopting && (isTemplate(entry) || !isUserName(entry))) continue;
        if (loginMatches(value, options.current.sourceLogin ?? options.current.login)) continue;
      }
      input.login = value;
    } else if (target.kind === 'core') {
      // Absent means empty for names and URLs (PUT replaces); the email is never blanked.
      if (value === undefined && target.field === 'email') continue;
      (input as Record<string, unknown>)[target.field] = value ?? '';
    } else if (target.kind === 'description') {
      if (value !== undefined || !options.creating) input.description = value ?? '';
    } else if (target.kind === 'avatar') {
      // Absent on create: no picture to store; absent on an update (PUT): removed.
      if (value !== undefined || !options.creating) input.avatarUrl = value ?? null;
    } else if (target.kind === 'meta') {
      meta[target.key] = value ?? null;
    } else {
      xprofile[target.field] = value ?? null;
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
  return rowValue(resource, { ...entry, target: '' }).value;
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
