// Numbered PostgreSQL migrations, the same shape as SQLite's. Append only.
import type { Migration } from '../types.js';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'runs and cursors',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        trigger TEXT NOT NULL,
        state TEXT NOT NULL,
        dry_run BOOLEAN NOT NULL DEFAULT FALSE,
        created_at TIMESTAMPTZ NOT NULL,
        started_at TIMESTAMPTZ,
        finished_at TIMESTAMPTZ,
        processed INTEGER NOT NULL DEFAULT 0,
        total INTEGER,
        counts JSONB NOT NULL,
        error TEXT
      );
      CREATE INDEX runs_source_created ON runs (source, created_at);
      CREATE TABLE cursors (
        source TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
    `,
  },
];
