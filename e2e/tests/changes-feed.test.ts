// The change feed on a real WordPress: every way a user changes — registration, the profile
// page, other plugins' wp_update_user()/update_user_meta()/wp_set_password(), a password reset,
// role changes, disable/enable, delete — writes one outbox row with the changed attributes and
// the origin, and nudges the sidecar; the feed is read by cursor, acknowledged, pruned; and the
// routes the outbound side relies on (peers with write-only tokens, links, audit, password
// hashes) keep their guarantees.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, eventually, restUrl, wpLogin } from '../src/helpers.js';
import { request, type Stack } from '../src/stack/index.js';
import {
  audit,
  createUser,
  deleteUser,
  feed,
  latestChange,
  putConfig,
  resetPassword,
  startSite,
  updateUser,
  wpEval,
  type FeedRow,
} from './peer-support.js';

let stack: Stack;

before(
  async () => {
    stack = await startSite('changes');
  },
  { timeout: 120_000 },
);

after(async () => {
  await stack?.stop();
});

/** Rows written by `work`, as [userId, action, changed, origin]. */
async function rowsOf(work: () => Promise<unknown>): Promise<FeedRow[]> {
  const mark = await latestChange(stack);
  await work();
  return (await feed(stack, mark)).changes;
}

const brief = (rows: FeedRow[]) => rows.map((r) => [r.userId, r.action, r.changed, r.origin]);

/** Logs in through wp-login.php and returns the cookie header of the session. */
async function session(login: string, password: string): Promise<string> {
  const answer = await wpLogin(stack, login, password);
  assert.equal(answer.status, 302, 'logged in');
  return answer.cookies.join('; ');
}

