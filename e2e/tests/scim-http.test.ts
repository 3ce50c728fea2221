// SCIM 2.0 end to end: an identity provider's requests to the stack's real sidecar process,
// with the bearer token WordPress issued, written into the real WordPress through the
// plugin. The Entra ID and Okta request sequences, groups mapped to roles, the audit log,
// profile pictures and biographies, BuddyPress targets refused without BuddyPress, the
// per-token rate limit, token revocation, and malformed requests that write nothing. A
// disabled user must not be able to sign in: that is checked on wp-login.php itself.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, eventually, restUrl, wpLogin } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const SOURCE = 'scim:Entra production';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

interface Snapshot {
  id: number;
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  description?: string;
  avatarUrl?: string | null;
  roles: string[];
  active: boolean;
  linked: boolean;
  externalId: string | null;
  version: string;
  meta: Record<string, unknown>;
}

interface ScimAnswer {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
}

let stack: Stack;

before(
  async () => {
    stack = await startStack({ name: 'scim-http', tokenName: 'Entra production' });
    // Test sites turn avatars off (no Gravatar offline); this site shows them so the REST
    // API's avatar_urls can be checked.
    fs.writeFileSync(
      path.join(stack.wordpress.dir, 'wp-content', 'mu-plugins', 'zz-show-avatars.php'),
      "<?php\nadd_filter( 'pre_option_show_avatars', static fn() => '1', 20 );\n",
    );
    // An enterprise attribute fills the biography. Set before the first SCIM request, so the
    // sidecar's cached attribute map has it from the start.
    const current = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
      basic: asAdmin(stack),
    });
    const config = await putConfig({
      attributeMap: [
        ...current.body.attributeMap,
        {
          source: `${ENTERPRISE}:division`,
          target: 'description',
          direction: 'both',
          transform: 'none',
          default: null,
        },
      ],
    });
    assert.equal(config.status, 200, config.text);
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
});

/** A SCIM request to the stack's sidecar. */
async function scim(
  method: string,
  route: string,
  body?: unknown,
  options: {
    headers?: Record<string, string>;
    raw?: string;
    token?: string | null;
    on?: Stack;
  } = {},
): Promise<ScimAnswer> {
  const on = options.on ?? stack;
  const token = options.token === undefined ? on.sidecar.scimToken : options.token;
  const headers: Record<string, string> = {
    ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
    ...(body !== undefined || options.raw !== undefined
      ? { 'content-type': 'application/scim+json' }
      : {}),
    ...options.headers,
  };
  const response = await fetch(`${on.sidecar.scimUrl}${route}`, {
    method,
    headers,
    body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let json: Json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, body: json, text };
}

const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });

function assertScimError(r: ScimAnswer, status: number, scimType?: string) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get('content-type') ?? '', /^application\/scim\+json/);
  assert.deepEqual(r.body?.schemas, [ERROR], r.text);
  assert.equal(r.body.status, String(status));
  assert.equal(typeof r.body.detail, 'string');
  if (scimType) assert.equal(r.body.scimType, scimType, r.text);
}

function entraUser(n: number | string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER, ENTERPRISE],
    externalId: `aad-${n}`,
    userName: `user${n}@contoso.example`,
    active: true,
    displayName: `User ${n}`,
    emails: [{ primary: true, type: 'work', value: `user${n}@contoso.example` }],
    name: { givenName: `Given${n}`, familyName: `Family${n}`, formatted: `Given${n} Family${n}` },
    title: 'Engineer',
    [ENTERPRISE]: { department: 'Research', employeeNumber: `E${n}` },
    ...extra,
  };
}

