// SCIM filters answered by SQL on a real WordPress: a few hundred Users provisioned through
// the sidecar, then every pushed-down operator (eq sw ew co gt ge lt le pr, and, or) on
// userName, emails, displayName, externalId and meta.lastModified compared with the set
// the SCIM rules give, with paging and totalResults; `%` and `_` in a value are literal;
// a suffixed login (o'dup → odup-2) is still found by its userName; the users route checks
// its match clauses against the schema.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asService, restUrl, scimRequest } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

interface Person {
  userName: string;
  externalId: string;
  displayName: string;
  email: string;
  /** Which of the three /Bulk rounds made it (a second apart, for meta.lastModified). */
  round: number;
}

const COUNT = 300;
const groups = ['alpha', 'beta', 'gamma'];
const pad = (n: number) => String(n).padStart(3, '0');

function person(n: number): Person {
  const userName = `pd${pad(n)}.${groups[n % 3]}@fabrikam.test`;
  const special: Record<number, string> = {
    7: '100% Sure',
    8: '100 Sure',
    9: 'snake_case',
    10: 'snakeXcase',
  };
  return {
    userName,
    externalId: n % 2 ? `EXT-${n}` : `ext-${n}`,
    displayName: special[n] ?? `Person ${pad(n)}`,
    email: n % 5 === 0 ? `pd${pad(n)}@contoso.test` : userName,
    round: Math.floor((n * 3) / COUNT),
  };
}

const people = Array.from({ length: COUNT }, (_, n) => person(n));
// The second of these gets the login odup@fabrikam.test-2: its userName is kept as sent.
people.push(
  { ...person(900), userName: 'odup@fabrikam.test', externalId: 'dup-1', round: 2 },
  { ...person(901), userName: "o'dup@fabrikam.test", externalId: 'dup-2', round: 2 },
);

