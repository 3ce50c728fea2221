// Plan step, pure: a canonical user through the attribute map (provisioning's one reading of
// it) and the role map to the WordPress fields to write, and the hash that says whether
// anything changed since the last apply. No I/O here.
import { createHash } from 'node:crypto';
import type { CanonicalUser } from '../connectors/types.js';
import { mapPerson, readAttribute, sourcePathsOf, targetKind } from '../provisioning/index.js';
import type { AttributeMapping, RoleMap, RoleRule, SyncConfig, WpUserInput } from './types.js';

/** The mapped attributes of one user (roles and photo are compared separately). */
export interface MappedUser {
  externalId: string;
  fields: WpUserInput & { login: string; externalId: string; active: boolean };
  /** Hash of `fields`: equal hashes mean nothing to write. */
  hash: string;
}

export class MappingError extends Error {
  override name = 'MappingError';
}

/** Attribute map rows that apply to pulls (inbound or both). */
export function inboundMappings(config: SyncConfig): AttributeMapping[] {
  return config.attributeMap.filter((row) => row.direction !== 'outbound');
}

/** Order of the mapped fields: fixed, so equal values always hash the same. */
const FIELD_ORDER = ['login', 'email', 'firstName', 'lastName', 'displayName', 'nickname', 'url'];

/** Maps a canonical user; throws MappingError when it cannot become a WordPress user. */
export function mapUser(user: CanonicalUser, mappings: AttributeMapping[]): MappedUser {
  const core: Record<string, string> = {};
  let meta: Record<string, string | null> | null = null;
  let xprofile: Record<string, string | null> | null = null;
  for (const { row, value } of mapPerson(user.attributes, mappings)) {
    const target = targetKind(row.target);
    // Photos come from the connector; a target nothing can write is refused on save.
    if (!target || target.kind === 'avatar') continue;
    if (target.kind === 'meta' || target.kind === 'description') {
      meta ??= {};
      meta[target.kind === 'meta' ? target.key : 'description'] = value || null;
    } else if (target.kind === 'xprofile') {
      xprofile ??= {};
      xprofile[target.field] = value || null;
    } else {
      core[target.field] = value ?? '';
    }
  }
  if (!core.login) {
    throw new MappingError(
      'The source user has no value for the WordPress login (attribute map target user_login)',
    );
  }
  // Built in a fixed key order, so JSON.stringify is a canonical form to hash.
  const fields: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) if (key in core) fields[key] = core[key];
  if (meta) fields.meta = sortKeys(meta);
  if (xprofile) fields.xprofile = sortKeys(xprofile);
  fields.externalId = user.externalId;
  fields.active = user.active;
  const mapped = fields as unknown as MappedUser['fields'];
  return {
    externalId: user.externalId,
    fields: mapped,
    hash: createHash('sha256').update(JSON.stringify(fields)).digest('hex'),
  };
}

/** Whether the attribute map asks for profile photos. */
export function wantsPhotos(config: SyncConfig): boolean {
  return inboundMappings(config).some((row) => row.target === 'avatar');
}

/** Source paths the attribute map reads (for the connector's `$select`). */
export function sourcePaths(config: SyncConfig): string[] {
  return sourcePathsOf(inboundMappings(config));
}

/** Whether a role rule applies to a connection's groups: it names the connection, or `*`. */
export function ruleApplies(rule: RoleRule, connection: string): boolean {
  const connections = rule.connections ?? ['*'];
  return connections.includes('*') || connections.includes(connection);
}

/**
 * The role rules that apply to one connection's groups. A group of another connection that
 * happens to share a name (even in another case) never matches a rule not meant for it.
 */
export function connectionRules(roleMap: RoleMap, connection: string): RoleRule[] {
  return roleMap.rules.filter((rule) => ruleApplies(rule, connection));
}

/** Group names the role map refers to for one connection (what its pulls fetch). */
export function roleGroups(roleMap: RoleMap, connection: string): string[] {
  return [...new Set(connectionRules(roleMap, connection).map((rule) => rule.group))];
}

/**
 * The roles a user of a connection gets from its groups: those of every rule of that
 * connection whose group it belongs to (lowest priority number first, as the plugin orders
 * them: the first is the primary role), else the default role. Null when the role map has no
 * rules at all: the sync then leaves roles to WordPress (new users get the default role).
 * A role map with rules only for other connections gives this connection's users the
 * default role, so a rule moved to another connection takes back what it granted here.
 */
export function rolesFor(groups: string[], roleMap: RoleMap, connection: string): string[] | null {
  if (roleMap.rules.length === 0) return null;
  const member = new Set(groups.map((g) => g.toLowerCase()));
  const roles: string[] = [];
  const rules = connectionRules(roleMap, connection).sort(
    (a, b) => (a.priority ?? 0) - (b.priority ?? 0),
  );
  for (const rule of rules) {
    if (!member.has(rule.group.toLowerCase())) continue;
    if (rule.role === 'administrator' && !roleMap.allowAdministrator) continue;
    if (!roles.includes(rule.role)) roles.push(rule.role);
  }
  return roles.length > 0 ? roles : [roleMap.defaultRole];
}

/**
 * A fingerprint of everything one connection's mapping depends on: when it changes, every
 * user of the connection is re-planned. Only the rules that apply to the connection count,
 * without their scope, so rules saved before scoping fingerprint as they did (no re-plan on
 * upgrade) and a rule edited for another connection does not re-plan this one.
 */
export function mappingFingerprint(
  config: SyncConfig,
  photos: boolean,
  connection: string,
): string {
  const rules = connectionRules(config.roleMap, connection).map(
    ({ connections: _scope, ...rule }) => rule,
  );
  const roleMap: Record<string, unknown> = { ...config.roleMap, rules };
  // Rules only for other connections still make this one's users get the default role.
  if (rules.length === 0 && config.roleMap.rules.length > 0) roleMap.otherConnectionsOnly = true;
  return hashOf({
    attributeMap: inboundMappings(config),
    roleMap,
    photos,
  }).slice(0, 16);
}

export function sameRoles(a: string[] | null, b: string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

/** Names of the fields whose mapped value differs (for run reports). */
export function changedFields(
  before: Record<string, unknown> | null,
  after: Record<string, unknown>,
): string[] {
  if (!before) return Object.keys(after);
  return Object.keys(after).filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Reads a SCIM attribute path from a canonical user's attributes (provisioning's one
 * reader): `emails[type ne "home"].value`, `urn:…:enterprise:2.0:User:department` …
 */
export function readPath(attributes: Record<string, unknown>, path: string): string | null {
  return readAttribute(attributes, path) ?? null;
}

export { fillTemplate, parseTemplate, templatePaths } from '../provisioning/index.js';
export type { TemplatePart } from '../provisioning/index.js';
