// Templated logins in a scheduled pull against a real WordPress + plugin + sidecar and the
// Graph emulator: the attribute map makes the login from the given and family names, two
// different people named John Smith both get a WordPress user (John.Smith and John.Smith-2,
// as the audit log records), and the next runs write nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, restUrl } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';
import { startGraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import type { GraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import {
  connectEmulator,
  linkedUsers,
  putConfig,
  runWrites,
  syncAndWait,
  type SiteAccess,
} from '../src/emulators/microsoft-graph/stack.js';

const SLUG = 'template-logins';

type Json = Record<string, unknown>;

let stack: Stack;
let emulator: GraphEmulator;
let site: SiteAccess;

before(
  async () => {
    [stack, emulator] = await Promise.all([
      startStack({ name: 'graph-template-logins' }),
      startGraphEmulator({ users: 3, seed: 'graph-template-logins' }),
    ]);
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
  },
  { timeout: 120_000 },
);

after(async () => {
  await stack?.stop();
  await emulator?.close();
});

describe('templated logins in a Microsoft Graph pull', () => {
  test('two people with the same names get John.Smith and John.Smith-2; the next run writes nothing', async () => {
    const current = await request<{ attributeMap: Json[] }>(restUrl(stack, 'usersync/v1/config'), {
      basic: asAdmin(stack),
    });
    assert.equal(current.status, 200, current.text);
    const attributeMap = current.body.attributeMap.map((row) =>
      row.target === 'user_login'
        ? {
            source: '',
            target: 'user_login',
            direction: 'inbound',
            transform: 'template',
            default: null,
            template: '{name.givenName}.{name.familyName}',
          }
        : row,
    );
    await putConfig(site, { attributeMap });

    const d = emulator.directory;
    const john = (n: number) =>
      d.createUser({
        userPrincipalName: `jsmith${n}@${d.domain}`,
        mail: `john.smith${n}@contoso.example.com`,
        givenName: 'John',
        surname: 'Smith',
        displayName: `John Smith ${n}`,
        accountEnabled: true,
      });
    const first = john(1);
    const second = john(2);
    await connectEmulator(site, emulator, { slug: SLUG, name: 'Contoso', pageSize: 10 });

    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.failed, 0, JSON.stringify(run.details?.failures));
    assert.equal(run.counts.created, 5);

    const users = await linkedUsers(site, SLUG);
    const byExternal = new Map(users.map((user) => [user.externalId, user]));
    const logins = [first, second].map((person) => byExternal.get(person.id)?.login).sort();
    assert.deepEqual(logins, ['John.Smith', 'John.Smith-2'], 'both people are in WordPress');
    assert.equal(byExternal.get(first.id)?.email, first.props.mail);
    assert.equal(byExternal.get(second.id)?.email, second.props.mail);
    assert.equal(byExternal.get(second.id)?.displayName, 'John Smith 2');

    // The audit log records the suffixed login for the person who got it.
    const suffixed = [first, second].find(
      (person) => byExternal.get(person.id)?.login === 'John.Smith-2',
    )!;
    const audit = await request<Json[]>(
      restUrl(
        stack,
        `usersync/v1/audit?run=${run.id}&action=create&result=success&user=${byExternal.get(suffixed.id)!.id}`,
      ),
      { basic: asAdmin(stack) },
    );
    assert.equal(audit.status, 200, audit.text);
    assert.deepEqual(
      audit.body.map((entry) => entry.userLogin),
      ['John.Smith-2'],
    );

    // Nothing changed: the next run (delta) and a full scan write nothing.
    const writes = await runWrites(site);
    const next = await syncAndWait(site, SLUG);
    assert.equal(next.state, 'succeeded', next.error ?? '');
    assert.deepEqual(
      { ...next.counts, unchanged: 0 },
      { created: 0, updated: 0, unchanged: 0, disabled: 0, deleted: 0, failed: 0 },
    );
    const full = await syncAndWait(site, SLUG, { full: true });
    assert.equal(full.state, 'succeeded', full.error ?? '');
    assert.equal(full.counts.unchanged, 5);
    assert.equal(full.counts.failed, 0, JSON.stringify(full.details?.failures));
    assert.equal(await runWrites(site), writes, 'no WordPress write');
    const after = await linkedUsers(site, SLUG);
    assert.deepEqual(
      after.map((user) => user.login).sort(),
      users.map((user) => user.login).sort(),
      'the logins stay as they are',
    );
  });
});
