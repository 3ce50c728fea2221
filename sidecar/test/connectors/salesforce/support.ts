// The Salesforce connector's settings over the Salesforce emulator, shared by its tests.
import { pino } from 'pino';
import type { SalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import { SalesforceConnector } from '../../../src/connectors/salesforce/index.js';

export const logger = pino({ level: 'silent' });
export const fastRetry = { baseMs: 1, limitBaseMs: 5, maxDelayMs: 40 };

const row = (wp: string, sf: string, direction: 'inbound' | 'outbound' | 'both' = 'both') => ({
  wp,
  sf,
  direction,
  transform: 'none',
  default: null,
  template: null,
  valueMap: null,
  nulls: 'propagate',
});

/** The contract's example object map: Contacts as WordPress users. */
export function contactsMap(extra: Record<string, unknown> = {}) {
  return {
    id: 'contacts',
    wpObject: 'user',
    sfObject: 'Contact',
    recordTypeId: null,
    filter: '',
    operations: { create: ['push', 'pull'], update: ['push', 'pull'], delete: [] },
    match: [{ kind: 'idLookup', sf: 'Email', wp: 'user_email' }],
    deletePolicy: { pull: 'disable', push: 'ignore' },
    conflict: 'last-writer-wins',
    fields: [
      row('user_email', 'Email'),
      row('first_name', 'FirstName'),
      row('last_name', 'LastName'),
      row('user_login', 'Email', 'inbound'),
      row('meta:phone', 'Phone'),
      row('meta:city', 'MailingAddress.city', 'inbound'),
    ],
    ...extra,
  };
}

export function settingsFor(emulator: SalesforceEmulator, extra: Record<string, unknown> = {}) {
  return {
    loginUrl: emulator.url,
    flow: 'client_credentials',
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    apiVersion: '62.0',
    callOptionsClient: 'usersync',
    apiBudgetShare: 0.8,
    push: true,
    realtime: 'none',
    objectMaps: [contactsMap()],
    overlapMinutes: 0,
    retries: 3,
    ...extra,
  };
}

export function connectorFor(
  emulator: SalesforceEmulator,
  extra: Record<string, unknown> = {},
  connection = 'acme',
) {
  return new SalesforceConnector(settingsFor(emulator, extra), {
    logger,
    connection,
    retry: fastRetry,
  });
}

export const row_ = row;
