// Discovery resources (RFC 7644 §4): ServiceProviderConfig, ResourceTypes and Schemas, as
// JSON bodies built from the schema model and the limits the router enforces.
import { RESOURCE_TYPES, SCHEMAS } from './definitions.js';
import type { AttributeDef, ResourceTypeDef, SchemaDef } from './model.js';

export const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export interface ProviderLimits {
  bulkMaxOperations: number;
  bulkMaxPayloadSize: number;
  filterMaxResults: number;
}

export function serviceProviderConfig(baseUrl: string, limits: ProviderLimits) {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://wordpress.org/plugins/usersync/',
    patch: { supported: true },
    bulk: {
      supported: true,
      maxOperations: limits.bulkMaxOperations,
      maxPayloadSize: limits.bulkMaxPayloadSize,
    },
    filter: { supported: true, maxResults: limits.filterMaxResults },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description:
          'A bearer token created for this identity provider in wp-admin (Users → UserSync).',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: {
      resourceType: 'ServiceProviderConfig',
      location: `${baseUrl}/ServiceProviderConfig`,
    },
  };
}

export function resourceTypeBody(rt: ResourceTypeDef, baseUrl: string) {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: rt.name,
    name: rt.name,
    endpoint: rt.endpoint,
    description: rt.description,
    schema: rt.schema.id,
    schemaExtensions: rt.extensions.map((e) => ({ schema: e.schema.id, required: e.required })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${rt.name}` },
  };
}

function describeAttribute(attribute: AttributeDef): Record<string, unknown> {
  const { subAttributes, ...rest } = attribute;
  return subAttributes ? { ...rest, subAttributes: subAttributes.map(describeAttribute) } : rest;
}

export function schemaBody(schema: SchemaDef, baseUrl: string) {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(describeAttribute),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
  };
}

export const allResourceTypes = (baseUrl: string) =>
  RESOURCE_TYPES.map((rt) => resourceTypeBody(rt, baseUrl));

export const allSchemas = (baseUrl: string) => SCHEMAS.map((s) => schemaBody(s, baseUrl));