/** The WordPress user as the plugin shows it to the connection. */
async function wpUser(id: string | number): Promise<Snapshot | undefined> {
  const answer = await request<{ users: Snapshot[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?connection=${connection()}&id=${id}`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.users[0];
}

const connection = () => stack.sidecar.scimConnection ?? 'entra-production';

async function userCount(): Promise<number> {
  const answer = await request(`${restUrl(stack, 'wp/v2/users')}?context=edit&per_page=1`, {
    basic: asAdmin(stack),
  });
  assert.equal(answer.status, 200, answer.text);
  return Number(answer.headers.get('x-wp-total'));
}

async function groupVersion(id: string): Promise<string | undefined> {
  const answer = await request<{ groups: { version: string }[] }>(
    `${restUrl(stack, 'usersync/v1/groups')}?connection=${connection()}&id=${id}`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.groups[0]?.version;
}

async function groupCount(): Promise<number> {
  const answer = await request<{ total: number }>(
    `${restUrl(stack, 'usersync/v1/groups')}?connection=${connection()}&members=0`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.total;
}

/** Signs in on wp-login.php the way a browser does. */
async function signIn(login: string, password: string) {
  const { status, cookies, text } = await wpLogin(stack, login, password);
  const loggedIn = status === 302 && cookies.some((c) => c.startsWith('wordpress_logged_in_'));
  return { loggedIn, text };
}

async function assertCannotSignIn(login: string, password: string) {
  const attempt = await signIn(login, password);
  assert.equal(attempt.loggedIn, false, 'a disabled user must not get a session');
  assert.match(attempt.text, /Your account has been disabled\. Contact the site administrator\./);
}

interface AuditEntry {
  actor: string;
  source: string;
  action: string;
  userId: number | null;
  userLogin: string;
  fields: string[];
  result: string;
  error: string | null;
}

async function audit(filters: Record<string, string>): Promise<AuditEntry[]> {
  const query = new URLSearchParams({ order: 'asc', per_page: '100', ...filters });
  const answer = await request<AuditEntry[]>(`${restUrl(stack, 'usersync/v1/audit')}?${query}`, {
    basic: asAdmin(stack),
  });
  assert.equal(answer.status, 200, answer.text);
  return answer.body;
}

async function putConfig(body: unknown) {
  return request<Json>(restUrl(stack, 'usersync/v1/config'), {
    method: 'PUT',
    basic: asAdmin(stack),
    body,
  });
}

describe('Entra ID through the sidecar', () => {
  let id: string;
  const password = 'Entra-Pass-2024!';

  test('discovery answers with the SCIM base of the sidecar', async () => {
    const r = await scim('GET', '/ServiceProviderConfig');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.patch.supported, true);
    assert.equal(r.body.bulk.supported, true);
    assert.equal(r.body.filter.supported, true);
    assert.equal(r.body.meta.location, `${stack.sidecar.scimUrl}/ServiceProviderConfig`);
  });

  test('the lookups before a create are empty lists', async () => {
    let r = await scim('GET', `/Users?${q('userName eq "user1@contoso.example"')}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.schemas, [LIST]);
    assert.equal(r.body.totalResults, 0);
    assert.deepEqual(r.body.Resources, []);
    r = await scim('GET', `/Users?${q('externalId eq "aad-1"')}`);
    assert.equal(r.body.totalResults, 0);
  });

  test('POST creates the WordPress user: 201, Location, ETag, mapped fields', async () => {
    const r = await scim('POST', '/Users', entraUser(1));
    assert.equal(r.status, 201, r.text);
    id = r.body.id;
    assert.equal(r.headers.get('location'), `${stack.sidecar.scimUrl}/Users/${id}`);
    assert.equal(r.headers.get('etag'), r.body.meta.version);
    assert.match(r.body.meta.version, /^W\/"[0-9a-f]{16}"$/);
    assert.equal(r.body.userName, 'user1@contoso.example');
    assert.equal(r.body.active, true);
    assert.equal(r.body.password, undefined);
    const user = await wpUser(id);
    assert.ok(user);
    assert.equal(user.login, 'user1@contoso.example');
    assert.equal(user.email, 'user1@contoso.example');
    assert.equal(user.firstName, 'Given1');
    assert.equal(user.lastName, 'Family1');
    assert.equal(user.displayName, 'User 1');
    assert.equal(user.externalId, 'aad-1');
    assert.equal(user.meta.department, 'Research');
    assert.equal(user.meta.employee_number, 'E1');
    assert.equal(user.meta.title, 'Engineer');
    assert.deepEqual(user.roles, ['subscriber']);
  });

  test('a retried POST is 409 uniqueness and creates nothing', async () => {
    const before = await userCount();
    const r = await scim('POST', '/Users', entraUser(1));
    assertScimError(r, 409, 'uniqueness');
    assert.equal(await userCount(), before);
  });

  test('the lookups find the user, userName in another case, and by externalId', async () => {
    let r = await scim('GET', `/Users?${q('userName eq "USER1@Contoso.Example"')}`);
    assert.equal(r.body.totalResults, 1, r.text);
    assert.equal(r.body.Resources[0].id, id);
    r = await scim('GET', `/Users?${q('externalId eq "aad-1"')}&attributes=userName`);
    assert.equal(r.body.totalResults, 1);
    assert.deepEqual(Object.keys(r.body.Resources[0]).sort(), ['id', 'schemas', 'userName']);
  });

  test('PATCH with capitalised ops, a value path, the manager and a path-less Replace', async () => {
    const r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch(
        { op: 'Replace', path: 'name.givenName', value: 'Renamed' },
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'renamed1@contoso.example' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: 'mgr-42' },
        {
          op: 'Replace',
          value: { [`${ENTERPRISE}:department`]: 'Sales', 'name.familyName': 'Changed' },
        },
        { op: 'Replace', path: 'password', value: password },
      ),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name.givenName, 'Renamed');
    assert.equal(r.body.name.familyName, 'Changed');
    assert.deepEqual(r.body[ENTERPRISE].manager, { value: 'mgr-42' });
    assert.equal(r.body[ENTERPRISE].department, 'Sales');
    assert.equal(r.body.password, undefined);
    const user = await wpUser(id);
    assert.equal(user?.firstName, 'Renamed');
    assert.equal(user?.lastName, 'Changed');
    assert.equal(user?.email, 'renamed1@contoso.example');
    assert.equal(user?.meta.department, 'Sales');
    // The manager has no WordPress field: it reads back from what Entra sent.
    assert.deepEqual((await scim('GET', `/Users/${id}`)).body[ENTERPRISE].manager, {
      value: 'mgr-42',
    });
    assert.equal((await signIn('user1@contoso.example', password)).loggedIn, true);
  });

  test('active "False" disables the user: no roles, no sign-in; "True" restores both', async () => {
    let r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'Replace', path: 'active', value: 'False' }),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.active, false);
    let user = await wpUser(id);
    assert.equal(user?.active, false);
    assert.deepEqual(user?.roles, []);
    await assertCannotSignIn('user1@contoso.example', password);
    await assertCannotSignIn('renamed1@contoso.example', password);
    r = await scim('GET', `/Users?${q('active eq false')}`);
    assert.ok(r.body.Resources.some((u: Json) => u.id === id));

    r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'Replace', path: 'active', value: 'True' }),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.active, true);
    user = await wpUser(id);
    assert.deepEqual(user?.roles, ['subscriber']);
    assert.equal((await signIn('user1@contoso.example', password)).loggedIn, true);
  });

  test('If-Match with a stale version is 412 and changes nothing', async () => {
    const before = await wpUser(id);
    const r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'Replace', path: 'displayName', value: 'Stale' }),
      { headers: { 'if-match': 'W/"0000000000000000"' } },
    );
    assertScimError(r, 412);
    assert.equal((await wpUser(id))?.version, before?.version);
  });

  test('If-Match with the current version is honoured', async () => {
    const current = await scim('GET', `/Users/${id}`);
    const r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'Replace', path: 'displayName', value: 'Current' }),
      { headers: { 'if-match': current.headers.get('etag')! } },
    );
    assert.equal(r.status, 200, r.text);
    assert.equal((await wpUser(id))?.displayName, 'Current');
  });

  test('DELETE (30 days later) follows the disable policy: 204, gone for Entra, no sign-in', async () => {
    const r = await scim('DELETE', `/Users/${id}`);
    assert.equal(r.status, 204, r.text);
    assert.equal(r.text, '');
    assertScimError(await scim('GET', `/Users/${id}`), 404);
    assert.equal((await scim('GET', `/Users?${q('externalId eq "aad-1"')}`)).body.totalResults, 0);
    const user = await wpUser(id);
    assert.ok(user, 'the WordPress user and their content stay');
    assert.equal(user.active, false);
    assert.equal(user.linked, false);
    await assertCannotSignIn('user1@contoso.example', password);
  });

  test('every write is in the audit log with the token name and the result', async () => {
    const entries = await audit({ source: SOURCE, user: String(id) });
    const actions = entries.map((e) => `${e.action}:${e.result}`);
    assert.deepEqual(
      actions.filter((a) => a.endsWith(':success')),
      [
        'create:success',
        'update:success',
        'disable:success',
        'enable:success',
        'update:success',
        'disable:success',
      ],
      JSON.stringify(entries, null, 1),
    );
    for (const entry of entries) {
      assert.equal(entry.actor, 'sidecar');
      assert.equal(entry.source, SOURCE);
      assert.equal(entry.userId, Number(id));
    }
    const create = entries[0]!;
    assert.ok(create.fields.includes('user_login') && create.fields.includes('meta:department'));
    const renamed = entries.find((e) => e.action === 'update')!;
    assert.ok(renamed.fields.includes('first_name'), renamed.fields.join());
    const failures = await audit({ source: SOURCE, result: 'failure', action: 'create' });
    assert.ok(
      failures.some(
        (e) => e.userLogin === 'user1@contoso.example' && /already exists/.test(e.error ?? ''),
      ),
      'the retried POST is audited as a failure',
    );
    // Passwords are never written to the log.
    assert.ok(!JSON.stringify(entries).includes(password));
  });
});

