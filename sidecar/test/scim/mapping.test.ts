import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_ATTRIBUTE_MAP,
  inboundValue,
  loginCandidate,
  loginMatches,
  readSource,
  sanitizeLogin,
  userFromWordPress,
  userToWordPress,
  writeSource,
} from '../../src/scim/mapping.js';
import type { AttributeMapEntry, UserSnapshot } from '../../src/scim/mapping.js';

const E = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('logins', () => {
  const cases: [string, string][] = [
    ['jane@example.com', 'jane@example.com'],
    ['Jane.Doe@Example.com', 'Jane.Doe@Example.com'],
    ['jane+tag@example.com', 'janetag@example.com'],
    ['Zoë Ångström', 'Zoe Angstrom'],
    ['  spaced   out  ', 'spaced out'],
    ['<b>bold</b>', 'bold'],
    ['a%41b', 'ab'],
    ['x&amp;y', 'xy'],
    ["o'brien", 'obrien'],
    ['DOMAIN\\user', 'DOMAINuser'],
  ];
  for (const [userName, login] of cases) {
    it(`${JSON.stringify(userName)} → ${JSON.stringify(login)}`, () =>
      assert.equal(sanitizeLogin(userName), login));
  }
  it('at most 60 characters; nothing usable gets a stable generated login', () => {
    assert.equal(sanitizeLogin('a'.repeat(80)).length, 60);
    const generated = sanitizeLogin('日本語');
    assert.match(generated, /^user-[0-9a-z]{8}$/);
    assert.equal(sanitizeLogin('日本語'), generated);
  });
  it('suffixes stay within 60 characters and are recognised', () => {
    assert.equal(loginCandidate('anna', 1), 'anna-2');
    assert.equal(loginCandidate('b'.repeat(60), 1).length, 60);
    assert.equal(loginMatches('anna+x@y.z', 'annax@y.z'), true);
    assert.equal(loginMatches('anna+x@y.z', 'ANNAX@Y.Z-3'), true);
    assert.equal(loginMatches('anna', 'anna-1'), false);
    assert.equal(loginMatches('anna', 'annabel'), false);
  });
});

describe('attribute map sources', () => {
  const resource = {
    userName: 'u',
    emails: [
      { value: 'home@x', type: 'home' },
      { value: 'work@x', type: 'work', primary: true },
    ],
    phoneNumbers: [{ value: '+1', type: 'work' }],
    [E]: { department: 'Ops', manager: { value: '9' } },
  };
  it('reads value paths, [primary] and URN attributes', () => {
    assert.equal(readSource(resource, 'emails[primary].value'), 'work@x');
    assert.equal(readSource({ emails: [{ value: 'only@x' }] }, 'emails[primary].value'), 'only@x');
    assert.equal(readSource(resource, 'emails[type eq "home"].value'), 'home@x');
    assert.equal(readSource(resource, 'phoneNumbers[type eq "mobile"].value'), undefined);
    assert.equal(readSource(resource, `${E}:department`), 'Ops');
    assert.equal(readSource(resource, `${E}:manager`), '9');
    assert.equal(readSource(resource, 'emails.value'), 'work@x');
    assert.equal(readSource(resource, 'not a path['), undefined);
  });
  it('writes and removes through the same paths', () => {
    const copy = structuredClone(resource) as Record<string, unknown>;
    writeSource(copy, 'emails[primary].value', 'new@x');
    writeSource(copy, 'phoneNumbers[type eq "mobile"].value', '+2');
    writeSource(copy, 'name.givenName', 'G');
    writeSource(copy, `${E}:department`, undefined);
    writeSource(copy, 'title', 'T');
    assert.deepEqual(copy.emails, [
      resource.emails[0],
      { value: 'new@x', type: 'work', primary: true },
    ]);
    assert.deepEqual(copy.phoneNumbers, [
      { value: '+1', type: 'work' },
      { type: 'mobile', value: '+2' },
    ]);
    assert.deepEqual(copy.name, { givenName: 'G' });
    assert.deepEqual(copy[E], { manager: { value: '9' } });
    assert.equal(copy.title, 'T');
    writeSource(copy, 'emails[primary].value', undefined);
    assert.deepEqual(copy.emails, [resource.emails[0]]);
  });
});

