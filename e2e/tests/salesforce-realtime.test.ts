// Real time from Salesforce against a real WordPress + plugin + sidecar and the Salesforce
// emulator: a connection with `realtime: 'cometd'` created through the plugin, one Sync now,
// then Contacts edited in the org reach WordPress within seconds through Change Data Capture
// (no run), and a deleted Contact's user is disabled. Prints the median delay.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin } from '../src/helpers.js';
import { startStack, type Stack } from '../src/stack/index.js';
import { startSalesforceEmulator } from '../src/emulators/salesforce/index.js';
import type { SalesforceEmulator } from '../src/emulators/salesforce/index.js';
import { connectEmulator } from '../src/emulators/salesforce/stack.js';
import { linkedUsers, syncAndWait, type SiteAccess } from '../src/stack/site.js';

const SLUG = 'acme-realtime';

let stack: Stack;
let emulator: SalesforceEmulator;
let site: SiteAccess;
let contacts: string[] = [];

before(
  async () => {
    [stack, emulator] = await Promise.all([
      startStack({ name: 'salesforce-realtime' }),
      startSalesforceEmulator({ seed: 'salesforce-realtime' }),
    ]);
    contacts = emulator.seed({ contacts: 4 }).contacts;
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
  await emulator?.close();
});

async function until<T>(read: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const userOf = async (id: string) =>
  (await linkedUsers(site, SLUG)).find((user) => user.externalId === id);

describe('Salesforce real time (Change Data Capture over CometD)', () => {
  test('edits in the org reach WordPress within seconds, without a run', async () => {
    await connectEmulator(site, emulator, {
      slug: SLUG,
      name: 'Acme Salesforce (real time)',
      realtime: 'cometd',
    });
    const first = await syncAndWait(site, SLUG);
    assert.equal(first.state, 'succeeded', first.error ?? '');
    assert.equal(first.counts.created, 4);
    // The feed subscribes once the sidecar has loaded the connection (the run reloaded it).
    await until(
      async () =>
        (emulator.stats.requests['POST /cometd/{version}'] ?? 0) >= 3 ? true : undefined,
      'the sidecar subscribed',
    );

    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const id = contacts[i % contacts.length]!;
      const name = `Realtime${i}`;
      const started = Date.now();
      emulator.update(id, { FirstName: name });
      await until(
        async () => ((await userOf(id))?.firstName === name ? true : undefined),
        `${name} in WordPress`,
      );
      delays.push(Date.now() - started);
    }
    delays.sort((a, b) => a - b);
    const median = delays[Math.floor(delays.length / 2)]!;
    console.log(
      `Salesforce → WordPress real-time delay: median ${median} ms, max ${delays.at(-1)} ms over ${delays.length} edits`,
    );
    assert.ok(median < 5_000, `median ${median} ms`);
  });

  test('a Contact deleted in the org disables its WordPress user', async () => {
    const [id] = contacts;
    emulator.delete(id!);
    await until(
      async () => ((await userOf(id!))?.active === false ? true : undefined),
      'the user disabled',
    );
  });
});
