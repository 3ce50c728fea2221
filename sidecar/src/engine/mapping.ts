// Plan step, pure: a canonical user through the attribute map and the role map to the
// WordPress fields to write, and the hash that says whether anything changed since the last
// apply. No I/O here.
import { createHash } from 'node:crypto';
import type { CanonicalUser } from '../connectors/types.js';
import type { AttributeMapping, RoleMap, SyncConfig, WpUserInput } from './types.js';

const CORE_TARGETS: Record<string, keyof WpUserInput> = {
  user_login: 'login',
  user_email: 'email',
  first_name: 'firstName',
  last_name: 'lastName',
  display_name: 'displayName',
  nickname: 'nickname',
  user_url: 'url',
};

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

/** Maps a canonical user; throws MappingError when it cannot become a WordPress user. */
export function mapUser(user: CanonicalUser, mappings: AttributeMapping[]): MappedUser {
  const fields: Record<string, unknown> = {};
  const meta: Record<string, string | null> = {};
  for (const row of mappings) {
    if (row.target === 'avatar') continue; // photos come from the connector
    let value = stringOf(readPath(user.attributes, row.source));
    if (value !== null) value = transform(value, row.transform);
    if ((value === null || value === '') && row.default !== null && row.default !== undefined)
      value = row.default;
    if (row.target.startsWith('meta:')) {
      meta[row.target.slice(5)] = value === '' ? null : value;
    } else if (row.target === 'description') {
      meta.description = value === '' ? null : value;
    } else {
      const field = CORE_TARGETS[row.target];
      if (field) fields[field] = value ?? '';
    }
  }
  const login = typeof fields.login === 'string' ? fields.login.trim() : '';
  if (!login) {
    throw new MappingError(
      'The source user has no value for the WordPress login (attribute map target user_login)',
    );
  }
  fields.login = login;
  if (Object.keys(meta).length > 0) fields.meta = sortKeys(meta);
  fields.externalId = user.externalId;
  fields.active = user.active;
  const mapped = fields as unknown as MappedUser['fields'];
  return { externalId: user.externalId, fields: mapped, hash: hashOf(mapped) };
}

/** Whether the attribute map asks for profile photos. */
export function wantsPhotos(config: SyncConfig): boolean {
  return inboundMappings(config).some((row) => row.target === 'avatar');
}

/** Source paths the attribute map reads (for the connector's `$select`). */
export function sourcePaths(config: SyncConfig): string[] {
  return inboundMappings(config).map((row) => row.source);
}

/** Group names the role map refers to. */
export function roleGroups(roleMap: RoleMap): string[] {
  return [...new Set(roleMap.rules.map((rule) => rule.group))];
}

/**
 * The roles a user gets from its groups: those of every rule whose group it belongs to
 * (highest priority first), else the default role. Null when the role map has no rules: the
 * sync then leaves roles to WordPress (new users get the default role).
 */
export function rolesFor(groups: string[], roleMap: RoleMap): string[] | null {
  if (roleMap.rules.length === 0) return null;
  const member = new Set(groups.map((g) => g.toLowerCase()));
  const roles: string[] = [];
  const rules = [...roleMap.rules].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0));
  for (const rule of rules) {
    if (!member.has(rule.group.toLowerCase())) continue;
    if (rule.role === 'administrator' && !roleMap.allowAdministrator) continue;
    if (!roles.includes(rule.role)) roles.push(rule.role);
  }
  return roles.length > 0 ? roles : [roleMap.defaultRole];
}

/** A fingerprint of everything mapping depends on: when it changes, every user is re-planned. */
export function mappingFingerprint(config: SyncConfig, photos: boolean): string {
  return hashOf({
    attributeMap: inboundMappings(config),
    roleMap: config.roleMap,
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

function transform(value: string, how: AttributeMapping['transform']): string {
  switch (how) {
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

function stringOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length > 0 ? stringOf(value[0]) : null;
  return JSON.stringify(value);
}

/**
 * Reads a SCIM attribute path: `userName`, `name.givenName`, `emails[primary].value`,
 * `phoneNumbers[type eq "work"].value`, `urn:…:enterprise:2.0:User:department`,
 * `identities[signInType eq "emailAddress"].issuerAssignedId`. Names are case-insensitive;
 * a multi-valued attribute without a filter yields its primary (else first) value.
 */
export function readPath(attributes: Record<string, unknown>, path: string): unknown {
  let scope: unknown = attributes;
  let rest = path.trim();
  if (/^urn:/i.test(rest)) {
    const lower = rest.toLowerCase();
    const schema = Object.keys(attributes)
      .filter((key) => lower.startsWith(`${key.toLowerCase()}:`))
      .sort((a, b) => b.length - a.length)[0];
    if (!schema) return null;
    scope = attributes[schema];
    rest = rest.slice(schema.length + 1);
  }
  for (const segment of splitSegments(rest)) {
    const match = /^([^[\]]+)(?:\[(.+)\])?$/.exec(segment);
    if (!match) return null;
    scope = pick(scope, match[1]!);
    if (match[2] !== undefined) scope = filterValues(scope, match[2]);
    if (scope === null || scope === undefined) return null;
  }
  if (Array.isArray(scope)) {
    const chosen = primaryOf(scope);
    if (chosen && typeof chosen === 'object' && 'value' in chosen) return chosen.value;
    return chosen;
  }
  return scope;
}

function splitSegments(path: string): string[] {
  const segments: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of path) {
    if (char === '[') depth++;
    if (char === ']') depth--;
    if (char === '.' && depth === 0) {
      segments.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current) segments.push(current);
  return segments;
}

function pick(scope: unknown, name: string): unknown {
  if (Array.isArray(scope)) scope = primaryOf(scope);
  if (!scope || typeof scope !== 'object') return null;
  const lower = name.toLowerCase();
  const key = Object.keys(scope).find((k) => k.toLowerCase() === lower);
  return key === undefined ? null : (scope as Record<string, unknown>)[key];
}

function primaryOf(values: unknown[]): unknown {
  return (
    values.find(
      (v) => v && typeof v === 'object' && (v as { primary?: unknown }).primary === true,
    ) ??
    values[0] ??
    null
  );
}

/** `primary`, or `<attribute> eq <"string"|true|false|number>`. */
function filterValues(scope: unknown, filter: string): unknown {
  if (!Array.isArray(scope)) return null;
  const trimmed = filter.trim();
  if (/^primary$/i.test(trimmed)) {
    return (
      scope.find(
        (v) => v && typeof v === 'object' && (v as { primary?: unknown }).primary === true,
      ) ?? null
    );
  }
  const match = /^([\w.$-]+)\s+eq\s+(.+)$/i.exec(trimmed);
  if (!match) return null;
  const attribute = match[1]!;
  const raw = match[2]!.trim();
  let expected: unknown;
  if (/^".*"$/.test(raw)) expected = JSON.parse(raw) as string;
  else if (/^(true|false)$/i.test(raw)) expected = raw.toLowerCase() === 'true';
  else if (raw !== '' && !Number.isNaN(Number(raw))) expected = Number(raw);
  else expected = raw;
  return (
    scope.find((v) => {
      const actual = pick(v, attribute);
      return typeof actual === 'string' && typeof expected === 'string'
        ? actual.toLowerCase() === expected.toLowerCase()
        : actual === expected;
    }) ?? null
  );
}