describe('SCIM User ↔ WordPress', () => {
  const map: AttributeMapEntry[] = [
    ...DEFAULT_ATTRIBUTE_MAP,
    {
      source: 'userType',
      target: 'meta:user_type',
      direction: 'both',
      transform: 'lowercase',
      default: 'employee',
    },
    {
      source: 'locale',
      target: 'meta:locale',
      direction: 'outbound',
      transform: 'none',
      default: null,
    },
  ];
  const scim = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', E],
    userName: 'Kim+1@Example.com',
    externalId: 'k1',
    active: false,
    name: { givenName: 'Kim', familyName: 'Lee', middleName: 'J' },
    emails: [{ value: 'kim@example.com', type: 'work', primary: true }],
    photos: [{ value: 'https://img.example/kim.png', type: 'photo' }],
    locale: 'ko-KR',
    [E]: { department: 'Ops', costCenter: 'CC1' },
  };

  it('SCIM → WordPress: core fields, meta, transform, default, inbound only', () => {
    const input = userToWordPress(scim, map, { creating: true, password: 'pw' });
    assert.equal(input.login, 'Kim1@Example.com');
    assert.equal(input.email, 'kim@example.com');
    assert.equal(input.firstName, 'Kim');
    assert.equal(input.active, false);
    assert.equal(input.password, 'pw');
    assert.equal(input.externalId, 'k1');
    assert.deepEqual(input.meta, { department: 'Ops', user_type: 'employee' });
    assert.equal((input.scim as Record<string, unknown>).active, undefined);
    assert.deepEqual((input.scim as Record<string, unknown>).photos, scim.photos);
  });

  it('updates: absent mapped meta becomes null, absent names blank, the email stays', () => {
    const input = userToWordPress({ schemas: scim.schemas, userName: 'Kim+1@Example.com' }, map, {
      creating: false,
    });
    assert.equal(input.email, undefined);
    assert.equal(input.firstName, '');
    assert.equal((input.meta as Record<string, unknown>).department, null);
  });

  it('WordPress → SCIM: WordPress wins for mapped fields, the rest from the stored object', () => {
    const snapshot: UserSnapshot = {
      id: 12,
      login: 'kim1@example.com',
      email: 'kim.lee@example.com',
      firstName: 'Kim',
      lastName: '',
      displayName: 'Kim Lee',
      nickname: '',
      url: '',
      roles: [],
      active: true,
      registered: '2024-01-01T00:00:00Z',
      modified: '2024-02-01T00:00:00Z',
      version: 'W/"0123456789abcdef"',
      connection: 'c',
      externalId: 'k1',
      linked: true,
      createdBy: 'c',
      groups: [{ id: 3, displayName: 'Ops' }],
      scim: userToWordPress(scim, map, { creating: true }).scim ?? null,
      meta: { department: 'Operations', user_type: 'employee' },
    };
    const out = userFromWordPress(snapshot, map, 'https://sc.example/scim/v2');
    assert.equal(out.id, '12');
    assert.equal(out.userName, 'Kim+1@Example.com', 'the userName as sent');
    assert.deepEqual(out.emails, [{ value: 'kim.lee@example.com', type: 'work', primary: true }]);
    assert.deepEqual(
      out.name,
      { givenName: 'Kim', middleName: 'J' },
      'familyName cleared in WordPress',
    );
    assert.equal(out.displayName, 'Kim Lee');
    assert.deepEqual(out[E], { department: 'Operations', costCenter: 'CC1' });
    assert.deepEqual(out.photos, scim.photos, 'avatar is inbound only: the stored photo stays');
    assert.equal(out.active, true);
    assert.equal(out.externalId, 'k1');
    assert.deepEqual(out.groups, [
      { value: '3', display: 'Ops', $ref: 'https://sc.example/scim/v2/Groups/3', type: 'direct' },
    ]);
    assert.deepEqual(out.meta, {
      resourceType: 'User',
      created: '2024-01-01T00:00:00Z',
      lastModified: '2024-02-01T00:00:00Z',
      location: 'https://sc.example/scim/v2/Users/12',
      version: 'W/"0123456789abcdef"',
    });
    // A login renamed in WordPress shows as the userName.
    assert.equal(userFromWordPress({ ...snapshot, login: 'kimlee' }, map, '').userName, 'kimlee');
  });

  it('a userName WordPress kept another login for: read back as sent, not sent again', () => {
    const renamed = { ...scim, userName: 'Kim.Lee@Example.com' };
    const snapshot = {
      id: 12,
      login: 'kim1@example.com',
      sourceLogin: 'Kim.Lee@Example.com',
      email: 'kim@example.com',
      firstName: 'Kim',
      lastName: 'Lee',
      displayName: '',
      nickname: '',
      url: '',
      roles: [],
      active: true,
      registered: '2024-01-01T00:00:00Z',
      modified: '2024-02-01T00:00:00Z',
      version: 'W/"0123456789abcdef"',
      connection: 'c',
      externalId: 'k1',
      linked: true,
      createdBy: 'c',
      groups: [],
      scim: userToWordPress(renamed, map, { creating: true }).scim ?? null,
      meta: {},
    } satisfies UserSnapshot;
    assert.equal(userFromWordPress(snapshot, map, '').userName, 'Kim.Lee@Example.com');
    const again = userToWordPress(renamed, map, { creating: false, current: snapshot });
    assert.equal(again.login, undefined, 'the remembered login is not sent again');
    const back = userToWordPress(scim, map, { creating: false, current: snapshot });
    assert.equal(back.login, 'Kim1@Example.com', 'another userName is');
    const { sourceLogin: _kept, ...plain } = snapshot;
    assert.equal(userFromWordPress(plain, map, '').userName, 'kim1@example.com');
  });
});

