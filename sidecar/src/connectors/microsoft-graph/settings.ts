// A Microsoft Graph connection as the admin configures it in wp-admin, validated before use,
// and the sign-in and Graph endpoints of each national cloud.
import { z } from 'zod';

export const clouds = {
  /** Microsoft Entra ID worldwide. */
  global: {
    authorityUrl: 'https://login.microsoftonline.com',
    graphUrl: 'https://graph.microsoft.com',
  },
  /** Azure Government (US Gov L4). */
  usgov: {
    authorityUrl: 'https://login.microsoftonline.us',
    graphUrl: 'https://graph.microsoft.us',
  },
  /** Azure Government DoD (US Gov L5). */
  usgovdod: {
    authorityUrl: 'https://login.microsoftonline.us',
    graphUrl: 'https://dod-graph.microsoft.us',
  },
  /** Azure China, operated by 21Vianet. */
  china: {
    authorityUrl: 'https://login.chinacloudapi.cn',
    graphUrl: 'https://microsoftgraph.chinacloudapi.cn',
  },
} as const;

export type Cloud = keyof typeof clouds;

const baseUrl = z
  .string()
  .trim()
  .regex(/^https?:\/\/[^\s/]+/, 'must be an http(s) URL')
  .transform((value) => value.replace(/\/+$/, ''));

export const graphSettingsSchema = z.object({
  /** Directory (tenant) id or a verified domain, e.g. `contoso.onmicrosoft.com`. */
  tenantId: z.string().trim().min(1, 'tenantId is required').max(256),
  /** Application (client) id of the app registration. */
  clientId: z.string().trim().min(1, 'clientId is required').max(256),
  clientSecret: z.string().min(1, 'clientSecret is required'),
  cloud: z.enum(['global', 'usgov', 'usgovdod', 'china']).default('global'),
  /** Azure AD B2C tenant: no delta query, so every run is a paged full scan. */
  b2c: z.boolean().default(false),
  /** Overrides of the cloud's endpoints (a proxy or the emulator). */
  authorityUrl: baseUrl.nullish(),
  graphUrl: baseUrl.nullish(),
  /**
   * Users per Graph page asked for (1–999): `$top` on B2C lists; on delta queries only a hint
   * (`Prefer: odata.maxpagesize`), Graph picks the page size.
   */
  pageSize: z.number().int().min(1).max(999).default(500),
  /** Graph requests in flight for photos and group members. */
  concurrency: z.number().int().min(1).max(32).default(4),
  timeoutMs: z.number().int().min(1_000).max(600_000).default(30_000),
  /** B2C: read profile photos anyway (B2C tenants do not support them; default off). */
  b2cPhotos: z.boolean().default(false),
  /** Retries of a throttled or failed Graph request outside a run (a run retries for its patience). */
  retries: z.number().int().min(0).max(20).default(6),
});

export type GraphSettingsInput = z.input<typeof graphSettingsSchema>;

export interface GraphSettings extends z.output<typeof graphSettingsSchema> {
  /** Resolved endpoints: the override, else the cloud's. */
  endpoints: { authorityUrl: string; graphUrl: string };
}

export class GraphSettingsError extends Error {
  override name = 'GraphSettingsError';
}

export function parseGraphSettings(input: unknown): GraphSettings {
  const parsed = graphSettingsSchema.safeParse(input);
  if (!parsed.success) {
    throw new GraphSettingsError(
      `Invalid Microsoft Graph connection: ${parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'settings'}: ${issue.message}`)
        .join('; ')}`,
    );
  }
  const settings = parsed.data;
  const cloud = clouds[settings.cloud];
  return {
    ...settings,
    endpoints: {
      authorityUrl: settings.authorityUrl ?? cloud.authorityUrl,
      graphUrl: settings.graphUrl ?? cloud.graphUrl,
    },
  };
}