describe('Okta through the sidecar', () => {
  const password = 'Tru5t-No-1!';
  let id: string;

  test('the connection test: startIndex=1&count=2', async () => {
    await scim('POST', '/Users', entraUser('okta-seed-1'));
    await scim('POST', '/Users', entraUser('okta-seed-2'));
    await scim('POST', '/Users', entraUser('okta-seed-3'));
    const r = await scim('GET', '/Users?startIndex=1&count=2');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.schemas, [LIST]);
    assert.equal(r.body.startIndex, 1);
    assert.equal(r.body.itemsPerPage, 2);
    assert.equal(r.body.Resources.length, 2);
    assert.ok(r.body.totalResults >= 3);
    const next = await scim('GET', '/Users?startIndex=3&count=2');
    assert.notEqual(next.body.Resources[0].id, r.body.Resources[0].id);
    const onlyTotal = await scim('GET', '/Users?count=0');
    assert.equal(onlyTotal.body.totalResults, r.body.totalResults);
    assert.deepEqual(onlyTotal.body.Resources ?? [], []);
  });

  test('create with a password, then look it up with the userName in another case', async () => {
    let r = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'Fox.Mulder@fbi.example',
      name: { givenName: 'Fox', familyName: 'Mulder' },
      emails: [{ primary: true, value: 'fox.mulder@fbi.example', type: 'work' }],
      displayName: 'Fox Mulder',
      locale: 'en-US',
      externalId: '00u-okta-1',
      password,
      active: true,
    });
    assert.equal(r.status, 201, r.text);
    id = r.body.id;
    r = await scim('GET', `/Users?${q('userName eq "fox.mulder@FBI.EXAMPLE"')}`);
    assert.equal(r.body.totalResults, 1, r.text);
    assert.equal(r.body.Resources[0].id, id);
    assert.equal(r.body.Resources[0].userName, 'Fox.Mulder@fbi.example', 'as Okta sent it');
    assert.equal((await signIn('Fox.Mulder@fbi.example', password)).loggedIn, true);
  });

  test('PUT with the full user replaces it', async () => {
    const r = await scim('PUT', `/Users/${id}`, {
      schemas: [USER],
      id,
      userName: 'Fox.Mulder@fbi.example',
      name: { givenName: 'Fox', familyName: 'Mulder' },
      emails: [{ primary: true, value: 'agent.mulder@fbi.example', type: 'work' }],
      displayName: 'Agent Mulder',
      externalId: '00u-okta-1',
      active: true,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.displayName, 'Agent Mulder');
    assert.equal(r.body.locale, undefined, 'PUT replaces: what it leaves out is gone');
    const user = await wpUser(id);
    assert.equal(user?.displayName, 'Agent Mulder');
    assert.equal(user?.email, 'agent.mulder@fbi.example');
    assert.equal((await signIn('Fox.Mulder@fbi.example', password)).loggedIn, true);
  });

  test('deactivation is active false: disabled, sessions gone, sign-in refused', async () => {
    const r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'replace', value: { active: false } }),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.active, false);
    const user = await wpUser(id);
    assert.equal(user?.active, false);
    assert.deepEqual(user?.roles, []);
    await assertCannotSignIn('Fox.Mulder@fbi.example', password);
    await assertCannotSignIn('agent.mulder@fbi.example', password);
    // Okta reads the user back as it expects: still there, inactive.
    const back = await scim('GET', `/Users/${id}`);
    assert.equal(back.status, 200);
    assert.equal(back.body.active, false);
  });
});

