// The engine end to end with the Graph emulator and an in-memory WordPress: first sync, delta
// sync of every kind of change, roles from groups, photos, dry runs, joins, cancellation,
// failures and recovery — and that nothing unchanged is ever written.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { solidPng, startGraphEmulator } from '../../../e2e/src/emulators/microsoft-graph/index.js';
import { Registry } from 'prom-client';
import { RunConflictError } from '../../src/engine/index.js';
import type { Harness } from './harness.js';
import { harness, sourceUsers } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** WordPress holds exactly the enabled source users, linked once each, with their fields. */
function assertMirrors(current: Harness) {
  const expected = sourceUsers(current.emulator);
  const linked = current.wordpress.linked('contoso').filter((user) => user.active);
  assert.equal(linked.length, expected.length, 'one active WordPress user per enabled source user');
  const byExternal = new Map(linked.map((user) => [user.links.get('contoso'), user]));
  assert.equal(byExternal.size, linked.length, 'no external id is linked twice');
  for (const user of expected) {
    const wp = byExternal.get(user.id);
    assert.ok(wp, `user ${user.id} is in WordPress`);
    assert.equal(wp.login, user.props.userPrincipalName);
    assert.equal(wp.email, user.props.mail);
    assert.equal(wp.firstName, user.props.givenName);
    assert.equal(wp.lastName, user.props.surname);
    assert.equal(wp.displayName, user.props.displayName);
    assert.equal(wp.meta.department, user.props.department);
    assert.equal(wp.meta.title, user.props.jobTitle);
  }
}