/** The number of nudges once no more are arriving. */
async function settledNudges(): Promise<number> {
  let last = -1;
  for (;;) {
    const now = nudges();
    if (now === last) return now;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

function nudges(): number {
  return fs
    .readFileSync(stack.logs.sidecar, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"path":"/api/v1/outbound/nudge"')).length;
}

describe('every path that changes a user writes one outbox row', () => {
  test('registration on wp-login.php', async () => {
    await wpEval(stack, "update_option( 'users_can_register', 1 );");
    const rows = await rowsOf(async () => {
      const response = await fetch(`${stack.wordpress.url}/wp-login.php?action=register`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          user_login: 'reggie',
          user_email: 'reggie@example.com',
          'wp-submit': 'Register',
        }),
      });
      await response.text();
      assert.equal(response.status, 302);
    });
    assert.equal(rows.length, 1, JSON.stringify(rows));
    const [row] = rows;
    assert.equal(row!.action, 'create');
    assert.equal(row!.origin, 'local');
    for (const name of ['user_login', 'user_email', 'password', 'roles'])
      assert.ok(row!.changed.includes(name), `${name} in ${row!.changed.join(',')}`);
  });

  test('the profile page (profile.php)', async () => {
    const id = await createUser(stack, { username: 'pam', password: 'Pam-password-1' });
    const cookie = await session('pam', 'Pam-password-1');
    const form = await (
      await fetch(`${stack.wordpress.url}/wp-admin/profile.php`, { headers: { cookie } })
    ).text();
    const nonce = /name="_wpnonce" value="([^"]+)"/.exec(form)?.[1];
    assert.ok(nonce, 'the profile form has a nonce');
    const rows = await rowsOf(async () => {
      const response = await fetch(`${stack.wordpress.url}/wp-admin/profile.php`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({
          _wpnonce: nonce,
          _wp_http_referer: '/wp-admin/profile.php',
          from: 'profile',
          checkuser_id: String(id),
          action: 'update',
          user_id: String(id),
          first_name: 'Pamela',
          last_name: 'Page',
          nickname: 'pam',
          display_name: 'pam',
          email: 'pam@example.com',
          url: '',
          description: '',
          pass1: '',
          pass2: '',
          admin_color: 'fresh',
        }),
      });
      await response.text();
      assert.equal(response.status, 302, 'the profile was saved');
    });
    assert.deepEqual(brief(rows), [[id, 'update', ['first_name', 'last_name'], 'local']]);
  });

  test("other plugins' wp_update_user() and update_user_meta()", async () => {
    const id = await createUser(stack, { username: 'otto' });
    assert.deepEqual(
      brief(
        await rowsOf(() =>
          wpEval(
            stack,
            `wp_update_user( array( 'ID' => ${id}, 'user_email' => 'otto@example.org' ) );`,
          ),
        ),
      ),
      [[id, 'update', ['user_email'], 'local']],
    );
    assert.deepEqual(
      brief(await rowsOf(() => wpEval(stack, `update_user_meta( ${id}, 'department', 'Ops' );`))),
      [[id, 'update', ['meta:department'], 'local']],
    );
    assert.deepEqual(
      await rowsOf(() =>
        wpEval(stack, `update_user_meta( ${id}, 'metaboxhidden_dashboard', array( 'x' ) );`),
      ),
      [],
      'screen options are not user attributes',
    );
  });

  test('a password set by another plugin without loading the user, and a reset on wp-login.php', async () => {
    const id = await createUser(stack, { username: 'wanda' });
    // A fresh request that never loaded the user before setting the password (WordPress 6.1
    // fires no hook for wp_set_password()).
    assert.deepEqual(
      brief(await rowsOf(() => wpEval(stack, `wp_set_password( 'Another-secret-9', ${id} );`))),
      [[id, 'password', ['password'], 'local']],
    );
    assert.deepEqual(brief(await rowsOf(() => resetPassword(stack, 'wanda', 'Reset-secret-42!'))), [
      [id, 'password', ['password'], 'local'],
    ]);
  });

  test('role changes: the REST API, and add_role() by another plugin', async () => {
    const id = await createUser(stack, { username: 'rolf', roles: ['subscriber'] });
    assert.deepEqual(brief(await rowsOf(() => updateUser(stack, id, { roles: ['editor'] }))), [
      [id, 'update', ['roles'], 'local'],
    ]);
    assert.deepEqual(
      brief(await rowsOf(() => wpEval(stack, `( new WP_User( ${id} ) )->add_role( 'author' );`))),
      [[id, 'update', ['roles'], 'local']],
    );
  });

  test('disable and enable', async () => {
    const id = await createUser(stack, { username: 'dora' });
    assert.deepEqual(
      brief(
        await rowsOf(() => wpEval(stack, `update_user_meta( ${id}, 'usersync_disabled', '1' );`)),
      ),
      [[id, 'disable', ['active'], 'local']],
    );
    assert.deepEqual(
      brief(await rowsOf(() => wpEval(stack, `delete_user_meta( ${id}, 'usersync_disabled' );`))),
      [[id, 'enable', ['active'], 'local']],
    );
  });

  test('delete', async () => {
    const id = await createUser(stack, { username: 'del' });
    assert.deepEqual(brief(await rowsOf(() => deleteUser(stack, id, 1))), [
      [id, 'delete', [], 'local'],
    ]);
  });

  test('writes made by a connection carry it as their origin', async () => {
    const rows = await rowsOf(async () => {
      const answer = await request<{ results: { ok: boolean }[] }>(
        restUrl(stack, 'usersync/v1/users/batch'),
        {
          basic: asService(stack),
          method: 'POST',
          body: {
            connection: 'acme',
            source: 'test',
            operations: [
              {
                ref: '0',
                action: 'create',
                user: { login: 'acme1', email: 'acme1@example.com', firstName: 'Acme' },
              },
            ],
          },
        },
      );
      assert.equal(answer.body.results[0]?.ok, true, answer.text);
    });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.origin, 'acme');
    assert.equal(rows[0]!.action, 'create');
  });

  test('a request that writes rows nudges the sidecar once; one that writes none does not', async () => {
    const id = await createUser(stack, { username: 'nudge' });
    await eventually(async () => assert.ok(nudges() > 0), { what: 'a first nudge' });
    const before = await settledNudges();
    await updateUser(stack, id, { first_name: 'Nudged', last_name: 'Twice' });
    await eventually(async () => assert.equal(nudges(), before + 1), { what: 'the nudge' });
    await request(restUrl(stack, `wp/v2/users/${id}`), { basic: asAdmin(stack) });
    assert.equal(await settledNudges(), before + 1);
  });

  test('per-attribute change times, leaving out one connection’s writes', async () => {
    const id = await createUser(stack, { username: 'clocky', first_name: 'A' });
    await updateUser(stack, id, { last_name: 'B' });
    const clock = async (exclude?: string) =>
      (
        await request<{ clock: Record<string, Record<string, string>> }>(
          `${restUrl(stack, 'usersync/v1/changes/clock')}?ids=${id}${exclude ? `&exclude_origin=${exclude}` : ''}`,
          { basic: asService(stack) },
        )
      ).body.clock[String(id)]!;
    const times = await clock();
    assert.match(times.last_name!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(times.last_name! > times.first_name!, 'the later change has the later time');
    assert.ok(times.first_name, 'first_name changed at creation');
    // A local change does not count as one by "local"'s peers… but is left out when asked.
    assert.deepEqual(Object.keys(await clock('local')), []);
  });
});