describe('groups mapped to roles', () => {
  test("a role map rule gives a group's members its role; leaving the group takes it away", async () => {
    const config = await putConfig({
      roleMap: {
        rules: [{ group: 'WP Editors', role: 'editor', priority: 10 }],
        defaultRole: 'subscriber',
        allowAdministrator: false,
      },
    });
    assert.equal(config.status, 200, config.text);
    const a = (await scim('POST', '/Users', entraUser('g1'))).body.id;
    const b = (await scim('POST', '/Users', entraUser('g2'))).body.id;
    let r = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'WP Editors',
      externalId: 'grp-editors',
      members: [{ value: a }],
    });
    assert.equal(r.status, 201, r.text);
    const group = r.body.id;
    assert.equal(r.headers.get('location'), `${stack.sidecar.scimUrl}/Groups/${group}`);
    assert.deepEqual((await wpUser(a))?.roles, ['editor']);
    assert.deepEqual((await wpUser(b))?.roles, ['subscriber']);

    // Entra sends membership changes as capitalised Add/Remove batches.
    r = await scim(
      'PATCH',
      `/Groups/${group}`,
      patch(
        { op: 'Add', path: 'members', value: [{ value: b }] },
        { op: 'Remove', path: `members[value eq "${a}"]` },
      ),
    );
    assert.ok(r.status === 200 || r.status === 204, r.text);
    assert.deepEqual((await wpUser(a))?.roles, ['subscriber']);
    assert.deepEqual((await wpUser(b))?.roles, ['editor']);

    r = await scim('GET', `/Groups?${q('displayName eq "wp editors"')}&excludedAttributes=members`);
    assert.equal(r.body.totalResults, 1, r.text);
    assert.equal(r.body.Resources[0].members, undefined);
    r = await scim('GET', `/Groups/${group}`);
    assert.deepEqual(
      r.body.members.map((m: Json) => m.value),
      [String(b)],
    );
    r = await scim('GET', `/Users/${b}`);
    assert.deepEqual(
      r.body.groups.map((g: Json) => g.display),
      ['WP Editors'],
    );

    // Deleting the group takes its role from its members.
    assert.equal((await scim('DELETE', `/Groups/${group}`)).status, 204);
    assert.deepEqual((await wpUser(b))?.roles, ['subscriber']);
    assertScimError(await scim('GET', `/Groups/${group}`), 404);
  });

  test('no SCIM request grants administrator unless the role map allows it', async () => {
    const refused = await putConfig({
      roleMap: { rules: [{ group: 'Admins', role: 'administrator' }], allowAdministrator: false },
    });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.code, 'usersync_invalid_role_map');
    // The SCIM roles attribute is not a way around the role map.
    const r = await scim(
      'POST',
      '/Users',
      entraUser('root', { roles: [{ value: 'administrator', primary: true }] }),
    );
    assert.equal(r.status, 201, r.text);
    const g = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'Admins',
      members: [{ value: r.body.id }],
    });
    assert.equal(g.status, 201, g.text);
    assert.deepEqual((await wpUser(r.body.id))?.roles, ['subscriber']);
  });
});

