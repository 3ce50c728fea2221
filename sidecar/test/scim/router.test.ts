// The SCIM endpoint over a real HTTP listener and the in-memory store: the request
// sequences Entra ID and Okta send, discovery, ETags, /Bulk, limits and bad requests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ENTERPRISE,
  GROUP_SCHEMA,
  USER_SCHEMA,
  entraUser,
  patchBody,
  startServer,
} from './helpers.js';
import type { TestServer } from './helpers.js';

const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

function assertScimError(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- asserted field by field
  response: { status: number; headers: Headers; body: any },
  status: number,
  scimType?: string,
) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(response.headers.get('content-type') ?? '', /^application\/scim\+json/);
  assert.deepEqual(response.body.schemas, [ERROR]);
  assert.equal(response.body.status, String(status));
  assert.equal(typeof response.body.detail, 'string');
  if (scimType) assert.equal(response.body.scimType, scimType);
}

describe('Entra ID provisioning sequence', () => {
  let server: TestServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  it('looks the user up, creates it, finds it, updates, disables and deletes it', async () => {
    const s = server;
    // 1. Lookups before create answer an empty list, not an error.
    let r = await s.call('GET', `/Users?${q('userName eq "user1@contoso.com"')}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.totalResults, 0);
    assert.deepEqual(r.body.Resources, []);
    r = await s.call('GET', `/Users?${q('externalId eq "ext-1"')}`);
    assert.equal(r.body.totalResults, 0);

    // 2. Create: 201, Location, ETag, the userName exactly as sent.
    r = await s.call('POST', '/Users', entraUser(1));
    assert.equal(r.status, 201);
    const id = r.body.id as string;
    assert.equal(r.headers.get('location'), `${s.base}/Users/${id}`);
    assert.equal(r.headers.get('etag'), r.body.meta.version);
    assert.match(r.headers.get('content-type')!, /^application\/scim\+json/);
    assert.equal(r.body.userName, 'user1@contoso.com');
    assert.equal(r.body.meta.location, `${s.base}/Users/${id}`);
    assert.equal(r.body.meta.resourceType, 'User');
    assert.equal(r.body[ENTERPRISE].department, 'Sales');
    assert.equal(r.body.active, true);

    // 3. A retried create is 409 uniqueness and creates nothing.
    r = await s.call('POST', '/Users', entraUser(1));
    assert.equal(r.status, 409);
    assert.equal(r.body.scimType, 'uniqueness');
    assert.equal(s.dir.users.size, 1);
    r = await s.call('POST', '/Users', entraUser(1, { userName: 'USER1@CONTOSO.COM' }));
    assert.equal(r.status, 409);

    // 4. The lookups now find it, in any case for userName.
    r = await s.call('GET', `/Users?${q('userName eq "User1@Contoso.com"')}`);
    assert.equal(r.body.totalResults, 1);
    assert.equal(r.body.Resources[0].id, id);
    r = await s.call('GET', `/Users?${q('externalId eq "ext-1"')}&attributes=userName`);
    assert.deepEqual(Object.keys(r.body.Resources[0]).sort(), ['id', 'schemas', 'userName']);

    // 5. PATCH with capitalised ops, string booleans, value paths and URN paths.
    r = await s.call(
      'PATCH',
      `/Users/${id}`,
      patchBody(
        { op: 'Replace', path: 'displayName', value: 'User One' },
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'user.one@contoso.com' },
        { op: 'Replace', path: 'name.familyName', value: 'One' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: '99' },
        { op: 'Replace', path: 'phoneNumbers[type eq "work"].value', value: '+1 425 555 0100' },
      ),
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.displayName, 'User One');
    assert.equal(r.body.emails[0].value, 'user.one@contoso.com');
    assert.equal(r.body.name.familyName, 'One');
    assert.deepEqual(r.body[ENTERPRISE].manager, { value: '99' });
    assert.deepEqual(r.body.phoneNumbers, [{ type: 'work', value: '+1 425 555 0100' }]);

    // 6. No-path PATCH with dotted and URN keys.
    r = await s.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({
        op: 'Replace',
        value: { 'name.givenName': 'Uno', [`${ENTERPRISE}:department`]: 'Finance' },
      }),
    );
    assert.equal(r.body.name.givenName, 'Uno');
    assert.equal(r.body[ENTERPRISE].department, 'Finance');

    // 7. Unassign: active "False" (a string), then the user still reads back disabled.
    r = await s.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'Replace', path: 'active', value: 'False' }),
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.active, false);
    r = await s.call('GET', `/Users/${id}`);
    assert.equal(r.body.active, false);
    r = await s.call('GET', `/Users?${q('active eq false')}`);
    assert.equal(r.body.totalResults, 1);

    // 8. Removing the manager.
    r = await s.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'Remove', path: `${ENTERPRISE}:manager` }),
    );
    assert.equal(r.body[ENTERPRISE].manager, undefined);

    // 9. Thirty days later: DELETE, then 404.
    r = await s.call('DELETE', `/Users/${id}`);
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    r = await s.call('GET', `/Users/${id}`);
    assertScimError(r, 404);
    r = await s.call('DELETE', `/Users/${id}`);
    assertScimError(r, 404);
  });

  it('creates a group and changes its members in batches', async () => {
    const s = server;
    const ids: string[] = [];
    for (let n = 10; n < 16; n++) ids.push((await s.call('POST', '/Users', entraUser(n))).body.id);
    let r = await s.call(
      'GET',
      `/Groups?${q('displayName eq "Sales Team"')}&excludedAttributes=members`,
    );
    assert.equal(r.body.totalResults, 0);
    r = await s.call('POST', '/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Sales Team',
      externalId: 'grp-1',
      members: [],
    });
    assert.equal(r.status, 201);
    const groupId = r.body.id;
    r = await s.call(
      'PATCH',
      `/Groups/${groupId}`,
      patchBody({ op: 'Add', path: 'members', value: ids.slice(0, 4).map((value) => ({ value })) }),
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.members.length, 4);
    r = await s.call(
      'PATCH',
      `/Groups/${groupId}`,
      patchBody(
        { op: 'Add', path: 'members', value: ids.slice(4).map((value) => ({ value })) },
        { op: 'Remove', path: 'members', value: [{ value: ids[0] }, { value: ids[1] }] },
      ),
    );
    assert.deepEqual(
      r.body.members.map((m: { value: string }) => m.value).sort(),
      ids.slice(2).sort(),
    );
    r = await s.call(
      'GET',
      `/Groups?${q('displayName eq "sales team"')}&excludedAttributes=members`,
    );
    assert.equal(r.body.totalResults, 1);
    assert.equal(r.body.Resources[0].members, undefined);
    r = await s.call('GET', `/Users/${ids[3]}`);
    assert.deepEqual(
      r.body.groups.map((g: { value: string }) => g.value),
      [groupId],
    );
    r = await s.call('GET', `/Groups?${q(`members[value eq "${ids[2]}"]`)}`);
    assert.equal(r.body.totalResults, 1);
    r = await s.call(
      'PATCH',
      `/Groups/${groupId}`,
      patchBody({ op: 'Add', path: 'members', value: [{ value: '99999' }] }),
    );
    assert.equal(r.status, 400);
    assert.equal(r.body.scimType, 'invalidValue');
    r = await s.call('DELETE', `/Groups/${groupId}`);
    assert.equal(r.status, 204);
  });
});

describe('Okta provisioning sequence', () => {
  let server: TestServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  const oktaUser = (extra: Record<string, unknown> = {}) => ({
    schemas: [USER_SCHEMA],
    userName: 'Dana.Scully@fbi.example',
    name: { givenName: 'Dana', familyName: 'Scully' },
    emails: [{ primary: true, value: 'dana.scully@fbi.example', type: 'work' }],
    displayName: 'Dana Scully',
    locale: 'en-US',
    externalId: '00u1abcd',
    groups: [],
    password: 'Tr0ub4dor&3',
    active: true,
    ...extra,
  });

  it('tests the connection, creates, replaces with PUT and deactivates', async () => {
    const s = server;
    let r = await s.call('GET', '/Users?startIndex=1&count=2', undefined, { token: 'us_okta' });
    assert.equal(r.status, 200);
    assert.equal(r.body.totalResults, 0);
    assert.equal(r.body.startIndex, 1);

    r = await s.call(
      'GET',
      `/Users?${q('userName eq "Dana.Scully@fbi.example"')}&startIndex=1&count=100`,
      undefined,
      { token: 'us_okta' },
    );
    assert.equal(r.body.totalResults, 0);
    r = await s.call('POST', '/Users', oktaUser(), { token: 'us_okta' });
    assert.equal(r.status, 201);
    assert.equal(r.body.password, undefined);
    const id = r.body.id;
    assert.equal(s.dir.users.get(id)!.password, 'Tr0ub4dor&3');

    // The same user, asked in another case.
    r = await s.call('GET', `/Users?${q('userName eq "dana.scully@FBI.example"')}`, undefined, {
      token: 'us_okta',
    });
    assert.equal(r.body.totalResults, 1);
    assert.equal(r.body.Resources[0].userName, 'Dana.Scully@fbi.example');

    // Other connections do not see it.
    r = await s.call('GET', `/Users/${id}`);
    assert.equal(r.status, 404);

    // PUT with the full user.
    r = await s.call(
      'PUT',
      `/Users/${id}`,
      oktaUser({ id, displayName: 'Dana K. Scully', title: 'Agent', password: undefined }),
      {
        token: 'us_okta',
      },
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.displayName, 'Dana K. Scully');
    assert.equal(r.body.title, 'Agent');
    // A PUT replaces: what it leaves out is gone.
    r = await s.call('PUT', `/Users/${id}`, oktaUser({ id, locale: undefined }), {
      token: 'us_okta',
    });
    assert.equal(r.body.locale, undefined);
    assert.equal(r.body.title, undefined);

    // Deactivation: PATCH active false; Okta never deletes.
    r = await s.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'replace', value: { active: false } }),
      { token: 'us_okta' },
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.active, false);
    // Reactivation.
    r = await s.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'replace', value: { active: true } }),
      { token: 'us_okta' },
    );
    assert.equal(r.body.active, true);
    // Password change.
    r = await s.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'replace', value: { password: 'n3w-Pass!' } }),
      { token: 'us_okta' },
    );
    assert.equal(r.status, 200);
    assert.equal(s.dir.users.get(id)!.password, 'n3w-Pass!');
  });

  it('pushes groups: create, rename, add and remove members', async () => {
    const s = server;
    const a = (
      await s.call(
        'POST',
        '/Users',
        oktaUser({ userName: 'a@x.example', externalId: 'a', emails: undefined }),
        { token: 'us_okta' },
      )
    ).body.id;
    const b = (
      await s.call(
        'POST',
        '/Users',
        oktaUser({ userName: 'b@x.example', externalId: 'b', emails: undefined }),
        { token: 'us_okta' },
      )
    ).body.id;
    let r = await s.call(
      'POST',
      '/Groups',
      { schemas: [GROUP_SCHEMA], displayName: 'Agents', members: [{ value: a, display: 'A' }] },
      { token: 'us_okta' },
    );
    assert.equal(r.status, 201);
    const g = r.body.id;
    r = await s.call(
      'PATCH',
      `/Groups/${g}`,
      patchBody({ op: 'replace', value: { id: g, displayName: 'X-Files' } }),
      { token: 'us_okta' },
    );
    assert.equal(r.body.displayName, 'X-Files');
    assert.equal(r.body.members.length, 1);
    r = await s.call(
      'PATCH',
      `/Groups/${g}`,
      patchBody({ op: 'add', path: 'members', value: [{ value: b, display: 'B' }] }),
      { token: 'us_okta' },
    );
    assert.equal(r.body.members.length, 2);
    r = await s.call(
      'PATCH',
      `/Groups/${g}`,
      patchBody({ op: 'remove', path: `members[value eq "${a}"]` }),
      { token: 'us_okta' },
    );
    assert.deepEqual(
      r.body.members.map((m: { value: string }) => m.value),
      [b],
    );
    r = await s.call(
      'PUT',
      `/Groups/${g}`,
      { schemas: [GROUP_SCHEMA], id: g, displayName: 'X-Files', members: [] },
      { token: 'us_okta' },
    );
    assert.equal(r.body.members, undefined);
  });
});

describe('discovery', () => {
  let server: TestServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  it('ServiceProviderConfig advertises bulk limits, patch, filter, sort and etag', async () => {
    const r = await server.call('GET', '/ServiceProviderConfig');
    assert.equal(r.status, 200);
    assert.equal(r.body.patch.supported, true);
    assert.equal(r.body.bulk.supported, true);
    assert.equal(r.body.bulk.maxOperations, 1000);
    assert.equal(r.body.bulk.maxPayloadSize, 10 * 1024 * 1024);
    assert.equal(r.body.filter.supported, true);
    assert.equal(r.body.etag.supported, true);
    assert.equal(r.body.authenticationSchemes[0].type, 'oauthbearertoken');
  });
  it('ResourceTypes and Schemas, also by id', async () => {
    let r = await server.call('GET', '/ResourceTypes');
    assert.deepEqual(
      r.body.Resources.map((t: { id: string }) => t.id),
      ['User', 'Group'],
    );
    assert.deepEqual(r.body.Resources[0].schemaExtensions, [
      { schema: ENTERPRISE, required: false },
    ]);
    r = await server.call('GET', '/ResourceTypes/User');
    assert.equal(r.body.endpoint, '/Users');
    r = await server.call('GET', '/Schemas');
    assert.equal(r.body.totalResults, 3);
    r = await server.call('GET', `/Schemas/${ENTERPRISE}`);
    assert.equal(r.body.id, ENTERPRISE);
    const userName = (await server.call('GET', `/Schemas/${USER_SCHEMA}`)).body.attributes.find(
      (a: { name: string }) => a.name === 'userName',
    );
    assert.deepEqual(
      [userName.caseExact, userName.uniqueness, userName.required],
      [false, 'server', true],
    );
    assertScimError(await server.call('GET', '/Schemas/urn:nope'), 404);
    assertScimError(await server.call('GET', '/ResourceTypes/Printer'), 404);
  });
});

describe('queries, ETags and .search', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
    for (let n = 1; n <= 12; n++)
      await server.call(
        'POST',
        '/Users',
        entraUser(n, { title: n % 3 === 0 ? 'Lead' : undefined }),
      );
    await server.call('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Leads' });
  });
  after(() => server.close());

  it('paging, count=0, sorting and filters', async () => {
    let r = await server.call('GET', '/Users?startIndex=11&count=5');
    assert.equal(r.body.totalResults, 12);
    assert.equal(r.body.itemsPerPage, 2);
    r = await server.call('GET', `/Users?count=0&${q('title eq "lead"')}`);
    assert.deepEqual(Object.keys(r.body).sort(), [
      'itemsPerPage',
      'schemas',
      'startIndex',
      'totalResults',
    ]);
    assert.equal(r.body.totalResults, 4);
    r = await server.call(
      'GET',
      '/Users?sortBy=userName&sortOrder=descending&count=1&attributes=userName',
    );
    assert.equal(r.body.Resources[0].userName, 'user9@contoso.com');
    r = await server.call(
      'GET',
      `/Users?${q('not (title pr) and emails[type eq "work"].value sw "user1"')}`,
    );
    assert.equal(r.body.totalResults, 3); // user1, user10, user11
    r = await server.call('GET', `/Users?${q('meta.created gt "2000-01-01T00:00:00Z"')}&count=1`);
    assert.equal(r.body.totalResults, 12);
  });

  it('POST /Users/.search and root /.search', async () => {
    const search = { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] };
    let r = await server.call('POST', '/Users/.search', {
      ...search,
      filter: 'title eq "Lead"',
      attributes: ['userName'],
      count: 2,
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.totalResults, 4);
    assert.equal(r.body.Resources.length, 2);
    r = await server.call('POST', '/.search', { ...search, filter: 'displayName co "lead"' });
    // displayName exists on both types: the group, and no user is named "Lead".
    assert.equal(r.body.totalResults, 1);
    r = await server.call('POST', '/.search', { ...search, startIndex: 12, count: 5 });
    assert.equal(r.body.totalResults, 13);
    assert.deepEqual(
      r.body.Resources.map((x: { meta: { resourceType: string } }) => x.meta.resourceType),
      ['User', 'Group'],
    );
  });

  it('If-None-Match gives 304; If-Match mismatches give 412 and write nothing', async () => {
    const created = await server.call('POST', '/Users', entraUser(50));
    const id = created.body.id;
    const etag = created.headers.get('etag')!;
    let r = await server.call('GET', `/Users/${id}`, undefined, {
      headers: { 'if-none-match': etag },
    });
    assert.equal(r.status, 304);
    const writes = server.dir.writes;
    r = await server.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'replace', path: 'title', value: 'x' }),
      {
        headers: { 'if-match': 'W/"stale"' },
      },
    );
    assertScimError(r, 412);
    r = await server.call('PUT', `/Users/${id}`, entraUser(50), {
      headers: { 'if-match': 'W/"stale"' },
    });
    assertScimError(r, 412);
    r = await server.call('DELETE', `/Users/${id}`, undefined, {
      headers: { 'if-match': 'W/"stale"' },
    });
    assertScimError(r, 412);
    assert.equal(server.dir.writes, writes);
    r = await server.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'replace', path: 'title', value: 'x' }),
      {
        headers: { 'if-match': etag },
      },
    );
    assert.equal(r.status, 200);
    assert.notEqual(r.headers.get('etag'), etag);
    r = await server.call('DELETE', `/Users/${id}`, undefined, {
      headers: { 'if-match': r.headers.get('etag')! },
    });
    assert.equal(r.status, 204);
  });
});

describe('/Bulk', () => {
  let server: TestServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  it('resolves bulkId references, including forward ones in group members', async () => {
    const r = await server.call('POST', '/Bulk', {
      schemas: [BULK],
      Operations: [
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'g1',
          data: {
            schemas: [GROUP_SCHEMA],
            displayName: 'Bulk',
            members: [{ value: 'bulkId:u1' }, { value: 'bulkId:u2' }],
          },
        },
        { method: 'POST', path: '/Users', bulkId: 'u1', data: entraUser(101) },
        { method: 'POST', path: '/Users', bulkId: 'u2', data: entraUser(102) },
        {
          method: 'PATCH',
          path: '/Users/bulkId:u1',
          data: patchBody({ op: 'Replace', path: 'active', value: 'False' }),
        },
      ],
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.schemas[0], 'urn:ietf:params:scim:api:messages:2.0:BulkResponse');
    const [group, u1, u2, patch] = r.body.Operations;
    assert.deepEqual(
      [group.status, u1.status, u2.status, patch.status],
      ['201', '201', '201', '200'],
    );
    assert.equal(group.bulkId, 'g1');
    assert.match(u1.location, /\/Users\/\d+$/);
    const groupId = group.location.split('/').pop();
    const g = await server.call('GET', `/Groups/${groupId}`);
    assert.equal(g.body.members.length, 2);
    const user = await server.call('GET', `/Users/${u1.location.split('/').pop()}`);
    assert.equal(user.body.active, false);
  });

  it('reports errors per operation and stops at failOnErrors', async () => {
    const before = server.dir.users.size;
    const r = await server.call('POST', '/Bulk', {
      schemas: [BULK],
      failOnErrors: 2,
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'a', data: entraUser(201) },
        { method: 'POST', path: '/Users', bulkId: 'b', data: { schemas: [USER_SCHEMA] } },
        { method: 'POST', path: '/Users', bulkId: 'c', data: entraUser(201) },
        { method: 'POST', path: '/Users', bulkId: 'd', data: entraUser(202) },
      ],
    });
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.Operations.map((o: { status: string }) => o.status),
      ['201', '400', '409'],
    );
    assert.equal(r.body.Operations[1].response.scimType, 'invalidValue');
    assert.equal(r.body.Operations[2].response.scimType, 'uniqueness');
    assert.equal(server.dir.users.size, before + 1);
  });

  it('a reference to a failed or unknown bulkId fails that operation; DELETE works', async () => {
    const r = await server.call('POST', '/Bulk', {
      schemas: [BULK],
      Operations: [
        {
          method: 'POST',
          path: '/Users',
          bulkId: 'bad',
          data: { schemas: [USER_SCHEMA], userName: '' },
        },
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'g',
          data: {
            schemas: [GROUP_SCHEMA],
            displayName: 'Refs',
            members: [{ value: 'bulkId:bad' }],
          },
        },
        {
          method: 'PATCH',
          path: '/Users/bulkId:nowhere',
          data: patchBody({ op: 'replace', path: 'title', value: 'x' }),
        },
        { method: 'POST', path: '/Users', bulkId: 'ok', data: entraUser(301) },
        { method: 'DELETE', path: '/Users/bulkId:ok' },
        { method: 'GET', path: '/Users' },
      ],
    });
    assert.deepEqual(
      r.body.Operations.map((o: { status: string }) => o.status),
      ['400', '409', '409', '201', '204', '400'],
    );
  });

  it('many POSTs reach the store as batches', async () => {
    server.dir.batches.length = 0;
    const r = await server.call('POST', '/Bulk', {
      schemas: [BULK],
      Operations: Array.from({ length: 600 }, (_, i) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `n${i}`,
        data: entraUser(1000 + i),
      })),
    });
    assert.equal(r.body.Operations.length, 600);
    assert.ok(r.body.Operations.every((o: { status: string }) => o.status === '201'));
    assert.deepEqual(server.dir.batches, [500, 100]);
  });

  it('more operations than maxOperations is 413', async () => {
    const small = await startServer({ limits: { bulkMaxOperations: 2 } });
    try {
      const r = await small.call('POST', '/Bulk', {
        schemas: [BULK],
        Operations: [1, 2, 3].map((n) => ({
          method: 'POST',
          path: '/Users',
          bulkId: `x${n}`,
          data: entraUser(n),
        })),
      });
      assertScimError(r, 413, 'tooMany');
      assert.equal(small.dir.users.size, 0);
    } finally {
      await small.close();
    }
  });
});

describe('authentication and limits', () => {
  it('401 without or with a wrong token, on every route', async () => {
    const server = await startServer();
    try {
      for (const path of [
        '/Users',
        '/Groups',
        '/ServiceProviderConfig',
        '/Schemas',
        '/ResourceTypes',
        '/Users/1',
        '/nope',
      ]) {
        const missing = await server.call('GET', path, undefined, { token: null });
        assertScimError(missing, 401);
        assert.match(missing.headers.get('www-authenticate')!, /^Bearer/);
        const wrong = await server.call('GET', path, undefined, { token: 'us_wrong' });
        assertScimError(wrong, 401);
        assert.match(wrong.headers.get('www-authenticate')!, /invalid_token/);
      }
      const basic = await server.call('GET', '/Users', undefined, {
        token: null,
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
      });
      assertScimError(basic, 401);
      const post = await server.call('POST', '/Users', entraUser(1), { token: null });
      assertScimError(post, 401);
      assert.equal(server.dir.users.size, 0);
    } finally {
      await server.close();
    }
  });

  it('503 when tokens cannot be verified', async () => {
    const server = await startServer();
    try {
      server.tokens.unreachable = true;
      const r = await server.call('GET', '/Users');
      assertScimError(r, 503);
    } finally {
      await server.close();
    }
  });

  it('429 with Retry-After past the per-token rate, other tokens unaffected', async () => {
    const server = await startServer({ rateLimit: { requestsPerSecond: 1, burst: 3 } });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await server.call('GET', '/Users')).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const limited = await server.call('GET', '/Users');
      assertScimError(limited, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal(
        (await server.call('GET', '/Users', undefined, { token: 'us_okta' })).status,
        200,
      );
    } finally {
      await server.close();
    }
  });
});

describe('bad requests: each a 4xx SCIM error, nothing written', () => {
  let server: TestServer;
  let userId: string;
  let groupId: string;
  before(async () => {
    server = await startServer({ maxBodyBytes: 64 * 1024 });
    userId = (await server.call('POST', '/Users', entraUser(1))).body.id;
    groupId = (await server.call('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'G' }))
      .body.id;
  });
  after(() => server.close());

  type Case = [string, string, string, unknown, number, string?, Record<string, string>?, string?];
  const cases = (): Case[] => [
    [
      'malformed JSON',
      'POST',
      '/Users',
      undefined,
      400,
      'invalidSyntax',
      undefined,
      '{"userName": ',
    ],
    ['JSON that is not an object', 'POST', '/Users', ['a'], 400, 'invalidSyntax'],
    ['JSON string body', 'POST', '/Users', undefined, 400, 'invalidSyntax', undefined, '"user"'],
    ['empty body', 'POST', '/Users', undefined, 400, 'invalidSyntax', undefined, ''],
    [
      'form content type',
      'POST',
      '/Users',
      undefined,
      415,
      undefined,
      { 'content-type': 'application/x-www-form-urlencoded' },
      'userName=x',
    ],
    [
      'text/plain',
      'POST',
      '/Users',
      undefined,
      415,
      undefined,
      { 'content-type': 'text/plain' },
      '{}',
    ],
    [
      'XML',
      'PUT',
      `/Users/USERID`,
      undefined,
      415,
      undefined,
      { 'content-type': 'application/xml' },
      '<User/>',
    ],
    ['oversized body', 'POST', '/Users', { ...entraUser(2), title: 'x'.repeat(100 * 1024) }, 413],
    ['no schemas', 'POST', '/Users', { userName: 'nobody@x' }, 400, 'invalidSyntax'],
    [
      'unknown schema',
      'POST',
      '/Users',
      { schemas: [USER_SCHEMA, 'urn:acme:1.0:User'], userName: 'a@x' },
      400,
      'invalidValue',
    ],
    [
      'missing userName',
      'POST',
      '/Users',
      { schemas: [USER_SCHEMA], displayName: 'x' },
      400,
      'invalidValue',
    ],
    [
      'empty userName',
      'POST',
      '/Users',
      { schemas: [USER_SCHEMA], userName: '' },
      400,
      'invalidValue',
    ],
    [
      'unknown attribute',
      'POST',
      '/Users',
      { ...entraUser(3), favouriteColour: 'blue' },
      400,
      'invalidSyntax',
    ],
    [
      'unknown sub-attribute',
      'POST',
      '/Users',
      { ...entraUser(4), name: { middle: 'x' } },
      400,
      'invalidSyntax',
    ],
    [
      'wrong type for active',
      'POST',
      '/Users',
      { ...entraUser(5), active: 'sometimes' },
      400,
      'invalidValue',
    ],
    [
      'emails not a list',
      'POST',
      '/Users',
      { ...entraUser(6), emails: 'a@b.c' },
      400,
      'invalidValue',
    ],
    [
      'two primary emails',
      'POST',
      '/Users',
      {
        ...entraUser(7),
        emails: [
          { value: 'a@x', primary: true },
          { value: 'b@x', primary: true },
        ],
      },
      400,
      'invalidValue',
    ],
    [
      'duplicate userName',
      'POST',
      '/Users',
      entraUser(1, { externalId: 'other' }),
      409,
      'uniqueness',
    ],
    [
      'duplicate externalId',
      'POST',
      '/Users',
      entraUser(99, { externalId: 'ext-1' }),
      409,
      'uniqueness',
    ],
    ['invalid filter', 'GET', `/Users?${q('userName eq')}`, undefined, 400, 'invalidFilter'],
    [
      'unknown filter attribute',
      'GET',
      `/Users?${q('shoeSize gt 40')}`,
      undefined,
      400,
      'invalidFilter',
    ],
    [
      'filter operator on boolean',
      'GET',
      `/Users?${q('active gt true')}`,
      undefined,
      400,
      'invalidFilter',
    ],
    [
      'unbalanced filter',
      'GET',
      `/Users?${q('(userName eq "a"')}`,
      undefined,
      400,
      'invalidFilter',
    ],
    ['non-numeric startIndex', 'GET', '/Users?startIndex=first', undefined, 400, 'invalidValue'],
    ['bad sortOrder', 'GET', '/Users?sortBy=userName&sortOrder=up', undefined, 400, 'invalidValue'],
    ['unknown sortBy', 'GET', '/Users?sortBy=shoeSize', undefined, 400, 'invalidValue'],
    ['repeated count', 'GET', '/Users?count=1&count=2', undefined, 400, 'invalidValue'],
    ['unknown user', 'GET', '/Users/424242', undefined, 404],
    ['unknown group', 'GET', '/Groups/424242', undefined, 404],
    ['PUT unknown user', 'PUT', '/Users/424242', entraUser(8), 404],
    [
      'PATCH unknown user',
      'PATCH',
      '/Users/424242',
      patchBody({ op: 'replace', path: 'title', value: 'x' }),
      404,
    ],
    ['DELETE unknown group', 'DELETE', '/Groups/424242', undefined, 404],
    [
      'PATCH wrong schema',
      'PATCH',
      '/Users/USERID',
      { schemas: [USER_SCHEMA], Operations: [] },
      400,
      'invalidSyntax',
    ],
    [
      'PATCH bad op',
      'PATCH',
      '/Users/USERID',
      patchBody({ op: 'upsert', path: 'title', value: 'x' }),
      400,
      'invalidSyntax',
    ],
    [
      'PATCH remove without path',
      'PATCH',
      '/Users/USERID',
      patchBody({ op: 'remove' }),
      400,
      'noTarget',
    ],
    [
      'PATCH unknown path',
      'PATCH',
      '/Users/USERID',
      patchBody({ op: 'replace', path: 'shoeSize', value: 44 }),
      400,
      'invalidPath',
    ],
    [
      'PATCH read-only id',
      'PATCH',
      '/Users/USERID',
      patchBody({ op: 'replace', path: 'id', value: '5' }),
      400,
      'mutability',
    ],
    [
      'PATCH remove userName',
      'PATCH',
      '/Users/USERID',
      patchBody({ op: 'remove', path: 'userName' }),
      400,
      'mutability',
    ],
    [
      'PATCH wrong value type',
      'PATCH',
      '/Users/USERID',
      patchBody({ op: 'Replace', path: 'active', value: 'Maybe' }),
      400,
      'invalidValue',
    ],
    [
      'PATCH bad filter in path',
      'PATCH',
      '/Users/USERID',
      patchBody({ op: 'replace', path: 'emails[type eq]', value: 'x' }),
      400,
      'invalidPath',
    ],
    [
      'PUT without userName',
      'PUT',
      '/Users/USERID',
      { schemas: [USER_SCHEMA], displayName: 'x' },
      400,
      'invalidValue',
    ],
    [
      'Group without displayName',
      'POST',
      '/Groups',
      { schemas: [GROUP_SCHEMA] },
      400,
      'invalidValue',
    ],
    [
      'Group with an unknown member',
      'POST',
      '/Groups',
      { schemas: [GROUP_SCHEMA], displayName: 'H', members: [{ value: '999999' }] },
      400,
      'invalidValue',
    ],
    [
      'Group duplicate name',
      'POST',
      '/Groups',
      { schemas: [GROUP_SCHEMA], displayName: 'g' },
      409,
      'uniqueness',
    ],
    [
      'Group PATCH member without value',
      'PATCH',
      '/Groups/GROUPID',
      patchBody({ op: 'add', path: 'members', value: [{ display: 'x' }] }),
      400,
      'invalidValue',
    ],
    [
      'User schema on /Groups',
      'POST',
      '/Groups',
      { schemas: [USER_SCHEMA], displayName: 'x' },
      400,
      'invalidValue',
    ],
    [
      '.search without SearchRequest schema',
      'POST',
      '/Users/.search',
      { filter: 'userName pr' },
      400,
      'invalidSyntax',
    ],
    [
      '.search with a bad filter',
      'POST',
      '/.search',
      { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'nope eq 1' },
      400,
      'invalidFilter',
    ],
    ['Bulk without schema', 'POST', '/Bulk', { Operations: [] }, 400, 'invalidSyntax'],
    [
      'Bulk with bad failOnErrors',
      'POST',
      '/Bulk',
      { schemas: [BULK], failOnErrors: 0, Operations: [{ method: 'DELETE', path: '/Users/1' }] },
      400,
      'invalidValue',
    ],
    [
      'Bulk with no operations',
      'POST',
      '/Bulk',
      { schemas: [BULK], Operations: [] },
      400,
      'invalidSyntax',
    ],
    ['unknown endpoint', 'GET', '/Printers', undefined, 404],
    ['method not allowed', 'DELETE', '/Users', undefined, 405],
    ['GET on .search', 'GET', '/.search', undefined, 405],
    ['PUT on discovery', 'PUT', '/ServiceProviderConfig', {}, 405],
  ];

  it('has at least 30 cases', () => assert.ok(cases().length >= 30));

  for (const [name, method, rawPath, body, status, scimType, headers, raw] of cases()) {
    it(`${status} ${name}`, async () => {
      const path = rawPath.replace('USERID', userId).replace('GROUPID', groupId);
      const writes = server.dir.writes;
      const users = JSON.stringify([...server.dir.users.values()]);
      const groups = JSON.stringify(
        [...server.dir.groups.values()].map((g) => [g.resource, [...g.members]]),
      );
      const response = await server.call(method, path, body, { headers, raw });
      assertScimError(response, status, scimType);
      assert.equal(server.dir.writes, writes, 'nothing written');
      assert.equal(JSON.stringify([...server.dir.users.values()]), users);
      assert.equal(
        JSON.stringify([...server.dir.groups.values()].map((g) => [g.resource, [...g.members]])),
        groups,
      );
    });
  }
});

describe('bounded answers to hostile or odd input', () => {
  let server: TestServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  it('a value nested 5,000 levels deep: 400 invalidSyntax, not a 500', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const body = `{"schemas":["${USER_SCHEMA}"],"userName":"deep@contoso.com","title":${deep}}`;
    const r = await server.call('POST', '/Users', undefined, { raw: body });
    assertScimError(r, 400, 'invalidSyntax');
    assert.match(r.body.detail, /nests deeper than 32 levels/);
  });

  it('an 800 KB offending value gives a short error detail', async () => {
    const r = await server.call('POST', '/Users', {
      schemas: [USER_SCHEMA],
      userName: 'big@contoso.com',
      active: 'x'.repeat(800_000),
    });
    assertScimError(r, 400, 'invalidValue');
    assert.ok(r.body.detail.length <= 300, `${r.body.detail.length} characters`);
  });

  it('userName 1e999 (a number) is refused, not stored as "Infinity"', async () => {
    const body = `{"schemas":["${USER_SCHEMA}"],"userName":1e999}`;
    const r = await server.call('POST', '/Users', undefined, { raw: body });
    assertScimError(r, 400, 'invalidValue');
    const numeric = await server.call('POST', '/Users', { schemas: [USER_SCHEMA], userName: 42 });
    assertScimError(numeric, 400, 'invalidValue');
  });

  it('GET /Me answers 501: a token has no user subject to alias (RFC 7644 §3.11)', async () => {
    assertScimError(await server.call('GET', '/Me'), 501);
  });

  it('a PATCH value for the enterprise extension may carry its own schemas key', async () => {
    const created = await server.call('POST', '/Users', entraUser('ext-schemas'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const r = await server.call(
      'PATCH',
      `/Users/${created.body.id}`,
      patchBody({
        op: 'replace',
        path: ENTERPRISE,
        value: { schemas: [ENTERPRISE], department: 'Legal' },
      }),
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body[ENTERPRISE].department, 'Legal');
  });

  it('lists and errors carry no ETag; a resource carries its version', async () => {
    const list = await server.call('GET', '/Users');
    assert.equal(list.status, 200);
    assert.equal(list.headers.get('etag'), null);
    const missing = await server.call('GET', '/Users/999999');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('etag'), null);
    const created = await server.call('POST', '/Users', entraUser('etag'));
    const one = await server.call('GET', `/Users/${created.body.id}`);
    assert.equal(one.headers.get('etag'), one.body.meta.version);
  });
});