describe('the feed', () => {
  test('is read by cursor; acknowledgements never move back; delivered rows are pruned after the retention', async () => {
    await stack.stopSidecar(); // Without targets the sidecar would acknowledge everything itself.
    const all = await feed(stack);
    assert.ok(all.changes.length > 10);
    const first = all.changes[0]!.id;
    const page = await feed(stack, first, 2);
    assert.deepEqual(
      page.changes.map((r) => r.id),
      all.changes.slice(1, 3).map((r) => r.id),
    );

    const ack = async (upTo: number) =>
      (
        await request<{ acked: number; pruned: number }>(
          restUrl(stack, 'usersync/v1/changes/ack'),
          {
            basic: asService(stack),
            method: 'POST',
            body: { upTo },
          },
        )
      ).body;
    const middle = all.changes[5]!.id;
    const acked = await ack(middle);
    assert.equal(acked.acked, Math.max(middle, all.acked));
    assert.equal(acked.pruned, 0, 'delivered rows are kept for the retention period');
    assert.equal((await ack(first)).acked, acked.acked, 'never moves back');

    await wpEval(stack, "update_option( 'usersync_outbox_retention_days', 0 );");
    const pruned = await ack(middle);
    assert.ok(pruned.pruned > 0);
    const left = await feed(stack);
    assert.ok(
      left.changes.every((r) => r.id > acked.acked),
      'only unacknowledged rows are left',
    );
    assert.equal(left.changes.length, all.changes.filter((r) => r.id > acked.acked).length);

    const forbidden = await request(restUrl(stack, 'usersync/v1/changes'), {
      basic: asAdmin(stack),
    });
    assert.equal(forbidden.status, 403, 'the feed is for the service user');
    await stack.startSidecar();
  });
});