describe('template rows', () => {
  const template = (
    target: string,
    text: string,
    extra: Partial<AttributeMapEntry> = {},
  ): AttributeMapEntry => ({
    source: '',
    target,
    direction: 'inbound',
    transform: 'template',
    default: null,
    template: text,
    ...extra,
  });
  const map: AttributeMapEntry[] = [
    template('user_login', '{name.givenName}.{name.familyName}'),
    ...DEFAULT_ATTRIBUTE_MAP.filter(
      (entry) => entry.target !== 'user_login' && entry.target !== 'display_name',
    ),
    template('meta:mailbox', '{userName}@mail.example.org', { default: 'none' }),
    template('display_name', `{name.familyName}, {name.givenName} ({${E}:department})`),
  ];
  const scim = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', E],
    userName: 'jdoe',
    name: { givenName: 'Jöhn', familyName: 'Doe' },
    emails: [{ value: 'jdoe@example.com', primary: true }],
    [E]: { department: 'Ops' },
  };

  it('fills a template from the attributes it names, as the source column reads them', () => {
    assert.equal(
      inboundValue(scim, template('x', '{emails[primary].value}/{USERNAME}')),
      'jdoe@example.com/jdoe',
    );
    assert.equal(inboundValue(scim, template('x', '{name.middleName}', { default: 'M' })), 'M');
    assert.equal(inboundValue(scim, template('x', '{name.middleName}')), undefined);
    assert.equal(inboundValue(scim, template('x', '{name.givenName')), undefined);
  });

  it('create: the login, display name and meta come from their templates', () => {
    const input = userToWordPress(scim, map, { creating: true });
    assert.equal(input.login, 'John.Doe', 'made a WordPress login like any other value');
    assert.equal(input.displayName, 'Doe, Jöhn (Ops)');
    assert.deepEqual(input.meta, { mailbox: 'jdoe@mail.example.org', department: 'Ops' });
  });

  it('a missing placeholder makes the row give its default, or nothing', () => {
    const noFamily = { ...scim, name: { givenName: 'John' }, userName: '' };
    const input = userToWordPress(noFamily, map, { creating: true });
    assert.equal(
      input.login,
      undefined,
      'no "John." login (the repository falls back to userName)',
    );
    assert.equal(input.displayName, '', 'absent means empty, as for a missing source');
    assert.deepEqual(input.meta, { mailbox: 'none', department: 'Ops' });
  });

  it('update: a templated login is decided at creation and never sent again', () => {
    const current = { login: 'John.Doe' } as UserSnapshot;
    assert.equal(userToWordPress(scim, map, { creating: false, current }).login, undefined);
    const renamed = { ...scim, name: { givenName: 'John', familyName: 'Smith' } };
    assert.equal(userToWordPress(renamed, map, { creating: false, current }).login, undefined);
    assert.equal(
      userToWordPress(renamed, map, { creating: false, current, adopting: true }).login,
      'John.Smith',
      'an adopted account takes the planned login',
    );
  });

  it('WordPress → SCIM: a template row is never written back, whatever its direction', () => {
    const both = map.map((entry) => ({ ...entry, direction: 'both' as const }));
    const snapshot = {
      id: 5,
      login: 'John.Doe',
      email: 'jdoe@example.com',
      firstName: 'Jöhn',
      lastName: 'Doe',
      displayName: 'Someone Else',
      nickname: '',
      url: '',
      roles: [],
      active: true,
      registered: '2024-01-01T00:00:00Z',
      modified: '2024-01-01T00:00:00Z',
      version: 'W/"1"',
      connection: 'c',
      externalId: null,
      linked: true,
      createdBy: 'c',
      groups: [],
      scim: userToWordPress(scim, map, { creating: true }).scim ?? null,
      meta: { mailbox: 'other@example.org', department: 'Ops' },
    } satisfies UserSnapshot;
    const out = userFromWordPress(snapshot, both, '');
    assert.equal(out.userName, 'jdoe', 'the userName as the IdP sent it');
    assert.deepEqual(out.name, { givenName: 'Jöhn', familyName: 'Doe' });
    assert.equal(out.displayName, undefined, 'the templated display name is not sent as one');
  });
});