describe('/Bulk through the sidecar', () => {
  test('users and a group that refers to them, in one request', async () => {
    const before = await userCount();
    const r = await scim('POST', '/Bulk', {
      schemas: [BULK],
      failOnErrors: 5,
      Operations: [
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'team',
          data: {
            schemas: [GROUP],
            displayName: 'Bulk team',
            members: [{ value: 'bulkId:b0' }, { value: 'bulkId:b1' }],
          },
        },
        ...Array.from({ length: 20 }, (_, i) => ({
          method: 'POST',
          path: '/Users',
          bulkId: `b${i}`,
          data: entraUser(`bulk${i}`),
        })),
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      r.body.Operations.map((o: Json) => o.status),
      Array(21).fill('201'),
    );
    assert.equal(await userCount(), before + 20);
    const groupId = r.body.Operations[0].location.split('/').pop();
    assert.equal((await scim('GET', `/Groups/${groupId}`)).body.members.length, 2);
  });
});

describe('profile picture and biography', () => {
  const photo = 'https://img.contoso.example/people/ada.png';
  let id: string;

  const wpRestUser = async () => {
    const answer = await request<Json>(`${restUrl(stack, `wp/v2/users/${id}`)}?context=edit`, {
      basic: asAdmin(stack),
    });
    assert.equal(answer.status, 200, answer.text);
    return answer.body;
  };

  test('photos is the WordPress profile picture; the mapped attribute its biography', async () => {
    const r = await scim(
      'POST',
      '/Users',
      entraUser('ada', {
        photos: [{ value: photo, type: 'photo', primary: true }],
        [ENTERPRISE]: { department: 'Research', division: 'Analytical Engines & Co' },
      }),
    );
    assert.equal(r.status, 201, r.text);
    id = r.body.id;
    assert.deepEqual(r.body.photos, [{ value: photo, type: 'photo', primary: true }]);
    const user = await wpRestUser();
    assert.equal(user.description, 'Analytical Engines &amp; Co');
    const urls = Object.values(user.avatar_urls as Record<string, string>);
    assert.ok(urls.length >= 3, JSON.stringify(user.avatar_urls));
    for (const url of urls) assert.equal(url, photo);
    const snapshot = await wpUser(id);
    assert.equal(snapshot?.avatarUrl, photo);
    assert.equal(snapshot?.description, 'Analytical Engines & Co');
    // What Entra sent reads back unchanged.
    const back = await scim('GET', `/Users/${id}`);
    assert.equal(back.body[ENTERPRISE].division, 'Analytical Engines & Co');
  });

  test('a new photo replaces the picture; removing it brings back the default', async () => {
    const next = 'https://img.contoso.example/people/ada-2024.jpg';
    let r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'Replace', path: 'photos[type eq "photo"].value', value: next }),
    );
    assert.equal(r.status, 200, r.text);
    let user = await wpRestUser();
    for (const url of Object.values(user.avatar_urls as Record<string, string>))
      assert.equal(url, next);

    r = await scim('PATCH', `/Users/${id}`, patch({ op: 'Remove', path: 'photos' }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.photos, undefined);
    user = await wpRestUser();
    for (const url of Object.values(user.avatar_urls as Record<string, string>))
      assert.doesNotMatch(url, /contoso/);
    assert.equal((await wpUser(id))?.avatarUrl, null);
    const entries = await audit({ source: SOURCE, user: String(id), action: 'update' });
    assert.equal(entries.filter((e) => e.fields.includes('avatar')).length, 2);
  });

  test('a photo that is not an http(s) URL is refused and nothing is written', async () => {
    const before = await wpUser(id);
    // Not a URL at all: SCIM's own validation refuses it.
    let r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch({
        op: 'Add',
        path: 'photos',
        value: [{ value: 'javascript:alert(1)', type: 'photo' }],
      }),
    );
    assertScimError(r, 400, 'invalidValue');
    // A URL WordPress will not serve as a picture: the plugin refuses it.
    r = await scim(
      'PATCH',
      `/Users/${id}`,
      patch({
        op: 'Add',
        path: 'photos',
        value: [{ value: 'ftp://files.contoso.example/ada.png', type: 'photo' }],
      }),
    );
    assertScimError(r, 400, 'invalidValue');
    assert.match(r.body.detail, /avatarUrl must be an http or https URL/);
    assert.equal((await wpUser(id))?.version, before?.version);
  });
});

describe('BuddyPress profile fields without BuddyPress', () => {
  test('an xprofile: target is refused with a clear error and the map stays as it was', async () => {
    const current = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
      basic: asAdmin(stack),
    });
    const r = await putConfig({
      attributeMap: [
        ...current.body.attributeMap,
        {
          source: `${ENTERPRISE}:costCenter`,
          target: 'xprofile:Cost Center',
          direction: 'inbound',
          transform: 'none',
          default: null,
        },
      ],
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.code, 'usersync_xprofile_unavailable');
    assert.match(r.body.message, /BuddyPress/);
    assert.match(r.body.message, /xprofile:Cost Center/);
    const after = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
      basic: asAdmin(stack),
    });
    assert.deepEqual(after.body.attributeMap, current.body.attributeMap);
  });
});

describe('tokens', () => {
  test('a revoked token is refused with 401 within seconds; the other tokens keep working', async () => {
    const created = await request<Json>(restUrl(stack, 'usersync/v1/tokens'), {
      method: 'POST',
      basic: asAdmin(stack),
      body: { name: 'Okta preview', connection: connection() },
    });
    assert.equal(created.status, 201, created.text);
    const token: string = created.body.token;
    assert.equal(created.body.scimUrl, stack.sidecar.scimUrl);
    await eventually(
      async () =>
        assert.equal((await scim('GET', '/Users?count=1', undefined, { token })).status, 200),
      { what: 'the new token to work', timeoutMs: 15_000 },
    );
    const revoked = await request<Json>(restUrl(stack, `usersync/v1/tokens/${created.body.id}`), {
      method: 'DELETE',
      basic: asAdmin(stack),
    });
    assert.equal(revoked.status, 200, revoked.text);
    const refused = await eventually(
      async () => {
        const r = await scim('GET', '/Users?count=1', undefined, { token });
        assert.equal(r.status, 401);
        return r;
      },
      { what: 'the revoked token to be refused', timeoutMs: 15_000, intervalMs: 250 },
    );
    assertScimError(refused, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer/);
    // Every route refuses it, writes included.
    const before = await userCount();
    assertScimError(await scim('POST', '/Users', entraUser('revoked'), { token }), 401);
    assertScimError(await scim('GET', '/ServiceProviderConfig', undefined, { token }), 401);
    assert.equal(await userCount(), before);
    assert.equal((await scim('GET', '/Users?count=1')).status, 200);
  });
});

