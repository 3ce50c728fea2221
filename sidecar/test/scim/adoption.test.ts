// SCIM creates for people who already have a WordPress account (same login or email) that
// the token's connection did not create: adopted when the plugin allows it (the
// deprovisioning policy), or a 409 that names the attribute and nothing about the account;
// against a fake of the plugin's routes.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { wordpressRepositories } from '../../src/scim/wordpress-repository.js';
import { DEFAULT_ATTRIBUTE_MAP } from '../../src/scim/mapping.js';
import { FakeWordPress } from './fake-wordpress.js';
import { ENTERPRISE, entraUser, patchBody, startServer } from './helpers.js';
import type { TestServer } from './helpers.js';

const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const CONNECTION = 'entra-production';
const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;

describe('SCIM create of an existing WordPress user', () => {
  let wp: FakeWordPress;
  let server: TestServer;
  const policy = (touchUnlinked: boolean, touchAdministrators = false) =>
    (wp.config = {
      attributeMap: DEFAULT_ATTRIBUTE_MAP,
      deprovision: { action: 'disable', reassignTo: null, touchUnlinked, touchAdministrators },
    });
  const batches = () =>
    wp.requests
      .filter((r) => r.path === '/usersync/v1/users/batch')
      .map((r) => (r.body as { operations: Record<string, unknown>[] }).operations[0]!);

  beforeEach(async () => {
    wp = new FakeWordPress();
    server = await startServer({
      repositories: wordpressRepositories({
        wordpress: wp.client(),
        logger: pino({ level: 'silent' }),
        configTtlMs: 60_000,
      }),
    });
  });
  afterEach(() => server.close());

  it('same login, touchUnlinked on: 201 with the existing id, linked, the resource applied', async () => {
    const id = wp.addLocalUser('user1@contoso.com', 'old@example.com');
    policy(true);
    // Reads never show users of no connection: the IdP's lookup finds nothing and it POSTs.
    const lookup = await server.call('GET', `/Users?${q('userName eq "user1@contoso.com"')}`);
    assert.equal(lookup.body.totalResults, 0);
    const r = await server.call('POST', '/Users', entraUser(1, { title: 'Engineer' }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.id, String(id));
    assert.equal(r.headers.get('location'), `${server.base}/Users/${id}`);
    assert.equal(r.body.externalId, 'ext-1');
    assert.equal(r.body.emails[0].value, 'user1@contoso.com');
    assert.equal(wp.users.size, 1, 'no second user');
    const user = wp.users.get(id)!;
    assert.equal(user.email, 'user1@contoso.com');
    assert.equal(user.firstName, 'Given1');
    assert.equal(user.meta.title, 'Engineer');
    assert.equal(user.links.get(CONNECTION), 'ext-1');
    // The adopting write is an update of that user: the link comes with it, in one write.
    const [create, update] = batches();
    assert.equal(create!.action, 'create');
    assert.equal(update!.action, 'update');
    assert.equal(update!.id, id);
    assert.equal((update!.user as Record<string, unknown>).login, undefined, 'login unchanged');
    // Later reads, PATCH and a retried POST see the connection's user.
    assert.equal((await server.call('GET', `/Users/${id}`)).body.userName, 'user1@contoso.com');
    const found = await server.call('GET', `/Users?${q('userName eq "user1@contoso.com"')}`);
    assert.deepEqual(
      found.body.Resources.map((u: { id: string }) => u.id),
      [String(id)],
    );
    const patched = await server.call(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'Replace', path: 'active', value: 'False' }),
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(wp.users.get(id)!.active, false);
    const again = await server.call('POST', '/Users', entraUser(1));
    assert.equal(again.status, 409);
    assert.equal(wp.users.size, 1);
  });

  it('same email, another login: adopted and renamed to the userName', async () => {
    const id = wp.addLocalUser('jdoe', 'User2@Contoso.com');
    policy(true);
    const r = await server.call('POST', '/Users', entraUser(2));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.id, String(id));
    assert.equal(wp.users.get(id)!.login, 'user2@contoso.com');
    assert.equal(r.body.userName, 'user2@contoso.com');
    assert.equal(wp.users.size, 1);
  });

  it('same email while the userName’s login belongs to someone else: adopted under name-2', async () => {
    const other = wp.addLocalUser('annatest@contoso.com', 'anna.other@contoso.com');
    const id = wp.addLocalUser('anna', 'user3@contoso.com');
    policy(true);
    const r = await server.call(
      'POST',
      '/Users',
      entraUser(3, { userName: 'anna+test@contoso.com' }),
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.id, String(id));
    assert.equal(r.body.userName, 'anna+test@contoso.com');
    assert.equal(wp.users.get(id)!.login, 'annatest@contoso.com-2');
    assert.equal(wp.users.get(other)!.login, 'annatest@contoso.com', 'the other one untouched');
    assert.equal(wp.users.get(other)!.links.size, 0);
    const found = await server.call('GET', `/Users?${q('userName eq "anna+test@contoso.com"')}`);
    assert.equal(found.body.totalResults, 1);
  });

  it('a sanitized login held by someone else, the email free: a new user under name-2', async () => {
    const other = wp.addLocalUser('bobtest@contoso.com', 'bob.other@contoso.com');
    policy(true);
    const r = await server.call(
      'POST',
      '/Users',
      entraUser(4, { userName: 'bob+test@contoso.com' }),
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.notEqual(r.body.id, String(other));
    assert.equal(wp.users.get(Number(r.body.id))!.login, 'bobtest@contoso.com-2');
    assert.equal(wp.users.get(other)!.links.size, 0);
  });

  it('a templated login held by someone else, the email free: the suffix follows the template', async () => {
    const other = wp.addLocalUser('Given7.Family7', 'someone.else@contoso.com');
    wp.config = {
      attributeMap: DEFAULT_ATTRIBUTE_MAP.map((row) =>
        row.target === 'user_login'
          ? {
              ...row,
              source: '',
              direction: 'inbound',
              transform: 'template',
              template: '{name.givenName}.{name.familyName}',
            }
          : row,
      ),
      deprovision: {
        action: 'disable',
        reassignTo: null,
        touchUnlinked: false,
        touchAdministrators: false,
      },
    };
    const r = await server.call('POST', '/Users', entraUser(7));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.notEqual(r.body.id, String(other));
    assert.equal(wp.users.get(Number(r.body.id))!.login, 'Given7.Family7-2');
  });

  it('touchUnlinked off: the plugin refuses the adoption; 409 naming only the attribute, nothing written', async () => {
    const byLogin = wp.addLocalUser('user5@contoso.com', 'someone@example.com');
    const byEmail = wp.addLocalUser('carol', 'user6@contoso.com');
    policy(false);
    const before = JSON.stringify(wp.snapshot(wp.users.get(byLogin)!, CONNECTION));
    let r = await server.call('POST', '/Users', entraUser(5));
    assert.equal(r.status, 409);
    assert.equal(r.body.scimType, 'uniqueness');
    assert.match(r.body.detail, /^The userName is already in use/);
    assert.doesNotMatch(r.body.detail, /managed|linked|setting|someone@/i);
    r = await server.call('POST', '/Users', entraUser(6));
    assert.equal(r.status, 409);
    assert.match(r.body.detail, /^The email is already in use/);
    assert.doesNotMatch(r.body.detail, /managed|linked|setting|carol/i);
    assert.equal(wp.users.size, 2);
    assert.equal(JSON.stringify(wp.snapshot(wp.users.get(byLogin)!, CONNECTION)), before);
    assert.equal(wp.users.get(byEmail)!.links.size, 0);
    // The plugin, not the sidecar, decides whether an account may be adopted.
    assert.deepEqual(
      batches().map((b) => b.action),
      ['create', 'update', 'create', 'update'],
    );
    // Still invisible to the connection.
    r = await server.call('GET', `/Users?${q('userName eq "user5@contoso.com"')}`);
    assert.equal(r.body.totalResults, 0);
  });

  it('the policy is read afresh on a collision: turned on in wp-admin, the next POST adopts', async () => {
    const id = wp.addLocalUser('user7@contoso.com', 'user7@contoso.com');
    policy(false);
    assert.equal((await server.call('POST', '/Users', entraUser(7))).status, 409);
    policy(true);
    const r = await server.call('POST', '/Users', entraUser(7));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.id, String(id));
  });

  it('an administrator only with touchAdministrators', async () => {
    const id = wp.addLocalUser('user8@contoso.com', 'admin@example.com', ['administrator']);
    policy(true);
    let r = await server.call('POST', '/Users', entraUser(8));
    assert.equal(r.status, 409);
    assert.match(r.body.detail, /^The userName is already in use/);
    assert.doesNotMatch(r.body.detail, /administrator/i);
    assert.equal(wp.users.get(id)!.links.size, 0);
    assert.equal(wp.users.get(id)!.email, 'admin@example.com');
    policy(true, true);
    r = await server.call('POST', '/Users', entraUser(8));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.id, String(id));
    assert.deepEqual(wp.users.get(id)!.roles, ['administrator']);
  });

  it('the login and the email of two different users: 409, neither touched', async () => {
    const a = wp.addLocalUser('user9@contoso.com', 'a@example.com');
    const b = wp.addLocalUser('bee', 'user9@contoso.com');
    policy(true);
    const r = await server.call('POST', '/Users', entraUser(9));
    assert.equal(r.status, 409);
    assert.match(r.body.detail, /^The email is already in use/);
    assert.equal(wp.users.get(a)!.links.size, 0);
    assert.equal(wp.users.get(b)!.links.size, 0);
  });

  it('a user of this connection under another externalId is a real conflict', async () => {
    policy(true);
    const first = await server.call('POST', '/Users', entraUser(10));
    assert.equal(first.status, 201);
    // Another userName, the same email, another externalId.
    const r = await server.call(
      'POST',
      '/Users',
      entraUser(10, { userName: 'someone.else@contoso.com', externalId: 'ext-other' }),
    );
    assert.equal(r.status, 409);
    assert.equal(r.body.scimType, 'uniqueness');
    assert.equal(wp.users.size, 1);
    assert.equal(wp.users.get(Number(first.body.id))!.login, 'user10@contoso.com');
  });

  it('a POST with another userName under the externalId of a user of this connection: 409, nobody renamed', async () => {
    policy(true);
    const first = await server.call('POST', '/Users', entraUser(11));
    const r = await server.call(
      'POST',
      '/Users',
      entraUser(11, { userName: 'renamed11@contoso.com' }),
    );
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.equal(r.body.scimType, 'uniqueness');
    assert.match(r.body.detail, /externalId/);
    assert.equal(wp.users.get(Number(first.body.id))!.login, 'user11@contoso.com');
    assert.equal(wp.users.size, 1);
  });

  it('a POST inside /Bulk adopts too, answering 201 with the existing user’s location', async () => {
    const id = wp.addLocalUser('user12@contoso.com', 'old12@example.com');
    policy(true);
    const r = await server.call('POST', '/Bulk', {
      schemas: [BULK],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'a', data: entraUser(12) },
        { method: 'POST', path: '/Users', bulkId: 'b', data: entraUser(13) },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const [adopted, created] = r.body.Operations;
    assert.equal(adopted.status, '201', JSON.stringify(adopted));
    assert.equal(adopted.location, `${server.base}/Users/${id}`);
    assert.equal(created.status, '201');
    assert.equal(wp.users.get(id)!.email, 'user12@contoso.com');
    assert.equal(wp.users.get(id)!.links.get(CONNECTION), 'ext-12');
    assert.equal(wp.users.size, 2);
  });

  it('the adopted user keeps what the POST leaves out of the map, and gets what it names', async () => {
    const id = wp.addLocalUser('user14@contoso.com', 'user14@contoso.com');
    wp.users.get(id)!.meta.unmapped = 'kept';
    policy(true);
    const r = await server.call('POST', '/Users', entraUser(14));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(wp.users.get(id)!.meta.unmapped, 'kept');
    assert.equal(wp.users.get(id)!.meta.department, 'Sales');
    assert.equal(r.body[ENTERPRISE].employeeNumber, 'E14');
  });
});
