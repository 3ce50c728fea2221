// The embedded store: one SQLite file (WAL mode), for a single sidecar process.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Cursor, Migration, NewRun, Run, RunUpdate, Store, StoreHealth } from '../types.js';
import { emptyCounts } from '../types.js';
import { migrations as defaultMigrations } from './migrations.js';

interface RunRow {
  id: string;
  source: string;
  trigger: string;
  state: string;
  dry_run: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  processed: number;
  total: number | null;
  counts: string;
  error: string | null;
}

const toRun = (row: RunRow): Run => ({
  id: row.id,
  source: row.source,
  trigger: row.trigger as Run['trigger'],
  state: row.state as Run['state'],
  dryRun: row.dry_run === 1,
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  processed: row.processed,
  total: row.total,
  counts: { ...emptyCounts(), ...(JSON.parse(row.counts) as object) },
  error: row.error,
});

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;

  constructor(
    file: string,
    private readonly migrations: Migration[] = defaultMigrations,
  ) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
  }

  async migrate(): Promise<number> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const applied = new Set(
      this.db
        .prepare('SELECT version FROM schema_migrations')
        .all()
        .map((row) => (row as { version: number }).version),
    );
    let count = 0;
    for (const migration of [...this.migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, new Date().toISOString());
      })();
      count++;
    }
    return count;
  }

  async health(): Promise<StoreHealth> {
    try {
      const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {
        v: number | null;
      };
      return { ok: true, kind: this.kind, schemaVersion: row.v ?? 0 };
    } catch (error) {
      return { ok: false, kind: this.kind, schemaVersion: 0, error: (error as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async createRun(run: NewRun): Promise<Run> {
    const id = randomUUID();
    this.db
      .prepare(
        `INSERT INTO runs (id, source, trigger, state, dry_run, created_at, processed, counts)
         VALUES (?, ?, ?, 'queued', ?, ?, 0, ?)`,
      )
      .run(
        id,
        run.source,
        run.trigger,
        run.dryRun ? 1 : 0,
        new Date().toISOString(),
        JSON.stringify(emptyCounts()),
      );
    return (await this.getRun(id))!;
  }

  async updateRun(id: string, update: RunUpdate): Promise<Run | null> {
    const columns: Record<string, unknown> = {
      state: update.state,
      started_at: update.startedAt,
      finished_at: update.finishedAt,
      processed: update.processed,
      total: update.total,
      counts: update.counts === undefined ? undefined : JSON.stringify(update.counts),
      error: update.error,
    };
    const set = Object.entries(columns).filter(([, value]) => value !== undefined);
    if (set.length > 0) {
      this.db
        .prepare(
          `UPDATE runs SET ${set.map(([column]) => `${column} = ?`).join(', ')} WHERE id = ?`,
        )
        .run(...set.map(([, value]) => value), id);
    }
    return this.getRun(id);
  }

  async getRun(id: string): Promise<Run | null> {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  async listRuns(options: { source?: string; limit?: number } = {}): Promise<Run[]> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 1000);
    const rows = (
      options.source
        ? this.db
            .prepare(
              'SELECT * FROM runs WHERE source = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
            )
            .all(options.source, limit)
        : this.db
            .prepare('SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?')
            .all(limit)
    ) as RunRow[];
    return rows.map(toRun);
  }

  async getCursor(source: string): Promise<Cursor | null> {
    const row = this.db
      .prepare('SELECT source, value, updated_at FROM cursors WHERE source = ?')
      .get(source) as { source: string; value: string; updated_at: string } | undefined;
    return row ? { source: row.source, value: row.value, updatedAt: row.updated_at } : null;
  }

  async saveCursor(source: string, value: string): Promise<Cursor> {
    const updatedAt = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO cursors (source, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(source, value, updatedAt);
    return { source, value, updatedAt };
  }

  async deleteCursor(source: string): Promise<void> {
    this.db.prepare('DELETE FROM cursors WHERE source = ?').run(source);
  }
}
