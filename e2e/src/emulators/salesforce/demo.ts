// The demo org: the Salesforce emulator with a few hundred Contacts (and some Accounts and
// Leads), clearly labelled as an emulated org, not a real one — so a new user can try the
// Salesforce connection without a Salesforce account. With a site, it also creates the
// connection "demo-org" in the plugin, pushes on: the emulated org receives the site's users
// as Contacts, so both directions can be watched without writing to a real org.
import { canListen } from '../../stack/ports.js';
import { startSalesforceEmulator } from './index.js';
import type { SalesforceEmulator } from './index.js';
import { connectEmulator } from './stack.js';
import type { SiteAccess } from './stack.js';

export const DEMO_SLUG = 'demo-org';

export interface DemoOrg {
  emulator: SalesforceEmulator;
  /** Lines to print under the stack's details. */
  lines: string[];
  stop(): Promise<void>;
}

export async function startDemoOrg(
  options: { contacts?: number; port?: number; site?: SiteAccess } = {},
): Promise<DemoOrg> {
  const contacts = options.contacts ?? 300;
  const preferred = options.port ?? 8791;
  const emulator = await startSalesforceEmulator({
    port: (await canListen(preferred)) ? preferred : 0,
    contacts,
    accounts: 12,
    leads: 40,
    seed: 'demo',
  });
  if (options.site) {
    try {
      await connectEmulator(options.site, emulator, {
        slug: DEMO_SLUG,
        name: `Demo org (emulated Salesforce, not a real org, ${contacts} contacts)`,
        push: true,
      });
    } catch (error) {
      await emulator.close();
      throw error;
    }
  }
  return {
    emulator,
    lines: [
      `  Demo org          ${emulator.url}   (emulated Salesforce, ${contacts} Contacts, not a real org)`,
      ...(options.site
        ? [
            `    connection      "${DEMO_SLUG}" — press Sync now on the UserSync page for its Contacts; push is on, so`,
            `                    WordPress users (yours and the demo directory's) appear there as Contacts — it is emulated, no real org is written`,
          ]
        : []),
      `    sign in         client credentials: client id ${emulator.clientId.slice(0, 16)}…, secret ${emulator.clientSecret.slice(0, 8)}… (GET ${emulator.url}/_emulator/credentials)`,
      `    its contacts    curl -s '${emulator.url}/_emulator/records/Contact?per_page=5'   (Ids, names, emails; &page=2)`,
      `    change one      curl -s -X PATCH ${emulator.url}/_emulator/records/Contact/<Id from that list> -H 'Content-Type: application/json' -d '{"FirstName":"Changed"}'`,
    ],
    stop: () => emulator.close(),
  };
}
