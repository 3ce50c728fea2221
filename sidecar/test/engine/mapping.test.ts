// The pure plan step: SCIM paths, the attribute map, roles from groups, and hashes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CanonicalUser } from '../../src/connectors/types.js';
import {
  MappingError,
  mapUser,
  mappingFingerprint,
  readPath,
  rolesFor,
  sameRoles,
} from '../../src/engine/mapping.js';
import type { AttributeMapping, RoleMap } from '../../src/engine/types.js';
import { defaultConfig } from './fake-wordpress.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const attributes = {
  userName: 'ada@contoso.onmicrosoft.com',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  displayName: 'Ada Lovelace',
  emails: [
    { value: 'other@example.com', type: 'other', primary: false },
    { value: 'ada@contoso.com', type: 'work', primary: true },
  ],
  phoneNumbers: [
    { value: '+1 555 0100', type: 'mobile' },
    { value: '+1 555 0199', type: 'work' },
  ],
  identities: [
    { signInType: 'userName', issuerAssignedId: 'ada' },
    { signInType: 'emailAddress', issuerAssignedId: 'ada@example.com' },
  ],
  [ENTERPRISE]: { department: 'Engineering', employeeNumber: '42' },
  'urn:usersync:graph:User': { officeLocation: 'Redmond 1' },
};

const user = (extra: Partial<CanonicalUser> = {}): CanonicalUser => ({
  externalId: 'ext-1',
  attributes: structuredClone(attributes),
  active: true,
  ...extra,
});

const row = (source: string, target: string, extra: Partial<AttributeMapping> = {}) => ({
  source,
  target,
  direction: 'both' as const,
  transform: 'none' as const,
  default: null,
  ...extra,
});

describe('attribute paths', () => {
  const cases: [string, unknown][] = [
    ['userName', 'ada@contoso.onmicrosoft.com'],
    ['USERNAME', 'ada@contoso.onmicrosoft.com'],
    ['name.givenName', 'Ada'],
    ['emails[primary].value', 'ada@contoso.com'],
    ['emails.value', 'ada@contoso.com'],
    ['emails[type eq "other"].value', 'other@example.com'],
    ['phoneNumbers[type eq "work"].value', '+1 555 0199'],
    ['phoneNumbers[type eq "fax"].value', null],
    ['identities[signInType eq "emailAddress"].issuerAssignedId', 'ada@example.com'],
    [`${ENTERPRISE}:department`, 'Engineering'],
    [`${ENTERPRISE.toUpperCase()}:employeeNumber`, '42'],
    ['urn:usersync:graph:User:officeLocation', 'Redmond 1'],
    ['urn:unknown:schema:x', null],
    ['name.middleName', null],
    ['nothing.at.all', null],
  ];
  for (const [path, expected] of cases) {
    it(`reads ${path}`, () => {
      assert.deepEqual(readPath(attributes, path), expected);
    });
  }
});

describe('mapping a user', () => {
  it('maps with the default attribute map', () => {
    const mapped = mapUser(user(), defaultConfig().attributeMap);
    assert.deepEqual(mapped.fields, {
      login: 'ada@contoso.onmicrosoft.com',
      email: 'ada@contoso.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      displayName: 'Ada Lovelace',
      nickname: '',
      meta: { department: 'Engineering', phone: '+1 555 0199', title: null },
      externalId: 'ext-1',
      active: true,
    });
    assert.match(mapped.hash, /^[0-9a-f]{64}$/);
  });

  it('applies transforms and defaults, and skips outbound rows', () => {
    const mapped = mapUser(
      user(),
      [
        row('userName', 'user_login', { transform: 'uppercase' }),
        row('name.familyName', 'last_name', { transform: 'lowercase' }),
        row('title', 'meta:title', { default: 'Staff' }),
        row('displayName', 'display_name', { direction: 'outbound' }),
        row('name.givenName', 'description'),
      ].filter((r) => r.direction !== 'outbound'),
    );
    assert.equal(mapped.fields.login, 'ADA@CONTOSO.ONMICROSOFT.COM');
    assert.equal(mapped.fields.lastName, 'lovelace');
    assert.deepEqual(mapped.fields.meta, { description: 'Ada', title: 'Staff' });
    assert.equal(mapped.fields.displayName, undefined);
  });

  it('refuses a user without a login', () => {
    assert.throws(() => mapUser(user(), [row('name.middleName', 'user_login')]), MappingError);
  });

  it('hashes the same values the same way, whatever the key order', () => {
    const a = mapUser(user(), defaultConfig().attributeMap);
    const reordered = user();
    reordered.attributes = Object.fromEntries(Object.entries(reordered.attributes).reverse());
    assert.equal(mapUser(reordered, defaultConfig().attributeMap).hash, a.hash);
    const changed = user();
    (changed.attributes.name as { familyName: string }).familyName = 'Byron';
    assert.notEqual(mapUser(changed, defaultConfig().attributeMap).hash, a.hash);
    assert.notEqual(mapUser(user({ active: false }), defaultConfig().attributeMap).hash, a.hash);
  });
});

describe('roles from groups', () => {
  const roleMap: RoleMap = {
    rules: [
      { group: 'Authors', role: 'author', priority: 1 },
      { group: 'Editors', role: 'editor', priority: 10 },
      { group: 'Admins', role: 'administrator', priority: 100 },
    ],
    defaultRole: 'subscriber',
    allowAdministrator: false,
  };

  it('gives the roles of every matching rule, lowest priority number first', () => {
    assert.deepEqual(rolesFor(['authors', 'EDITORS'], roleMap), ['author', 'editor']);
    assert.deepEqual(rolesFor(['Nobody'], roleMap), ['subscriber']);
    assert.deepEqual(rolesFor([], roleMap), ['subscriber']);
  });

  it('never grants administrator unless allowed', () => {
    assert.deepEqual(rolesFor(['Admins'], roleMap), ['subscriber']);
    assert.deepEqual(rolesFor(['Admins'], { ...roleMap, allowAdministrator: true }), [
      'administrator',
    ]);
  });

  it('leaves roles alone without rules', () => {
    assert.equal(rolesFor(['Editors'], { ...roleMap, rules: [] }), null);
  });

  it('compares role lists as sets', () => {
    assert.ok(sameRoles(['a', 'b'], ['b', 'a']));
    assert.ok(!sameRoles(['a'], ['a', 'b']));
    assert.ok(sameRoles(null, null));
    assert.ok(!sameRoles(null, ['a']));
  });

  it('fingerprints the mapping so a change re-plans everyone', () => {
    const config = defaultConfig();
    const before = mappingFingerprint(config, true);
    assert.equal(mappingFingerprint(defaultConfig(), true), before);
    assert.notEqual(mappingFingerprint(config, false), before);
    config.roleMap.defaultRole = 'contributor';
    assert.notEqual(mappingFingerprint(config, true), before);
  });
});
