// The scale-out store: PostgreSQL shared by several sidecar replicas (`DATABASE_URL`).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Cursor, Migration, NewRun, Run, RunUpdate, Store, StoreHealth } from '../types.js';
import { emptyCounts } from '../types.js';
import { migrations as defaultMigrations } from './migrations.js';

// Any constant works; it only has to be the same for every replica.
const MIGRATION_LOCK = 0x75736572;

interface RunRow {
  id: string;
  source: string;
  trigger: string;
  state: string;
  dry_run: boolean;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  processed: number;
  total: number | null;
  counts: Partial<Run['counts']>;
  error: string | null;
}

const iso = (value: Date | null) => (value ? value.toISOString() : null);

const toRun = (row: RunRow): Run => ({
  id: row.id,
  source: row.source,
  trigger: row.trigger as Run['trigger'],
  state: row.state as Run['state'],
  dryRun: row.dry_run,
  createdAt: row.created_at.toISOString(),
  startedAt: iso(row.started_at),
  finishedAt: iso(row.finished_at),
  processed: row.processed,
  total: row.total,
  counts: { ...emptyCounts(), ...row.counts },
  error: row.error,
});

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(
    connectionString: string,
    private readonly migrations: Migration[] = defaultMigrations,
  ) {
    this.pool = new pg.Pool({ connectionString, max: 10 });
  }

  async migrate(): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Replicas starting together wait here; the first applies, the rest find nothing to do.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
      );
      const { rows } = await client.query<{ version: number }>(
        'SELECT version FROM schema_migrations',
      );
      const applied = new Set(rows.map((row) => row.version));
      let count = 0;
      for (const migration of [...this.migrations].sort((a, b) => a.version - b.version)) {
        if (applied.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query(
          'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())',
          [migration.version, migration.name],
        );
        count++;
      }
      await client.query('COMMIT');
      return count;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  async health(): Promise<StoreHealth> {
    try {
      const { rows } = await this.pool.query<{ v: number | null }>(
        'SELECT MAX(version) AS v FROM schema_migrations',
      );
      return { ok: true, kind: this.kind, schemaVersion: rows[0]?.v ?? 0 };
    } catch (error) {
      return { ok: false, kind: this.kind, schemaVersion: 0, error: (error as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async createRun(run: NewRun): Promise<Run> {
    const { rows } = await this.pool.query<RunRow>(
      `INSERT INTO runs (id, source, trigger, state, dry_run, created_at, processed, counts)
       VALUES ($1, $2, $3, 'queued', $4, now(), 0, $5) RETURNING *`,
      [randomUUID(), run.source, run.trigger, run.dryRun ?? false, JSON.stringify(emptyCounts())],
    );
    return toRun(rows[0]!);
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
    if (set.length === 0) return this.getRun(id);
    const { rows } = await this.pool.query<RunRow>(
      `UPDATE runs SET ${set.map(([column], i) => `${column} = $${i + 1}`).join(', ')}
       WHERE id = $${set.length + 1} RETURNING *`,
      [...set.map(([, value]) => value), id],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async getRun(id: string): Promise<Run | null> {
    const { rows } = await this.pool.query<RunRow>('SELECT * FROM runs WHERE id = $1', [id]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  async listRuns(options: { source?: string; limit?: number } = {}): Promise<Run[]> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 1000);
    const { rows } = options.source
      ? await this.pool.query<RunRow>(
          'SELECT * FROM runs WHERE source = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
          [options.source, limit],
        )
      : await this.pool.query<RunRow>(
          'SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT $1',
          [limit],
        );
    return rows.map(toRun);
  }

  async getCursor(source: string): Promise<Cursor | null> {
    const { rows } = await this.pool.query<{ source: string; value: string; updated_at: Date }>(
      'SELECT source, value, updated_at FROM cursors WHERE source = $1',
      [source],
    );
    const row = rows[0];
    return row
      ? { source: row.source, value: row.value, updatedAt: row.updated_at.toISOString() }
      : null;
  }

  async saveCursor(source: string, value: string): Promise<Cursor> {
    const { rows } = await this.pool.query<{ updated_at: Date }>(
      `INSERT INTO cursors (source, value, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (source) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
       RETURNING updated_at`,
      [source, value],
    );
    return { source, value, updatedAt: rows[0]!.updated_at.toISOString() };
  }

  async deleteCursor(source: string): Promise<void> {
    await this.pool.query('DELETE FROM cursors WHERE source = $1', [source]);
  }
}
