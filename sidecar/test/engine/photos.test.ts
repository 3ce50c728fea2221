// Photo reconciliation: photo-only changes never reach a delta sync (Microsoft Graph does not
// report them), so linked users' media ETags are read in JSON batches of 20 and only changed
// photos are downloaded; a removed photo clears the WordPress avatar.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { solidPng } from '../../../e2e/src/emulators/microsoft-graph/index.js';
import type { Harness } from './harness.js';
import { harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('photo reconciliation', () => {
  it('brings new, changed and removed photos that delta syncs never see, downloading only those', async () => {
    h = await harness({ emulator: { users: 30, photoEvery: 10 } });
    const first = await h.sync();
    assert.equal(first.state, 'succeeded', first.error ?? '');
    const d = h.emulator.directory;
    const withPhoto = d.userOrder.filter((id) => d.user(id).photo);
    assert.equal(withPhoto.length, 3);
    const avatarOf = (id: string) => h!.wordpress.byExternalId('contoso', id)?.avatar ?? null;
    assert.ok(avatarOf(withPhoto[0]!));

    const fresh = d.userOrder.find((id) => !d.user(id).photo)!;
    d.setPhoto(fresh, solidPng('photos', 1, 1));
    d.setPhoto(withPhoto[0]!, solidPng('photos', 2, 2));
    d.setPhoto(withPhoto[1]!, null);

    // A delta sync sees none of it, and costs no photo request for users that did not change.
    const stats = h.emulator.stats.requests;
    const photoReads = () => stats['GET /v1.0/users/{id}/photo'] ?? 0;
    const before = photoReads();
    const delta = await h.sync();
    assert.equal(delta.state, 'succeeded');
    assert.equal(photoReads(), before, 'no photo request in a delta run without changes');
    assert.equal(avatarOf(fresh), null);

    const downloads = () => stats['GET /v1.0/users/{id}/photo/$value'] ?? 0;
    const downloaded = downloads();
    const result = await h.engine.reconcilePhotos('contoso');
    assert.equal(result.checked, 30);
    assert.equal(result.updated, 2, 'the new and the changed photo');
    assert.equal(result.removed, 1);
    assert.equal(result.failed, 0);
    assert.equal(stats['POST /v1.0/$batch'], 2, '30 users in JSON batches of 20');
    assert.equal(photoReads(), before, 'the ETags came through the batches');
    assert.equal(downloads() - downloaded, 2, 'only changed photos are downloaded');
    assert.ok(avatarOf(fresh), 'the new photo is the avatar');
    assert.equal(avatarOf(withPhoto[1]!), null, 'the removed photo cleared the avatar');
    assert.equal(avatarOf(withPhoto[0]!)!.version, d.user(withPhoto[0]!).photo!.etag);

    // Nothing changed since: ETags only, no download, no WordPress write.
    const avatarRequests = h.wordpress.avatarRequests;
    const again = await h.engine.reconcilePhotos('contoso');
    assert.deepEqual([again.updated, again.removed, again.failed], [0, 0, 0]);
    assert.equal(downloads() - downloaded, 2);
    assert.equal(h.wordpress.avatarRequests, avatarRequests);
  });
});
