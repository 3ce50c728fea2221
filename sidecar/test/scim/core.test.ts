import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScimError } from '../../src/scim/errors.js';
import { etagMatches, weakEtag } from '../../src/scim/etag.js';
import { listResponse, parseListParams, queryInMemory, toListQuery } from '../../src/scim/list.js';
import { project } from '../../src/scim/projection.js';
import { GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schemas/definitions.js';
import { validateResource } from '../../src/scim/validate.js';

const E = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const limits = { defaultCount: 100, maxResults: 1000 };

const full = {
  schemas: [USER, E],
  id: '7',
  externalId: 'x7',
  userName: 'kim@example.com',
  name: { givenName: 'Kim', familyName: 'Lee' },
  emails: [{ value: 'kim@example.com', type: 'work', primary: true }],
  active: true,
  password: 'never-shown',
  [E]: { department: 'Ops', employeeNumber: '42' },
  meta: { resourceType: 'User', version: 'W/"1"' },
};

describe('projection', () => {
  it('default: everything but returned=never', () => {
    const out = project(USER_RESOURCE, full);
    assert.equal(out.password, undefined);
    assert.equal(out.userName, 'kim@example.com');
    assert.deepEqual(out[E], { department: 'Ops', employeeNumber: '42' });
  });
  it('attributes: only those asked, plus id and schemas', () => {
    const out = project(USER_RESOURCE, full, {
      attributes: ['userName', 'name.givenName', `${E}:department`],
    });
    assert.deepEqual(out, {
      schemas: [USER, E],
      id: '7',
      userName: 'kim@example.com',
      name: { givenName: 'Kim' },
      [E]: { department: 'Ops' },
    });
  });
  it('attributes: sub-attributes of multi-valued attributes, case-insensitive names', () => {
    const out = project(USER_RESOURCE, full, { attributes: ['EMAILS.VALUE'] });
    assert.deepEqual(out.emails, [{ value: 'kim@example.com' }]);
  });
  it('attributes cannot ask for the password', () => {
    assert.equal(project(USER_RESOURCE, full, { attributes: ['password'] }).password, undefined);
  });
  it('excludedAttributes: removes them but never id', () => {
    const out = project(USER_RESOURCE, full, {
      excludedAttributes: ['emails', 'id', 'name.familyName', E],
    });
    assert.equal(out.emails, undefined);
    assert.equal(out.id, '7');
    assert.deepEqual(out.name, { givenName: 'Kim' });
    assert.equal(out[E], undefined);
  });
  it('Groups: excludedAttributes=members (Entra)', () => {
    const group = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id: '1',
      displayName: 'G',
      members: [{ value: '7' }],
    };
    assert.equal(
      project(GROUP_RESOURCE, group, { excludedAttributes: ['members'] }).members,
      undefined,
    );
  });
});

describe('list parameters and paging', () => {
  const users = Array.from({ length: 7 }, (_, i) => ({
    schemas: [USER],
    id: String(i + 1),
    userName: `user${7 - i}`,
    title: i % 2 ? 'odd' : undefined,
  }));
  const run = (query: Record<string, unknown>) => {
    const params = parseListParams(query, limits);
    return queryInMemory(users, toListQuery(USER_RESOURCE, params));
  };
  it('startIndex and count are 1-based (Okta: startIndex=1&count=2)', () => {
    const page = run({ startIndex: '1', count: '2' });
    assert.equal(page.total, 7);
    assert.deepEqual(
      page.resources.map((r) => r.id),
      ['1', '2'],
    );
    assert.deepEqual(
      run({ startIndex: '6', count: '5' }).resources.map((r) => r.id),
      ['6', '7'],
    );
    assert.deepEqual(run({ startIndex: '9' }).resources, []);
  });
  it('count=0 returns only totalResults', () => {
    const page = run({ count: '0', filter: 'title pr' });
    assert.equal(page.total, 3);
    assert.deepEqual(listResponse(page.total, 1, page.resources, 0), {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 3,
      startIndex: 1,
      itemsPerPage: 0,
    });
  });
  it('startIndex below 1 means 1, negative count means 0, count is capped', () => {
    const params = parseListParams({ startIndex: '-3', count: '-1' }, limits);
    assert.equal(params.startIndex, 1);
    assert.equal(params.count, 0);
    assert.equal(parseListParams({ count: '5000' }, limits).count, 1000);
  });
  it('sortBy/sortOrder', () => {
    assert.deepEqual(
      run({ sortBy: 'userName' })
        .resources.map((r) => r.userName)
        .slice(0, 3),
      ['user1', 'user2', 'user3'],
    );
    assert.deepEqual(
      run({ sortBy: 'USERNAME', sortOrder: 'Descending', count: '2' }).resources.map(
        (r) => r.userName,
      ),
      ['user7', 'user6'],
    );
    // Resources without a value sort last.
    assert.equal(run({ sortBy: 'title' }).resources.at(-1)!.title, undefined);
  });
  it('bad values are 400', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ startIndex: 'one' }, 'invalidValue'],
      [{ count: '2.5' }, 'invalidValue'],
      [{ sortOrder: 'sideways' }, 'invalidValue'],
      [{ count: ['1', '2'] }, 'invalidValue'],
    ];
    for (const [query, scimType] of bad)
      assert.throws(
        () => parseListParams(query, limits),
        (e: ScimError) => e.scimType === scimType,
        JSON.stringify(query),
      );
    assert.throws(
      () => toListQuery(USER_RESOURCE, parseListParams({ sortBy: 'nope' }, limits)),
      (e: ScimError) => e.status === 400,
    );
  });
  it('.search bodies need the SearchRequest schema', () => {
    assert.throws(
      () => parseListParams({ filter: 'userName pr' }, limits, true),
      (e: ScimError) => e.scimType === 'invalidSyntax',
    );
    const params = parseListParams(
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        attributes: ['userName'],
        startIndex: 2,
        count: 1,
      },
      limits,
      true,
    );
    assert.deepEqual(params.attributes, ['userName']);
    assert.equal(params.startIndex, 2);
  });
});