describe('malformed requests against the real stack: a 4xx SCIM error each, nothing written', () => {
  let userId: string;
  let groupId: string;
  before(async () => {
    userId = (await scim('POST', '/Users', entraUser('target'))).body.id;
    groupId = (await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Target group' }))
      .body.id;
  });

  interface Case {
    name: string;
    method: string;
    route: string;
    body?: unknown;
    raw?: string;
    headers?: Record<string, string>;
    token?: string | null;
    status: number;
    scimType?: string;
  }
  const cases: Case[] = [
    { name: 'no token', method: 'GET', route: '/Users', token: null, status: 401 },
    { name: 'wrong token', method: 'GET', route: '/Users', token: 'us_wrong', status: 401 },
    {
      name: 'a Basic header',
      method: 'POST',
      route: '/Users',
      body: entraUser('basic'),
      headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
      status: 401,
    },
    {
      name: 'malformed JSON',
      method: 'POST',
      route: '/Users',
      raw: '{"userName":',
      status: 400,
      scimType: 'invalidSyntax',
    },
    {
      name: 'a JSON list',
      method: 'POST',
      route: '/Users',
      body: [entraUser('list')],
      status: 400,
      scimType: 'invalidSyntax',
    },
    {
      name: 'a JSON string',
      method: 'POST',
      route: '/Users',
      raw: '"user"',
      status: 400,
      scimType: 'invalidSyntax',
    },
    {
      name: 'an empty body',
      method: 'POST',
      route: '/Users',
      raw: '',
      status: 400,
      scimType: 'invalidSyntax',
    },
    {
      name: 'a form body',
      method: 'POST',
      route: '/Users',
      raw: 'userName=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
    },
    {
      name: 'XML',
      method: 'PUT',
      route: '/Users/USER',
      raw: '<User/>',
      headers: { 'content-type': 'application/xml' },
      status: 415,
    },
    {
      name: 'a body over 1 MB',
      method: 'POST',
      route: '/Users',
      body: entraUser('huge', { title: 'x'.repeat(1_100_000) }),
      status: 413,
    },
    {
      name: 'no schemas',
      method: 'POST',
      route: '/Users',
      body: { userName: 'nobody@x.example' },
      status: 400,
    },
    {
      name: 'an unknown schema',
      method: 'POST',
      route: '/Users',
      body: { schemas: [USER, 'urn:acme:2.0:User'], userName: 'acme@x.example' },
      status: 400,
    },
    {
      name: 'no userName',
      method: 'POST',
      route: '/Users',
      body: { schemas: [USER], displayName: 'x' },
      status: 400,
      scimType: 'invalidValue',
    },
    {
      name: 'an empty userName',
      method: 'POST',
      route: '/Users',
      body: { schemas: [USER], userName: '' },
      status: 400,
    },
    {
      name: 'userName as an object',
      method: 'POST',
      route: '/Users',
      body: { schemas: [USER], userName: { value: 'x' } },
      status: 400,
    },
    {
      name: 'an unknown attribute',
      method: 'POST',
      route: '/Users',
      body: entraUser('shoe', { shoeSize: 44 }),
      status: 400,
    },
    {
      name: 'an unknown sub-attribute',
      method: 'POST',
      route: '/Users',
      body: entraUser('sub', { name: { middle: 'x' } }),
      status: 400,
    },
    {
      name: 'active "sometimes"',
      method: 'POST',
      route: '/Users',
      body: entraUser('act', { active: 'sometimes' }),
      status: 400,
      scimType: 'invalidValue',
    },
    {
      name: 'emails not a list',
      method: 'POST',
      route: '/Users',
      body: entraUser('el', { emails: 'a@b.example' }),
      status: 400,
    },
    {
      name: 'two primary emails',
      method: 'POST',
      route: '/Users',
      body: entraUser('pp', {
        emails: [
          { value: 'a@pp.example', primary: true },
          { value: 'b@pp.example', primary: true },
        ],
      }),
      status: 400,
    },
    {
      name: 'an email WordPress refuses',
      method: 'POST',
      route: '/Users',
      body: entraUser('bad-email', { emails: [{ value: 'not-an-email', primary: true }] }),
      status: 400,
      scimType: 'invalidValue',
    },
    {
      name: 'an email another user has',
      method: 'POST',
      route: '/Users',
      body: entraUser('dup-email', {
        emails: [{ value: 'usertarget@contoso.example', primary: true }],
      }),
      status: 409,
      scimType: 'uniqueness',
    },
    {
      name: 'an externalId already linked',
      method: 'POST',
      route: '/Users',
      body: entraUser('dup-ext', { externalId: 'aad-target' }),
      status: 409,
      scimType: 'uniqueness',
    },
    {
      name: 'an empty password',
      method: 'POST',
      route: '/Users',
      body: entraUser('nopw', { password: '' }),
      status: 400,
    },
    {
      name: 'a filter cut short',
      method: 'GET',
      route: `/Users?${q('userName eq')}`,
      status: 400,
      scimType: 'invalidFilter',
    },
    {
      name: 'an unknown filter attribute',
      method: 'GET',
      route: `/Users?${q('shoeSize gt 40')}`,
      status: 400,
      scimType: 'invalidFilter',
    },
    {
      name: 'an unknown filter operator',
      method: 'GET',
      route: `/Users?${q('userName like "a"')}`,
      status: 400,
      scimType: 'invalidFilter',
    },
    {
      name: 'an unbalanced filter',
      method: 'GET',
      route: `/Users?${q('(userName eq "a"')}`,
      status: 400,
      scimType: 'invalidFilter',
    },
    {
      name: 'startIndex=first',
      method: 'GET',
      route: '/Users?startIndex=first',
      status: 400,
      scimType: 'invalidValue',
    },
    {
      name: 'sortOrder=up',
      method: 'GET',
      route: '/Users?sortBy=userName&sortOrder=up',
      status: 400,
    },
    { name: 'an unknown sortBy', method: 'GET', route: '/Users?sortBy=shoeSize', status: 400 },
    {
      name: 'attributes given twice',
      method: 'GET',
      route: '/Users?attributes=userName&attributes=emails',
      status: 400,
    },
    { name: 'an unknown user id', method: 'GET', route: '/Users/424242', status: 404 },
    { name: 'a user id that is not a number', method: 'GET', route: '/Users/abc', status: 404 },
    {
      name: 'PUT to an unknown id',
      method: 'PUT',
      route: '/Users/424242',
      body: entraUser('put'),
      status: 404,
    },
    {
      name: 'PATCH to an unknown id',
      method: 'PATCH',
      route: '/Users/424242',
      body: patch({ op: 'Replace', path: 'title', value: 'x' }),
      status: 404,
    },
    { name: 'DELETE of an unknown id', method: 'DELETE', route: '/Users/424242', status: 404 },
    {
      name: 'PUT without userName',
      method: 'PUT',
      route: '/Users/USER',
      body: { schemas: [USER], displayName: 'x' },
      status: 400,
    },
    {
      name: 'PUT with a stale If-Match',
      method: 'PUT',
      route: '/Users/USER',
      body: entraUser('target', { displayName: 'Stale' }),
      headers: { 'if-match': 'W/"0000000000000000"' },
      status: 412,
    },
    {
      name: 'PATCH without the PatchOp schema',
      method: 'PATCH',
      route: '/Users/USER',
      body: { schemas: [USER], Operations: [] },
      status: 400,
    },
    {
      name: 'PATCH without operations',
      method: 'PATCH',
      route: '/Users/USER',
      body: { schemas: [PATCH] },
      status: 400,
    },
    {
      name: 'PATCH op "upsert"',
      method: 'PATCH',
      route: '/Users/USER',
      body: patch({ op: 'upsert', path: 'title', value: 'x' }),
      status: 400,
    },
    {
      name: 'PATCH remove without path',
      method: 'PATCH',
      route: '/Users/USER',
      body: patch({ op: 'Remove' }),
      status: 400,
      scimType: 'noTarget',
    },
    {
      name: 'PATCH of the read-only id',
      method: 'PATCH',
      route: '/Users/USER',
      body: patch({ op: 'Replace', path: 'id', value: '1' }),
      status: 400,
      scimType: 'mutability',
    },
    {
      name: 'PATCH removing userName',
      method: 'PATCH',
      route: '/Users/USER',
      body: patch({ op: 'Remove', path: 'userName' }),
      status: 400,
      scimType: 'mutability',
    },
    {
      name: 'PATCH active "Maybe"',
      method: 'PATCH',
      route: '/Users/USER',
      body: patch({ op: 'Replace', path: 'active', value: 'Maybe' }),
      status: 400,
      scimType: 'invalidValue',
    },
    {
      name: 'PATCH with a broken value path',
      method: 'PATCH',
      route: '/Users/USER',
      body: patch({ op: 'Replace', path: 'emails[type eq]', value: 'x' }),
      status: 400,
    },
    {
      name: 'a Group without displayName',
      method: 'POST',
      route: '/Groups',
      body: { schemas: [GROUP] },
      status: 400,
    },
    {
      name: 'a Group with a user of no connection',
      method: 'POST',
      route: '/Groups',
      body: { schemas: [GROUP], displayName: 'Outsiders', members: [{ value: '1' }] },
      status: 400,
      scimType: 'invalidValue',
    },
    {
      name: 'a Group name in use',
      method: 'POST',
      route: '/Groups',
      body: { schemas: [GROUP], displayName: 'target group' },
      status: 409,
      scimType: 'uniqueness',
    },
    {
      name: 'a Group PATCH adding a member without value',
      method: 'PATCH',
      route: '/Groups/GROUP',
      body: patch({ op: 'Add', path: 'members', value: [{ display: 'x' }] }),
      status: 400,
    },
    {
      name: '.search without its schema',
      method: 'POST',
      route: '/Users/.search',
      body: { filter: 'userName pr' },
      status: 400,
    },
    {
      name: '.search with a bad filter',
      method: 'POST',
      route: '/.search',
      body: { schemas: [SEARCH], filter: 'nope eq 1' },
      status: 400,
      scimType: 'invalidFilter',
    },
    {
      name: 'Bulk without its schema',
      method: 'POST',
      route: '/Bulk',
      body: { Operations: [] },
      status: 400,
    },
    {
      name: 'Bulk without operations',
      method: 'POST',
      route: '/Bulk',
      body: { schemas: [BULK], Operations: [] },
      status: 400,
    },
    {
      name: 'Bulk with too many operations',
      method: 'POST',
      route: '/Bulk',
      body: {
        schemas: [BULK],
        Operations: Array.from({ length: 1001 }, (_, i) => ({
          method: 'DELETE',
          path: `/Users/${900000 + i}`,
        })),
      },
      status: 413,
      scimType: 'tooMany',
    },
    { name: 'an unknown endpoint', method: 'GET', route: '/Printers', status: 404 },
    { name: 'DELETE on the collection', method: 'DELETE', route: '/Users', status: 405 },
    {
      name: 'PUT on discovery',
      method: 'PUT',
      route: '/ServiceProviderConfig',
      body: {},
      status: 405,
    },
  ];

  test('there are at least 30 of them', () => assert.ok(cases.length >= 30, String(cases.length)));

  for (const c of cases) {
    test(`${c.status} ${c.name}`, async () => {
      const route = c.route.replace('USER', userId).replace('GROUP', groupId);
      const [users, groups, target, group] = await Promise.all([
        userCount(),
        groupCount(),
        wpUser(userId),
        groupVersion(groupId),
      ]);
      const r = await scim(c.method, route, c.body, {
        raw: c.raw,
        headers: c.headers,
        token: c.token,
      });
      assertScimError(r, c.status, c.scimType);
      assert.equal(await userCount(), users, 'no user was created or deleted');
      assert.equal(await groupCount(), groups, 'no group was created or deleted');
      assert.equal((await wpUser(userId))?.version, target?.version, 'the user is unchanged');
      assert.equal(await groupVersion(groupId), group, 'the group is unchanged');
    });
  }
});

describe('the per-token rate limit', () => {
  // One request a second per token, three at once.
  const RATE = 1;
  const BURST = 3;
  let limited: Stack;
  before(
    async () => {
      limited = await startStack({
        name: 'scim-rate',
        tokenName: 'Entra production',
        sidecarEnv: { SCIM_RATE_LIMIT: String(RATE), SCIM_RATE_BURST: String(BURST) },
      });
    },
    { timeout: 180_000 },
  );
  after(async () => {
    await limited?.stop();
  });

  const admin = () => ({
    user: limited.wordpress.adminUser,
    password: limited.wordpress.adminAppPassword,
  });
  /** Sends `count` requests at once; how long it took and what came back. */
  const burst = async (count: number, send: (i: number) => Promise<ScimAnswer>) => {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: count }, (_, i) => send(i)));
    return { answers, seconds: (Date.now() - started) / 1000 };
  };
  /** The most a token bucket lets through in `seconds`. */
  const allowed = (seconds: number) => BURST + Math.ceil(seconds * RATE) + 1;

  test('past the burst a token gets 429 with Retry-After; another token is not slowed', async () => {
    // A second token (another IdP), ready before the first one is throttled.
    const created = await request<Json>(`${limited.wordpress.url}/wp-json/usersync/v1/tokens`, {
      method: 'POST',
      basic: admin(),
      body: { name: 'Okta' },
    });
    assert.equal(created.status, 201, created.text);
    const okta = { on: limited, token: created.body.token as string };
    await eventually(
      async () => assert.equal((await scim('GET', '/Users?count=1', undefined, okta)).status, 200),
      { what: 'the second token to work', timeoutMs: 15_000, intervalMs: 1000 },
    );
    await new Promise((resolve) => setTimeout(resolve, (BURST / RATE) * 1000));

    // Twenty at once with the first token, and one with the second among them.
    const { answers, seconds } = await burst(21, (i) =>
      i === 10
        ? scim('GET', '/Users?count=1', undefined, okta)
        : scim('GET', '/Users?count=1', undefined, { on: limited }),
    );
    const other = answers.splice(10, 1)[0]!;
    assert.equal(other.status, 200, `the second token has its own bucket: ${other.text}`);
    const statuses = answers.map((a) => a.status);
    const passed = statuses.filter((s) => s === 200).length;
    assert.ok(passed >= BURST && passed <= allowed(seconds), `${statuses.join()} in ${seconds} s`);
    const tooMany = answers.filter((a) => a.status === 429);
    assert.ok(tooMany.length >= 1, statuses.join());
    assert.equal(passed + tooMany.length, answers.length, statuses.join());
    for (const r of tooMany) {
      assertScimError(r, 429);
      const retryAfter = Number(r.headers.get('retry-after'));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1,
        String(r.headers.get('retry-after')),
      );
    }

    // Waiting as told is enough.
    const wait = Number(tooMany[0]!.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 100));
    const again = await scim('GET', '/Users?count=1', undefined, { on: limited });
    assert.equal(again.status, 200, again.text);
  });

  test('a throttled write writes nothing', async () => {
    await new Promise((resolve) => setTimeout(resolve, (BURST / RATE) * 1000));
    const { answers, seconds } = await burst(12, (i) =>
      scim('POST', '/Users', entraUser(`rate${i}`), { on: limited }),
    );
    const statuses = answers.map((a) => a.status);
    const created = statuses.filter((s) => s === 201).length;
    const refused = statuses.filter((s) => s === 429).length;
    assert.equal(created + refused, answers.length, statuses.join());
    assert.ok(refused >= 1, statuses.join());
    assert.ok(created >= 1 && created <= allowed(seconds), `${statuses.join()} in ${seconds} s`);
    const count = await request(
      `${limited.wordpress.url}/wp-json/wp/v2/users?context=edit&per_page=1`,
      { basic: admin() },
    );
    // The admin, the service user and the users that got 201.
    assert.equal(Number(count.headers.get('x-wp-total')), 2 + created);
  });
});
