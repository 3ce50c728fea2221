// WordPress-to-WordPress, one way: a parent site pushes its users to a child site over the
// child's SCIM endpoint. Two real stacks, two sidecars; every change is made the way it happens
// on a real site (REST, wp-login.php, another plugin's PHP, an identity provider's SCIM) and
// checked on the child as WordPress stores it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, eventually, restUrl } from '../src/helpers.js';
import { request, type Stack } from '../src/stack/index.js';
import {
  arrives,
  audit,
  createUser,
  deleteUser,
  feed,
  findUser,
  issueToken,
  logIn,
  putConfig,
  resetPassword,
  ROLE_GROUPS,
  setPeers,
  settled,
  startSite,
  target,
  updateUser,
  wpEval,
} from './peer-support.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let parent: Stack;
let child: Stack;
let childToken: string;
let adaParentId: number;
let adaChildId: number;

before(
  async () => {
    [parent, child] = await Promise.all([startSite('parent'), startSite('child')]);
    // The child maps the role groups the parent sends, and deletes (reassigning content to its
    // admin) when the parent deletes.
    await putConfig(child, {
      ...ROLE_GROUPS,
      deprovision: {
        action: 'delete',
        reassignTo: 1,
        touchUnlinked: false,
        touchAdministrators: false,
      },
    });
    const token = await issueToken(child, 'Parent site', 'parent');
    childToken = token.token;
    await setPeers(child, [{ slug: 'parent', name: 'Parent site' }]);
    await setPeers(parent, [
      { slug: 'child', name: 'Child site', scimUrl: child.sidecar.scimUrl, token: childToken },
    ]);
    await eventually(async () => assert.ok((await target(parent, 'child')).cursor !== null), {
      what: 'the parent to start pushing',
    });
  },
  { timeout: 180_000 },
);

after(async () => {
  await Promise.all([parent?.stop(), child?.stop()]);
});

