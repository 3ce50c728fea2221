// "Sync now" of chosen users and "Test with a user", with the Graph emulator and the
// in-memory WordPress: each user is fetched from the source by id and written like a run
// writes it, without moving the source's cursor; the preview maps one person and writes
// nothing.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SourceCannotFetchError } from '../../src/engine/index.js';
import type { Harness } from './harness.js';
import { harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('one user at a time', () => {
  it('re-fetches chosen users, writes only what changed, and leaves the cursor alone', async () => {
    h = await harness();
    const first = await h.sync();
    assert.equal(first.state, 'succeeded', first.error ?? '');
    const d = h.emulator.directory;
    const [a, b, c] = d.userOrder;
    d.updateUser(a!, { department: 'Legal' });
    d.deleteUser(c!, true);
    const cursor = await h.store.getCursor('contoso');
    const writes = h.wordpress.writes;

    const results = await h.engine.syncUsers('contoso', [a!, b!, c!]);
    assert.deepEqual(
      results.map((r) => [r.externalId, r.outcome]),
      [
        [a, 'updated'],
        [b, 'unchanged'],
        [c, 'not_found'],
      ],
    );
    const wp = h.wordpress.byExternalId('contoso', a!)!;
    assert.equal(wp.meta.department, 'Legal');
    assert.equal(results[0]!.wpUserId, wp.id);
    assert.equal(h.wordpress.writes, writes + 1, 'one write: the changed user');
    assert.ok(
      h.wordpress.byExternalId('contoso', c!)!.active,
      'a missing user is not deprovisioned',
    );
    assert.deepEqual(await h.store.getCursor('contoso'), cursor, 'the cursor did not move');

    // The next run sees the change as already applied.
    d.updateUser(b!, { jobTitle: 'Counsel' });
    const next = await h.sync();
    assert.equal(next.counts.updated, 1, 'only b: a was written already');
  });

  it('previews one person by sign-in name or id with the roles their groups give, writing nothing', async () => {
    h = await harness({ emulator: { groups: true } });
    h.wordpress.config.roleMap.rules = [{ group: 'Site Editors', role: 'editor', priority: 10 }];
    const d = h.emulator.directory;
    const someone = d.user(d.userOrder[0]!);
    const upn = String(someone.props.userPrincipalName);
    const writes = h.wordpress.writes;

    const byName = await h.engine.previewUser('contoso', upn);
    assert.equal(byName.found, true);
    assert.equal(byName.externalId, someone.id);
    assert.equal(byName.login, upn);
    assert.equal(byName.fields?.email, someone.props.mail);
    assert.equal(
      (byName.attributes?.name as { givenName?: string } | undefined)?.givenName,
      someone.props.givenName,
    );
    assert.ok(byName.groups?.includes('Site Editors'));
    assert.deepEqual(byName.roles, ['editor']);

    const byId = await h.engine.previewUser('contoso', someone.id);
    assert.equal(byId.login, upn);
    const nobody = await h.engine.previewUser('contoso', '00000000-0000-4000-a000-000000000000');
    assert.equal(nobody.found, false);
    assert.equal(h.wordpress.writes, writes, 'nothing written');
    assert.equal(h.wordpress.linked('contoso').length, 0);
  });

  it('reports a user the source refuses as failed, with the source’s reason, and syncs the rest', async () => {
    h = await harness();
    await h.sync();
    const [a, b] = h.emulator.directory.userOrder;
    h.emulator.directory.updateUser(a!, { jobTitle: 'Chief' });
    h.emulator.addFault({ status: 403, match: `/users/${b}`, count: 100 });
    const results = await h.engine.syncUsers('contoso', [a!, b!]);
    assert.equal(results[0]!.outcome, 'updated');
    assert.equal(results[1]!.outcome, 'failed');
    assert.match(results[1]!.message ?? '', /The source answered: .*generalException/);
    assert.equal(h.wordpress.byExternalId('contoso', a!)!.meta.title, 'Chief');
  });

  it('says so when a source cannot be asked for one user', async () => {
    h = await harness({ engine: { connectors: () => ({ kind: 'scim' }) as never } });
    await assert.rejects(h.engine.syncUsers('contoso', ['x']), SourceCannotFetchError);
    await assert.rejects(h.engine.previewUser('contoso', 'x'), SourceCannotFetchError);
  });
});
