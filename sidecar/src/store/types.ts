// The sidecar's durable state: runs, cursors and the migrations that shape them.
//
// Glossary
// - source: something users are synced from or to, e.g. `graph:contoso` or `peer:child-site`.
// - run: one pass of a sync over a source (scheduled, on demand or catch-up), with live
//   progress and final counts.
// - cursor: where the next incremental run of a source starts (a delta link, a watermark, an
//   outbox id); saved only after the page it follows has been applied.
//
// Two implementations satisfy `Store`: SQLite (embedded default, one process) and PostgreSQL
// (`DATABASE_URL`, several replicas sharing one database).

export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type RunTrigger = 'schedule' | 'on-demand' | 'catch-up';

export interface RunCounts {
  created: number;
  updated: number;
  unchanged: number;
  disabled: number;
  deleted: number;
  failed: number;
}

export const emptyCounts = (): RunCounts => ({
  created: 0,
  updated: 0,
  unchanged: 0,
  disabled: 0,
  deleted: 0,
  failed: 0,
});

export interface Run {
  id: string;
  source: string;
  trigger: RunTrigger;
  state: RunState;
  dryRun: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  processed: number;
  total: number | null;
  counts: RunCounts;
  error: string | null;
}

export interface NewRun {
  source: string;
  trigger: RunTrigger;
  dryRun?: boolean;
}

export type RunUpdate = Partial<
  Pick<Run, 'state' | 'startedAt' | 'finishedAt' | 'processed' | 'total' | 'counts' | 'error'>
>;

export interface Cursor {
  source: string;
  value: string;
  updatedAt: string;
}

export interface StoreHealth {
  ok: boolean;
  kind: 'sqlite' | 'postgres';
  schemaVersion: number;
  error?: string;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies the numbered migrations not applied yet; safe to call from several replicas. */
  migrate(): Promise<number>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;

  createRun(run: NewRun): Promise<Run>;
  updateRun(id: string, update: RunUpdate): Promise<Run | null>;
  getRun(id: string): Promise<Run | null>;
  listRuns(options?: { source?: string; limit?: number }): Promise<Run[]>;

  getCursor(source: string): Promise<Cursor | null>;
  saveCursor(source: string, value: string): Promise<Cursor>;
  deleteCursor(source: string): Promise<void>;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}
