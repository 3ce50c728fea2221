// The engine and the Microsoft Graph connector against Graph as unkind as Microsoft documents
// it may be (the emulator's `strict` mode and its always-on behaviours): empty pages that carry
// a nextLink, users repeated on a later page, changes out of order, server-chosen page sizes,
// never-set properties omitted, 410 Gone for an expired delta token, and B2C without `$count`
// or photos. Each sync must still leave WordPress equal to the source.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Harness } from './harness.js';
import { harness, sourceUsers } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** WordPress holds each enabled source user once, with the source's current fields. */
function assertMirrors(current: Harness) {
  const expected = sourceUsers(current.emulator);
  const linked = current.wordpress.linked('contoso').filter((user) => user.active);
  assert.equal(linked.length, expected.length, 'one active WordPress user per source user');
  const byExternal = new Map(linked.map((user) => [user.links.get('contoso'), user]));
  assert.equal(byExternal.size, linked.length, 'no external id is linked twice');
  for (const user of expected) {
    const wp = byExternal.get(user.id);
    assert.ok(wp, `user ${user.id} is in WordPress`);
    assert.equal(wp.login, user.props.userPrincipalName);
    assert.equal(wp.displayName, user.props.displayName);
    assert.equal(wp.meta.title || null, (user.props.jobTitle as string | undefined) ?? null);
  }
}

describe('Microsoft Graph as strict as its documentation', () => {
  it('syncs in full and by delta through empty pages, repeats, shuffles and odd page sizes', async () => {
    h = await harness({
      emulator: { users: 120, seed: 'documented', strict: true, photoEvery: 0 },
    });
    // A property never set: Graph leaves it out of delta items altogether.
    const untitled = h.emulator.directory.user(h.emulator.directory.userOrder[3]!);
    delete untitled.props.jobTitle;
    const first = await h.sync();
    assert.equal(first.state, 'succeeded', first.error ?? '');
    assert.equal(first.counts.created, 120);
    assert.equal(first.counts.failed, 0);
    assert.ok(first.processed > 120, 'some users came twice (replays), applied idempotently');
    assert.equal(h.wordpress.byExternalId('contoso', untitled.id)?.meta.title || null, null);
    assertMirrors(h);

    // Changes of every kind, listed out of order.
    const ids = h.emulator.directory.userOrder;
    for (const id of ids.slice(10, 15)) {
      h.emulator.directory.updateUser(id, { jobTitle: `Changed ${id.slice(0, 4)}` });
    }
    h.emulator.directory.deleteUser(ids[20]!, true);
    h.emulator.directory.updateUser(ids[21]!, { accountEnabled: false });
    const writes = h.wordpress.writes;
    const second = await h.sync();
    assert.equal(second.state, 'succeeded', second.error ?? '');
    assert.equal(second.full, false);
    assert.equal(second.counts.failed, 0);
    assert.ok(h.wordpress.writes - writes >= 7);
    assertMirrors(h);

    // An expired delta token: 410 Gone, and the run resyncs in full without writing anew.
    h.emulator.expireDeltaTokens();
    h.emulator.directory.updateUser(ids[30]!, { displayName: 'After the resync' });
    const third = await h.sync();
    assert.equal(third.state, 'succeeded', third.error ?? '');
    assert.equal(third.full, true, 'the 410 led to a full listing');
    assert.equal(third.counts.created, 0, 'nobody created twice');
    assertMirrors(h);
  });

  it('B2C: no $count, photos off unless forced, and a photo refusal never fails the run', async () => {
    h = await harness({ emulator: { users: 15, b2c: true, photoEvery: 3 } });
    const run = await h.sync();
    assert.equal(run.state, 'succeeded', run.error ?? '');
    assert.equal(run.counts.created, 15);
    assert.equal(run.total, null, 'no $count in B2C');
    const requests = h.emulator.stats.requests;
    assert.equal(requests['GET /v1.0/users/$count'] ?? 0, 0);
    assert.equal(requests['GET /v1.0/users/{id}/photo'] ?? 0, 0, 'no photo asked for by default');
    await h.close();

    // Forced on: B2C refuses every photo, and the run still succeeds.
    h = await harness({
      emulator: { users: 15, b2c: true, photoEvery: 3 },
      settings: { b2cPhotos: true },
    });
    const forced = await h.sync();
    assert.equal(forced.state, 'succeeded', forced.error ?? '');
    assert.equal(forced.counts.created, 15);
    assert.ok((h.emulator.stats.requests['GET /v1.0/users/{id}/photo'] ?? 0) > 0);
    assert.equal(h.wordpress.linked('contoso').filter((u) => u.avatar).length, 0);
  });
});
