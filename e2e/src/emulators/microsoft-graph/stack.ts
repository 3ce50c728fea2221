// Connecting a test stack to the Graph emulator, as an admin would in wp-admin: create the
// connection through the plugin's REST API; the site helpers (stack/site.ts) press Sync now,
// watch the run and read the users.
import { request } from '../../stack/rest.js';
import { must, rest, type SiteAccess } from '../../stack/site.js';
import type { GraphEmulator } from './index.js';

export {
  getRun,
  linkedUsers,
  putConfig,
  rest,
  runWrites,
  syncAndWait,
  syncNow,
  waitForRun,
} from '../../stack/site.js';
export type { LinkedUser, RunAnswer, SiteAccess } from '../../stack/site.js';

/** Creates (or replaces) a Microsoft Graph connection that points at the emulator. */
export async function connectEmulator(
  site: SiteAccess,
  emulator: GraphEmulator,
  options: Record<string, unknown> & { slug?: string; name?: string } = {},
): Promise<Record<string, unknown>> {
  const slug = options.slug ?? 'entra-demo';
  await request(rest(site, `connections/${slug}`), { method: 'DELETE', basic: site.admin });
  const answer = await request<Record<string, unknown>>(rest(site, 'connections'), {
    method: 'POST',
    basic: site.admin,
    body: {
      name: options.name ?? 'Entra ID (emulated)',
      slug,
      type: 'microsoft-graph',
      tenantId: emulator.tenantId,
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      authorityUrl: emulator.authorityUrl,
      graphUrl: emulator.graphUrl,
      b2c: emulator.directory.b2c,
      schedule: null,
      ...options,
    },
  });
  return must(answer, [201], 'creating the connection');
}
