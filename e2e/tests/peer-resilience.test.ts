// WordPress-to-WordPress when things go wrong: the child site is down for a while (everything
// made meanwhile arrives, in order, when it is back, and the parent's feed is acknowledged only
// after delivery), and the parent's sidecar is killed between reading the feed and
// acknowledging it (nothing is lost, nothing is applied twice).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { eventually } from '../src/helpers.js';
import { type Stack } from '../src/stack/index.js';
import {
  audit,
  createUser,
  deleteUser,
  feed,
  findUser,
  killSidecar,
  latestChange,
  pair,
  putConfig,
  ROLE_GROUPS,
  settled,
  sleep,
  startSite,
  target,
  updateUser,
  wpEval,
} from './peer-support.js';

let parent: Stack;
let child: Stack;

before(
  async () => {
    [parent, child] = await Promise.all([startSite('parent'), startSite('child')]);
    await putConfig(child, ROLE_GROUPS);
    await pair(parent, child);
  },
  { timeout: 180_000 },
);

after(async () => {
  await Promise.all([parent?.stop(), child?.stop()]);
});

/** Users of the child linked to the parent. */
async function linkedOnChild(): Promise<number> {
  const rows = await wpEval<number>(
    child,
    `global $wpdb; echo (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->usermeta} WHERE meta_key = 'usersync_link_parent'" );`,
  );
  return rows;
}

describe('resilience', () => {
  test('the child down for a while: what happened meanwhile arrives in order when it is back', async () => {
    const goneId = await createUser(parent, { username: 'gone', first_name: 'Gone' });
    const goneOnChild = await eventually(
      async () => {
        const user = await findUser(child, { login: 'gone' }, 'parent');
        assert.ok(user);
        return user;
      },
      { what: 'gone on the child', timeoutMs: 60_000 },
    );

    await child.stopSidecar();
    const oraId = await createUser(parent, {
      username: 'ora',
      first_name: 'v0',
      roles: ['author'],
    });
    for (const name of ['v1', 'v2', 'v3']) await updateUser(parent, oraId, { first_name: name });
    const benId = await createUser(parent, { username: 'ben', first_name: 'Ben' });
    await deleteUser(parent, goneId, 1);
    await updateUser(parent, oraId, { roles: ['editor'] });

    await eventually(
      async () => {
        const t = await target(parent, 'child');
        assert.equal(t.phase, 'retrying');
        assert.equal(t.lastError?.code, 'peer_unreachable');
      },
      { what: 'the parent to notice the child is down', timeoutMs: 60_000 },
    );
    await sleep(3000);
    const during = await feed(parent, Number.MAX_SAFE_INTEGER, 1);
    assert.ok(during.acked < during.latest, 'nothing undelivered is acknowledged');
    assert.equal((await target(parent, 'child')).deadLetters, 0, 'an outage makes no dead letters');

    await child.startSidecar();
    await settled(parent);

    const ora = await findUser(child, { login: 'ora' }, 'parent');
    assert.ok(ora, 'ora arrived');
    assert.equal(ora.firstName, 'v3', 'the last name given wins');
    assert.deepEqual(ora.roles, ['editor']);
    assert.equal(ora.externalId, String(oraId));
    const ben = await findUser(child, { login: 'ben' }, 'parent');
    assert.equal(ben?.externalId, String(benId));
    // The child disables (its default policy) and unlinks the user the parent deleted.
    const gone = await findUser(child, { id: goneOnChild.id }, 'parent');
    assert.equal(gone?.active, false);
    assert.equal(gone?.linked, false);

    // In order: for each user the child saw the creation first, and nothing failed.
    const entries = await audit(child, { source: 'scim:Parent site' });
    assert.deepEqual(
      entries.filter((e) => e.result === 'failure'),
      [],
    );
    const oraEntries = entries.filter((e) => e.userLogin === 'ora');
    assert.equal(oraEntries[0]?.action, 'create', JSON.stringify(oraEntries));
    assert.equal(oraEntries.filter((e) => e.action === 'create').length, 1);

    const after = await feed(parent, Number.MAX_SAFE_INTEGER, 1);
    await eventually(
      async () =>
        assert.equal((await feed(parent, Number.MAX_SAFE_INTEGER, 1)).acked, after.latest),
      { what: 'the feed to be acknowledged once delivered' },
    );
  });

  test('the sidecar killed between reading and acknowledging: nothing lost, nothing applied twice', async () => {
    await settled(parent);
    const before = await linkedOnChild();
    await parent.stopSidecar();
    const ids = await wpEval<number[]>(
      parent,
      `$ids = array();
       for ( $i = 0; $i < 60; $i++ ) {
         $ids[] = wp_insert_user( array( 'user_login' => "batch$i", 'user_email' => "batch$i@example.com", 'user_pass' => wp_generate_password(), 'first_name' => "Batch $i", 'role' => 'subscriber' ) );
       }
       echo wp_json_encode( $ids );`,
    );
    const latest = await latestChange(parent);
    await parent.startSidecar();

    // Kill it while it is halfway through the page.
    let seen = 0;
    await eventually(
      async () => {
        seen = (await linkedOnChild()) - before;
        assert.ok(seen >= 3, `only ${seen} delivered so far`);
      },
      { what: 'the first deliveries', timeoutMs: 60_000, intervalMs: 20 },
    );
    await killSidecar(parent);
    const delivered = (await linkedOnChild()) - before;
    assert.ok(delivered < ids.length, `the kill came too late: all ${delivered} were delivered`);
    assert.ok(
      (await feed(parent, Number.MAX_SAFE_INTEGER, 1)).acked < latest,
      'the page was not acknowledged',
    );

    await parent.startSidecar();
    await settled(parent);
    assert.equal((await linkedOnChild()) - before, ids.length, 'every user arrived, once');
    for (const n of [0, 31, 59]) {
      const user = await findUser(child, { login: `batch${n}` }, 'parent');
      assert.equal(user?.firstName, `Batch ${n}`);
      assert.equal(user?.externalId, String(ids[n]));
    }
    const entries = (await audit(child, { source: 'scim:Parent site', search: 'batch' })).filter(
      (e) => e.userLogin.startsWith('batch'),
    );
    const creates = entries.filter((e) => e.action === 'create');
    assert.equal(creates.length, ids.length, 'one create per user');
    assert.equal(new Set(creates.map((e) => e.userLogin)).size, ids.length);
    assert.deepEqual(
      entries.filter((e) => e.result === 'failure'),
      [],
      'no failed (duplicate) creates',
    );
    assert.deepEqual(
      entries.filter((e) => e.action === 'update' && e.result === 'success'),
      [],
      'nothing re-applied',
    );
    await eventually(
      async () => assert.equal((await feed(parent, Number.MAX_SAFE_INTEGER, 1)).acked, latest),
      { what: 'the feed to be acknowledged' },
    );
  });
});
