import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileFilter } from '../../src/scim/filter.js';
import { DEFAULT_ATTRIBUTE_MAP } from '../../src/scim/mapping.js';
import type { AttributeMapEntry } from '../../src/scim/mapping.js';
import { matchParams, pushDown, pushdownOptions } from '../../src/scim/pushdown.js';
import { USER_RESOURCE } from '../../src/scim/schemas/definitions.js';

const options = pushdownOptions(DEFAULT_ATTRIBUTE_MAP);
const push = (filter: string, opts = options) =>
  pushDown(compileFilter(filter, USER_RESOURCE).ast, opts);

describe('SCIM filter pushdown to the users route', () => {
  it('reads from the default attribute map what SQL may compare', () => {
    assert.deepEqual(options, { userName: true, email: true, displayName: true });
    const templated: AttributeMapEntry[] = DEFAULT_ATTRIBUTE_MAP.map((e) =>
      e.target === 'user_login' ? { ...e, transform: 'template', template: '{name.givenName}' } : e,
    );
    assert.equal(pushdownOptions(templated).userName, false);
    assert.deepEqual(push('userName sw "ann"', pushdownOptions(templated)), {
      clauses: 'all',
      exact: false,
    });
  });

  const cases: [string, unknown, boolean][] = [
    // userName: the login narrows, the whole filter decides (sanitized and suffixed logins).
    ['USERNAME sw "Ann"', [[{ attr: 'login', op: 'sw', value: 'Ann' }]], false],
    ['userName co "nn"', [[{ attr: 'login', op: 'co', value: 'nn' }]], false],
    [
      'userName eq "ann"',
      [[{ attr: 'login', op: 'eq', value: 'ann' }], [{ attr: 'login', op: 'sw', value: 'ann-' }]],
      false,
    ],
    [
      'userName ew "nn"',
      [[{ attr: 'login', op: 'ew', value: 'nn' }], [{ attr: 'login', op: 'co', value: 'nn-' }]],
      false,
    ],
    [
      'emails.value ew "@example.com"',
      [[{ attr: 'email', op: 'ew', value: '@example.com' }]],
      false,
    ],
    ['emails co "100%"', [[{ attr: 'email', op: 'co', value: '100%' }]], false],
    ['emails[type eq "work" and value sw "a"]', [[{ attr: 'email', op: 'sw', value: 'a' }]], false],
    // Exact: externalId (case-exact), displayName, meta.lastModified.
    ['externalId sw "EXT-"', [[{ attr: 'external_id', op: 'sw', value: 'EXT-' }]], true],
    ['externalId pr', [[{ attr: 'external_id', op: 'pr' }]], true],
    ['displayName co "a_b"', [[{ attr: 'display_name', op: 'co', value: 'a_b' }]], true],
    ['displayName gt "M"', [[{ attr: 'display_name', op: 'gt', value: 'M' }]], true],
    [
      'meta.lastModified ge "2026-01-01T00:00:00.200Z"',
      [[{ attr: 'modified', op: 'ge', value: '2026-01-01T00:00:01Z' }]],
      true,
    ],
    [
      'meta.lastModified gt "2026-01-01T01:00:00.200+01:00"',
      [[{ attr: 'modified', op: 'gt', value: '2026-01-01T00:00:00Z' }]],
      true,
    ],
    [
      'meta.lastModified le "2026-01-01T00:00:00.900Z"',
      [[{ attr: 'modified', op: 'le', value: '2026-01-01T00:00:00Z' }]],
      true,
    ],
    [
      'meta.lastModified lt "2026-01-01T00:00:00.100Z"',
      [[{ attr: 'modified', op: 'lt', value: '2026-01-01T00:00:01Z' }]],
      true,
    ],
    // and / or: a product of clauses, a union.
    [
      'externalId sw "a" and (displayName eq "x" or displayName eq "y")',
      [
        [
          { attr: 'external_id', op: 'sw', value: 'a' },
          { attr: 'display_name', op: 'eq', value: 'x' },
        ],
        [
          { attr: 'external_id', op: 'sw', value: 'a' },
          { attr: 'display_name', op: 'eq', value: 'y' },
        ],
      ],
      true,
    ],
    // What SQL cannot say narrows nothing, and the answer is no longer exact.
    [
      'externalId sw "a" and title eq "Lead"',
      [[{ attr: 'external_id', op: 'sw', value: 'a' }]],
      false,
    ],
    ['externalId sw "a" or title eq "Lead"', 'all', false],
    ['not (externalId eq "a")', 'all', false],
    ['userName ne "a"', 'all', false],
    ['userName gt "a"', 'all', false],
    ['userName sw "o\'b"', 'all', false], // not a login's characters
    ['meta.lastModified eq "2026-01-01T00:00:00.500Z"', 'all', false],
    ['userName pr', 'all', true],
    ['userName pr or title eq "x"', 'all', true],
  ];
  for (const [filter, clauses, exact] of cases)
    it(`${filter} → ${JSON.stringify(clauses)} (${exact ? 'exact' : 'candidates'})`, () => {
      assert.deepEqual(push(filter), { clauses, exact });
    });

  it('keeps within the route limits: a part too big to multiply out is left to the filter', () => {
    const many = (attr: string) =>
      `(${Array.from({ length: 5 }, (_, i) => `${attr} eq "${i}"`).join(' or ')})`;
    const result = push(`${many('externalId')} and ${many('displayName')}`);
    assert.equal(result.exact, false);
    assert.ok(result.clauses !== 'all' && result.clauses.length === 5);
    assert.equal(push(`${many('externalId')} and ${many('externalId')}`).exact, false);
  });

  it('sends the clauses as match[i][j][…] query parameters', () => {
    const result = push('externalId eq "a" or displayName pr');
    assert.ok(result.clauses !== 'all');
    assert.deepEqual(matchParams(result.clauses), {
      'match[0][0][attr]': 'external_id',
      'match[0][0][op]': 'eq',
      'match[0][0][value]': 'a',
      'match[1][0][attr]': 'display_name',
      'match[1][0][op]': 'pr',
    });
  });
});