describe('validation', () => {
  const valid = { schemas: [USER], userName: 'a@b.c' };
  it('normalises names and Entra string booleans; drops read-only attributes', () => {
    const out = validateResource(
      USER_RESOURCE,
      {
        Schemas: [USER.toUpperCase()],
        USERNAME: 'a@b.c',
        Active: 'False',
        id: '9',
        meta: {},
        groups: [{ value: '1' }],
        Name: { GIVENNAME: 'A' },
      },
      'create',
    );
    assert.deepEqual(out, {
      schemas: [USER],
      userName: 'a@b.c',
      active: false,
      name: { givenName: 'A' },
    });
  });
  it('an extension sent without being listed in schemas is accepted and listed', () => {
    const out = validateResource(USER_RESOURCE, { ...valid, [E]: { department: 'D' } }, 'create');
    assert.deepEqual(out.schemas, [USER, E]);
  });
  const bad: [string, unknown, string][] = [
    ['not an object', 'x', 'invalidSyntax'],
    ['an array', [valid], 'invalidSyntax'],
    ['no schemas', { userName: 'a' }, 'invalidSyntax'],
    ['schemas not a list', { schemas: USER, userName: 'a' }, 'invalidSyntax'],
    ['unknown schema', { schemas: [USER, 'urn:acme:custom'], userName: 'a' }, 'invalidValue'],
    [
      'Group schema on a User',
      { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], userName: 'a' },
      'invalidValue',
    ],
    ['no userName', { schemas: [USER] }, 'invalidValue'],
    ['blank userName', { schemas: [USER], userName: '  ' }, 'invalidValue'],
    ['userName an object', { schemas: [USER], userName: { a: 1 } }, 'invalidValue'],
    ['unknown attribute', { ...valid, shoeSize: 44 }, 'invalidSyntax'],
    ['unknown sub-attribute', { ...valid, name: { nick: 'x' } }, 'invalidSyntax'],
    ['unknown extension attribute', { ...valid, [E]: { badge: '1' } }, 'invalidSyntax'],
    ['active not boolean', { ...valid, active: 'yes' }, 'invalidValue'],
    ['emails not a list', { ...valid, emails: { value: 'x' } }, 'invalidValue'],
    ['email item not an object', { ...valid, emails: ['x'] }, 'invalidValue'],
    [
      'two primaries',
      {
        ...valid,
        emails: [
          { value: 'a', primary: true },
          { value: 'b', primary: true },
        ],
      },
      'invalidValue',
    ],
    ['externalId not a string', { ...valid, externalId: 5 }, 'invalidValue'],
    ['extension not an object', { ...valid, [E]: 'x' }, 'invalidSyntax'],
  ];
  for (const [name, body, scimType] of bad) {
    it(`refuses: ${name}`, () =>
      assert.throws(
        () => validateResource(USER_RESOURCE, body, 'create'),
        (e: ScimError) => e.status === 400 && e.scimType === scimType,
      ));
  }
  it('Groups need a displayName', () => {
    assert.throws(
      () =>
        validateResource(
          GROUP_RESOURCE,
          { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'] },
          'create',
        ),
      (e: ScimError) => e.scimType === 'invalidValue',
    );
  });
});

describe('etag', () => {
  it('weak tags compare weakly; * matches any existing version', () => {
    const tag = weakEtag({ a: 1 });
    assert.match(tag, /^W\/"[0-9a-f]{16}"$/);
    assert.equal(etagMatches(tag, tag), true);
    assert.equal(etagMatches(tag.slice(2), tag), true);
    assert.equal(etagMatches(`W/"other", ${tag}`, tag), true);
    assert.equal(etagMatches('W/"other"', tag), false);
    assert.equal(etagMatches('*', tag), true);
    assert.equal(etagMatches('*', undefined), false);
  });
});
