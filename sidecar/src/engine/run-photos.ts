// Profile photos within a run: the changed photos of the users a page wrote (or found
// unchanged), downloaded a few at a time and handed to WordPress as their avatars, a few per
// request. A photo that cannot be downloaded or applied is reported and retried by the next
// run that sees the user (its applied version stays what it was).
import pLimit from 'p-limit';
import type { Store } from '../store/types.js';
import type { PhotoJob } from './plan.js';
import { stateInput } from './plan.js';
import type { RunReport } from './run-report.js';
import type { AvatarItem, AvatarResult, WordPressGateway } from './types.js';

const AVATARS_PER_REQUEST = 20;

export interface RunPhotoDeps {
  wordpress: Pick<WordPressGateway, 'setAvatars'>;
  store: Store;
  source: string;
  runId: string;
  dryRun: boolean;
  signal: AbortSignal;
  report: RunReport;
  /** Throws when the run was cancelled. */
  checkCancelled(): void;
}

/** Downloads changed photos and hands them to WordPress as the users' avatars. */
export async function applyPhotos(jobs: PhotoJob[], deps: RunPhotoDeps): Promise<void> {
  const { wordpress, store, source, report } = deps;
  const ready = jobs.filter((job) => job.wpUserId !== null);
  if (ready.length === 0) return;
  if (deps.dryRun) {
    for (const job of ready) {
      report.listChange({
        action: 'update',
        externalId: job.externalId,
        login: null,
        wpUserId: job.wpUserId,
        fields: ['avatar'],
      });
    }
    return;
  }
  const applied: { externalId: string; version: string | null }[] = [];
  // A few pictures per request: they are small, but not tiny.
  for (let i = 0; i < ready.length; i += AVATARS_PER_REQUEST) {
    deps.checkCancelled();
    const part = ready.slice(i, i + AVATARS_PER_REQUEST);
    // Downloads a few at a time; a picture that cannot be downloaded is skipped.
    const loaded = await pLimit(4).map(part, async (job): Promise<AvatarItem | null> => {
      try {
        if (!job.photo) return { id: job.wpUserId!, remove: true };
        const photo = await job.photo.load();
        return {
          id: job.wpUserId!,
          contentType: photo.contentType,
          data: photo.data.toString('base64'),
          version: job.photo.version,
        };
      } catch (error) {
        if (deps.signal.aborted) throw error;
        report.photoFailed(job, error);
        return null;
      }
    });
    const items = loaded.filter((item): item is AvatarItem => item !== null);
    const sent = part.filter((_, index) => loaded[index] !== null);
    if (items.length === 0) continue;
    let results: AvatarResult[];
    try {
      results = await wordpress.setAvatars(source, `run:${deps.runId}`, items);
    } catch (error) {
      if (deps.signal.aborted) throw error;
      // Leave the applied versions as they were: the next run that sees the users retries.
      report.photoFailed(sent[0]!, error);
      continue;
    }
    const byId = new Map(results.map((result) => [result.id, result]));
    for (const job of sent) {
      const result = byId.get(job.wpUserId!);
      if (result?.ok) applied.push({ externalId: job.externalId, version: job.version });
      else report.photoFailed(job, new Error(result ? result.error.message : 'no result'));
    }
  }
  if (applied.length === 0) return;
  const states = await store.getSyncStates(
    source,
    applied.map((a) => a.externalId),
  );
  await store.saveSyncStates(
    source,
    applied
      .filter((a) => states.has(a.externalId))
      .map((a) => ({ ...stateInput(states.get(a.externalId)!), photoVersion: a.version })),
  );
}
