// The SCIM schema model (RFC 7643 §7): resource types, their schemas and every attribute's
// characteristics. Filters, PATCH, projection and validation all consult it, so attribute
// names are resolved case-insensitively in one place.
import { badRequest } from '../errors.js';
import type { ScimType } from '../errors.js';

export type AttributeType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'binary' | 'reference' | 'complex';

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDef[];
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

export interface ResourceTypeDef {
  /** "User" or "Group". */
  name: string;
  endpoint: string;
  description: string;
  schema: SchemaDef;
  extensions: { schema: SchemaDef; required: boolean }[];
}

/** A SCIM resource as JSON: core attributes at the top, extensions under their URN. */
export type ScimResource = Record<string, unknown>;

/** Where an attribute lives: `schema` is the extension URN, or null for core and common. */
export interface ResolvedAttribute {
  schema: string | null;
  attribute: AttributeDef;
  /** The parent when `attribute` is a sub-attribute. */
  parent?: AttributeDef;
  /** Canonical dotted path within the resource, e.g. `name.givenName`. */
  path: string;
}

const common = (
  name: string,
  type: AttributeType,
  extra: Partial<AttributeDef> = {},
): AttributeDef => ({
  name,
  type,
  multiValued: false,
  description: '',
  required: false,
  caseExact: false,
  mutability: 'readOnly',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

/** RFC 7643 §3.1: attributes every resource has, outside any schema. */
export const COMMON_ATTRIBUTES: AttributeDef[] = [
  common('id', 'string', {
    description: 'A unique identifier for a SCIM resource as defined by the service provider.',
    caseExact: true,
    returned: 'always',
    uniqueness: 'server',
  }),
  common('externalId', 'string', {
    description:
      'A String that is an identifier for the resource as defined by the provisioning client.',
    caseExact: true,
    mutability: 'readWrite',
  }),
  common('meta', 'complex', {
    description: 'A complex attribute containing resource metadata.',
    subAttributes: [
      common('resourceType', 'string', { caseExact: true }),
      common('created', 'dateTime'),
      common('lastModified', 'dateTime'),
      common('location', 'reference', { caseExact: true, referenceTypes: ['uri'] }),
      common('version', 'string', { caseExact: true }),
    ],
  }),
];

export const findByName = <T extends { name: string }>(list: readonly T[], name: string) => {
  const lower = name.toLowerCase();
  return list.find((item) => item.name.toLowerCase() === lower);
};

/** The schema URNs a resource type knows, core first. */
export const schemaUrns = (rt: ResourceTypeDef) => [
  rt.schema.id,
  ...rt.extensions.map((e) => e.schema.id),
];

/**
 * Resolves an attribute path such as `userName`, `Name.GivenName`, `emails.value`,
 * `urn:ietf:params:scim:schemas:core:2.0:User:userName` or
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
 * Returns undefined for a name the resource type does not define.
 */
export function resolveAttribute(
  rt: ResourceTypeDef,
  rawPath: string,
): ResolvedAttribute | undefined {
  let rest = rawPath;
  let schema: SchemaDef | undefined;
  if (/^urn:/i.test(rawPath)) {
    const lower = rawPath.toLowerCase();
    const candidates = [rt.schema, ...rt.extensions.map((e) => e.schema)];
    // Longest URN first: the core URN is a prefix of nothing else, but be safe.
    candidates.sort((a, b) => b.id.length - a.id.length);
    schema = candidates.find((s) => lower.startsWith(s.id.toLowerCase() + ':'));
    if (!schema) {
      // A bare extension URN names the whole extension object.
      const whole = rt.extensions.find((e) => e.schema.id.toLowerCase() === lower);
      if (whole) {
        return {
          schema: whole.schema.id,
          attribute: extensionAsAttribute(whole.schema),
          path: whole.schema.id,
        };
      }
      return undefined;
    }
    rest = rawPath.slice(schema.id.length + 1);
  }
  const [name, sub, ...more] = rest.split('.');
  if (!name || more.length > 0) return undefined;
  const isCore = !schema || schema.id === rt.schema.id;
  const list = isCore ? [...COMMON_ATTRIBUTES, ...rt.schema.attributes] : schema!.attributes;
  const attribute = findByName(list, name);
  if (!attribute) return undefined;
  const schemaId = isCore ? null : schema!.id;
  if (sub === undefined) return { schema: schemaId, attribute, path: attribute.name };
  const subAttribute = attribute.subAttributes && findByName(attribute.subAttributes, sub);
  if (!subAttribute) return undefined;
  return {
    schema: schemaId,
    attribute: subAttribute,
    parent: attribute,
    path: `${attribute.name}.${subAttribute.name}`,
  };
}

/** Like resolveAttribute, but a SCIM error for an unknown name. */
export function requireAttribute(
  rt: ResourceTypeDef,
  rawPath: string,
  scimType: ScimType,
  context: string,
): ResolvedAttribute {
  const resolved = resolveAttribute(rt, rawPath);
  if (!resolved)
    throw badRequest(scimType, `${context}: unknown attribute '${rawPath}' for ${rt.name}`);
  return resolved;
}

/** An extension schema seen as one complex attribute keyed by its URN. */
export function extensionAsAttribute(schema: SchemaDef): AttributeDef {
  return {
    name: schema.id,
    type: 'complex',
    multiValued: false,
    description: schema.description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    subAttributes: schema.attributes,
  };
}

/** Case-insensitive property read on a JSON object (SCIM attribute names are case-insensitive). */
export function getProp(value: unknown, name: string): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (name in record) return record[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
  return undefined;
}

/** The value at a resolved attribute: for a sub-attribute of a multi-valued parent, a list. */
export function readAttribute(resource: ScimResource, resolved: ResolvedAttribute): unknown {
  const container = resolved.schema ? getProp(resource, resolved.schema) : resource;
  if (resolved.attribute.name === resolved.schema) return container;
  if (!resolved.parent) return getProp(container, resolved.attribute.name);
  const parentValue = getProp(container, resolved.parent.name);
  if (Array.isArray(parentValue)) {
    return parentValue
      .map((item) => getProp(item, resolved.attribute.name))
      .filter((v) => v !== undefined);
  }
  return getProp(parentValue, resolved.attribute.name);
}
