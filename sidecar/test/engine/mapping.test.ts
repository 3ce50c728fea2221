// The pure plan step: SCIM paths, the attribute map, roles from groups, and hashes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CanonicalUser } from '../../src/connectors/types.js';
import {
  MappingError,
  fillTemplate,
  mapUser,
  mappingFingerprint,
  parseTemplate,
  readPath,
  roleGroups,
  rolesFor,
  sameRoles,
  sourcePaths,
} from '../../src/engine/mapping.js';
import { selectFor } from '../../src/connectors/microsoft-graph/mapper.js';
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

describe('template rows', () => {
  const template = (target: string, text: string, extra: Partial<AttributeMapping> = {}) =>
    row('', target, { direction: 'inbound', transform: 'template', template: text, ...extra });

  it('parses literal text and placeholders, spaces around a path ignored', () => {
    assert.deepEqual(parseTemplate('{name.givenName}.{ name.familyName }'), [
      { path: 'name.givenName' },
      { text: '.' },
      { path: 'name.familyName' },
    ]);
    assert.deepEqual(parseTemplate('{userName}@example.org'), [
      { path: 'userName' },
      { text: '@example.org' },
    ]);
    assert.deepEqual(parseTemplate('({phoneNumbers[type eq "work"].value})'), [
      { text: '(' },
      { path: 'phoneNumbers[type eq "work"].value' },
      { text: ')' },
    ]);
  });

  const malformed: [string, string][] = [
    ['empty', ''],
    ['no placeholder', 'Staff'],
    ['unclosed', '{name.givenName}.{name.familyName'],
    ['stray }', 'name.givenName}'],
    ['nested', '{name.{givenName}}'],
    ['empty placeholder', '{userName}.{ }'],
  ];
  for (const [name, text] of malformed) {
    it(`refuses a malformed template (${name}), which then gives nothing`, () => {
      assert.equal(parseTemplate(text), null);
      assert.equal(
        fillTemplate(text, () => 'x'),
        null,
      );
    });
  }

  it('fills the login, names and meta from SCIM paths, URNs and filters', () => {
    const mapped = mapUser(user(), [
      template('user_login', '{name.givenName}.{name.familyName}'),
      template('user_email', '{identities[signInType eq "userName"].issuerAssignedId}@example.org'),
      template('display_name', '{name.familyName}, {name.givenName} ({emails[primary].value})'),
      template(
        'meta:desk',
        `{${ENTERPRISE}:department} / {urn:usersync:graph:User:officeLocation}`,
      ),
    ]);
    assert.equal(mapped.fields.login, 'Ada.Lovelace');
    assert.equal(mapped.fields.email, 'ada@example.org');
    assert.equal(mapped.fields.displayName, 'Lovelace, Ada (ada@contoso.com)');
    assert.deepEqual(mapped.fields.meta, { desk: 'Engineering / Redmond 1' });
  });

  it('gives nothing when a placeholder has no value, so the default applies', () => {
    const noFamily = user();
    (noFamily.attributes.name as Record<string, unknown>).familyName = '  ';
    const rows = [
      row('userName', 'user_login'),
      template('display_name', '{name.givenName}.{name.familyName}', { default: 'Member' }),
      template('meta:middle', '{name.givenName} {name.middleName}'),
      template('first_name', '{name.givenName} {name.middleName}'),
    ];
    const mapped = mapUser(noFamily, rows);
    assert.equal(mapped.fields.displayName, 'Member', 'a blank family name is no value');
    assert.deepEqual(mapped.fields.meta, { middle: null }, 'no default: the meta is cleared');
    assert.equal(mapped.fields.firstName, '', 'no default: the name is blank');
    assert.equal(mapUser(user(), rows).fields.displayName, 'Ada.Lovelace');
  });

  it('uses the default as it is, and applies no other transform to a filled template', () => {
    const rows = [
      row('userName', 'user_login'),
      template('nickname', '{name.middleName}', { default: 'Ada L' }),
      template('display_name', ' {name.givenName} '),
    ];
    const mapped = mapUser(user(), rows);
    assert.equal(mapped.fields.nickname, 'Ada L');
    assert.equal(mapped.fields.displayName, ' Ada ');
  });

  it('refuses a user whose login template cannot be filled and has no default', () => {
    assert.throws(
      () => mapUser(user(), [template('user_login', '{name.givenName}.{name.middleName}')]),
      MappingError,
    );
    const mapped = mapUser(user(), [
      template('user_login', '{name.givenName}.{name.middleName}', { default: 'unnamed' }),
    ]);
    assert.equal(mapped.fields.login, 'unnamed');
  });

  it('a malformed stored template gives nothing rather than a half-filled value', () => {
    const mapped = mapUser(user(), [
      row('userName', 'user_login'),
      template('display_name', '{name.givenName}.{name.familyName', { default: 'Member' }),
    ]);
    assert.equal(mapped.fields.displayName, 'Member');
  });

  it("selects the template's attributes from the source (Graph $select)", () => {
    const config = defaultConfig();
    config.attributeMap.push(
      template('meta:desk', '{urn:usersync:graph:User:officeLocation}-{name.givenName}'),
    );
    const paths = sourcePaths(config);
    assert.ok(paths.includes('urn:usersync:graph:User:officeLocation'));
    assert.ok(paths.includes('name.givenName'));
    assert.ok(!paths.includes(''), 'the empty source of a template row is not a path');
    assert.ok(selectFor(paths, false).includes('officeLocation'));
  });

  it('a changed template changes the mapping fingerprint (everyone is re-planned)', () => {
    const config = defaultConfig();
    config.attributeMap.push(template('meta:desk', '{name.givenName}'));
    const before = mappingFingerprint(config, true, 'contoso');
    config.attributeMap[config.attributeMap.length - 1]!.template = '{name.familyName}';
    assert.notEqual(mappingFingerprint(config, true, 'contoso'), before);
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
    assert.deepEqual(rolesFor(['authors', 'EDITORS'], roleMap, 'contoso'), ['author', 'editor']);
    assert.deepEqual(rolesFor(['Nobody'], roleMap, 'contoso'), ['subscriber']);
    assert.deepEqual(rolesFor([], roleMap, 'contoso'), ['subscriber']);
  });

  it('never grants administrator unless allowed', () => {
    assert.deepEqual(rolesFor(['Admins'], roleMap, 'contoso'), ['subscriber']);
    assert.deepEqual(rolesFor(['Admins'], { ...roleMap, allowAdministrator: true }, 'contoso'), [
      'administrator',
    ]);
  });

  it('leaves roles alone without rules', () => {
    assert.equal(rolesFor(['Editors'], { ...roleMap, rules: [] }, 'contoso'), null);
  });

  describe('scoped to connections', () => {
    const scoped: RoleMap = {
      rules: [
        { group: 'WP Admins', role: 'administrator', priority: 1, connections: ['entra'] },
        { group: 'Editors', role: 'editor', priority: 10, connections: ['entra', 'okta'] },
        { group: 'Staff', role: 'author', priority: 20, connections: ['*'] },
        { group: 'Readers', role: 'contributor', priority: 30 },
      ],
      defaultRole: 'subscriber',
      allowAdministrator: true,
    };

    it("applies a rule only to the groups of the connections it names (or '*')", () => {
      assert.deepEqual(rolesFor(['wp admins', 'editors'], scoped, 'entra'), [
        'administrator',
        'editor',
      ]);
      // Another connection's group of the same name (any case) grants nothing.
      assert.deepEqual(rolesFor(['wp admins'], scoped, 'local'), ['subscriber']);
      assert.deepEqual(rolesFor(['WP Admins', 'Editors'], scoped, 'okta'), ['editor']);
    });

    it("treats '*' and a rule saved without connections as any connection", () => {
      for (const connection of ['entra', 'okta', 'local']) {
        assert.deepEqual(rolesFor(['staff', 'READERS'], scoped, connection), [
          'author',
          'contributor',
        ]);
      }
    });

    it("a connection without rules of its own gets the default role, not another's", () => {
      const entraOnly: RoleMap = { ...scoped, rules: [scoped.rules[0]!, scoped.rules[1]!] };
      assert.deepEqual(rolesFor(['WP Admins', 'Editors'], entraOnly, 'local'), ['subscriber']);
    });

    it("asks each connection's pull only for the groups of its own rules", () => {
      assert.deepEqual(roleGroups(scoped, 'entra'), ['WP Admins', 'Editors', 'Staff', 'Readers']);
      assert.deepEqual(roleGroups(scoped, 'okta'), ['Editors', 'Staff', 'Readers']);
      assert.deepEqual(roleGroups(scoped, 'local'), ['Staff', 'Readers']);
    });

    it("re-plans a connection when its rules change, not when another connection's do", () => {
      const config = { ...defaultConfig(), roleMap: structuredClone(scoped) };
      const entra = mappingFingerprint(config, true, 'entra');
      const local = mappingFingerprint(config, true, 'local');
      config.roleMap.rules[0]!.role = 'editor';
      assert.notEqual(mappingFingerprint(config, true, 'entra'), entra);
      assert.equal(mappingFingerprint(config, true, 'local'), local);
      config.roleMap.rules[0]!.connections = ['local'];
      assert.notEqual(mappingFingerprint(config, true, 'local'), local);
    });

    it("fingerprints rules saved before scoping as before, and as '*'", () => {
      const config = defaultConfig();
      config.roleMap.rules = [{ group: 'Editors', role: 'editor', priority: 10 }];
      const legacy = mappingFingerprint(config, true, 'contoso');
      config.roleMap.rules = [
        { group: 'Editors', role: 'editor', priority: 10, connections: ['*'] },
      ];
      assert.equal(mappingFingerprint(config, true, 'contoso'), legacy);
    });

    it('fingerprints a connection whose rules all moved elsewhere apart from an empty map', () => {
      const config = defaultConfig();
      const empty = mappingFingerprint(config, true, 'contoso');
      config.roleMap.rules = [{ group: 'Editors', role: 'editor', connections: ['okta'] }];
      assert.notEqual(mappingFingerprint(config, true, 'contoso'), empty);
    });
  });

  it('compares role lists as sets', () => {
    assert.ok(sameRoles(['a', 'b'], ['b', 'a']));
    assert.ok(!sameRoles(['a'], ['a', 'b']));
    assert.ok(sameRoles(null, null));
    assert.ok(!sameRoles(null, ['a']));
  });

  it('fingerprints the mapping so a change re-plans everyone', () => {
    const config = defaultConfig();
    const before = mappingFingerprint(config, true, 'contoso');
    assert.equal(mappingFingerprint(defaultConfig(), true, 'contoso'), before);
    assert.notEqual(mappingFingerprint(config, false, 'contoso'), before);
    config.roleMap.defaultRole = 'contributor';
    assert.notEqual(mappingFingerprint(config, true, 'contoso'), before);
  });
});
