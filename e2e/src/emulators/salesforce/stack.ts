// Connecting a test stack to the Salesforce emulator as an admin would: the connection
// settings of a `type: "salesforce"` connection (the shape the plugin serves to the sidecar)
// pointing at the emulator, and creating that connection through the plugin's REST API.
import { request } from '../../stack/rest.js';
import type { Answer } from '../../stack/rest.js';
import type { SiteAccess } from '../microsoft-graph/stack.js';
import type { SalesforceEmulator } from './index.js';

export type { SiteAccess } from '../microsoft-graph/stack.js';

export type Flow = 'client_credentials' | 'jwt' | 'refresh_token';

/** The default object map: WordPress users ↔ Contacts, matched by UserSync_Id__c then Email. */
export function contactMap(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const row = (wp: string, sf: string, direction = 'both', nulls = 'propagate') => ({
    wp,
    sf,
    direction,
    transform: 'none',
    default: null,
    template: null,
    valueMap: null,
    nulls,
  });
  return {
    id: 'contacts',
    wpObject: 'user',
    sfObject: 'Contact',
    recordTypeId: null,
    filter: '',
    operations: { create: ['push', 'pull'], update: ['push', 'pull'], delete: [] },
    match: [
      { kind: 'externalId', sf: 'UserSync_Id__c' },
      { kind: 'idLookup', sf: 'Email', wp: 'user_email' },
    ],
    deletePolicy: { pull: 'disable', push: 'ignore' },
    conflict: 'last-writer-wins',
    fields: [
      row('user_email', 'Email'),
      row('first_name', 'FirstName'),
      row('last_name', 'LastName'),
      row('user_login', 'Email', 'inbound', 'ignore'),
      row('meta:phone', 'Phone'),
    ],
    ...overrides,
  };
}

/** Settings of a Salesforce connection that signs in to the emulator with `flow`. */
export function connectionSettings(
  emulator: SalesforceEmulator,
  options: { flow?: Flow; refreshToken?: string } & Record<string, unknown> = {},
): Record<string, unknown> {
  const { flow = 'client_credentials', refreshToken, ...rest } = options;
  return {
    loginUrl: emulator.loginUrl,
    flow,
    clientId: emulator.clientId,
    clientSecret: flow === 'jwt' ? '' : emulator.clientSecret,
    privateKey: flow === 'jwt' ? emulator.privateKeyPem : '',
    username: emulator.username,
    refreshToken: refreshToken ?? '',
    apiVersion: '62.0',
    callOptionsClient: 'usersync',
    apiBudgetShare: 0.8,
    push: true,
    realtime: 'none',
    objectMaps: [contactMap()],
    ...rest,
  };
}

function must<T>(answer: Answer<T>, expected: number[], what: string): T {
  if (!expected.includes(answer.status)) {
    throw new Error(`${what} answered ${answer.status}: ${answer.text.slice(0, 800)}`);
  }
  return answer.body;
}

/** Creates (or replaces) a Salesforce connection of the plugin that points at the emulator. */
export async function connectEmulator(
  site: SiteAccess,
  emulator: SalesforceEmulator,
  options: { slug?: string; name?: string; flow?: Flow } & Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const { slug = 'salesforce-demo', name = 'Salesforce (emulated)', ...settings } = options;
  const url = (route: string) => `${site.url}/wp-json/usersync/v1/${route}`;
  await request(url(`connections/${slug}`), { method: 'DELETE', basic: site.admin });
  const answer = await request<Record<string, unknown>>(url('connections'), {
    method: 'POST',
    basic: site.admin,
    body: {
      name,
      slug,
      type: 'salesforce',
      schedule: null,
      ...connectionSettings(emulator, settings),
    },
  });
  return must(answer, [201], 'creating the Salesforce connection');
}
