// Photo reconciliation: profile photos of the users linked to a source, checked on their own
// schedule because change feeds leave them out (Microsoft Graph: a photo is a navigation
// property, and changing it does not put the user in a delta response). It asks the source
// for the current photo versions of linked users (Graph: media ETags, 20 per JSON batch),
// downloads only the photos whose version differs from the one applied, and clears the
// WordPress avatar of users whose photo was removed.
import type { Logger } from '../logger.js';
import type { Connector, SourcePhoto } from '../connectors/types.js';
import type { Store, SyncState } from '../store/types.js';
import type { AvatarItem, SourceConnection, WordPressGateway } from './types.js';

/** What one reconciliation did. */
export interface PhotoReconciliation {
  source: string;
  /** Linked users whose photo version was asked for. */
  checked: number;
  /** Avatars set from a new or changed photo. */
  updated: number;
  /** Avatars cleared because the photo was removed. */
  removed: number;
  /** Photos that could not be downloaded or applied (retried next time). */
  failed: number;
  seconds: number;
}

/** A scan id no scan ever has: `listUnseen` with it lists every linked, provisioned user. */
const NO_SCAN = 'photo-reconciliation';
const PAGE = 500;
const AVATARS_PER_REQUEST = 20;

export async function reconcilePhotos(deps: {
  store: Store;
  wordpress: WordPressGateway;
  connector: Connector;
  source: SourceConnection;
  logger: Logger;
  signal?: AbortSignal;
}): Promise<PhotoReconciliation> {
  const { store, wordpress, connector, source, logger, signal } = deps;
  const started = Date.now();
  const result: PhotoReconciliation = {
    source: source.slug,
    checked: 0,
    updated: 0,
    removed: 0,
    failed: 0,
    seconds: 0,
  };
  if (!connector.photos) return result;
  let after: string | null = null;
  for (;;) {
    if (signal?.aborted) break;
    const states = await store.listUnseen(source.slug, NO_SCAN, after, PAGE);
    if (states.length === 0) break;
    after = states.at(-1)!.externalId;
    const linked = states.filter((state) => state.wpUserId !== null && state.status !== 'failed');
    if (linked.length === 0) continue;
    const photos = await connector.photos(
      linked.map((state) => state.externalId),
      { signal },
    );
    result.checked += linked.length;
    const changed: { state: SyncState; photo: SourcePhoto | null }[] = [];
    for (const state of linked) {
      if (!photos.has(state.externalId)) continue;
      const photo = photos.get(state.externalId) ?? null;
      if ((photo?.version ?? null) !== state.photoVersion) changed.push({ state, photo });
    }
    for (let i = 0; i < changed.length; i += AVATARS_PER_REQUEST) {
      const part = changed.slice(i, i + AVATARS_PER_REQUEST);
      const items: (AvatarItem | null)[] = await Promise.all(
        part.map(async ({ state, photo }): Promise<AvatarItem | null> => {
          if (!photo) return { id: state.wpUserId!, remove: true };
          try {
            const picture = await photo.load();
            return {
              id: state.wpUserId!,
              contentType: picture.contentType,
              data: picture.data.toString('base64'),
              version: photo.version,
            };
          } catch (error) {
            logger.warn({ err: error, externalId: state.externalId }, 'photo not downloaded');
            result.failed++;
            return null;
          }
        }),
      );
      const sent = part.filter((_, index) => items[index] !== null);
      const send = items.filter((item): item is AvatarItem => item !== null);
      if (send.length === 0) continue;
      const answers = await wordpress.setAvatars(source.slug, 'photo-reconciliation', send);
      const byId = new Map(answers.map((answer) => [answer.id, answer]));
      const saved = [];
      for (const { state, photo } of sent) {
        const answer = byId.get(state.wpUserId!);
        if (!answer?.ok) {
          result.failed++;
          continue;
        }
        if (photo) result.updated++;
        else result.removed++;
        saved.push({
          externalId: state.externalId,
          wpUserId: state.wpUserId,
          hash: state.hash,
          roles: state.roles,
          photoVersion: photo?.version ?? null,
          status: state.status,
          error: state.error,
          seenScan: state.seenScan,
        });
      }
      if (saved.length > 0) await store.saveSyncStates(source.slug, saved);
    }
  }
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  return result;
}