describe('one-way parent → child', () => {
  test('a user created on the parent appears on the child, linked to it both ways', async () => {
    adaParentId = await createUser(parent, {
      username: 'ada',
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      roles: ['editor'],
    });
    const onChild = await arrives(
      child,
      { login: 'ada' },
      'parent',
      (user) => {
        assert.ok(user, 'not on the child yet');
        assert.deepEqual(user.roles, ['editor']);
      },
      'ada on the child',
    );
    assert.ok(onChild);
    adaChildId = onChild.id;
    assert.equal(onChild.email, 'ada@example.com');
    assert.equal(onChild.firstName, 'Ada');
    assert.equal(onChild.lastName, 'Lovelace');
    assert.equal(onChild.linked, true);
    assert.equal(onChild.externalId, String(adaParentId), 'the child links the parent id');
    await eventually(
      async () => {
        const onParent = await findUser(parent, { id: adaParentId }, 'child');
        assert.equal(onParent?.externalId, String(adaChildId), 'the parent links the child id');
      },
      { what: 'the link on the parent' },
    );
    // Nothing was echoed: the child does not push, and its outbox says where the user came from.
    const rows = (await feed(child)).changes.filter((row) => row.userId === adaChildId);
    assert.ok(rows.length > 0);
    assert.ok(
      rows.every((row) => row.origin === 'parent'),
      JSON.stringify(rows),
    );
  });

  test('profile updates arrive: core fields and mapped meta written by another plugin', async () => {
    await updateUser(parent, adaParentId, { first_name: 'Augusta Ada', last_name: 'King' });
    // Another plugin (a membership profile page, say) writes mapped meta directly.
    await wpEval(parent, `update_user_meta(${adaParentId}, 'department', 'Analytical Engines');`);
    await arrives(
      child,
      { id: adaChildId },
      'parent',
      (user) => {
        assert.equal(user?.firstName, 'Augusta Ada');
        assert.equal(user?.lastName, 'King');
        assert.equal(user?.meta.department, 'Analytical Engines');
      },
      'the profile update on the child',
    );
  });

  test('meta outside the attribute map causes no request to the child', async () => {
    await settled(parent);
    const before = await target(parent, 'child');
    await wpEval(parent, `update_user_meta(${adaParentId}, 'favourite_colour', 'teal');`);
    await settled(parent);
    const afterwards = await target(parent, 'child');
    assert.equal(afterwards.counts.requests, before.counts.requests);
    assert.equal(afterwards.counts.notCovered, before.counts.notCovered + 1);
  });

  test('a role change arrives', async () => {
    await updateUser(parent, adaParentId, { roles: ['author'] });
    await arrives(
      child,
      { id: adaChildId },
      'parent',
      (user) => assert.deepEqual(user?.roles, ['author']),
      'the new role on the child',
    );
  });

  test('a password reset: not sent by default; with both sites opted in, the same password works on the child', async () => {
    await resetPassword(parent, 'ada', 'First new password 1!');
    assert.equal(await logIn(parent, 'ada', 'First new password 1!'), true);
    await settled(parent);
    assert.equal(
      await logIn(child, 'ada', 'First new password 1!'),
      false,
      'password hashes travel only when both sites enable it',
    );

    await setPeers(child, [{ slug: 'parent', name: 'Parent site', acceptPasswords: true }]);
    await setPeers(parent, [
      { slug: 'child', name: 'Child site', scimUrl: child.sidecar.scimUrl, sendPasswords: true },
    ]);
    await eventually(
      async () => {
        const t = await target(parent, 'child');
        assert.ok(t.cursor !== null);
      },
      { what: 'the parent to reload the peer' },
    );
    await resetPassword(parent, 'ada', 'Second new password 2!');
    await eventually(
      async () => assert.equal(await logIn(child, 'ada', 'Second new password 2!'), true),
      { what: 'the new password to work on the child', timeoutMs: 60_000 },
    );
    const entries = await audit(child, { action: 'password', user: String(adaChildId) });
    assert.ok(entries.some((e) => e.result === 'success' && e.source === 'peer:Parent site'));
    assert.ok(entries.every((e) => !JSON.stringify(e).includes('Second new password')));
  });

  test('disable and enable from an identity provider pass through the parent to the child', async () => {
    const entra = await issueToken(parent, 'Entra', 'entra');
    const scim = (method: string, path: string, body?: unknown) =>
      request<Record<string, unknown>>(`${parent.sidecar.scimUrl}${path}`, {
        method,
        bearer: entra.token,
        body,
        headers: { 'content-type': 'application/scim+json' },
      });
    const created = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'grace',
      externalId: 'entra-grace',
      name: { givenName: 'Grace', familyName: 'Hopper' },
      emails: [{ value: 'grace@example.com', primary: true, type: 'work' }],
      active: true,
    });
    assert.equal(created.status, 201, created.text);
    const graceOnParent = Number(created.body.id);
    await updateUser(parent, graceOnParent, { roles: ['contributor'] });
    const onChild = await arrives(
      child,
      { login: 'grace' },
      'parent',
      (user) => assert.deepEqual(user?.roles, ['contributor']),
      'grace on the child',
    );

    const off = await scim('PATCH', `/Users/${graceOnParent}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    assert.equal(off.status, 200, off.text);
    await arrives(
      child,
      { id: onChild!.id },
      'parent',
      (user) => {
        assert.equal(user?.active, false);
        assert.deepEqual(user?.roles, []);
      },
      'grace disabled on the child',
    );

    const on = await scim('PATCH', `/Users/${graceOnParent}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
    assert.equal(on.status, 200, on.text);
    await arrives(
      child,
      { id: onChild!.id },
      'parent',
      (user) => {
        assert.equal(user?.active, true);
        assert.deepEqual(user?.roles, ['contributor']);
      },
      'grace enabled again on the child',
    );
  });

  test('a delete on the parent deletes the user on the child and reassigns their content there', async () => {
    const post = await request<{ id: number; author: number }>(restUrl(child, 'wp/v2/posts'), {
      basic: asAdmin(child),
      method: 'POST',
      body: { title: 'Notes on the Analytical Engine', status: 'publish', author: adaChildId },
    });
    assert.equal(post.status, 201, post.text);
    assert.equal(post.body.author, adaChildId);

    await deleteUser(parent, adaParentId, 1);
    await arrives(
      child,
      { id: adaChildId },
      'parent',
      (user) => assert.equal(user, null, 'still on the child'),
      'ada deleted on the child',
    );
    const moved = await request<{ author: number }>(
      `${restUrl(child, `wp/v2/posts/${post.body.id}`)}?context=edit`,
      { basic: asAdmin(child) },
    );
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.author, 1, 'the post now belongs to the reassign user');
  });

  test('a change the child refuses for good becomes a dead letter: in the audit log and the Overview, retried once fixed', async () => {
    // The child already has an unlinked "clash" of its own.
    const local = await createUser(child, { username: 'clash' });
    const clashId = await createUser(parent, { username: 'clash', first_name: 'Clash' });
    const letter = await eventually(
      async () => {
        const letters = await request<{
          deadLetters: { id: number; userId: number; code: string; message: string }[];
        }>(restUrl(parent, 'usersync/v1/outbound/dead-letters'), { basic: asAdmin(parent) });
        const found = letters.body.deadLetters.find((l) => l.userId === clashId);
        assert.ok(found, 'no dead letter yet');
        return found;
      },
      { what: 'the dead letter', timeoutMs: 60_000 },
    );
    assert.equal(letter.code, 'uniqueness');
    assert.match(letter.message, /already has a user with the login "clash"/);
    const overview = await request<{ targets: { slug: string; deadLetters: number }[] }>(
      restUrl(parent, 'usersync/v1/outbound'),
      { basic: asAdmin(parent) },
    );
    assert.equal(overview.body.targets.find((t) => t.slug === 'child')?.deadLetters, 1);
    const entries = await audit(parent, { result: 'failure', user: String(clashId) });
    assert.ok(
      entries.some(
        (e) =>
          e.source === 'peer:Child site' && e.action === 'create' && /clash/.test(e.error ?? ''),
      ),
      JSON.stringify(entries),
    );
    // Delivery went on meanwhile.
    const later = await createUser(parent, { username: 'after-clash' });
    await arrives(
      child,
      { login: 'after-clash' },
      'parent',
      (user) => assert.ok(user),
      'the next user',
    );
    assert.ok(later > 0);

    // The child's admin removes the local account; the admin retries.
    await deleteUser(child, local, 1);
    const retried = await request<{ resolved: boolean; error: string | null }>(
      restUrl(parent, `usersync/v1/outbound/dead-letters/${letter.id}/retry`),
      { basic: asAdmin(parent), method: 'POST' },
    );
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.body.resolved, true, retried.text);
    const arrived = await findUser(child, { login: 'clash' }, 'parent');
    assert.equal(arrived?.externalId, String(clashId));
    const after = await request<{ targets: { slug: string; deadLetters: number }[] }>(
      restUrl(parent, 'usersync/v1/outbound'),
      { basic: asAdmin(parent) },
    );
    assert.equal(after.body.targets.find((t) => t.slug === 'child')?.deadLetters, 0);
  });

  test('with the child letting syncs change unlinked users, a user both sites have is linked, not a dead letter', async () => {
    await putConfig(child, {
      deprovision: {
        action: 'delete',
        reassignTo: 1,
        touchUnlinked: true,
        touchAdministrators: false,
      },
    });
    const local = await createUser(child, {
      username: 'shared',
      email: 'shared.local@example.com',
      first_name: 'Local',
    });
    const sharedId = await createUser(parent, {
      username: 'shared',
      email: 'shared@example.com',
      first_name: 'Shared',
      last_name: 'Person',
    });
    const onChild = await arrives(
      child,
      { login: 'shared' },
      'parent',
      (user) => {
        assert.ok(user);
        assert.equal(user.linked, true, 'not linked yet');
      },
      'shared linked on the child',
    );
    assert.equal(onChild?.id, local, 'the child’s own account, not a second one');
    assert.equal(onChild?.externalId, String(sharedId));
    assert.equal(onChild?.email, 'shared@example.com');
    assert.equal(onChild?.firstName, 'Shared');
    assert.equal(onChild?.lastName, 'Person');
    await eventually(
      async () => {
        const onParent = await findUser(parent, { id: sharedId }, 'child');
        assert.equal(onParent?.externalId, String(local), 'the parent links the child’s id');
      },
      { what: 'the link on the parent' },
    );
    const letters = await request<{ deadLetters: { userId: number }[] }>(
      restUrl(parent, 'usersync/v1/outbound/dead-letters'),
      { basic: asAdmin(parent) },
    );
    assert.equal(letters.status, 200, letters.text);
    assert.ok(!letters.body.deadLetters.some((l) => l.userId === sharedId));
    const entries = await audit(child, { user: String(local), action: 'update' });
    assert.ok(
      entries.some((e) => e.source.endsWith('Parent site') && e.result === 'success'),
      JSON.stringify(entries),
    );
    // Later changes on the parent reach the adopted account through the link.
    await updateUser(parent, sharedId, { first_name: 'Shared Again' });
    await arrives(
      child,
      { id: local },
      'parent',
      (user) => assert.equal(user?.firstName, 'Shared Again'),
      'the next change on the adopted account',
    );
  });
});
