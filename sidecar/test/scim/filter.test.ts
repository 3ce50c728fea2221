import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compileFilter,
  equalityHints,
  parseFilter,
  parsePatchPath,
} from '../../src/scim/filter.js';
import { GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schemas/definitions.js';
import type { ScimError } from '../../src/scim/errors.js';

const E = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const barbara = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', E],
  id: '2819c223',
  externalId: 'Bjensen-EXT',
  userName: 'Bjensen@Example.com',
  title: 'Tour Guide',
  active: true,
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  meta: { created: '2011-08-01T18:29:49.793Z', lastModified: '2011-08-01T21:32:44.882Z' },
  [E]: { department: 'Tour Operations', manager: { value: '26118915' } },
};

const matches = (filter: string, resource: Record<string, unknown> = barbara) =>
  compileFilter(filter, USER_RESOURCE).matches(resource);

const rejects = (filter: string, rt = USER_RESOURCE) =>
  assert.throws(
    () => compileFilter(filter, rt),
    (error: ScimError) => error.status === 400 && error.scimType === 'invalidFilter',
    filter,
  );

describe('filter: comparison operators', () => {
  const cases: [string, boolean][] = [
    ['userName eq "bjensen@example.com"', true],
    ['userName eq "someone@example.com"', false],
    ['userName ne "someone@example.com"', true],
    ['userName ne "BJENSEN@example.com"', false],
    ['userName co "JENSEN"', true],
    ['userName co "smith"', false],
    ['userName sw "bj"', true],
    ['userName sw "jensen"', false],
    ['userName ew "EXAMPLE.COM"', true],
    ['userName ew ".org"', false],
    ['title pr', true],
    ['nickName pr', false],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', true],
    ['meta.lastModified gt "2011-08-01T21:32:44.882Z"', false],
    ['meta.lastModified ge "2011-08-01T21:32:44.882Z"', true],
    ['meta.lastModified lt "2012-01-01T00:00:00Z"', true],
    ['meta.lastModified lt "2011-08-01T21:32:44.882Z"', false],
    ['meta.lastModified le "2011-08-01T21:32:44.882Z"', true],
    ['meta.created eq "2011-08-01T18:29:49.793Z"', true],
    ['meta.created gt "2011-08-01T20:29:49+02:00"', true],
    ['userName gt "a"', true],
    ['userName lt "a"', false],
    ['active eq true', true],
    ['active eq false', false],
    ['active ne false', true],
  ];
  for (const [filter, expected] of cases) {
    it(`${filter} → ${expected}`, () => assert.equal(matches(filter), expected));
  }
});

describe('filter: case-insensitivity and caseExact', () => {
  it('attribute names and operators are case-insensitive', () => {
    assert.equal(matches('USERNAME EQ "bjensen@example.com"'), true);
    assert.equal(matches('Name.GivenName Eq "barbara"'), true);
    assert.equal(matches('userName Pr'), true);
    assert.equal(matches('title pr AND active EQ TRUE'), true);
  });
  it('string values compare per caseExact: userName is not, externalId and id are', () => {
    assert.equal(matches('userName eq "BJENSEN@EXAMPLE.COM"'), true);
    assert.equal(matches('externalId eq "Bjensen-EXT"'), true);
    assert.equal(matches('externalId eq "bjensen-ext"'), false);
    assert.equal(matches('id eq "2819C223"'), false);
    assert.equal(matches('id eq "2819c223"'), true);
  });
  it('core attributes may carry the schema URN; extension attributes need it', () => {
    assert.equal(
      matches('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com"'),
      true,
    );
    assert.equal(matches(`${E}:department eq "tour operations"`), true);
    assert.equal(matches(`${E.toUpperCase()}:DEPARTMENT sw "Tour"`), true);
    assert.equal(matches(`${E}:manager.value eq "26118915"`), true);
    assert.equal(matches(`${E}:manager eq "26118915"`), true);
  });
  it('booleans sent as strings (Entra ID) compare as booleans', () => {
    assert.equal(matches('active eq "True"'), true);
    assert.equal(matches('active eq "false"'), false);
  });
});

