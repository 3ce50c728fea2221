// Plan step, pure: a canonical user through the attribute map and the role map to the
// WordPress fields to write, and the hash that says whether anything changed since the last
// apply. No I/O here.
import { createHash } from 'node:crypto';
import type { CanonicalUser } from '../connectors/types.js';
import type { AttributeMapping, RoleMap, RoleRule, SyncConfig, WpUserInput } from './types.js';

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

/** Order of the mapped fields: fixed, so equal values always hash the same. */
const FIELD_ORDER = ['login', 'email', 'firstName', 'lastName', 'displayName', 'nickname', 'url'];

/** Maps a canonical user; throws MappingError when it cannot become a WordPress user. */
export function mapUser(user: CanonicalUser, mappings: AttributeMapping[]): MappedUser {
  const core: Record<string, string> = {};
  let meta: Record<string, string | null> | null = null;
  for (const row of mappings) {
    if (row.target === 'avatar') continue; // photos come from the connector
    let value: string | null;
    if (row.transform === 'template') {
      value = fillTemplate(row.template ?? '', (path) =>
        stringOf(compiledPath(path)(user.attributes)),
      );
    } else {
      value = stringOf(compiledPath(row.source)(user.attributes));
      if (value !== null) value = transform(value, row.transform);
    }
    if ((value === null || value === '') && row.default !== null && row.default !== undefined)
      value = row.default;
    if (row.target.startsWith('meta:')) {
      meta ??= {};
      meta[row.target.slice(5)] = value === '' ? null : value;
    } else if (row.target === 'description') {
      meta ??= {};
      meta.description = value === '' ? null : value;
    } else {
      const field = CORE_TARGETS[row.target];
      if (field) core[field] = value ?? '';
    }
  }
  const login = typeof core.login === 'string' ? core.login.trim() : '';
  if (!login) {
    throw new MappingError(
      'The source user has no value for the WordPress login (attribute map target user_login)',
    );
  }
  core.login = login;
  // Built in a fixed key order, so JSON.stringify is a canonical form to hash.
  const fields: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) if (key in core) fields[key] = core[key];
  if (meta) fields.meta = sortKeys(meta);
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
  return inboundMappings(config).flatMap((row) =>
    row.transform === 'template' ? templatePaths(row.template ?? '') : [row.source],
  );
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

/** A parsed template: literal text and the source paths of its placeholders, in order. */
export type TemplatePart = { text: string } | { path: string };

const parsedTemplates = new Map<string, TemplatePart[] | null>();

/**
 * Parses a row's template, `{name.givenName}.{name.familyName}` or `{userName}@example.org`:
 * each placeholder is a source path written as in the source column (spaces around it
 * ignored); braces only delimit placeholders. Null when it is malformed (unbalanced or
 * nested braces, an empty placeholder, no placeholder at all), which the plugin refuses on
 * save, so only a map stored by other means gets here; such a row gives nothing.
 */
export function parseTemplate(template: string): TemplatePart[] | null {
  const cached = parsedTemplates.get(template);
  if (cached !== undefined) return cached;
  let parts: TemplatePart[] | null = [];
  let literal = '';
  let open = -1;
  for (let i = 0; i < template.length && parts; i++) {
    const char = template[i]!;
    if (char === '{') {
      if (open !== -1) parts = null;
      else open = i;
    } else if (char === '}') {
      const path = open === -1 ? '' : template.slice(open + 1, i).trim();
      if (path === '') {
        parts = null;
      } else {
        if (literal) parts.push({ text: literal });
        parts.push({ path });
        literal = '';
        open = -1;
      }
    } else if (open === -1) {
      literal += char;
    }
  }
  if (parts && (open !== -1 || !parts.some((part) => 'path' in part))) parts = null;
  if (parts && literal) parts.push({ text: literal });
  if (parsedTemplates.size > 1_000) parsedTemplates.clear();
  parsedTemplates.set(template, parts);
  return parts;
}

/** The source paths a template reads. */
export function templatePaths(template: string): string[] {
  return (parseTemplate(template) ?? []).flatMap((part) => ('path' in part ? [part.path] : []));
}

/**
 * Fills a template with the values `read` gives for its paths. All or nothing: when a
 * placeholder has no value (absent, empty or only spaces), or the template is malformed,
 * the result is null, so the row's default applies and a missing family name never makes
 * a login such as `john.`. Values go in as they are; the row has no other transform.
 */
export function fillTemplate(
  template: string,
  read: (path: string) => string | null | undefined,
): string | null {
  const parts = parseTemplate(template);
  if (!parts) return null;
  let filled = '';
  for (const part of parts) {
    if ('text' in part) {
      filled += part.text;
      continue;
    }
    const value = read(part.path);
    if (value === null || value === undefined || value.trim() === '') return null;
    filled += value;
  }
  return filled;
}

function stringOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length > 0 ? stringOf(value[0]) : null;
  return JSON.stringify(value);
}

type Step = { name: string; filter: Filter | null };
type Filter = { primary: true } | { attribute: string; expected: unknown };
type Reader = (attributes: Record<string, unknown>) => unknown;

const compiled = new Map<string, Reader>();

/**
 * Reads a SCIM attribute path: `userName`, `name.givenName`, `emails[primary].value`,
 * `phoneNumbers[type eq "work"].value`, `urn:…:enterprise:2.0:User:department`,
 * `identities[signInType eq "emailAddress"].issuerAssignedId`. Names are case-insensitive;
 * a multi-valued attribute without a filter yields its primary (else first) value.
 */
export function readPath(attributes: Record<string, unknown>, path: string): unknown {
  return compiledPath(path)(attributes);
}

/** A path parsed once into a reader (the attribute map is applied to every user). */
export function compiledPath(path: string): Reader {
  let reader = compiled.get(path);
  if (!reader) {
    reader = compile(path);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(path, reader);
  }
  return reader;
}

function compile(path: string): Reader {
  const trimmed = path.trim();
  if (!/^urn:/i.test(trimmed)) return stepsReader(parseSteps(trimmed));
  // `urn:…:User:attr`: the schema is the longest attribute key the path starts with (URNs
  // contain dots, as in `2.0`, so the split depends on the keys the user has).
  const lower = trimmed.toLowerCase();
  const rests = new Map<string, Reader>();
  return (attributes) => {
    let schema: string | null = null;
    for (const key of Object.keys(attributes)) {
      if (
        lower.startsWith(`${key.toLowerCase()}:`) &&
        (schema === null || key.length > schema.length)
      ) {
        schema = key;
      }
    }
    if (schema === null) return null;
    const rest = trimmed.slice(schema.length + 1);
    let reader = rests.get(rest);
    if (!reader) {
      reader = stepsReader(parseSteps(rest));
      rests.set(rest, reader);
    }
    return reader(attributes[schema] as Record<string, unknown>);
  };
}

function parseSteps(path: string): Step[] | null {
  const steps: Step[] = [];
  for (const segment of splitSegments(path)) {
    const match = /^([^[\]]+)(?:\[(.+)\])?$/.exec(segment);
    if (!match) return null;
    steps.push({ name: match[1]!, filter: match[2] === undefined ? null : parseFilter(match[2]) });
  }
  return steps;
}

function stepsReader(steps: Step[] | null): Reader {
  if (!steps) return () => null;
  return (attributes) => {
    let scope: unknown = attributes;
    for (const step of steps) {
      scope = pick(scope, step.name);
      if (step.filter) scope = applyFilter(scope, step.filter);
      if (scope === null || scope === undefined) return null;
    }
    if (Array.isArray(scope)) {
      const chosen = primaryOf(scope);
      if (chosen && typeof chosen === 'object' && 'value' in chosen) return chosen.value;
      return chosen;
    }
    return scope;
  };
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
  const record = scope as Record<string, unknown>;
  // The exact name is the common case; other spellings need a scan.
  if (name in record) return record[name];
  const lower = name.toLowerCase();
  for (const key in record) if (key.toLowerCase() === lower) return record[key];
  return null;
}

function primaryOf(values: unknown[]): unknown {
  for (const value of values) {
    if (value && typeof value === 'object' && (value as { primary?: unknown }).primary === true)
      return value;
  }
  return values[0] ?? null;
}

/** `primary`, or `<attribute> eq <"string"|true|false|number>`. */
function parseFilter(filter: string): Filter | null {
  const trimmed = filter.trim();
  if (/^primary$/i.test(trimmed)) return { primary: true };
  const match = /^([\w.$-]+)\s+eq\s+(.+)$/i.exec(trimmed);
  if (!match) return null;
  const raw = match[2]!.trim();
  let expected: unknown;
  if (/^".*"$/.test(raw)) expected = (JSON.parse(raw) as string).toLowerCase();
  else if (/^(true|false)$/i.test(raw)) expected = raw.toLowerCase() === 'true';
  else if (raw !== '' && !Number.isNaN(Number(raw))) expected = Number(raw);
  else expected = raw.toLowerCase();
  return { attribute: match[1]!, expected };
}

function applyFilter(scope: unknown, filter: Filter | null): unknown {
  if (!filter || !Array.isArray(scope)) return null;
  for (const value of scope) {
    if ('primary' in filter) {
      if (value && typeof value === 'object' && (value as { primary?: unknown }).primary === true)
        return value;
      continue;
    }
    const actual = pick(value, filter.attribute);
    const match =
      typeof actual === 'string' && typeof filter.expected === 'string'
        ? actual.toLowerCase() === filter.expected
        : actual === filter.expected;
    if (match) return value;
  }
  return null;
}