describe('routes of the outbound side', () => {
  test('peer tokens are write-only and encrypted at rest; only the service user reads them', async () => {
    const secret = 'us_peer-token-for-tests-0123456789';
    const saved = await putConfig(stack, {
      peers: [
        {
          slug: 'child',
          name: 'Child site',
          scimUrl: 'https://child.example/scim/v2',
          token: secret,
        },
      ],
    });
    assert.ok(!JSON.stringify(saved).includes(secret));
    const config = await request<{ peers: Record<string, unknown>[] }>(
      restUrl(stack, 'usersync/v1/config'),
      {
        basic: asAdmin(stack),
      },
    );
    assert.equal(config.body.peers[0]!.tokenSet, true);
    assert.equal('token' in config.body.peers[0]!, false);
    assert.ok(!config.text.includes(secret));
    const stored = await wpEval<string>(
      stack,
      "echo wp_json_encode( get_option( 'usersync_peers' ) );",
    );
    assert.ok(!JSON.stringify(stored).includes(secret), 'not in the database in clear');

    const asAdminPeers = await request(restUrl(stack, 'usersync/v1/sidecar/peers'), {
      basic: asAdmin(stack),
    });
    assert.equal(asAdminPeers.status, 403);
    const forSidecar = await request<{ token: string }[]>(
      restUrl(stack, 'usersync/v1/sidecar/peers'),
      {
        basic: asService(stack),
      },
    );
    assert.equal(forSidecar.body[0]!.token, secret);

    // Saving without a token keeps it; pushing without one is refused, naming the field.
    await putConfig(stack, {
      peers: [
        { slug: 'child', name: 'Child site renamed', scimUrl: 'https://child.example/scim/v2' },
      ],
    });
    assert.equal(
      (
        await request<{ token: string }[]>(restUrl(stack, 'usersync/v1/sidecar/peers'), {
          basic: asService(stack),
        })
      ).body[0]!.token,
      secret,
    );
    const refused = await request<{ code: string; data: { params: Record<string, string> } }>(
      restUrl(stack, 'usersync/v1/config'),
      {
        basic: asAdmin(stack),
        method: 'PUT',
        body: {
          peers: [
            { slug: 'child', name: 'Child', scimUrl: 'https://child.example/scim/v2', token: null },
          ],
        },
      },
    );
    assert.equal(refused.status, 400);
    assert.ok('peers[0][token]' in refused.body.data.params, refused.text);
    const local = await request(restUrl(stack, 'usersync/v1/config'), {
      basic: asAdmin(stack),
      method: 'PUT',
      body: { peers: [{ slug: 'local', name: 'Local' }] },
    });
    assert.equal(local.status, 400, 'the slug "local" is the origin of local changes');
    await putConfig(stack, { peers: [] });
  });

  test('password hashes: closed unless a peer sends them; accepted only from a peer allowed to', async () => {
    const id = await createUser(stack, { username: 'hashy' });
    const read = await request(`${restUrl(stack, 'usersync/v1/sidecar/passwords')}?ids=${id}`, {
      basic: asService(stack),
    });
    assert.equal(read.status, 403);
    const hash = '$P$BSJkMqWh5hUCc0wOGqZdPZkyGIwX1/0'; // phpass portable format
    const write = (connection: string, users: unknown[]) =>
      request<{ results: { ok: boolean; status?: string; error?: { code: string } }[] }>(
        restUrl(stack, 'usersync/v1/sidecar/passwords'),
        { basic: asService(stack), method: 'POST', body: { connection, users } },
      );
    assert.equal((await write('peer-a', [{ id, hash }])).status, 403);

    await putConfig(stack, { peers: [{ slug: 'peer-a', name: 'Peer A', acceptPasswords: true }] });
    const unlinked = await write('peer-a', [{ id, hash }]);
    assert.equal(unlinked.body.results[0]!.ok, false, 'only users linked to that peer');
    await request(restUrl(stack, 'usersync/v1/sidecar/links'), {
      basic: asService(stack),
      method: 'POST',
      body: { connection: 'peer-a', links: [{ userId: id, externalId: '900' }] },
    });
    const bad = await write('peer-a', [{ id, hash: 'plain text password' }]);
    assert.equal(bad.body.results[0]!.error?.code, 'usersync_invalid_password_hash');
    const good = await write('peer-a', [{ id, hash }]);
    assert.equal(good.body.results[0]!.status, 'updated', good.text);
    const stored = await wpEval<string>(
      stack,
      `echo wp_json_encode( get_userdata( ${id} )->user_pass );`,
    );
    assert.equal(stored, hash);
    assert.equal((await write('peer-a', [{ id, hash }])).body.results[0]!.status, 'unchanged');
    const admin = await write('peer-a', [{ id: 1, hash }]);
    assert.equal(admin.body.results[0]!.ok, false, 'never the administrator');

    await putConfig(stack, {
      peers: [
        {
          slug: 'peer-a',
          name: 'Peer A',
          scimUrl: 'https://a.example/scim/v2',
          token: 'x',
          sendPasswords: true,
        },
      ],
    });
    const hashes = await request<{ hashes: { id: number; hash: string }[] }>(
      `${restUrl(stack, 'usersync/v1/sidecar/passwords')}?ids=${id},1,2`,
      { basic: asService(stack) },
    );
    assert.deepEqual(
      hashes.body.hashes,
      [{ id, hash }],
      `neither the administrator nor the service user: ${hashes.text}`,
    );
    const entries = await audit(stack, { action: 'password', user: String(id) });
    assert.ok(entries.some((e) => e.result === 'success' && e.source === 'peer:Peer A'));
    await putConfig(stack, { peers: [] });
  });

  test('links and audit entries written for the sidecar', async () => {
    const [a, b] = [
      await createUser(stack, { username: 'link-a' }),
      await createUser(stack, { username: 'link-b' }),
    ];
    const links = async (items: unknown[]) =>
      (
        await request<{
          results: { userId: number; ok: boolean; status?: string; error?: { status: number } }[];
        }>(restUrl(stack, 'usersync/v1/sidecar/links'), {
          basic: asService(stack),
          method: 'POST',
          body: { connection: 'peer-b', links: items },
        })
      ).body.results;
    assert.equal((await links([{ userId: a, externalId: '7' }]))[0]!.status, 'linked');
    assert.equal((await links([{ userId: b, externalId: '7' }]))[0]!.error?.status, 409);
    assert.equal((await links([{ userId: a, externalId: null }]))[0]!.status, 'unlinked');

    const entry = {
      source: 'peer:Test',
      action: 'conflict',
      result: 'skipped',
      userId: a,
      fields: ['first_name'],
      message: 'kept "X"',
    };
    const forbidden = await request(restUrl(stack, 'usersync/v1/sidecar/audit'), {
      basic: asAdmin(stack),
      method: 'POST',
      body: { entries: [entry] },
    });
    assert.equal(forbidden.status, 403);
    const written = await request(restUrl(stack, 'usersync/v1/sidecar/audit'), {
      basic: asService(stack),
      method: 'POST',
      body: { entries: [entry] },
    });
    assert.equal(written.status, 201, written.text);
    const found = await audit(stack, { action: 'conflict' });
    assert.ok(found.some((e) => e.actor === 'sidecar' && e.error === 'kept "X"' && e.userId === a));
  });

  test('two link requests at once for overlapping users: every link is stored once, none is lost', async () => {
    const ids = await wpEval<number[]>(
      stack,
      `$ids = array();
       for ( $i = 0; $i < 500; $i++ ) {
         $ids[] = wp_insert_user( array( 'user_login' => "link-race-$i", 'user_email' => "link-race-$i@example.com", 'user_pass' => wp_generate_password( 12 ) ) );
       }
       echo wp_json_encode( $ids );`,
    );
    type Result = { userId: number; ok: boolean; status?: string; error?: { status: number } };
    const post = (connection: string, links: { userId: number; externalId: string }[]) =>
      request<{ results: Result[] }>(restUrl(stack, 'usersync/v1/sidecar/links'), {
        basic: asService(stack),
        method: 'POST',
        body: { connection, links },
      });
    /** The link meta rows and the index rows of a connection, as "user:external id". */
    const stored = (connection: string) =>
      wpEval<{ meta: string[]; index: string[] }>(
        stack,
        `global $wpdb;
         $meta  = $wpdb->get_col( $wpdb->prepare( "SELECT CONCAT(user_id, ':', meta_value) FROM {$wpdb->usermeta} WHERE meta_key = %s ORDER BY umeta_id", 'usersync_link_${connection}' ) );
         $index = $wpdb->get_col( $wpdb->prepare( "SELECT CONCAT(user_id, ':', external_id) FROM " . \\UserSync\\Links::table() . " WHERE connection = %s", '${connection}' ) );
         sort( $meta );
         sort( $index );
         echo wp_json_encode( array( 'meta' => $meta, 'index' => $index ) );`,
      );
    // A links the first 300 users, B the last 300: the middle 100 are in both requests.
    const a = ids.slice(0, 300);
    const b = ids.slice(200);
    const both = new Set(ids.slice(200, 300));
    for (let round = 0; round < 2; round++) {
      // The same external ids in both requests: one of them links, the other finds it done.
      const same = `race-same-${round}`;
      const [first, second] = await Promise.all([
        post(
          same,
          a.map((id) => ({ userId: id, externalId: `ext-${id}` })),
        ),
        post(
          same,
          b.map((id) => ({ userId: id, externalId: `ext-${id}` })),
        ),
      ]);
      assert.equal(first.status, 200, first.text);
      assert.equal(second.status, 200, second.text);
      const results = [...first.body.results, ...second.body.results];
      assert.ok(
        results.every((r) => r.ok),
        JSON.stringify(results.filter((r) => !r.ok)),
      );
      for (const id of both) {
        const statuses = results
          .filter((r) => r.userId === id)
          .map((r) => r.status)
          .sort();
        assert.deepEqual(statuses, ['linked', 'unchanged'], `user ${id} is linked once`);
      }
      const expected = ids.map((id) => `${id}:ext-${id}`).sort();
      assert.deepEqual(await stored(same), { meta: expected, index: expected });

      // Other external ids for the users in both: one request's link stays, in meta and index.
      const other = `race-other-${round}`;
      const [x, y] = await Promise.all([
        post(
          other,
          a.map((id) => ({ userId: id, externalId: `a-${id}` })),
        ),
        post(
          other,
          b.map((id) => ({ userId: id, externalId: `b-${id}` })),
        ),
      ]);
      assert.equal(x.status, 200, x.text);
      assert.equal(y.status, 200, y.text);
      assert.ok([...x.body.results, ...y.body.results].every((r) => r.ok && r.status === 'linked'));
      const rows = await stored(other);
      assert.equal(rows.meta.length, ids.length, `one link per user: ${rows.meta.join(' ')}`);
      assert.deepEqual(rows.index, rows.meta, 'the index holds what the meta holds');
      const value = new Map(rows.meta.map((row) => row.split(':') as [string, string]));
      for (const id of ids) {
        const allowed = both.has(id)
          ? [`a-${id}`, `b-${id}`]
          : [a.includes(id) ? `a-${id}` : `b-${id}`];
        assert.ok(allowed.includes(value.get(String(id))!), `user ${id}: ${value.get(String(id))}`);
      }

      // Two users claiming one external id at once: one holds it, the other is refused.
      const claim = `race-claim-${round}`;
      const [p, q] = await Promise.all([
        post(claim, [{ userId: ids[round]!, externalId: 'shared' }]),
        post(claim, [{ userId: ids[499 - round]!, externalId: 'shared' }]),
      ]);
      const claims = [p.body.results[0]!, q.body.results[0]!];
      assert.deepEqual(
        claims.map((r) => (r.ok ? r.status : r.error?.status)).sort(),
        [409, 'linked'].sort(),
        JSON.stringify(claims),
      );
      const owner = claims.find((r) => r.ok)!.userId;
      assert.deepEqual(await stored(claim), {
        meta: [`${owner}:shared`],
        index: [`${owner}:shared`],
      });
    }

    // A request of the most links it may carry (500 users, 500 external ids to claim).
    const full = await post(
      'race-full',
      ids.map((id) => ({ userId: id, externalId: `full-${id}` })),
    );
    assert.equal(full.status, 200, full.text);
    assert.ok(
      full.body.results.every((r) => r.ok && r.status === 'linked'),
      full.text,
    );
    const all = ids.map((id) => `${id}:full-${id}`).sort();
    assert.deepEqual(await stored('race-full'), { meta: all, index: all });
  });
});
