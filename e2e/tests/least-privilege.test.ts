// Attacks on a running stack that must fail, each asserting that nothing changed: a SCIM token
// trying to take over the sidecar's own service account, the service credential used against
// WordPress's core routes, role rules that would grant the service role or a privileged role,
// and a role rule meant for one connection reached through another connection's token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, restUrl, scimRequest, wpLogin } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';
import { wpEval } from './peer-support.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

let stack: Stack;
let serviceId: number;
let serviceEmail: string;

before(
  async () => {
    stack = await startStack({ name: 'least-privilege' });
    const service = await wpEval<{ id: number; email: string }>(
      stack,
      `$u = get_user_by( 'login', ${JSON.stringify(stack.wordpress.appUser)} );
       echo wp_json_encode( array( 'id' => $u->ID, 'email' => $u->user_email ) );`,
    );
    serviceId = service.id;
    serviceEmail = service.email;
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
});

/** What a takeover of an account would change: its row, roles, capabilities, app passwords. */
async function fingerprint(id: number): Promise<Json> {
  return wpEval(
    stack,
    `global $wpdb;
     $row = $wpdb->get_row( $wpdb->prepare( "SELECT user_login, user_pass, user_email FROM {$wpdb->users} WHERE ID = %d", ${id} ), ARRAY_A );
     $caps = get_user_meta( ${id}, $wpdb->prefix . 'capabilities', true );
     $apps = get_user_meta( ${id}, '_application_passwords', true );
     echo wp_json_encode( array( 'row' => $row, 'caps' => $caps, 'apps' => $apps, 'disabled' => get_user_meta( ${id}, 'usersync_disabled', true ) ) );`,
  );
}

async function putConfig(body: unknown) {
  return request<Json>(restUrl(stack, 'usersync/v1/config'), {
    method: 'PUT',
    basic: asAdmin(stack),
    body,
  });
}

async function rolesOf(id: string | number): Promise<string[]> {
  return wpEval<string[]>(
    stack,
    `echo wp_json_encode( array_values( get_userdata( ${id} )->roles ) );`,
  );
}

const scim = (method: string, route: string, body?: unknown) =>
  scimRequest(stack, method, route, body);

describe('a SCIM token cannot take over the service account', () => {
  test('POST /Users with its login, email and a password adopts nothing, even with touchUnlinked on', async () => {
    const config = await putConfig({
      deprovision: { touchUnlinked: true, touchAdministrators: false },
    });
    assert.equal(config.status, 200, config.text);
    const before = await fingerprint(serviceId);

    const password = 'Taken-over-2026!';
    const answer = await scim('POST', '/Users', {
      schemas: [USER],
      userName: stack.wordpress.appUser,
      emails: [{ value: serviceEmail, primary: true, type: 'work' }],
      password,
      active: true,
    });
    // The IdP learns that the userName is taken, not whose it is or what that account is.
    assert.equal(answer.status, 409, answer.text);
    assert.equal(answer.body.scimType, 'uniqueness', answer.text);
    assert.doesNotMatch(answer.body.detail, /service|administrator|managed|linked|touchUnlinked/i);

    const disable = await scim('POST', '/Users', {
      schemas: [USER],
      userName: stack.wordpress.appUser,
      emails: [{ value: serviceEmail, primary: true }],
      active: false,
    });
    assert.ok(disable.status >= 400 && disable.status < 500, disable.text);

    assert.deepEqual(await fingerprint(serviceId), before);
    const login = await wpLogin(stack, stack.wordpress.appUser, password);
    assert.ok(
      !login.cookies.some((cookie) => cookie.startsWith('wordpress_logged_in_')),
      'the chosen password does not sign in',
    );
    // The sidecar still works with its credential.
    const list = await scim('GET', '/Users?startIndex=1&count=2');
    assert.equal(list.status, 200, list.text);
  });
});

