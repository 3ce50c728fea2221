// The User (with the enterprise extension) and Group schemas. Their attribute
// characteristics come from SCIMMY's RFC 7643 definitions, the same ones SCIMMY's PatchOp
// enforces, so validation, filtering and PATCH can never disagree about an attribute.
import SCIMMY from 'scimmy';
import type {
  AttributeDef,
  AttributeType,
  Mutability,
  ResourceTypeDef,
  Returned,
  SchemaDef,
  Uniqueness,
} from './model.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

interface DescribedAttribute {
  name: string;
  type: string;
  multiValued?: boolean;
  description?: string;
  required?: boolean;
  caseExact?: boolean;
  mutability?: string;
  returned?: string;
  uniqueness?: string;
  canonicalValues?: unknown;
  referenceTypes?: unknown;
  subAttributes?: DescribedAttribute[];
}

function toAttribute(described: DescribedAttribute): AttributeDef {
  const attribute: AttributeDef = {
    name: described.name,
    type: described.type as AttributeType,
    multiValued: described.multiValued ?? false,
    description: described.description ?? '',
    required: described.required ?? false,
    caseExact: described.caseExact ?? false,
    mutability: (described.mutability ?? 'readWrite') as Mutability,
    returned: (described.returned ?? 'default') as Returned,
    uniqueness: (described.uniqueness ?? 'none') as Uniqueness,
  };
  // Canonical values are suggestions (RFC 7643 §7); an empty list suggests nothing.
  if (Array.isArray(described.canonicalValues) && described.canonicalValues.length)
    attribute.canonicalValues = described.canonicalValues.map(String);
  if (Array.isArray(described.referenceTypes))
    attribute.referenceTypes = described.referenceTypes.map(String);
  if (described.subAttributes) {
    attribute.subAttributes = described.subAttributes.map(toAttribute);
    // Complex attributes carry these characteristics too, for /Schemas consumers.
    attribute.caseExact = false;
    attribute.uniqueness = 'none';
  }
  return attribute;
}

function fromScimmy(definition: { describe(): unknown }): SchemaDef {
  // describe() hands back Attribute instances that serialise to RFC 7643 JSON.
  const described = JSON.parse(JSON.stringify(definition.describe())) as {
    id: string;
    name: string;
    description: string;
    attributes: DescribedAttribute[];
  };
  return {
    id: described.id,
    name: described.name,
    description: described.description,
    attributes: described.attributes.map(toAttribute),
  };
}

interface ScimmyAttribute {
  type: string;
  config: { canonicalValues: unknown; referenceTypes: unknown };
  subAttributes?: ScimmyAttribute[];
}

/**
 * SCIMMY's PatchOp re-validates the whole resource, more strictly than our POST: it refuses
 * a `type` outside its canonical list (and any `type` of roles and x509Certificates, whose
 * list is empty), and a reference such as profileUrl or photos.value that is not a full
 * URL. A user accepted on POST could then never be PATCHed again — not even disabled.
 * Canonical values are suggestions (RFC 7643 §7) and references are stored as sent, so
 * PatchOp is brought to the rules of POST: a PATCH is never stricter.
 */
function noStricterThanPost(attributes: readonly ScimmyAttribute[]) {
  for (const attribute of attributes) {
    if (Array.isArray(attribute.config.canonicalValues)) attribute.config.canonicalValues = false;
    // SCIMMY accepts a reference that starts with one of its types; every string starts with ''.
    if (attribute.type === 'reference' && Array.isArray(attribute.config.referenceTypes))
      attribute.config.referenceTypes = [...(attribute.config.referenceTypes as string[]), ''];
    if (attribute.subAttributes) noStricterThanPost(attribute.subAttributes);
  }
}

let extended = false;
/** SCIMMY's User schema learns the enterprise extension once, for PatchOp. */
export function scimmySchemas() {
  if (!extended) {
    for (const definition of [
      SCIMMY.Schemas.User.definition,
      SCIMMY.Schemas.EnterpriseUser.definition,
      SCIMMY.Schemas.Group.definition,
    ])
      noStricterThanPost(definition.attributes as unknown as ScimmyAttribute[]);
    const hasExtension = SCIMMY.Schemas.User.definition.attributes.some(
      (a) => (a as { id?: string }).id === ENTERPRISE_USER_SCHEMA,
    );
    if (!hasExtension) SCIMMY.Schemas.User.extend(SCIMMY.Schemas.EnterpriseUser as never, false);
    extended = true;
  }
  return { User: SCIMMY.Schemas.User, Group: SCIMMY.Schemas.Group };
}

const userSchema = fromScimmy(SCIMMY.Schemas.User.definition);
// SCIMMY describes the extended User with the extension inline; keep core attributes only.
userSchema.attributes = userSchema.attributes.filter((a) => !a.name.startsWith('urn:'));
// RFC 7643 §4.1.1: the userName is case-insensitive but unique; emails values likewise.
const enterpriseSchema = fromScimmy(SCIMMY.Schemas.EnterpriseUser.definition);
const groupSchema = fromScimmy(SCIMMY.Schemas.Group.definition);

export const SCHEMAS: SchemaDef[] = [userSchema, enterpriseSchema, groupSchema];

export const USER_RESOURCE: ResourceTypeDef = {
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: userSchema,
  extensions: [{ schema: enterpriseSchema, required: false }],
};

export const GROUP_RESOURCE: ResourceTypeDef = {
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: groupSchema,
  extensions: [],
};

export const RESOURCE_TYPES: ResourceTypeDef[] = [USER_RESOURCE, GROUP_RESOURCE];