describe('sync engine', () => {
  it('makes the first full sync, then writes nothing when nothing changed', async () => {
    h = await harness();
    const first = await h.sync();
    assert.equal(first.state, 'succeeded', first.error ?? '');
    assert.equal(first.full, true);
    assert.equal(first.counts.created, 30);
    assert.equal(first.counts.failed, 0);
    assert.equal(first.processed, 30);
    assert.equal(first.total, 30);
    assertMirrors(h);
    // Batches of at most 7, photos applied to the users that have one (every 10th).
    const userBatches = h.wordpress.requests.filter((r) =>
      r.operations.some((o) => o.action === 'create'),
    );
    assert.ok(userBatches.every((r) => r.operations.length <= 7));
    const withAvatar = h.wordpress.linked('contoso').filter((u) => u.avatar);
    assert.equal(withAvatar.length, 3);
    assert.equal(withAvatar[0]!.avatar!.contentType, 'image/png');

    const requests = h.wordpress.requests.length;
    const writes = h.wordpress.writes;
    const second = await h.sync();
    assert.equal(second.state, 'succeeded');
    assert.equal(second.full, false, 'the second run is incremental (delta link)');
    assert.equal(second.processed, 0);
    assert.equal(h.wordpress.requests.length, requests, 'no WordPress request at all');
    assert.equal(h.wordpress.writes, writes);

    // A full re-scan compares hashes: still no write.
    const full = await h.sync({ full: true });
    assert.equal(full.state, 'succeeded');
    assert.equal(full.full, true);
    assert.equal(full.counts.unchanged, 30);
    assert.equal(h.wordpress.requests.length, requests);
  });

  it('counts runs and users in Prometheus metrics', async () => {
    const registry = new Registry();
    h = await harness({ engine: { registry } });
    await h.sync();
    await h.sync({ dryRun: true, full: true });
    const text = await registry.metrics();
    assert.match(text, /usersync_sync_users_total\{source="contoso",outcome="created"\} 30/);
    assert.match(
      text,
      /usersync_sync_runs_total\{source="contoso",trigger="on-demand",state="succeeded"\} 2/,
    );
    assert.doesNotMatch(text, /outcome="unchanged"/, 'dry runs are not counted as users handled');
    assert.match(text, /usersync_sync_runs_active 0/);
  });

  it('applies creates, updates, disables, restores and deletes from the delta query', async () => {
    h = await harness();
    await h.sync();
    const d = h.emulator.directory;
    const [a, b, c, e, f] = d.userOrder;
    d.updateUser(a!, { jobTitle: 'Chief Analyst', surname: 'Renamed' });
    d.updateUser(b!, { accountEnabled: false });
    d.deleteUser(c!); // recycle bin
    d.deleteUser(e!, true); // permanent
    const created = d.createUser({
      userPrincipalName: 'new.person@contoso.onmicrosoft.com',
      mail: 'new.person@contoso.example.com',
      givenName: 'New',
      surname: 'Person',
      displayName: 'New Person',
    });
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.deepEqual(
      { ...run.counts },
      // Disabled: the disabled account and the recycled one. Deleted: the hard-deleted one is
      // gone for the connection (the policy disables it and the link goes).
      { created: 1, updated: 1, unchanged: 0, disabled: 2, deleted: 1, failed: 0 },
    );
    const wp = (id: string) => h!.wordpress.byExternalId('contoso', id);
    assert.equal(wp(a!)?.meta.title, 'Chief Analyst');
    assert.equal(wp(a!)?.lastName, 'Renamed');
    assert.equal(wp(b!)?.active, false, 'accountEnabled false disables');
    assert.equal(wp(c!)?.active, false, 'a soft-deleted user is deprovisioned, link kept');
    assert.equal(wp(e!), undefined, 'a hard-deleted user loses its link');
    assert.ok(wp(created.id)?.active);
    assert.equal(
      h.wordpress.linked('contoso').length + 1,
      h.wordpress.users.size,
      'the hard-deleted user stays in WordPress, disabled and unlinked',
    );
    assertMirrors(h);

    // Restored from the recycle bin and re-enabled: reactivated with their role.
    d.restoreUser(c!);
    d.updateUser(b!, { accountEnabled: true });
    const again = await h.sync();
    assert.equal(again.counts.updated, 2);
    assert.equal(wp(c!)?.active, true);
    assert.deepEqual(wp(c!)?.roles, ['subscriber']);
    assert.equal(wp(b!)?.active, true);
    assertMirrors(h);
    void f;
  });

  it('deletes users per the policy when it says delete', async () => {
    h = await harness();
    h.wordpress.config.deprovision.action = 'delete';
    await h.sync();
    const [a] = h.emulator.directory.userOrder;
    h.emulator.directory.deleteUser(a!, true);
    const run = await h.sync();
    assert.equal(run.counts.deleted, 1);
    assert.equal(h.wordpress.byExternalId('contoso', a!), undefined);
    assertMirrors(h);
  });

  it('maps groups to roles and updates only the roles when membership changes', async () => {
    h = await harness();
    h.wordpress.config.roleMap.rules = [
      { group: 'Site Editors', role: 'editor', priority: 10 },
      { group: 'site authors', role: 'author', priority: 5 },
    ];
    await h.sync();
    const d = h.emulator.directory;
    const wp = (index: number) => h!.wordpress.byExternalId('contoso', d.userOrder[index]!)!;
    assert.deepEqual(wp(0).roles, ['editor']);
    assert.deepEqual(wp(1).roles, ['author']);
    assert.deepEqual(wp(3).roles, ['subscriber']);

    const editors = [...d.groups.values()].find((g) => g.displayName === 'Site Editors')!;
    d.updateGroup(editors.id, { add: [d.userOrder[3]!], remove: [d.userOrder[0]!] });
    const before = h.wordpress.requests.length;
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.updated, 2);
    assert.deepEqual(wp(3).roles, ['editor']);
    assert.deepEqual(wp(0).roles, ['subscriber']);
    const sent = h.wordpress.requests.slice(before).flatMap((r) => r.operations);
    assert.equal(sent.length, 2);
    for (const op of sent) assert.deepEqual(Object.keys(op.user ?? {}), ['roles'], 'roles only');

    // Renaming a group away from the rule drops its members to the default role.
    d.updateGroup(editors.id, { displayName: 'Former Editors' });
    await h.sync();
    assert.deepEqual(wp(3).roles, ['subscriber']);
  });

  it("applies only the role rules scoped to the pulled connection (or '*')", async () => {
    h = await harness();
    h.wordpress.config.roleMap.allowAdministrator = true;
    h.wordpress.config.roleMap.rules = [
      // Meant for another connection: contoso's group of the same name must not match it.
      { group: 'site editors', role: 'administrator', priority: 1, connections: ['local'] },
      { group: 'Site Editors', role: 'editor', priority: 10, connections: ['contoso'] },
      { group: 'Site Authors', role: 'author', priority: 5, connections: ['*'] },
    ];
    await h.sync();
    const d = h.emulator.directory;
    const wp = (index: number) => h!.wordpress.byExternalId('contoso', d.userOrder[index]!)!;
    assert.deepEqual(wp(0).roles, ['editor']);
    assert.deepEqual(wp(1).roles, ['author']);
    assert.deepEqual(wp(3).roles, ['subscriber']);
    assert.ok(
      [...h.wordpress.users.values()].every((user) => !user.roles.includes('administrator')),
      'no administrator from a rule of another connection',
    );

    // The editors rule is moved to another connection: its members here fall back.
    h.wordpress.config.roleMap.rules[1]!.connections = ['local'];
    await h.sync();
    assert.deepEqual(wp(0).roles, ['subscriber']);
    assert.deepEqual(wp(1).roles, ['author']);
  });

  it('downloads a photo only when it changed', async () => {
    h = await harness();
    await h.sync();
    const d = h.emulator.directory;
    const photoGets = () => h!.emulator.stats.requests['GET /v1.0/users/{id}/photo/$value'] ?? 0;
    assert.equal(photoGets(), 3);
    d.setPhoto(d.userOrder[0]!, solidPng('changed', 0, 1));
    d.updateUser(d.userOrder[0]!, { jobTitle: 'Photographer' });
    d.updateUser(d.userOrder[1]!, { jobTitle: 'No photo' });
    await h.sync();
    assert.equal(photoGets(), 4, 'one new download, for the changed picture');
    const wp = h.wordpress.byExternalId('contoso', d.userOrder[0]!)!;
    assert.equal(wp.avatar?.version, d.user(d.userOrder[0]!).photo?.etag);

    // The picture is removed at the source: the avatar goes too.
    d.setPhoto(d.userOrder[10]!, null);
    const requests = h.wordpress.avatarRequests;
    await h.sync({ full: true });
    assert.equal(h.wordpress.byExternalId('contoso', d.userOrder[10]!)!.avatar, null);
    assert.equal(h.wordpress.avatarRequests, requests + 1);
    assert.equal(photoGets(), 4);
  });

  it('reports a dry run without writing anything', async () => {
    h = await harness();
    const dry = await h.sync({ dryRun: true });
    assert.equal(dry.state, 'succeeded', dry.error ?? '');
    assert.equal(dry.dryRun, true);
    assert.equal(dry.counts.created, 30);
    assert.equal(dry.details.changes.length, 30);
    assert.equal(dry.details.changes[0]?.action, 'create');
    assert.equal(h.wordpress.requests.length, 0);
    assert.equal(await h.store.getCursor('contoso'), null, 'a dry run saves no cursor');
    const real = await h.sync();
    assert.equal(real.counts.created, 30, 'the real run still does everything');

    h.emulator.directory.updateUser(h.emulator.directory.userOrder[2]!, { department: 'Legal' });
    h.emulator.directory.deleteUser(h.emulator.directory.userOrder[3]!, true);
    const requests = h.wordpress.requests.length;
    const dry2 = await h.sync({ dryRun: true, full: true });
    assert.equal(dry2.counts.updated, 1);
    assert.equal(dry2.counts.unchanged, 28);
    assert.equal(dry2.counts.disabled, 1, 'the vanished user would be deprovisioned');
    assert.equal(h.wordpress.requests.length, requests);
  });

  it('joins overlapping requests into one run and refuses a conflicting one', async () => {
    h = await harness({ emulator: { users: 60 } });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    h.wordpress.beforeBatch = () => gate;
    const first = await h.engine.requestRun('contoso');
    const second = await h.engine.requestRun('contoso');
    assert.equal(first.joined, false);
    assert.equal(second.joined, true);
    assert.equal(second.run.id, first.run.id);
    await assert.rejects(h.engine.requestRun('contoso', { dryRun: true }), RunConflictError);
    release();
    h.wordpress.beforeBatch = null;
    const done = await h.engine.waitForRun(first.run.id);
    assert.equal(done?.state, 'succeeded');
    assert.equal((await h.engine.listRuns({ source: 'contoso' })).length, 1);
  });

  it('cancels between batches and resumes later without duplicates', async () => {
    h = await harness({ emulator: { users: 60 } });
    let batches = 0;
    h.wordpress.beforeBatch = async () => {
      batches++;
      if (batches === 3) {
        const [run] = await h!.engine.listRuns({ source: 'contoso' });
        void h!.engine.cancelRun(run!.id, 0);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const cancelled = await h.sync();
    assert.equal(cancelled.state, 'cancelled');
    assert.ok(cancelled.counts.created > 0 && cancelled.counts.created < 60);
    h.wordpress.beforeBatch = null;
    const resumed = await h.sync();
    assert.equal(resumed.state, 'succeeded', resumed.error ?? '');
    assertMirrors(h);
  });

  it('resumes after WordPress failed mid-run, even when an answer was lost', async () => {
    h = await harness({ emulator: { users: 50 } });
    let batches = 0;
    h.wordpress.beforeBatch = () => {
      batches++;
      // The 4th batch is applied but its answer never arrives; later ones fail outright.
      if (batches === 4) {
        h!.wordpress.failure = {
          error: new Error('socket hang up'),
          afterApply: true,
          remaining: 1,
        };
      }
    };
    const failed = await h.sync();
    assert.equal(failed.state, 'failed');
    assert.match(failed.error ?? '', /socket hang up/);
    const cursor = await h.store.getCursor('contoso');
    assert.ok(cursor, 'the pages applied before the failure moved the cursor');
    h.wordpress.beforeBatch = null;
    h.wordpress.failure = null;
    const resumed = await h.sync();
    assert.equal(resumed.state, 'succeeded', resumed.error ?? '');
    // The creates whose answer was lost are replayed as updates of the users they made.
    assert.equal(resumed.counts.failed, 0, JSON.stringify(resumed.details.failures));
    assertMirrors(h);
  });

  it('resumes a run interrupted by a restart', async () => {
    h = await harness({ emulator: { users: 40 } });
    let batches = 0;
    let stopping: Promise<unknown> | null = null;
    h.wordpress.beforeBatch = () => {
      batches++;
      if (batches === 3) stopping = h!.restart();
    };
    const { run } = await h.engine.requestRun('contoso');
    const first = h.engine;
    await first.waitForRun(run.id);
    await stopping;
    h.wordpress.beforeBatch = null;
    // The restarted engine continued the interrupted run on its own: the same record.
    const runs = await h.engine.listRuns({ source: 'contoso' });
    assert.equal(runs.length, 1, 'one run record for the logical run');
    const done = await h.engine.waitForRun(run.id);
    assert.equal(done?.state, 'succeeded', done?.error ?? '');
    assert.equal(done?.details.interruptions, 1);
    assert.equal(done?.counts.created, 40, 'every user created is counted once');
    assert.equal(done?.processed, 40);
    assertMirrors(h);
  });

  it('records a user WordPress refuses and carries on with the others', async () => {
    h = await harness();
    const taken = h.emulator.directory.user(h.emulator.directory.userOrder[5]!);
    // The person's own account, which the sync did not create and may not change (a login
    // held by someone else would only give the person a suffixed one).
    h.wordpress.addUser({
      login: String(taken.props.userPrincipalName),
      email: String(taken.props.mail),
    });
    const run = await h.sync();
    assert.equal(run.state, 'succeeded');
    assert.equal(run.counts.failed, 1);
    assert.equal(run.counts.created, 29);
    assert.equal(run.details.failures[0]?.code, 'usersync_login_exists');
    assert.equal(run.details.failures[0]?.externalId, taken.id);
    // The next full scan tries again (and fails again, still without stopping).
    const again = await h.sync({ full: true });
    assert.equal(again.counts.failed, 1);
    assert.equal(again.counts.unchanged, 29);
  });

  it('adopts an unlinked WordPress user with the same login when the policy allows', async () => {
    h = await harness();
    const d = h.emulator.directory;
    const target = d.user(d.userOrder[2]!);
    const existing = h.wordpress.addUser({
      login: String(target.props.userPrincipalName).toUpperCase(),
      email: 'old-address@example.com',
    });
    h.wordpress.config.deprovision.touchUnlinked = true;
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.failed, 0);
    assert.equal(run.counts.created, 29);
    assert.equal(run.counts.updated, 1);
    const adopted = h.wordpress.byExternalId('contoso', target.id);
    assert.equal(adopted?.id, existing.id, 'the same WordPress user, now linked');
    assert.equal(adopted?.email, target.props.mail);
    assert.equal(h.wordpress.users.size, 30);
    assertMirrors(h);
  });

  it('records a user that cannot be mapped, in the run and the audit log', async () => {
    h = await harness();
    h.wordpress.config.attributeMap[0] = {
      source: 'urn:usersync:graph:User:employeeId',
      target: 'user_login',
      direction: 'both',
      transform: 'lowercase',
      default: null,
    };
    const d = h.emulator.directory;
    d.updateUser(d.userOrder[4]!, { employeeId: null });
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.created, 29);
    assert.equal(run.counts.failed, 1);
    assert.equal(run.details.failures[0]?.code, 'usersync_mapping');
    assert.match(run.details.failures[0]?.message ?? '', /no value for the WordPress login/);
    assert.equal(h.wordpress.audit.length, 1);
    assert.equal(h.wordpress.audit[0]?.result, 'failure');
    assert.equal(h.wordpress.audit[0]?.source, `run:${run.id}`);
    assert.equal(h.wordpress.byExternalId('contoso', d.userOrder[5]!)?.login, 'e000005');
  });

  it('falls back to a full sync when the delta link expired, deprovisioning vanished users', async () => {
    h = await harness();
    await h.sync();
    const d = h.emulator.directory;
    d.deleteUser(d.userOrder[7]!, true);
    h.emulator.expireDeltaTokens();
    // Changes Graph can no longer report: only the full listing notices the user is gone.
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.full, true);
    assert.equal(run.counts.disabled, 1);
    assert.equal(h.wordpress.byExternalId('contoso', d.userOrder[7]!)?.active, false);
    assertMirrors(h);
  });

  it('rides out a throttling storm', async () => {
    h = await harness({ emulator: { users: 40 } });
    h.emulator.addFault({ status: 429, retryAfter: 0, every: 3 });
    h.emulator.addFault({ status: 503, retryAfter: 0, every: 7 });
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.ok(h.emulator.stats.faulted > 5, `faulted ${h.emulator.stats.faulted}`);
    assertMirrors(h);
  });

  it('syncs a B2C tenant with full scans, writing only what changed', async () => {
    h = await harness({ emulator: { b2c: true, users: 25 } });
    const first = await h.sync();
    assert.equal(first.state, 'succeeded', first.error ?? '');
    assert.equal(first.counts.created, 25);
    const someone = h.emulator.directory.user(h.emulator.directory.userOrder[0]!);
    const wp = h.wordpress.byExternalId('contoso', someone.id)!;
    const identity = (someone.props.identities as { issuerAssignedId: string }[])[0]!;
    assert.equal(wp.login, identity.issuerAssignedId, 'B2C sign-in name becomes the login');
    assert.equal(wp.email, identity.issuerAssignedId);
    const delta = h.emulator.stats.requests['GET /v1.0/users/delta'] ?? 0;
    assert.equal(delta, 0, 'no delta query against B2C');

    h.emulator.directory.updateUser(someone.id, { department: 'Finance' });
    h.emulator.directory.deleteUser(h.emulator.directory.userOrder[1]!);
    const writes = h.wordpress.writes;
    const second = await h.sync();
    assert.equal(second.full, true);
    assert.equal(second.counts.updated, 1);
    assert.equal(second.counts.disabled, 1);
    assert.equal(second.counts.unchanged, 23);
    assert.equal(h.wordpress.writes, writes + 2);
  });

  it('starts afresh when the connection is pointed at another directory', async () => {
    h = await harness();
    await h.sync();
    const other = await startGraphEmulator({
      users: 12,
      seed: 'other-tenant',
      domain: 'fabrikam.onmicrosoft.com',
    });
    try {
      const source = h.wordpress.connections[0]!;
      source.settings = {
        ...source.settings,
        tenantId: other.tenantId,
        clientId: other.clientId,
        clientSecret: other.clientSecret,
        authorityUrl: other.url,
        graphUrl: other.url,
      };
      const run = await h.sync();
      assert.equal(run.state, 'succeeded', run.error ?? '');
      assert.equal(run.full, true, 'not the old delta link');
      assert.equal(run.counts.created, 12);
      assert.equal(run.counts.disabled, 30, 'the first directory’s users are gone from this one');
      assert.equal(h.wordpress.linked('contoso').filter((u) => u.active).length, 12);
    } finally {
      await other.close();
    }
  });

  it('creates a user again that was deleted in WordPress behind the sync’s back', async () => {
    h = await harness();
    await h.sync();
    const d = h.emulator.directory;
    const gone = h.wordpress.byExternalId('contoso', d.userOrder[6]!)!;
    h.wordpress.users.delete(gone.id);
    d.updateUser(d.userOrder[6]!, { jobTitle: 'Back again' });
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.created, 1);
    assert.equal(run.counts.failed, 0);
    const back = h.wordpress.byExternalId('contoso', d.userOrder[6]!);
    assert.ok(back && back.id !== gone.id, 'a new WordPress user, linked to the same external id');
    assert.equal(back.meta.title, 'Back again');
    const updates = h.wordpress.requests
      .flatMap((r) => r.operations)
      .filter((o) => o.action === 'update');
    assert.ok(
      updates.every((o) => o.user?.externalId === undefined),
      'updates do not resend the link',
    );
    assertMirrors(h);
  });

  it('relinks from WordPress when the store was lost', async () => {
    h = await harness();
    await h.sync();
    await h.store.resetSource('contoso');
    const writes = h.wordpress.writes;
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.created, 0);
    assert.equal(h.wordpress.writes, writes, 'same values: WordPress writes nothing');
    assertMirrors(h);
  });

  it('fails a run cleanly when the source refuses the credentials', async () => {
    h = await harness({ settings: { clientSecret: 'wrong' } });
    const run = await h.sync();
    assert.equal(run.state, 'failed');
    assert.match(run.error ?? '', /client secret is wrong/);
    const test = await h.engine.testConnection('contoso');
    assert.equal(test.ok, false);
    assert.equal(test.checks[0]?.name, 'Sign in');
  });
});
