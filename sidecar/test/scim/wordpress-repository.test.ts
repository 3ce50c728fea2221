// The SCIM endpoint over the WordPress store, against a fake of the plugin's routes:
// what the store asks WordPress, how SCIM maps to users, logins and groups.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { wordpressRepositories, pluginIfMatch } from '../../src/scim/wordpress-repository.js';
import { DEFAULT_ATTRIBUTE_MAP } from '../../src/scim/mapping.js';
import { FakeWordPress } from './fake-wordpress.js';
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

describe('SCIM over WordPress', () => {
  let wp: FakeWordPress;
  let server: TestServer;
  before(async () => {
    wp = new FakeWordPress();
    server = await startServer({
      repositories: wordpressRepositories({
        wordpress: wp.client(),
        logger: pino({ level: 'silent' }),
        configTtlMs: 60_000,
      }),
    });
  });
  after(() => server.close());
  beforeEach(() => (wp.requests = []));

  const requestsTo = (path: string) => wp.requests.filter((r) => r.path === path);

  it('creates through users/batch with mapped fields, the stored SCIM object and the link', async () => {
    const r = await server.call(
      'POST',
      '/Users',
      entraUser(1, { title: 'Engineer', password: 'S3cret!pass' }),
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const [batch] = requestsTo('/usersync/v1/users/batch');
    const body = batch!.body as {
      connection: string;
      source: string;
      operations: { action: string; user: Record<string, unknown> }[];
    };
    assert.equal(body.connection, 'entra-production');
    assert.equal(body.source, 'scim:Entra production');
    assert.equal(body.operations.length, 1);
    const user = body.operations[0]!.user;
    assert.equal(body.operations[0]!.action, 'create');
    assert.equal(user.login, 'user1@contoso.com');
    assert.equal(user.email, 'user1@contoso.com');
    assert.equal(user.firstName, 'Given1');
    assert.equal(user.lastName, 'Family1');
    assert.equal(user.password, 'S3cret!pass');
    assert.equal(user.externalId, 'ext-1');
    assert.equal(user.active, true);
    assert.deepEqual(user.meta, { title: 'Engineer', department: 'Sales', employee_number: 'E1' });
    assert.equal((user.scim as Record<string, unknown>).password, undefined);
    assert.equal(r.body.id, String(wp.users.size));
    assert.equal(r.body.password, undefined);
    assert.equal(r.body[ENTERPRISE].department, 'Sales');
    assert.equal(
      r.body.meta.version,
      wp.snapshot(wp.users.get(Number(r.body.id))!, 'entra-production').version,
    );
  });

  it('pushes userName/externalId/email filters down as match clauses', async () => {
    let r = await server.call('GET', `/Users?${q('userName eq "USER1@contoso.com"')}`);
    assert.equal(r.body.totalResults, 1);
    let [get] = requestsTo('/usersync/v1/users');
    assert.equal(get!.query!['match[0][0][attr]'], 'login');
    assert.equal(get!.query!['match[0][0][op]'], 'eq');
    assert.equal(get!.query!['match[0][0][value]'], 'USER1@contoso.com');
    assert.equal(get!.query!.linked, 1);
    assert.equal(get!.query!.connection, 'entra-production');
    wp.requests = [];
    r = await server.call('GET', `/Users?${q('externalId eq "ext-1" and active eq true')}`);
    assert.equal(r.body.totalResults, 1);
    [get] = requestsTo('/usersync/v1/users');
    assert.equal(get!.query!['match[0][0][attr]'], 'external_id');
    assert.equal(get!.query!['match[0][0][value]'], 'ext-1');
    // Exactly answered by SQL: WordPress pages and counts, a page of the asked size.
    wp.requests = [];
    r = await server.call('GET', `/Users?${q('externalId sw "ext-"')}&count=1`);
    assert.equal(r.body.totalResults, 1);
    assert.equal(r.body.Resources.length, 1);
    assert.deepEqual(
      requestsTo('/usersync/v1/users').map((g) => g.query!.per_page),
      [1],
    );
    r = await server.call(
      'GET',
      `/Users?${q('emails[type eq "work"].value eq "user1@contoso.com"')}`,
    );
    assert.equal(r.body.totalResults, 1);
    r = await server.call('GET', `/Users?${q('emails eq "nobody@contoso.com"')}`);
    assert.equal(r.body.totalResults, 0);
    r = await server.call('GET', `/Users?${q('id eq "not-a-number"')}`);
    assert.equal(r.body.totalResults, 0);
    // The whole filter is still evaluated on the candidates.
    r = await server.call('GET', `/Users?${q('externalId eq "ext-1" and active eq false')}`);
    assert.equal(r.body.totalResults, 0);
  });

  it('a retried POST is 409 and writes nothing more', async () => {
    const before = wp.users.size;
    const r = await server.call('POST', '/Users', entraUser(1));
    assert.equal(r.status, 409);
    assert.equal(r.body.scimType, 'uniqueness');
    assert.equal(wp.users.size, before);
  });

  it('PATCH active "False" becomes an update with active false; meta removals are nulls', async () => {
    const id = (await server.call('GET', `/Users?${q('userName eq "user1@contoso.com"')}`)).body
      .Resources[0].id;
    wp.requests = [];
    let r = await server.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'Replace', path: 'active', value: 'False' }, { op: 'Remove', path: 'title' }),
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.active, false);
    const [batch] = requestsTo('/usersync/v1/users/batch');
    const op = (batch!.body as { operations: Record<string, unknown>[] }).operations[0]!;
    assert.equal(op.action, 'update');
    assert.match(String(op.ifMatch), /^W\/"/);
    const user = op.user as Record<string, unknown>;
    assert.equal(user.active, false);
    assert.equal(user.login, undefined, 'an unchanged userName does not touch the login');
    assert.equal((user.meta as Record<string, unknown>).title, null);
    assert.equal(wp.users.get(Number(id))!.active, false);
    // Reading back from WordPress.
    r = await server.call('GET', `/Users/${id}`);
    assert.equal(r.body.active, false);
    assert.equal(r.body.title, undefined);
  });

  it('WordPress is the truth for mapped fields; unmapped ones round-trip from the stored SCIM', async () => {
    const created = await server.call(
      'POST',
      '/Users',
      entraUser(2, { locale: 'de-DE', nickName: 'Twoey' }),
    );
    const user = wp.users.get(Number(created.body.id))!;
    user.firstName = 'Changed In WordPress';
    user.meta.department = 'Edited';
    const r = await server.call('GET', `/Users/${created.body.id}`);
    assert.equal(r.body.name.givenName, 'Changed In WordPress');
    assert.equal(r.body.name.familyName, 'Family2');
    assert.equal(r.body[ENTERPRISE].department, 'Edited');
    assert.equal(r.body.locale, 'de-DE');
    assert.equal(r.body.nickName, 'Twoey');
  });

  it('userName is kept as sent while the login is sanitized', async () => {
    const r = await server.call(
      'POST',
      '/Users',
      entraUser(3, { userName: 'Zoë+Test@Contoso.com', externalId: 'z' }),
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.userName, 'Zoë+Test@Contoso.com');
    assert.equal(wp.users.get(Number(r.body.id))!.login, 'ZoeTest@Contoso.com');
    const found = await server.call('GET', `/Users?${q('userName eq "zoë+test@contoso.com"')}`);
    assert.equal(found.body.totalResults, 1);
    const again = await server.call(
      'POST',
      '/Users',
      entraUser(33, { userName: 'Zoë+Test@Contoso.com', externalId: 'z2' }),
    );
    assert.equal(again.status, 409);
  });

  it('a login taken by someone else gets a suffix; a local user with the same login is a conflict', async () => {
    wp.addLocalUser('annatest@contoso.com', 'anna.local@contoso.com');
    let r = await server.call(
      'POST',
      '/Users',
      entraUser(4, { userName: 'anna+test@contoso.com', externalId: 'anna' }),
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(wp.users.get(Number(r.body.id))!.login, 'annatest@contoso.com-2');
    assert.equal(r.body.userName, 'anna+test@contoso.com');
    // The suffixed user is still found by its userName.
    r = await server.call('GET', `/Users?${q('userName eq "anna+test@contoso.com"')}`);
    assert.equal(r.body.totalResults, 1);
    // A retry of the same POST must not make anna-3.
    r = await server.call(
      'POST',
      '/Users',
      entraUser(4, { userName: 'anna+test@contoso.com', externalId: 'anna-retry' }),
    );
    assert.equal(r.status, 409);
    wp.addLocalUser('bob@contoso.com', 'bob.local@contoso.com');
    r = await server.call(
      'POST',
      '/Users',
      entraUser(5, { userName: 'bob@contoso.com', externalId: 'bob' }),
    );
    assert.equal(r.status, 409);
    assert.equal(r.body.scimType, 'uniqueness');
    // Users not linked to the connection are invisible to it.
    r = await server.call('GET', `/Users?${q('userName eq "bob@contoso.com"')}`);
    assert.equal(r.body.totalResults, 0);
  });

  it('groups: members as user ids, PATCH deltas as addMembers/removeMembers, members=0 when excluded', async () => {
    const list = (await server.call('GET', '/Users?count=3')).body.Resources.map(
      (u: { id: string }) => u.id,
    );
    wp.requests = [];
    let r = await server.call('POST', '/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Editors',
      members: [{ value: list[0] }],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = r.body.id;
    let op = (
      requestsTo('/usersync/v1/groups/batch')[0]!.body as { operations: Record<string, unknown>[] }
    ).operations[0]!;
    assert.deepEqual(op.group, {
      displayName: 'Editors',
      externalId: null,
      members: [Number(list[0])],
    });
    wp.requests = [];
    r = await server.call(
      'PATCH',
      `/Groups/${id}`,
      patchBody(
        { op: 'Add', path: 'members', value: [{ value: list[1] }, { value: list[2] }] },
        { op: 'Remove', path: 'members', value: [{ value: list[0] }] },
      ),
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    op = (
      requestsTo('/usersync/v1/groups/batch')[0]!.body as { operations: Record<string, unknown>[] }
    ).operations[0]!;
    assert.equal(op.action, 'patch');
    assert.deepEqual(op.addMembers, [Number(list[1]), Number(list[2])]);
    assert.deepEqual(op.removeMembers, [Number(list[0])]);
    assert.equal(op.ifMatch, undefined, 'membership deltas need no version check');
    assert.deepEqual(
      r.body.members.map((m: { value: string }) => m.value).sort(),
      [list[1], list[2]].sort(),
    );
    wp.requests = [];
    r = await server.call(
      'GET',
      `/Groups?${q('displayName eq "editors"')}&excludedAttributes=members`,
    );
    assert.equal(r.body.totalResults, 1);
    const [get] = requestsTo('/usersync/v1/groups');
    assert.equal(get!.query!.display_name, 'editors');
    assert.equal(get!.query!.members, 0);
    r = await server.call('GET', `/Users/${list[1]}`);
    assert.deepEqual(
      r.body.groups.map((g: { display: string }) => g.display),
      ['Editors'],
    );
    r = await server.call(
      'PATCH',
      `/Groups/${id}`,
      patchBody({ op: 'Add', path: 'members', value: [{ value: 'abc' }] }),
    );
    assert.equal(r.status, 400);
    r = await server.call('DELETE', `/Groups/${id}`);
    assert.equal(r.status, 204);
  });

  it('pages through WordPress: the window only, or streamed pages for in-memory filters', async () => {
    const bulk = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: Array.from({ length: 620 }, (_, i) => ({
        method: 'POST',
        path: '/Users',
        bulkId: `b${i}`,
        data: entraUser(10_000 + i, { title: i % 100 === 0 ? 'Lead' : 'Member' }),
      })),
    };
    wp.requests = [];
    let r = await server.call('POST', '/Bulk', bulk);
    assert.equal(r.status, 200);
    assert.ok(r.body.Operations.every((o: { status: string }) => o.status === '201'));
    // 620 creates in two batch requests, not 620.
    assert.deepEqual(
      requestsTo('/usersync/v1/users/batch').map(
        (b) => (b.body as { operations: unknown[] }).operations.length,
      ),
      [500, 120],
    );
    wp.requests = [];
    r = await server.call('GET', '/Users?startIndex=101&count=10');
    assert.equal(r.body.itemsPerPage, 10);
    const gets = requestsTo('/usersync/v1/users');
    assert.equal(gets.length, 1);
    assert.equal(gets[0]!.query!.per_page, 10);
    assert.equal(gets[0]!.query!.page, 11);
    wp.requests = [];
    r = await server.call('GET', `/Users?${q('title eq "lead"')}&count=3`);
    assert.equal(r.body.totalResults, 7);
    assert.equal(r.body.Resources.length, 3);
    assert.ok(requestsTo('/usersync/v1/users').every((g) => g.query!.per_page === 500));
  });

  it('refuses with tooMany a filter that leaves more candidates than the bound', async () => {
    const bounded = await startServer({
      repositories: wordpressRepositories({
        wordpress: wp.client(),
        logger: pino({ level: 'silent' }),
        maxFilterCandidates: 100,
      }),
    });
    try {
      let r = await bounded.call('GET', `/Users?${q('title eq "lead"')}`);
      assert.equal(r.status, 400);
      assert.equal(r.body.scimType, 'tooMany');
      // SQL narrows this one to a few candidates first.
      r = await bounded.call('GET', `/Users?${q('userName sw "user1001" and title eq "lead"')}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    } finally {
      await bounded.close();
    }
  });

  it('If-Match without W/ is sent the way the plugin compares it', () => {
    assert.equal(pluginIfMatch('"abc"'), 'W/"abc"');
    assert.equal(pluginIfMatch('W/"abc"'), 'W/"abc"');
    assert.equal(pluginIfMatch('*'), undefined);
  });

  it('WordPress unreachable is a 503 SCIM error', async () => {
    wp.unreachable = true;
    try {
      const r = await server.call('GET', '/Users/1');
      assert.equal(r.status, 503);
      assert.equal(r.body.schemas[0], 'urn:ietf:params:scim:api:messages:2.0:Error');
      const post = await server.call('POST', '/Users', entraUser(999));
      assert.equal(post.status, 503);
    } finally {
      wp.unreachable = false;
    }
  });

  it('a PATCH reads the user once: the write reuses the snapshot the version names', async () => {
    const id = (await server.call('POST', '/Users', entraUser('once'))).body.id;
    wp.requests = [];
    let r = await server.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'Replace', path: 'displayName', value: 'Once' }),
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      wp.requests.map((q) => `${q.method} ${q.path}`),
      ['GET /usersync/v1/users', 'POST /usersync/v1/users/batch'],
    );
    // Changed in WordPress between the read and the write: the version no longer matches,
    // WordPress refuses the stale write, and the PATCH is applied to what is there now.
    const user = wp.users.get(Number(id))!;
    const original = wp.request.bind(wp);
    let changed = false;
    wp.request = async (req) => {
      if (req.path === '/usersync/v1/users/batch' && !changed) {
        changed = true;
        user.firstName = 'ChangedMeanwhile';
      }
      return original(req);
    };
    wp.requests = [];
    try {
      r = await server.call(
        'PATCH',
        `/Users/${id}`,
        patchBody({ op: 'Replace', path: 'displayName', value: 'Twice' }),
      );
    } finally {
      wp.request = original;
    }
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.displayName, 'Twice');
    assert.equal(r.body.name.givenName, 'ChangedMeanwhile');
    assert.deepEqual(
      wp.requests.map((q) => `${q.method} ${q.path}`),
      [
        'GET /usersync/v1/users',
        'POST /usersync/v1/users/batch',
        'GET /usersync/v1/users',
        'POST /usersync/v1/users/batch',
      ],
    );
    // A PUT names no version: the user is read before the write.
    wp.requests = [];
    r = await server.call('PUT', `/Users/${id}`, entraUser('once', { displayName: 'Put' }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      wp.requests.map((q) => `${q.method} ${q.path}`),
      ['GET /usersync/v1/users', 'POST /usersync/v1/users/batch'],
    );
  });

  it('photos become the WordPress avatar URL; removing the photo removes it', async () => {
    const photo = 'https://img.example/p.png';
    let r = await server.call(
      'POST',
      '/Users',
      entraUser('pic', { photos: [{ value: photo, type: 'photo', primary: true }] }),
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = Number(r.body.id);
    let [batch] = requestsTo('/usersync/v1/users/batch');
    let user = (batch!.body as { operations: { user: Record<string, unknown> }[] }).operations[0]!
      .user;
    assert.equal(user.avatarUrl, photo);
    assert.equal(wp.users.get(id)!.avatarUrl, photo);
    assert.deepEqual(r.body.photos, [{ value: photo, type: 'photo', primary: true }]);
    wp.requests = [];
    r = await server.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'Remove', path: 'photos[type eq "photo"]' }),
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.photos, undefined);
    [batch] = requestsTo('/usersync/v1/users/batch');
    user = (batch!.body as { operations: { user: Record<string, unknown> }[] }).operations[0]!.user;
    assert.equal(user.avatarUrl, null);
    assert.equal(wp.users.get(id)!.avatarUrl, null);
  });

  it('DELETE goes through users/batch and the user is gone for the connection', async () => {
    const created = await server.call('POST', '/Users', {
      schemas: [USER_SCHEMA],
      userName: 'gone@contoso.com',
    });
    const r = await server.call('DELETE', `/Users/${created.body.id}`);
    assert.equal(r.status, 204);
    assert.equal((await server.call('GET', `/Users/${created.body.id}`)).status, 404);
  });
});

describe('the attribute map cache', () => {
  let wp: FakeWordPress;
  let server: TestServer;
  before(async () => {
    wp = new FakeWordPress();
    server = await startServer({
      repositories: wordpressRepositories({
        wordpress: wp.client(),
        logger: pino({ level: 'silent' }),
        configTtlMs: 100,
      }),
    });
  });
  after(() => server.close());

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const paths = () => wp.requests.map((r) => `${r.method ?? 'GET'} ${r.path}`);
  const sentMeta = (index: number) =>
    (
      wp.requests.filter((q) => q.path === '/usersync/v1/users/batch')[index]!.body as {
        operations: { user: { meta?: Record<string, unknown> } }[];
      }
    ).operations[0]!.user.meta;

  it('a write is one request to WordPress while the map is fresh; a saved map applies after the TTL', async () => {
    await server.call('POST', '/Users', entraUser('c1'));
    wp.requests = [];
    wp.config = {
      attributeMap: [
        ...DEFAULT_ATTRIBUTE_MAP,
        {
          source: 'nickName',
          target: 'meta:nick',
          direction: 'both',
          transform: 'none',
          default: null,
        },
      ],
    };
    let r = await server.call('POST', '/Users', entraUser('c2', { nickName: 'Cee' }));
    assert.equal(r.status, 201);
    assert.deepEqual(paths(), ['POST /usersync/v1/users/batch']);
    assert.equal(sentMeta(0)?.nick, undefined, 'the cached map is still in force');
    await sleep(150);
    wp.requests = [];
    r = await server.call('POST', '/Users', entraUser('c3', { nickName: 'Cee' }));
    assert.equal(r.status, 201);
    assert.deepEqual(paths(), ['GET /usersync/v1/config', 'POST /usersync/v1/users/batch']);
    assert.equal(sentMeta(0)?.nick, 'Cee');
  });
});
