// A Salesforce connection as the admin configures it in wp-admin (the shape the plugin serves
// the sidecar: secrets decrypted, defaults filled), validated before use. Missing keys get
// the contract's defaults so a connection saved by an older plugin still parses.
import { z } from 'zod';

const baseUrl = z
  .string()
  .trim()
  .regex(/^https?:\/\/[^\s/]+/, 'must be an http(s) URL')
  .transform((value) => value.replace(/\/+$/, ''));

const direction = z.enum(['inbound', 'outbound', 'both']);
const pushPull = z.array(z.enum(['push', 'pull']));

const fieldRowSchema = z
  .object({
    /** WordPress target as in the site attribute map: `user_email`, `meta:phone`, … */
    wp: z.string().trim().min(1, 'wp is required'),
    /** Salesforce field API name, dotted for compound sub-fields (`MailingAddress.city`). */
    /** Empty on template rows whose value comes from `template` alone. */
    sf: z
      .string()
      .trim()
      .regex(/^([A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*)?$/, 'must be a field API name'),
    direction: direction.default('both'),
    transform: z
      .enum([
        'none',
        'lowercase',
        'uppercase',
        'trim',
        'template',
        'picklist-map',
        'date',
        'datetime',
        'boolean',
      ])
      .default('none'),
    default: z.string().nullable().default(null),
    template: z.string().nullable().default(null),
    /** picklist-map: `{ wpValue: sfValue }`. */
    valueMap: z.record(z.string(), z.string()).nullable().default(null),
    nulls: z.enum(['propagate', 'ignore']).default('propagate'),
  })
  .superRefine((row, ctx) => {
    if (!row.sf && row.transform !== 'template') {
      ctx.addIssue({ code: 'custom', path: ['sf'], message: 'sf is required (a field API name)' });
    }
    if (row.transform === 'template' && !row.template) {
      ctx.addIssue({
        code: 'custom',
        path: ['template'],
        message: 'template rows need a template',
      });
    }
  });

export type SalesforceFieldRow = z.output<typeof fieldRowSchema>;

const matchSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('externalId'),
    sf: z.string().trim().min(1),
    wp: z.string().optional(),
  }),
  z.object({
    kind: z.literal('idLookup'),
    sf: z.string().trim().min(1),
    wp: z.string().trim().min(1),
    caseInsensitive: z.boolean().default(true),
  }),
]);

export type SalesforceMatchKey = z.output<typeof matchSchema>;

const objectMapSchema = z.object({
  /** Stable id, part of cursor keys. */
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be 1-40 characters a-z, 0-9 or -'),
  wpObject: z.literal('user', { message: 'only "user" object maps are supported' }).default('user'),
  /** Salesforce object API name (`Contact`, `Lead`, `Account`, `Member__c`). */
  sfObject: z
    .string()
    .trim()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be an object API name'),
  recordTypeId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/, 'must be a record type Id')
    .nullable()
    .default(null),
  /** SOQL WHERE fragment ('' = none). */
  filter: z.string().trim().default(''),
  operations: z
    .object({
      create: pushPull.default(['push', 'pull']),
      update: pushPull.default(['push', 'pull']),
      delete: pushPull.default([]),
    })
    .default({ create: ['push', 'pull'], update: ['push', 'pull'], delete: [] }),
  match: z.array(matchSchema).default([]),
  deletePolicy: z
    .object({
      pull: z.enum(['disable', 'delete', 'ignore']).default('disable'),
      push: z.enum(['delete', 'ignore']).default('ignore'),
    })
    .default({ pull: 'disable', push: 'ignore' }),
  conflict: z
    .enum(['last-writer-wins', 'wordpress-wins', 'salesforce-wins'])
    .default('last-writer-wins'),
  fields: z.array(fieldRowSchema).default([]),
});

export type SalesforceObjectMap = z.output<typeof objectMapSchema>;

export const salesforceSettingsSchema = z
  .object({
    /** `https://login.salesforce.com`, `https://test.salesforce.com` or the My Domain URL. */
    loginUrl: baseUrl.default('https://login.salesforce.com'),
    flow: z.enum(['client_credentials', 'jwt', 'refresh_token']).default('client_credentials'),
    clientId: z.string().trim().min(1, 'clientId is required'),
    clientSecret: z.string().default(''),
    /** RS256 private key (PEM), JWT bearer flow. */
    privateKey: z.string().default(''),
    /** JWT bearer flow: the `sub` claim. */
    username: z.string().trim().default(''),
    refreshToken: z.string().default(''),
    apiVersion: z
      .string()
      .trim()
      .regex(/^\d{2,3}\.0$/, 'must look like "62.0"')
      .default('62.0'),
    callOptionsClient: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{0,40}$/, 'letters, digits, _ and - only')
      .default('usersync'),
    apiBudgetShare: z.number().gt(0).max(1).default(0.8),
    push: z.boolean().default(true),
    realtime: z.enum(['none', 'cometd']).default('none'),
    objectMaps: z.array(objectMapSchema).default([]),
    /** Minutes re-read behind the watermark on incremental pulls. */
    overlapMinutes: z.number().int().min(0).max(1440).default(5),
    /** Records per query batch asked for (`Sforce-Query-Options: batchSize`, 200–2000). */
    batchSize: z.number().int().min(200).max(2000).default(2000),
    /** Records per keyset query of a pull (its LIMIT; at most Salesforce's 2,000 batch). */
    pageSize: z.number().int().min(1).max(2000).default(2000),
    timeoutMs: z.number().int().min(1_000).max(600_000).default(60_000),
    /** Retries of a failed request outside a run (a run retries for its patience). */
    retries: z.number().int().min(0).max(20).default(6),
  })
  .superRefine((settings, ctx) => {
    const need = (key: 'clientSecret' | 'privateKey' | 'username' | 'refreshToken') => {
      if (!settings[key].trim()) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} is required for the ${settings.flow} flow`,
        });
      }
    };
    if (settings.flow === 'client_credentials') need('clientSecret');
    if (settings.flow === 'jwt') {
      need('privateKey');
      need('username');
    }
    if (settings.flow === 'refresh_token') need('refreshToken');
    const ids = new Set<string>();
    settings.objectMaps.forEach((map, index) => {
      if (ids.has(map.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['objectMaps', index, 'id'],
          message: `object map id "${map.id}" is used twice`,
        });
      }
      ids.add(map.id);
    });
  });

export type SalesforceSettingsInput = z.input<typeof salesforceSettingsSchema>;
export type SalesforceSettings = z.output<typeof salesforceSettingsSchema>;

export class SalesforceSettingsError extends Error {
  override name = 'SalesforceSettingsError';
}

/** The settings of a Salesforce connection; throws `SalesforceSettingsError` naming each problem. */
export function parseSalesforceSettings(raw: Record<string, unknown>): SalesforceSettings {
  const parsed = salesforceSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SalesforceSettingsError(
      `Invalid Salesforce connection: ${parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'settings'}: ${issue.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}