describe('the service credential is no stronger than a subscriber in core routes', () => {
  test('it cannot promote itself, edit an administrator, create or delete users', async () => {
    const adminId = await wpEval<number>(
      stack,
      `echo (int) get_user_by( 'login', ${JSON.stringify(stack.wordpress.adminUser)} )->ID;`,
    );
    const beforeService = await fingerprint(serviceId);
    const beforeAdmin = await fingerprint(adminId);
    const asSidecar = asService(stack);

    const promote = await request(restUrl(stack, `wp/v2/users/${serviceId}`), {
      method: 'POST',
      basic: asSidecar,
      body: { roles: ['usersync_service', 'administrator'] },
    });
    assert.equal(promote.status, 403, promote.text);
    const promoteMe = await request(restUrl(stack, 'wp/v2/users/me'), {
      method: 'POST',
      basic: asSidecar,
      body: { roles: ['usersync_service', 'administrator'] },
    });
    assert.equal(promoteMe.status, 403, promoteMe.text);
    const editAdmin = await request(restUrl(stack, `wp/v2/users/${adminId}`), {
      method: 'POST',
      basic: asSidecar,
      body: { password: 'Taken-over-2026!' },
    });
    assert.equal(editAdmin.status, 403, editAdmin.text);
    const create = await request(restUrl(stack, 'wp/v2/users'), {
      method: 'POST',
      basic: asSidecar,
      body: { username: 'mallory', email: 'mallory@example.org', password: 'Taken-over-2026!' },
    });
    assert.equal(create.status, 403, create.text);
    const remove = await request(
      `${restUrl(stack, `wp/v2/users/${adminId}`)}?force=true&reassign=${serviceId}`,
      { method: 'DELETE', basic: asSidecar },
    );
    assert.equal(remove.status, 403, remove.text);
    const list = await request(`${restUrl(stack, 'wp/v2/users')}?context=edit`, {
      basic: asSidecar,
    });
    assert.equal(list.status, 403, list.text);

    assert.deepEqual(await fingerprint(serviceId), beforeService);
    assert.deepEqual(await fingerprint(adminId), beforeAdmin);
  });
});

describe('role rules', () => {
  test('no rule grants the service role, or a role that can promote users, unless administrators are allowed', async () => {
    await wpEval(
      stack,
      `add_role( 'site_operator', 'Site operator', array( 'read' => true, 'promote_users' => true ) ); echo 'null';`,
    );
    const service = await putConfig({
      roleMap: { rules: [{ group: 'Staff', role: 'usersync_service' }], allowAdministrator: true },
    });
    assert.equal(service.status, 400, service.text);
    assert.ok(service.body.data.params['roleMap[rules][0][role]'], service.text);

    const operator = await putConfig({
      roleMap: { rules: [{ group: 'Staff', role: 'site_operator' }], allowAdministrator: false },
    });
    assert.equal(operator.status, 400, operator.text);
    assert.match(operator.body.data.params['roleMap[rules][0][role]'], /site_operator/);

    const stored = await request<Json>(restUrl(stack, 'usersync/v1/config'), {
      basic: asAdmin(stack),
    });
    assert.deepEqual(
      stored.body.roleMap.rules.map((rule: Json) => rule.role),
      [],
      'nothing was stored',
    );
  });

  test('a rule scoped to one connection ignores the same group name sent by another connection', async () => {
    const token = await request<Json>(restUrl(stack, 'usersync/v1/tokens'), {
      method: 'POST',
      basic: asAdmin(stack),
      body: { name: 'Entra production' },
    });
    assert.equal(token.status, 201, token.text);
    const entra = token.body.connection as string;
    const config = await putConfig({
      roleMap: {
        rules: [{ group: 'WP Admins', role: 'administrator', priority: 1, connections: [entra] }],
        defaultRole: 'subscriber',
        allowAdministrator: true,
      },
    });
    assert.equal(config.status, 200, config.text);

    // The local IdP's token: a group "wp admins" gives its member nothing.
    const local = await scim('POST', '/Users', { schemas: [USER], userName: 'lp.local' });
    assert.equal(local.status, 201, local.text);
    const localGroup = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'wp admins',
      members: [{ value: local.body.id }],
    });
    assert.equal(localGroup.status, 201, localGroup.text);
    assert.deepEqual(await rolesOf(local.body.id), ['subscriber']);

    // Entra's token: the same name, any case, is the rule's group.
    const entraScim = (method: string, route: string, body: unknown) =>
      scimRequest(stack, method, route, body, { authorization: `Bearer ${token.body.token}` });
    const member = await entraScim('POST', '/Users', { schemas: [USER], userName: 'lp.entra' });
    assert.equal(member.status, 201, member.text);
    const group = await entraScim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'wp admins',
      members: [{ value: member.body.id }],
    });
    assert.equal(group.status, 201, group.text);
    assert.deepEqual(await rolesOf(member.body.id), ['administrator']);
  });
});
