// The store as one run sees it: every write the run makes to its own record, and every cursor
// it saves, succeeds only while the run is still running under this replica. A replica that was
// paused past the stale time (another replica took the run over) or lost the record otherwise
// gets RunLost on its next write and stops there, without writing the run again.
import type { Run, RunHolder, RunUpdate, Store } from '../store/types.js';

/** The run is no longer this replica's: another took it over, or it was ended elsewhere. */
export class RunLost extends Error {
  override name = 'RunLost';
  constructor(readonly runId: string) {
    super(`Run ${runId} is no longer run by this replica (taken over or ended elsewhere)`);
  }
}

export function fencedStore(store: Store, run: RunHolder): Store {
  const updateRun = async (id: string, update: RunUpdate): Promise<Run | null> => {
    if (id !== run.id) return store.updateRun(id, update);
    const updated = await store.updateRun(id, update, { owner: run.owner, states: ['running'] });
    if (!updated) throw new RunLost(run.id);
    return updated;
  };
  const saveCursor = async (source: string, value: string) => {
    const saved = await store.saveCursorOfRun(source, value, run);
    if (!saved) throw new RunLost(run.id);
    return saved;
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'updateRun') return updateRun;
      if (property === 'saveCursor') return saveCursor;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}
