// WordPress-to-WordPress: users that existed before the peer was set up reach it only through a
// full push, started on demand, followed by its progress, safe to repeat (a second push finds
// nothing to do) and joining a push already running rather than starting another.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, eventually, restUrl } from '../src/helpers.js';
import { request, type Stack } from '../src/stack/index.js';
import {
  audit,
  feed,
  findUser,
  pair,
  putConfig,
  ROLE_GROUPS,
  settled,
  startSite,
  target,
  wpEval,
} from './peer-support.js';

interface PushRun {
  id: string;
  state: string;
  processed: number;
  total: number | null;
  counts: { created: number; updated: number; unchanged: number; failed: number };
  joined?: boolean;
}

let parent: Stack;
let child: Stack;
let existing: number[];

before(
  async () => {
    [parent, child] = await Promise.all([startSite('parent'), startSite('child')]);
    await putConfig(child, ROLE_GROUPS);
    existing = await wpEval<number[]>(
      parent,
      `$ids = array();
       for ( $i = 0; $i < 60; $i++ ) {
         $ids[] = wp_insert_user( array( 'user_login' => "old$i", 'user_email' => "old$i@example.com", 'user_pass' => wp_generate_password(), 'first_name' => "Old $i", 'last_name' => 'Timer', 'role' => 0 === $i % 3 ? 'author' : 'subscriber' ) );
       }
       echo wp_json_encode( $ids );`,
    );
    // Without a target the sidecar acknowledges the whole feed: a peer added now starts there.
    await eventually(
      async () => {
        const page = await feed(parent, Number.MAX_SAFE_INTEGER, 1);
        assert.equal(page.acked, page.latest);
      },
      { what: 'the feed to be acknowledged' },
    );
    await pair(parent, child);
  },
  { timeout: 180_000 },
);

after(async () => {
  await Promise.all([parent?.stop(), child?.stop()]);
});

async function startPush(): Promise<PushRun> {
  const answer = await request<PushRun>(
    `${parent.sidecar.url}/api/v1/outbound/targets/child/push`,
    {
      method: 'POST',
      bearer: parent.sidecar.apiKey,
    },
  );
  assert.equal(answer.status, 202, answer.text);
  return answer.body;
}

async function finished(id: string): Promise<PushRun> {
  return eventually(
    async () => {
      const run = await request<PushRun>(
        `${parent.sidecar.url}/api/v1/outbound/targets/child/push`,
        { bearer: parent.sidecar.apiKey },
      );
      assert.equal(run.body.id, id);
      assert.equal(run.body.state, 'succeeded', JSON.stringify(run.body));
      return run.body;
    },
    { what: 'the full push to finish', timeoutMs: 60_000 },
  );
}

describe('full push', () => {
  test('existing users are not sent by real-time delivery', async () => {
    await settled(parent);
    assert.equal(existing.length, 60);
    assert.equal(await findUser(child, { login: 'old7' }, 'parent'), null);
    assert.equal((await target(parent, 'child')).counts.delivered, 0);
  });

  test('a full push brings every user over, with progress and roles; a second request joins it', async () => {
    const run = await startPush();
    // An admin asks again from wp-admin (the plugin relays to the sidecar).
    const fromAdmin = await request<PushRun>(
      restUrl(parent, 'usersync/v1/outbound/peers/child/push'),
      {
        method: 'POST',
        basic: asAdmin(parent),
      },
    );
    assert.equal(fromAdmin.status, 202, fromAdmin.text);
    assert.equal(fromAdmin.body.id, run.id);
    const joined = await startPush();
    assert.equal(joined.id, run.id, 'a request during a push joins it');
    assert.equal(joined.joined, true);
    const done = await finished(run.id);
    assert.equal(done.counts.created, 60, JSON.stringify(done.counts));
    assert.equal(done.counts.failed, 0, JSON.stringify(done.counts));
    assert.equal(done.processed, done.total);
    for (const n of [0, 7, 59]) {
      const user = await findUser(child, { login: `old${n}` }, 'parent');
      assert.ok(user, `old${n} on the child`);
      assert.equal(user.firstName, `Old ${n}`);
      assert.equal(user.lastName, 'Timer');
      assert.equal(user.externalId, String(existing[n]));
      assert.deepEqual(user.roles, [n % 3 === 0 ? 'author' : 'subscriber']);
      const onParent = await findUser(parent, { id: existing[n]! }, 'child');
      assert.equal(onParent?.externalId, String(user.id), 'linked back on the parent');
    }
  });

  test('the Overview shows the peer, its push and no dead letters; admins only', async () => {
    const overview = await request<{
      targets: { slug: string; deadLetters: number; push: { state: string } | null }[];
    }>(restUrl(parent, 'usersync/v1/outbound'), { basic: asAdmin(parent) });
    assert.equal(overview.status, 200, overview.text);
    assert.deepEqual(
      overview.body.targets.map((t) => [t.slug, t.deadLetters, t.push?.state]),
      [['child', 0, 'succeeded']],
    );
    const letters = await request<{ deadLetters: unknown[] }>(
      restUrl(parent, 'usersync/v1/outbound/dead-letters'),
      { basic: asAdmin(parent) },
    );
    assert.deepEqual(letters.body.deadLetters, []);
    const asSidecar = await request(restUrl(parent, 'usersync/v1/outbound'), {
      basic: asService(parent),
    });
    assert.equal(asSidecar.status, 403);
    const pushes = await audit(parent, { action: 'push' });
    assert.equal(pushes.length, 1);
    assert.equal(pushes[0]!.source, 'peer:Child site');
  });

  test('a second push finds nothing to do', async () => {
    const run = await startPush();
    const done = await finished(run.id);
    assert.equal(done.counts.created, 0, JSON.stringify(done.counts));
    assert.equal(done.counts.updated, 0, JSON.stringify(done.counts));
    assert.equal(done.counts.failed, 0, JSON.stringify(done.counts));
    assert.equal(done.counts.unchanged, done.processed);
  });

  test('after the push, real-time changes of those users arrive', async () => {
    await wpEval(
      parent,
      `wp_update_user( array( 'ID' => ${existing[3]}, 'first_name' => 'Renamed' ) );`,
    );
    await eventually(
      async () => {
        const user = await findUser(child, { login: 'old3' }, 'parent');
        assert.equal(user?.firstName, 'Renamed');
      },
      { what: 'the rename on the child' },
    );
  });
});
