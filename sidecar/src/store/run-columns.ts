// The columns a RunUpdate sets, shared by both stores so they cannot drift apart; each store
// says only how it writes a boolean (SQLite 0/1, PostgreSQL BOOLEAN).
import type { RunUpdate } from './types.js';

export function runUpdateColumns(
  update: RunUpdate,
  bool: (value: boolean) => unknown,
): [column: string, value: unknown][] {
  const columns: Record<string, unknown> = {
    state: update.state,
    started_at: update.startedAt,
    finished_at: update.finishedAt,
    processed: update.processed,
    total: update.total,
    counts: update.counts === undefined ? undefined : JSON.stringify(update.counts),
    error: update.error,
    full_scan: update.full === undefined ? undefined : bool(update.full),
    heartbeat_at: update.heartbeatAt,
    cancel_requested:
      update.cancelRequested === undefined ? undefined : bool(update.cancelRequested),
    details: update.details === undefined ? undefined : JSON.stringify(update.details),
    owner: update.owner,
  };
  return Object.entries(columns).filter(([, value]) => value !== undefined);
}