let stack: Stack;
/** The instant between rounds 0 and 1, and between rounds 1 and 2 (whole seconds). */
const boundaries: string[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const wholeSecond = () => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();

before(
  async () => {
    stack = await startStack({
      name: 'scim-pushdown',
      sidecarEnv: { SCIM_RATE_LIMIT: '100000', SCIM_RATE_BURST: '100000' },
    });
    for (let round = 0; round < 3; round++) {
      if (round > 0) {
        await sleep(1100);
        boundaries.push(wholeSecond());
        await sleep(1100);
      }
      const batch = people.filter((p) => p.round === round);
      const answer = await scimRequest(stack, 'POST', '/Bulk', {
        schemas: [BULK],
        Operations: batch.map((p, i) => ({
          method: 'POST',
          path: '/Users',
          bulkId: `r${round}-${i}`,
          data: {
            schemas: [USER],
            userName: p.userName,
            externalId: p.externalId,
            displayName: p.displayName,
            emails: [{ primary: true, type: 'work', value: p.email }],
            active: true,
          },
        })),
      });
      assert.equal(answer.status, 200, answer.text);
      for (const op of answer.body.Operations)
        assert.equal(op.status, '201', JSON.stringify(op.response));
    }
  },
  { timeout: 300_000 },
);

after(async () => {
  await stack?.stop();
});

async function list(filter: string, extra = '&count=1000') {
  const answer = await scimRequest(
    stack,
    'GET',
    `/Users?filter=${encodeURIComponent(filter)}${extra}`,
  );
  assert.equal(answer.status, 200, `${filter}: ${answer.text}`);
  return answer.body as {
    totalResults: number;
    Resources: { id: string; userName: string }[];
  };
}

const lower = (s: string) => s.toLowerCase();
const ci = (f: (a: string, b: string) => boolean) => (a: string, b: string) =>
  f(lower(a), lower(b));

describe('SCIM filters pushed down to SQL', () => {
  const cases: [string, (p: Person) => boolean][] = [
    ['userName eq "PD042.alpha@fabrikam.test"', (p) => p.userName === 'pd042.alpha@fabrikam.test'],
    ['username sw "PD04"', (p) => ci((a, b) => a.startsWith(b))(p.userName, 'pd04')],
    [
      'userName ew "A@FABRIKAM.TEST"',
      (p) => ci((a, b) => a.endsWith(b))(p.userName, 'a@fabrikam.test'),
    ],
    ['userName co "7.gam"', (p) => p.userName.includes('7.gam')],
    ['userName ew "dup@fabrikam.test"', (p) => p.userName.endsWith('dup@fabrikam.test')],
    ['emails.value ew "@contoso.test"', (p) => p.email.endsWith('@contoso.test')],
    ['emails co "D12"', (p) => ci((a, b) => a.includes(b))(p.email, 'd12')],
    ['emails[type eq "work" and value sw "pd29"]', (p) => p.email.startsWith('pd29')],
    ['externalId eq "EXT-41"', (p) => p.externalId === 'EXT-41'],
    ['externalId eq "ext-41"', () => false], // case-exact
    ['externalId sw "ext-1"', (p) => p.externalId.startsWith('ext-1')],
    ['externalId ew "-99"', (p) => p.externalId.endsWith('-99')],
    ['externalId co "T-2"', (p) => p.externalId.includes('T-2')],
    ['externalId gt "ext-5"', (p) => p.externalId > 'ext-5'],
    ['externalId le "EXT-2"', (p) => p.externalId <= 'EXT-2'],
    ['externalId pr', () => true],
    ['displayName co "100%"', (p) => p.displayName.includes('100%')],
    ['displayName co "e_c"', (p) => p.displayName.includes('e_c')],
    ['displayName sw "person 01"', (p) => lower(p.displayName).startsWith('person 01')],
    ['displayName ge "person 290"', (p) => lower(p.displayName) >= 'person 290'],
    ['displayName lt "person 003"', (p) => lower(p.displayName) < 'person 003'],
    ['displayName pr', () => true],
    [
      'userName sw "pd1" and (externalId ew "1" or displayName eq "Person 120")',
      (p) =>
        p.userName.startsWith('pd1') &&
        (p.externalId.endsWith('1') || p.displayName === 'Person 120'),
    ],
    [
      'externalId sw "EXT-" and not (displayName sw "Person")',
      (p) => p.externalId.startsWith('EXT-') && !p.displayName.startsWith('Person'),
    ],
  ];
  for (const [filter, expected] of cases)
    test(filter, async () => {
      const answer = await list(filter);
      const want = people
        .filter(expected)
        .map((p) => p.userName)
        .sort();
      assert.deepEqual(answer.Resources.map((r) => r.userName).sort(), want);
      assert.equal(answer.totalResults, want.length);
    });

  test('meta.lastModified gt / ge / lt / le between the provisioning rounds', async () => {
    const [first, second] = boundaries as [string, string];
    const count = (filter: string) => list(filter).then((a) => a.totalResults);
    const inRound = (...rounds: number[]) => people.filter((p) => rounds.includes(p.round)).length;
    assert.equal(await count(`meta.lastModified gt "${first}"`), inRound(1, 2));
    assert.equal(await count(`meta.lastModified ge "${second}"`), inRound(2));
    assert.equal(await count(`meta.lastModified lt "${first}"`), inRound(0));
    assert.equal(
      await count(`meta.lastModified gt "${first}" and meta.lastModified le "${second}"`),
      inRound(1),
    );
    assert.equal(await count('meta.lastModified pr'), people.length);
  });

  test('paging: startIndex and count over an exact and over a checked filter', async () => {
    for (const filter of ['externalId sw "EXT-1"', 'userName sw "pd1"']) {
      const all = await list(filter);
      const window = await list(filter, '&startIndex=4&count=5');
      assert.equal(window.totalResults, all.totalResults);
      assert.deepEqual(
        window.Resources.map((r) => r.id),
        all.Resources.slice(3, 8).map((r) => r.id),
        filter,
      );
      const none = await scimRequest(
        stack,
        'GET',
        `/Users?filter=${encodeURIComponent(filter)}&count=0`,
      );
      assert.equal(none.body.totalResults, all.totalResults);
    }
  });

  test('the users route: match clauses as SQL, literal wildcards, checked by the schema', async () => {
    const connection = stack.sidecar.scimConnection!;
    const users = (params: Record<string, string>) =>
      request<{ total: number; users: { displayName: string; login: string }[] }>(
        `${restUrl(stack, '/usersync/v1/users')}?${new URLSearchParams({ connection, linked: '1', per_page: '500', ...params })}`,
        { basic: asService(stack) },
      );
    const co = (value: string) =>
      users({
        'match[0][0][attr]': 'display_name',
        'match[0][0][op]': 'co',
        'match[0][0][value]': value,
      });
    let answer = await co('100%');
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(
      answer.body.users.map((u) => u.displayName),
      ['100% Sure'],
    );
    answer = await co('e_c');
    assert.deepEqual(
      answer.body.users.map((u) => u.displayName),
      ['snake_case'],
    );
    answer = await co('%');
    assert.equal(answer.body.total, 1);
    // A login range through the index, case-insensitively; two clauses are either.
    answer = await users({
      'match[0][0][attr]': 'login',
      'match[0][0][op]': 'sw',
      'match[0][0][value]': 'PD00',
      'match[1][0][attr]': 'external_id',
      'match[1][0][op]': 'eq',
      'match[1][0][value]': 'dup-2',
    });
    assert.deepEqual(
      answer.body.users.map((u) => u.login).sort(),
      [
        ...people.filter((p) => p.userName.startsWith('pd00')).map((p) => p.userName),
        'odup@fabrikam.test-2',
      ].sort(),
    );
    const bads: Record<string, string>[] = [
      { 'match[0][0][attr]': 'user_pass', 'match[0][0][op]': 'eq', 'match[0][0][value]': 'x' },
      { 'match[0][0][attr]': 'login', 'match[0][0][op]': 'like', 'match[0][0][value]': 'x' },
      { 'match[0][0][attr]': 'login', 'match[0][0][op]': 'eq' },
      { 'match[0][0][attr]': 'modified', 'match[0][0][op]': 'sw', 'match[0][0][value]': '2026' },
      { 'match[0][0][attr]': 'modified', 'match[0][0][op]': 'gt', 'match[0][0][value]': 'today' },
    ];
    for (const bad of bads) {
      answer = await users(bad);
      assert.equal(answer.status, 400, `${JSON.stringify(bad)}: ${answer.text}`);
    }
  });
});
