// The one login rule in a Microsoft Graph "Sync now" against a real WordPress + plugin +
// sidecar and the Graph emulator: UPNs over 60 characters, with apostrophes (Entra allows
// them) and of guests (#EXT#) all become WordPress users, shortened ones ending in a hash;
// then, with a `{name.givenName}.{name.familyName}`
// login template, people with accented names are created too (Tomás Braun → Tomas.Braun),
// and the users made before keep the logins they were created with.
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
  syncAndWait,
  type SiteAccess,
} from '../src/emulators/microsoft-graph/stack.js';

const SLUG = 'login-rule';
const SEEDED = 20;

type Json = Record<string, unknown>;

let stack: Stack;
let emulator: GraphEmulator;
let site: SiteAccess;

before(
  async () => {
    [stack, emulator] = await Promise.all([
      startStack({ name: 'graph-login-rule' }),
      startGraphEmulator({ users: SEEDED, seed: 'graph-login-rule' }),
    ]);
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
  },
  { timeout: 120_000 },
);

after(async () => {
  await stack?.stop();
  await emulator?.close();
});

/** What `sanitize_user( $login, true )` leaves unchanged, and WordPress's 60 characters. */
const WORDPRESS_LOGIN = /^[A-Za-z0-9 _.\-@]{1,60}$/;

describe('the login rule in a Microsoft Graph Sync now', () => {
  test('long, apostrophe and guest UPNs, then accented templated names: every user is created', async () => {
    const d = emulator.directory;
    const person = (upn: string, givenName: string, surname: string, mail: string | null = upn) =>
      d.createUser({
        userPrincipalName: upn,
        ...(mail === null ? {} : { mail }),
        givenName,
        surname,
        displayName: `${givenName} ${surname}`,
        accountEnabled: true,
      });
    // Two 64-character UPNs of this tenant that differ only in their last local character.
    const upn = (n: number) =>
      `${'maximilian.alexander.konstantinopoulou-vandermeer'.slice(0, 62 - d.domain.length)}${n}@${d.domain}`;
    assert.equal(upn(1).length, 64);
    const long1 = person(upn(1), 'Maximilian', 'Vandermeer');
    const long2 = person(upn(2), 'Maxime', 'Vandermeer');
    const apostrophe = person(`o'brien@${d.domain}`, 'Siobhan', "O'Brien");
    const longApostrophe = person(
      `siobhan.o'sullivan-mcgillicuddy.research.divisions@${d.domain}`,
      'Siobhan',
      "O'Sullivan",
    );
    // A guest's userName is its mail (the name people know), else its #EXT# UPN.
    const guest = person(
      `adele_fabrikam.example#EXT#@${d.domain}`,
      'Adele',
      'Guest',
      'adele@fabrikam.example',
    );
    const guestNoMail = person(`bianca_fabrikam.example#EXT#@${d.domain}`, 'Bianca', 'Guest', null);
    await connectEmulator(site, emulator, { slug: SLUG, name: 'Contoso', pageSize: 10 });

    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.failed, 0, JSON.stringify(run.details?.failures));
    assert.equal(run.counts.created, SEEDED + 6);

    const users = await linkedUsers(site, SLUG);
    assert.equal(users.length, SEEDED + 6);
    for (const user of users) assert.match(user.login, WORDPRESS_LOGIN);
    assert.equal(new Set(users.map((u) => u.login.toLowerCase())).size, users.length);
    const loginOf = (id: string) => users.find((user) => user.externalId === id)?.login;
    assert.equal(loginOf(apostrophe.id), `obrien@${d.domain}`);
    assert.equal(loginOf(guest.id), 'adele@fabrikam.example');
    assert.equal(loginOf(guestNoMail.id), `bianca_fabrikam.exampleEXT@${d.domain}`);
    for (const shortened of [long1, long2, longApostrophe]) {
      const login = loginOf(shortened.id)!;
      assert.equal(login.length, 60, login);
      assert.match(login, /-[0-9a-z]{8}$/, `${login} ends in a hash`);
    }
    assert.notEqual(loginOf(long1.id), loginOf(long2.id));
    assert.ok(loginOf(longApostrophe.id)!.startsWith('siobhan.osullivan-'));

    // The login template, and people whose names have accents.
    const current = await request<{ attributeMap: Json[] }>(restUrl(stack, 'usersync/v1/config'), {
      basic: asAdmin(stack),
    });
    assert.equal(current.status, 200, current.text);
    await putConfig(site, {
      attributeMap: current.body.attributeMap.map((row) =>
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
      ),
    });
    const tomas = person(`tbraun@${d.domain}`, 'Tomás', 'Braun');
    const nunez = person(`jnunez@${d.domain}`, 'José', 'Ñúñez');
    const strasse = person(`jstrasse@${d.domain}`, 'Jørgen', 'Straße');

    const second = await syncAndWait(site, SLUG, { full: true });
    assert.equal(second.state, 'succeeded', second.error ?? '');
    assert.equal(second.counts.failed, 0, JSON.stringify(second.details?.failures));
    assert.equal(second.counts.created, 3);

    const after = await linkedUsers(site, SLUG);
    const loginAfter = (id: string) => after.find((user) => user.externalId === id)?.login;
    assert.equal(loginAfter(tomas.id), 'Tomas.Braun');
    assert.equal(loginAfter(nunez.id), 'Jose.Nunez');
    assert.equal(loginAfter(strasse.id), 'Jorgen.Strasse');
    // A login is decided when the user is created: the new template renames nobody.
    for (const user of users) assert.equal(loginAfter(user.externalId!), user.login);
  });
});