describe('filter: logic, grouping and value paths', () => {
  const cases: [string, boolean][] = [
    ['title pr and userName eq "x"', false],
    ['title pr or userName eq "x"', true],
    ['not (userName eq "x")', true],
    ['not (userName eq "x" or title eq "tour guide")', false],
    ['not (userName eq "x" and title eq "tour guide")', true],
    ['title pr and (userType eq "a" or title eq "Tour Guide") and active eq true', true],
    ['title pr and (userType eq "a" or title eq "nope") and active eq true', false],
    ['userName eq "x" or title eq "x" and active eq true', false],
    ['userName eq "bjensen@example.com" or title eq "x" and active eq false', true],
    ['((userName sw "b"))', true],
    ['not not (title pr)', true],
    ['emails[type eq "work" and value co "@example.com"]', true],
    ['emails[type eq "home" and value co "@example.com"]', false],
    ['emails[type eq "work"].value co "@EXAMPLE.com"', true],
    ['emails[type eq "work"].value ew ".org"', false],
    ['emails[not (type eq "work")].value ew ".org"', true],
    ['emails[type eq "work" or type eq "home"]', true],
    ['emails.value eq "babs@jensen.org"', true],
    ['emails eq "BABS@jensen.org"', true],
    ['emails.type eq "other"', false],
    ['emails pr', true],
    ['phoneNumbers pr', false],
    ['emails[primary eq true].value eq "bjensen@example.com"', true],
    ['userName eq "a) or (x"', false],
  ];
  for (const [filter, expected] of cases) {
    it(`${filter} → ${expected}`, () => assert.equal(matches(filter), expected));
  }
  it('strings take JSON escapes', () => {
    assert.equal(matches('title eq "say \\"hi\\""', { ...barbara, title: 'say "hi"' }), true);
    assert.equal(matches('title eq "caf\\u00e9"', { ...barbara, title: 'café' }), true);
  });
  it('eq null means absent and ne null present', () => {
    assert.equal(matches('nickName eq null'), true);
    assert.equal(matches('title eq null'), false);
    assert.equal(matches('title ne null'), true);
  });
  it('groups: members value paths', () => {
    const group = { displayName: 'Sales', members: [{ value: '7', display: 'Ann' }] };
    const compiled = compileFilter('members[value eq "7"]', GROUP_RESOURCE);
    assert.equal(compiled.matches(group), true);
    assert.equal(compileFilter('members.value eq "8"', GROUP_RESOURCE).matches(group), false);
    assert.equal(compileFilter('DisplayName eq "sales"', GROUP_RESOURCE).matches(group), true);
  });
});

describe('filter: invalid filters are 400 invalidFilter', () => {
  const bad = [
    '',
    '   ',
    'userName',
    'userName eq',
    'userName eq "x" or',
    'userName eq "x" and',
    'and userName eq "x"',
    'userName xx "x"',
    'userName eq "unterminated',
    'userName eq "bad \\q escape"',
    '(userName eq "x"',
    'userName eq "x")',
    'emails[type eq "work"',
    'emails[type[value eq "x"]]',
    'emails[type eq "work"].',
    'userName eq "x" userName eq "y"',
    'noSuchAttribute eq "x"',
    'name eq "x"',
    'active gt true',
    'active co "t"',
    'active eq "maybe"',
    'meta.created gt "yesterday"',
    'userName eq true',
    'title gt null',
    'userName eq x@y',
    'urn:example:unknown:attr eq "x"',
    'userName.sub eq "x"',
    `${E}:nope eq "x"`,
    'userName eq "x" # comment',
    'a'.repeat(10_001),
  ];
  for (const filter of bad) {
    it(JSON.stringify(filter.slice(0, 60)), () => rejects(filter));
  }
  it('deep nesting is refused', () => rejects('('.repeat(50) + 'userName pr' + ')'.repeat(50)));
});

describe('filter: store hints', () => {
  it('equality conjuncts become hints with canonical paths', () => {
    const { ast } = compileFilter(
      'USERNAME eq "A" and externalId eq "x" and title pr',
      USER_RESOURCE,
    );
    const hints = equalityHints(ast);
    assert.equal(hints.get('username'), 'A');
    assert.equal(hints.get('externalid'), 'x');
    assert.equal(hints.size, 2);
  });
  it('or-filters give no hints; value-path equalities do', () => {
    assert.equal(
      equalityHints(compileFilter('userName eq "a" or userName eq "b"', USER_RESOURCE).ast).size,
      0,
    );
    const hints = equalityHints(compileFilter('emails[value eq "a@b.c"]', USER_RESOURCE).ast);
    assert.equal(hints.get('emails.value'), 'a@b.c');
    assert.equal(
      equalityHints(compileFilter('emails eq "a@b.c"', USER_RESOURCE).ast).get('emails.value'),
      'a@b.c',
    );
  });
});

describe('PATCH paths', () => {
  it('parses attribute, value filter and sub-attribute', () => {
    assert.deepEqual(parsePatchPath('name.givenName'), { attribute: 'name.givenName' });
    const path = parsePatchPath('emails[type eq "work"].value');
    assert.equal(path.attribute, 'emails');
    assert.equal(path.subAttribute, 'value');
    assert.deepEqual(path.filter, { op: 'eq', path: 'type', value: 'work' });
    assert.equal(parsePatchPath(`${E}:manager`).attribute, `${E}:manager`);
  });
  it('refuses malformed paths with invalidPath', () => {
    for (const bad of [
      'emails[type eq "work"',
      'emails[type eq]',
      'emails[type eq "w"]x',
      '9abc',
      'a b',
    ]) {
      assert.throws(
        () => parsePatchPath(bad),
        (e: ScimError) => e.scimType === 'invalidPath',
        bad,
      );
    }
  });
  it('parseFilter keeps the structure', () => {
    assert.deepEqual(parseFilter('not (a eq 1 or b pr)'), {
      op: 'not',
      filter: {
        op: 'or',
        filters: [
          { op: 'eq', path: 'a', value: 1 },
          { op: 'pr', path: 'b' },
        ],
      },
    });
  });
});
