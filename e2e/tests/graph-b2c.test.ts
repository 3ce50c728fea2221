// Azure AD B2C against the real stack: B2C has no delta query, so every run lists the tenant
// in pages ($top) and the sidecar finds what changed by comparing hashes; the sign-in name
// from `identities[]` becomes the WordPress login; users gone from the tenant are
// deprovisioned; unchanged users are never written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin } from '../src/helpers.js';
import { startStack, type Stack } from '../src/stack/index.js';
import { seededId, startGraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import type { GraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import {
  connectEmulator,
  linkedUsers,
  putConfig,
  runWrites,
  syncAndWait,
  type SiteAccess,
} from '../src/emulators/microsoft-graph/stack.js';

const SLUG = 'contoso-b2c';
const SEED = 'b2c';

let stack: Stack;
let emulator: GraphEmulator;
let site: SiteAccess;

before(
  async () => {
    [stack, emulator] = await Promise.all([
      startStack({ name: 'graph-b2c' }),
      startGraphEmulator({ users: 260, seed: SEED, b2c: true, photoEvery: 0 }),
    ]);
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
  },
  { timeout: 120_000 },
);

after(async () => {
  await stack?.stop();
  await emulator?.close();
});

const signInName = (index: number) => {
  const user = emulator.directory.user(seededId(SEED, 'user', index));
  const identities = user.props.identities as { signInType: string; issuerAssignedId: string }[];
  return identities.find((i) => i.signInType === 'emailAddress')!.issuerAssignedId;
};

describe('Azure AD B2C sync', () => {
  test('lists the tenant in pages and maps B2C identities', async () => {
    await putConfig(site, {
      attributeMap: [
        { source: 'userName', target: 'user_login' },
        { source: 'emails[primary].value', target: 'user_email' },
        { source: 'name.givenName', target: 'first_name' },
        { source: 'name.familyName', target: 'last_name' },
        { source: 'displayName', target: 'display_name' },
        {
          source: 'identities[signInType eq "userPrincipalName"].issuerAssignedId',
          target: 'meta:b2c_object_upn',
        },
        {
          source: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
          target: 'meta:department',
        },
      ],
      roleMap: {
        rules: [{ group: 'Site Authors', role: 'author', priority: 1 }],
        defaultRole: 'subscriber',
        allowAdministrator: false,
      },
    });
    await connectEmulator(site, emulator, { slug: SLUG, pageSize: 40, photos: false });
    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.full, true);
    // B2C has no $count (an advanced query): the run learns no total in advance.
    assert.equal(run.total, null);
    assert.equal(emulator.stats.requests['GET /v1.0/users/$count'] ?? 0, 0);
    assert.equal(run.counts.created, 260);
    assert.equal(run.counts.failed, 0, JSON.stringify(run.details?.failures));

    const requests = emulator.stats.requests;
    assert.equal(requests['GET /v1.0/users/delta'] ?? 0, 0, 'B2C has no delta query');
    assert.ok((requests['GET /v1.0/users'] ?? 0) >= 7, 'paged with $top=40');

    const users = await linkedUsers(site, SLUG, ['b2c_object_upn', 'department']);
    assert.equal(users.length, 260);
    const first = users.find((u) => u.externalId === seededId(SEED, 'user', 0))!;
    assert.equal(first.login, signInName(0));
    assert.equal(first.email, signInName(0));
    assert.match(String(first.meta.b2c_object_upn), /@contosob2c\.onmicrosoft\.com$/);
    const author = users.find((u) => u.externalId === seededId(SEED, 'user', 1))!;
    assert.deepEqual(author.roles, ['author']);
  });

  test('the next scan writes only what changed and deprovisions who left', async () => {
    const d = emulator.directory;
    d.updateUser(seededId(SEED, 'user', 3), { department: 'Finance', surname: 'Changed' });
    d.deleteUser(seededId(SEED, 'user', 4), true);
    d.updateUser(seededId(SEED, 'user', 5), { accountEnabled: false });
    const writesBefore = await runWrites(site);
    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.full, true);
    assert.equal(run.counts.updated, 1);
    assert.equal(run.counts.disabled, 2, 'the disabled account and the one gone from the tenant');
    assert.equal(run.counts.unchanged, 257);
    assert.equal(await runWrites(site), writesBefore + 3, 'three users written, nobody else');

    const users = await linkedUsers(site, SLUG, ['department']);
    const byIndex = (i: number) => users.find((u) => u.externalId === seededId(SEED, 'user', i));
    assert.equal(byIndex(3)?.meta.department, 'Finance');
    assert.equal(byIndex(3)?.lastName, 'Changed');
    assert.equal(byIndex(4)?.active, false);
    assert.equal(byIndex(5)?.active, false);

    const quiet = await syncAndWait(site, SLUG);
    assert.equal(quiet.counts.unchanged, 259, 'every listed user, the disabled one too, unchanged');
    assert.equal(await runWrites(site), writesBefore + 3, 'a scan without changes writes nothing');
  });
});
