// What the Salesforce push tests share: the emulated org, the in-memory WordPress (the plugin
// feed), a store, and a target over a real client with short retries.
import { pino } from 'pino';
import { startSalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import { SalesforceClient } from '../../../src/connectors/salesforce/client.js';
import { parseSalesforceSettings } from '../../../src/connectors/salesforce/settings.js';
import type { SalesforceSettingsInput } from '../../../src/connectors/salesforce/settings.js';
import { SalesforceTarget } from '../../../src/connectors/salesforce/target.js';
import type { DeliveryResult, UserChange } from '../../../src/connectors/types.js';
import { SqliteStore } from '../../../src/store/sqlite/index.js';
import type { ChangeAction, SourceConnection } from '../../../src/wordpress/types.js';
import { FakeFeed } from '../../outbound/fake-feed.js';

export const SLUG = 'crm';
export const SITE_KEY = 'shop.example';
export const logger = pino({ level: 'silent' });

type ObjectMapInput = NonNullable<SalesforceSettingsInput['objectMaps']>[number];

/** The contract's Contact map: external id, then Email; email, names and phone both ways. */
export function contactMap(overrides: Partial<ObjectMapInput> = {}): ObjectMapInput {
  return {
    id: 'contacts',
    wpObject: 'user',
    sfObject: 'Contact',
    operations: { create: ['push', 'pull'], update: ['push', 'pull'], delete: [] },
    match: [
      { kind: 'externalId', sf: 'UserSync_Id__c' },
      { kind: 'idLookup', sf: 'Email', wp: 'user_email' },
    ],
    deletePolicy: { pull: 'disable', push: 'delete' },
    fields: [
      { wp: 'user_email', sf: 'Email', direction: 'both' },
      { wp: 'first_name', sf: 'FirstName', direction: 'both' },
      { wp: 'last_name', sf: 'LastName', direction: 'both' },
      { wp: 'meta:phone', sf: 'Phone', direction: 'both' },
    ],
    ...overrides,
  };
}

export interface PushSetup {
  emulator: SalesforceEmulator;
  feed: FakeFeed;
  store: SqliteStore;
  connection: SourceConnection;
  target: SalesforceTarget;
  /** A target with other settings over the same org, WordPress and store. */
  targetWith(
    settings: Partial<SalesforceSettingsInput> & { includeAdministrators?: boolean },
    url?: string,
  ): SalesforceTarget;
  deliver(changes: UserChange[], target?: SalesforceTarget): Promise<Map<number, DeliveryResult>>;
  close(): Promise<void>;
}

export function change(userId: number, actions: ChangeAction[] = ['update']): UserChange {
  return {
    userId,
    ids: [1],
    actions,
    changed: ['first_name'],
    origins: ['local'],
    firstAt: new Date().toISOString(),
  };
}

export async function pushSetup(
  settings: Partial<SalesforceSettingsInput> = {},
  emulator?: SalesforceEmulator,
): Promise<PushSetup> {
  const org = emulator ?? (await startSalesforceEmulator({ seed: 'push' }));
  const feed = new FakeFeed();
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const base = (extra: Partial<SalesforceSettingsInput>, url = org.url) => ({
    loginUrl: url,
    flow: 'client_credentials' as const,
    clientId: org.clientId,
    clientSecret: org.clientSecret,
    apiVersion: org.apiVersion,
    callOptionsClient: 'usersync',
    push: true,
    objectMaps: [contactMap()],
    retries: 1,
    timeoutMs: 5_000,
    ...settings,
    ...extra,
  });
  const connectionOf = (raw: Record<string, unknown>): SourceConnection => ({
    slug: SLUG,
    name: 'Acme CRM',
    type: 'salesforce',
    enabled: true,
    schedule: null,
    photos: false,
    settings: raw,
  });
  const targetWith = (
    extra: Partial<SalesforceSettingsInput> & { includeAdministrators?: boolean },
    url?: string,
  ) => {
    const raw: Record<string, unknown> = base(extra, url);
    const parsed = parseSalesforceSettings(raw);
    return new SalesforceTarget({
      connection: connectionOf(raw),
      settings: { ...parsed, includeAdministrators: raw.includeAdministrators === true },
      client: new SalesforceClient(parsed, {
        logger,
        retry: { retries: 1, baseMs: 1, limitBaseMs: 1, maxDelayMs: 5 },
      }),
      feed: feed.asFeed(),
      store,
      logger,
      siteKey: SITE_KEY,
    });
  };
  const target = targetWith({});
  const never = new AbortController().signal;
  return {
    emulator: org,
    feed,
    store,
    connection: connectionOf(base({})),
    target,
    targetWith,
    deliver: (changes, which = target) =>
      which.deliver(changes, { config: feed.syncConfig, signal: never }),
    async close() {
      await store.close();
      if (!emulator) await org.close();
    },
  };
}

/** The Contacts of the org that are not deleted. */
export function liveContacts(emulator: SalesforceEmulator): Record<string, unknown>[] {
  return emulator.org
    .all('Contact')
    .map((record) => emulator.record(record.id)!)
    .filter((record) => record.IsDeleted !== true);
}

/** The outcome of a successful delivery, or the error thrown. */
export function outcomeOf(results: Map<number, DeliveryResult>, userId: number) {
  const result = results.get(userId);
  if (!result) throw new Error(`no result for user ${userId}`);
  if (!result.ok) throw result.error;
  return result.outcome;
}

/** The error of a failed delivery. */
export function errorOf(results: Map<number, DeliveryResult>, userId: number) {
  const result = results.get(userId);
  if (!result) throw new Error(`no result for user ${userId}`);
  if (result.ok) throw new Error(`user ${userId} was delivered: ${result.outcome.status}`);
  return result.error;
}
