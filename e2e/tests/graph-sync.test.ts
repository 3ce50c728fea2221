// Microsoft Graph sync against a real WordPress + plugin + sidecar and the Graph emulator, the
// way an admin drives it: a connection created in the plugin (secret write-only), Test
// connection, a dry run, the first full sync, delta syncs of every kind of change including
// group-driven roles and profile photos, and two overlapping Sync now presses making one run.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, eventually, restUrl } from '../src/helpers.js';
import { ensurePrerequisites, request, startStack, type Stack } from '../src/stack/index.js';
import { run as runCommand } from '../src/stack/process.js';
import { seededId, solidPng, startGraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import type { GraphEmulator } from '../src/emulators/microsoft-graph/index.js';
import { DEMO_SLUG, startDemoDirectory } from '../src/emulators/microsoft-graph/demo.js';
import {
  connectEmulator,
  linkedUsers,
  putConfig,
  syncAndWait,
  syncNow,
  waitForRun,
  type LinkedUser,
  type SiteAccess,
} from '../src/emulators/microsoft-graph/stack.js';

const SLUG = 'contoso-entra';
const SEED = 'graph-sync';

let stack: Stack;
let emulator: GraphEmulator;
let site: SiteAccess;

before(
  async () => {
    [stack, emulator] = await Promise.all([
      startStack({ name: 'graph-sync' }),
      startGraphEmulator({ users: 120, seed: SEED }),
    ]);
    site = { url: stack.wordpress.url, admin: asAdmin(stack) };
  },
  { timeout: 120_000 },
);

after(async () => {
  await stack?.stop();
  await emulator?.close();
});

/** What get_avatar_url() gives for a user, asked of WordPress itself. */
async function avatarUrl(userId: number): Promise<string> {
  const { php } = await ensurePrerequisites({ install: false });
  const code = `$_SERVER['HTTP_HOST'] = 'localhost'; require ${JSON.stringify(`${stack.wordpress.dir}/wp-load.php`)}; echo get_avatar_url(${userId});`;
  const result = await runCommand(php, ['-r', code], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

/** WordPress holds exactly the enabled source users, linked once each, with their fields. */
async function assertMirrors(): Promise<LinkedUser[]> {
  const users = await linkedUsers(site, SLUG, ['department', 'title']);
  const active = users.filter((u) => u.active);
  const expected = [...emulator.directory.users.values()].filter(
    (u) => !u.deleted && u.props.accountEnabled !== false,
  );
  assert.equal(active.length, expected.length, 'one active WordPress user per enabled source user');
  const byExternal = new Map(users.map((u) => [u.externalId, u]));
  assert.equal(byExternal.size, users.length, 'no external id linked twice');
  for (const user of expected) {
    const wp = byExternal.get(user.id);
    assert.ok(wp, `${String(user.props.userPrincipalName)} is in WordPress`);
    assert.equal(wp.login, user.props.userPrincipalName);
    assert.equal(wp.email, user.props.mail);
    assert.equal(wp.firstName, user.props.givenName);
    assert.equal(wp.lastName, user.props.surname);
    assert.equal(wp.displayName, user.props.displayName);
    assert.equal(wp.meta.department, user.props.department);
    assert.equal(wp.meta.title, user.props.jobTitle);
    assert.equal(wp.active, true);
  }
  return users;
}

describe('Microsoft Graph connection in wp-admin', () => {
  test('is created with a write-only secret that only the sidecar can read', async () => {
    const created = await connectEmulator(site, emulator, {
      slug: SLUG,
      name: 'Contoso Entra ID',
      pageSize: 25,
    });
    assert.deepEqual(created.clientSecret, { set: true });
    assert.equal(created.slug, SLUG);
    const listed = await request<Record<string, unknown>[]>(
      restUrl(stack, 'usersync/v1/connections'),
      {
        basic: asAdmin(stack),
      },
    );
    assert.equal(listed.status, 200);
    assert.ok(!listed.text.includes(emulator.clientSecret), 'the secret never comes back');

    const forSidecar = await request<{ slug: string; settings: { clientSecret: string } }[]>(
      restUrl(stack, 'usersync/v1/sidecar/connections'),
      { basic: asService(stack) },
    );
    assert.equal(forSidecar.status, 200);
    assert.equal(
      forSidecar.body.find((c) => c.slug === SLUG)?.settings.clientSecret,
      emulator.clientSecret,
    );
    const denied = await request(restUrl(stack, 'usersync/v1/sidecar/connections'), {
      basic: asAdmin(stack),
    });
    assert.equal(denied.status, 403, 'admins never read decrypted secrets');

    // Keeping the secret when it is not sent; refusing a bad schedule.
    const renamed = await request<Record<string, unknown>>(
      restUrl(stack, `usersync/v1/connections/${SLUG}`),
      { method: 'PATCH', basic: asAdmin(stack), body: { name: 'Contoso', clientSecret: '' } },
    );
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.body.clientSecret, { set: true });
    const bad = await request<{ code: string }>(restUrl(stack, `usersync/v1/connections/${SLUG}`), {
      method: 'PATCH',
      basic: asAdmin(stack),
      body: { schedule: 'every hour' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'usersync_invalid_connection');
  });

  test('Test connection says what works, and names a missing permission', async () => {
    const ok = await request<{ ok: boolean; checks: { name: string; ok: boolean }[] }>(
      restUrl(stack, `usersync/v1/sources/${SLUG}/test`),
      { method: 'POST', basic: asAdmin(stack) },
    );
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.ok, true, ok.text);

    emulator.apps.set('0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', {
      clientId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      clientSecret: 'limited-secret',
      roles: ['GroupMember.Read.All'],
    });
    await connectEmulator(site, emulator, {
      slug: 'limited',
      clientId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      clientSecret: 'limited-secret',
    });
    const limited = await request<{ ok: boolean; missingPermissions: string[] }>(
      restUrl(stack, 'usersync/v1/sources/limited/test'),
      { method: 'POST', basic: asAdmin(stack) },
    );
    assert.equal(limited.body.ok, false);
    assert.deepEqual(limited.body.missingPermissions, ['User.Read.All']);
    await request(restUrl(stack, 'usersync/v1/connections/limited'), {
      method: 'DELETE',
      basic: asAdmin(stack),
    });
  });
});

describe('Microsoft Graph sync', () => {
  test('a dry run reports the first sync without writing anything', async () => {
    const before = await linkedUsers(site, SLUG);
    assert.equal(before.length, 0);
    const dry = await syncAndWait(site, SLUG, { dryRun: true });
    assert.equal(dry.state, 'succeeded', dry.error ?? '');
    assert.equal(dry.dryRun, true);
    assert.equal(dry.counts.created, 120);
    assert.equal((await linkedUsers(site, SLUG)).length, 0, 'nothing written');
  });

  test('the first full sync brings every user, with roles from groups and photos', async () => {
    await putConfig(site, {
      roleMap: {
        rules: [
          { group: 'Site Editors', role: 'editor', priority: 10 },
          { group: 'Site Authors', role: 'author', priority: 5 },
        ],
        defaultRole: 'subscriber',
        allowAdministrator: false,
      },
    });
    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.full, true);
    assert.equal(run.counts.created, 120);
    assert.equal(run.counts.failed, 0, JSON.stringify(run.details?.failures));
    assert.equal(run.processed, 120);
    assert.equal(run.total, 120);
    const users = await assertMirrors();
    const role = (index: number) =>
      users.find((u) => u.externalId === seededId(SEED, 'user', index))!.roles;
    assert.deepEqual(role(0), ['editor']);
    assert.deepEqual(role(1), ['author']);
    assert.deepEqual(role(3), ['subscriber']);

    // User 0 has a photo: it is the WordPress profile picture now.
    const wpUser = users.find((u) => u.externalId === seededId(SEED, 'user', 0))!;
    const avatar = await avatarUrl(wpUser.id);
    assert.match(avatar, /\/usersync-avatars\/\d+-[0-9a-f]{12}\.png$/);
    const image = await fetch(avatar);
    assert.equal(image.status, 200);
    assert.equal(
      Buffer.from(await image.arrayBuffer())
        .subarray(1, 4)
        .toString(),
      'PNG',
    );
    const withoutPhoto = users.find((u) => u.externalId === seededId(SEED, 'user', 1))!;
    assert.doesNotMatch(await avatarUrl(withoutPhoto.id), /usersync-avatars/);
  });

  test('a delta sync applies creates, updates, disables, deletes, group and photo changes', async () => {
    const d = emulator.directory;
    const id = (index: number) => seededId(SEED, 'user', index);
    d.updateUser(id(5), { jobTitle: 'Head of Research', surname: 'Renamed' });
    d.updateUser(id(6), { accountEnabled: false });
    d.deleteUser(id(7)); // recycle bin
    d.deleteUser(id(8), true); // gone for good
    const created = d.createUser({
      userPrincipalName: 'grace.hopper@contoso.onmicrosoft.com',
      mail: 'grace.hopper@contoso.example.com',
      givenName: 'Grace',
      surname: 'Hopper',
      displayName: 'Grace Hopper',
      department: 'Engineering',
      jobTitle: 'Rear Admiral',
    });
    const editors = [...d.groups.values()].find((g) => g.displayName === 'Site Editors')!;
    d.updateGroup(editors.id, { add: [id(3), created.id], remove: [id(0)] });
    d.setPhoto(id(10), solidPng('new', 10, 1));
    d.updateUser(id(10), { officeLocation: 'Moved' }); // photo checks follow user changes

    const run = await syncAndWait(site, SLUG);
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.full, false, 'incremental');
    assert.equal(run.counts.created, 1);
    assert.equal(run.counts.disabled, 2, 'the disabled and the recycled user');
    assert.equal(run.counts.deleted, 1, 'the deleted user is gone for the connection');
    assert.equal(run.counts.failed, 0, JSON.stringify(run.details?.failures));

    const users = await assertMirrors();
    const wp = (externalId: string) => users.find((u) => u.externalId === externalId);
    assert.equal(wp(id(5))?.lastName, 'Renamed');
    assert.equal(wp(id(5))?.meta.title, 'Head of Research');
    assert.equal(wp(id(6))?.active, false);
    assert.deepEqual(wp(id(6))?.roles, []);
    assert.equal(wp(id(7))?.active, false, 'recycled: disabled, still linked');
    assert.equal(wp(id(8)), undefined, 'deleted: no longer linked');
    assert.deepEqual(wp(created.id)?.roles, ['editor']);
    assert.deepEqual(wp(id(3))?.roles, ['editor']);
    assert.deepEqual(wp(id(0))?.roles, ['subscriber']);
  });

  test('photo-only changes reach WordPress by the photo reconciliation, not by delta runs', async () => {
    const d = emulator.directory;
    const id = (index: number) => seededId(SEED, 'user', index);
    const users = await assertMirrors();
    const wpId = (externalId: string) => users.find((u) => u.externalId === externalId)!.id;
    const before = {
      first: await avatarUrl(wpId(id(0))),
      none: await avatarUrl(wpId(id(1))),
    };
    assert.match(before.first, /usersync-avatars/);
    assert.match(await avatarUrl(wpId(id(10))), /usersync-avatars/, 'given in the delta test');
    d.setPhoto(id(1), solidPng('photo-only', 1, 1)); // a first photo
    d.setPhoto(id(0), solidPng('photo-only', 0, 2)); // a new photo
    d.setPhoto(id(10), null); // the photo removed

    // Graph leaves photo-only changes out of delta: the run sees nothing, reads no photo.
    const reads = () => emulator.stats.requests['GET /v1.0/users/{id}/photo'] ?? 0;
    const readsBefore = reads();
    const delta = await syncAndWait(site, SLUG);
    assert.equal(delta.state, 'succeeded', delta.error ?? '');
    assert.equal(reads(), readsBefore, 'no photo request for unchanged users');
    assert.equal(await avatarUrl(wpId(id(1))), before.none);

    const batches = emulator.stats.requests['POST /v1.0/$batch'] ?? 0;
    // As the admin's "Check photos now" asks: through the plugin, relayed to the sidecar.
    const answer = await request<{ checked: number; updated: number; removed: number }>(
      restUrl(stack, `usersync/v1/sources/${SLUG}/photos`),
      { method: 'POST', basic: asAdmin(stack) },
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.updated, 2, 'the first and the new photo');
    assert.equal(answer.body.removed, 1);
    assert.equal(
      (emulator.stats.requests['POST /v1.0/$batch'] ?? 0) - batches,
      Math.ceil(answer.body.checked / 20),
      'media ETags in JSON batches of 20',
    );
    assert.match(await avatarUrl(wpId(id(1))), /usersync-avatars/, 'the first photo arrived');
    const changed = await avatarUrl(wpId(id(0)));
    assert.match(changed, /usersync-avatars/);
    assert.notEqual(changed, before.first, 'the new photo replaced the old one');
    assert.doesNotMatch(await avatarUrl(wpId(id(10))), /usersync-avatars/, 'removed: cleared');
  });

  test('an existing WordPress user with the same login is adopted when the policy allows', async () => {
    const login = 'katherine.johnson@contoso.onmicrosoft.com';
    const existing = await request<{ id: number }>(restUrl(stack, 'wp/v2/users'), {
      method: 'POST',
      basic: asAdmin(stack),
      body: { username: login, email: 'kj@old.example.com', password: 'Pa55word-old-1234' },
    });
    assert.equal(existing.status, 201, existing.text);
    await putConfig(site, {
      deprovision: {
        action: 'disable',
        reassignTo: null,
        touchUnlinked: true,
        touchAdministrators: false,
      },
    });
    try {
      const source = emulator.directory.createUser({
        userPrincipalName: login,
        mail: 'katherine.johnson@contoso.example.com',
        givenName: 'Katherine',
        surname: 'Johnson',
        displayName: 'Katherine Johnson',
      });
      const run = await syncAndWait(site, SLUG);
      assert.equal(run.state, 'succeeded', run.error ?? '');
      assert.equal(run.counts.failed, 0, JSON.stringify(run.details?.failures));
      const adopted = (await linkedUsers(site, SLUG)).find((u) => u.externalId === source.id);
      assert.equal(adopted?.id, existing.body.id, 'the same WordPress user, now linked');
      assert.equal(adopted?.email, 'katherine.johnson@contoso.example.com');
    } finally {
      await putConfig(site, {
        deprovision: {
          action: 'disable',
          reassignTo: null,
          touchUnlinked: false,
          touchAdministrators: false,
        },
      });
    }
  });

  test('a run with nothing to change writes nothing', async () => {
    // Every write a run makes leaves an audit row with the source "run:<id>".
    const runWrites = async () => {
      const answer = await request(restUrl(stack, 'usersync/v1/audit?source=run:*&per_page=1'), {
        basic: asAdmin(stack),
      });
      assert.equal(answer.status, 200, answer.text);
      return Number(answer.headers.get('x-wp-total'));
    };
    const before = await runWrites();
    assert.ok(before > 120, `the first sync wrote (${before} rows)`);
    const delta = await syncAndWait(site, SLUG);
    assert.equal(delta.state, 'succeeded');
    assert.equal(delta.processed, 0);
    const full = await syncAndWait(site, SLUG, { full: true });
    assert.equal(full.state, 'succeeded', full.error ?? '');
    assert.equal(full.counts.created + full.counts.updated + full.counts.disabled, 0);
    assert.equal(full.counts.unchanged, full.processed);
    assert.equal(await runWrites(), before, 'no WordPress write');
  });

  test('two overlapping Sync now presses make one run', async () => {
    // Slow Graph pages keep the first run busy while the second press arrives.
    emulator.addFault({ delayMs: 300, match: '/users/delta' });
    const [first, second] = await Promise.all([
      syncNow(site, SLUG, { full: true }),
      syncNow(site, SLUG, { full: true }),
    ]);
    emulator.clearFaults();
    assert.equal(first.id, second.id);
    assert.equal([first.joined, second.joined].filter(Boolean).length, 1);
    const done = await waitForRun(site, first.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    const runs = await request<{ runs: { id: string; trigger: string }[] }>(
      restUrl(stack, `usersync/v1/runs?source=${SLUG}&limit=50`),
      { basic: asAdmin(stack) },
    );
    assert.equal(runs.status, 200);
    assert.equal(runs.body.runs.filter((r) => r.id === first.id).length, 1);
  });

  test('a schedule set in wp-admin starts runs on its own, at once', async () => {
    const patch = (schedule: string | null) =>
      request(restUrl(stack, `usersync/v1/connections/${SLUG}`), {
        method: 'PATCH',
        basic: asAdmin(stack),
        body: { schedule },
      });
    assert.equal((await patch('*/2 * * * * *')).status, 200);
    try {
      const scheduled = await eventually(
        async () => {
          const runs = await request<{ runs: { trigger: string; state: string }[] }>(
            restUrl(stack, `usersync/v1/runs?source=${SLUG}&limit=50`),
            { basic: asAdmin(stack) },
          );
          const run = runs.body.runs.find((r) => r.trigger === 'schedule');
          assert.ok(run, 'a scheduled run');
          return run;
        },
        { timeoutMs: 15_000, what: 'a scheduled run' },
      );
      assert.ok(['queued', 'running', 'succeeded'].includes(scheduled.state));
    } finally {
      assert.equal((await patch(null)).status, 200);
    }
  });

  test('the demo directory of npm start connects and syncs', async () => {
    // Another domain than the tenant above, whose seeded users have the same names.
    const demo = await startDemoDirectory(site, {
      users: 60,
      port: 0,
      domain: 'fabrikam.onmicrosoft.com',
    });
    try {
      assert.match(demo.lines.join('\n'), /Demo directory .*emulated Microsoft Graph/);
      const run = await syncAndWait(site, DEMO_SLUG);
      assert.equal(run.state, 'succeeded', run.error ?? '');
      assert.equal(run.counts.created, 60);
      assert.equal((await linkedUsers(site, DEMO_SLUG)).length, 60);
    } finally {
      await demo.stop();
    }
  });
});