describe('profile picture, biography and BuddyPress profile fields', () => {
  const row = (
    source: string,
    target: string,
    direction: AttributeMapEntry['direction'] = 'both',
  ): AttributeMapEntry => ({ source, target, direction, transform: 'none', default: null });
  const map: AttributeMapEntry[] = [
    ...DEFAULT_ATTRIBUTE_MAP,
    row('nickName', 'description'),
    row(`${E}:costCenter`, 'xprofile:Cost Center'),
    row(`${E}:division`, 'xprofile:Division'),
  ].filter((r) => r.target !== 'nickname');
  const user = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', E],
    userName: 'ana@example.com',
    nickName: 'Builds bridges & tunnels',
    photos: [
      { value: 'https://img.example/thumb.png', type: 'thumbnail' },
      { value: 'https://img.example/ana.png', type: 'photo' },
    ],
    [E]: { costCenter: 'CC-7' },
  };

  it('create: the photo becomes avatarUrl, the map fills description and xprofile fields', () => {
    const input = userToWordPress(user, map, { creating: true });
    assert.equal(input.avatarUrl, 'https://img.example/ana.png');
    assert.equal(input.description, 'Builds bridges & tunnels');
    assert.deepEqual(input.xprofile, { 'Cost Center': 'CC-7' }, 'absent fields are not sent');
  });

  it('create without a photo sends no avatarUrl', () => {
    const input = userToWordPress({ ...user, photos: undefined }, map, { creating: true });
    assert.equal('avatarUrl' in input, false);
  });

  it('update: an absent photo removes the picture, absent fields are cleared', () => {
    const input = userToWordPress({ schemas: user.schemas, userName: user.userName }, map, {
      creating: false,
    });
    assert.equal(input.avatarUrl, null);
    assert.equal(input.description, '');
    assert.deepEqual(input.xprofile, { 'Cost Center': null, Division: null });
  });

  it('WordPress → SCIM: description and xprofile fields read back from WordPress', () => {
    const snapshot: UserSnapshot = {
      id: 5,
      login: 'ana@example.com',
      email: 'ana@example.com',
      firstName: '',
      lastName: '',
      displayName: 'Ana',
      nickname: 'ana',
      url: '',
      description: 'Changed in WordPress',
      avatarUrl: 'https://img.example/ana.png',
      roles: ['subscriber'],
      active: true,
      registered: '2024-01-01T00:00:00Z',
      modified: '2024-01-01T00:00:00Z',
      version: 'W/"0000000000000000"',
      connection: 'c',
      externalId: null,
      linked: true,
      createdBy: 'c',
      groups: [],
      scim: userToWordPress(user, map, { creating: true }).scim ?? null,
      meta: {},
      xprofile: { 'Cost Center': 'CC-9', Division: null },
    };
    const out = userFromWordPress(snapshot, map, '');
    assert.equal(out.nickName, 'Changed in WordPress');
    assert.deepEqual(out[E], { costCenter: 'CC-9' });
    assert.deepEqual(out.photos, user.photos, 'avatar is inbound only by default');
    const both = map.map((r) => (r.target === 'avatar' ? { ...r, direction: 'both' as const } : r));
    const changed = userFromWordPress(
      { ...snapshot, avatarUrl: 'https://img.example/new.png' },
      both,
      '',
    );
    assert.deepEqual(changed.photos, [
      user.photos[0],
      { value: 'https://img.example/new.png', type: 'photo' },
    ]);
  });
});
