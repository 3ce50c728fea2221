// Numbered SQLite migrations. Append only: a released migration is never edited.
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
        dry_run INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        processed INTEGER NOT NULL DEFAULT 0,
        total INTEGER,
        counts TEXT NOT NULL,
        error TEXT
      );
      CREATE INDEX runs_source_created ON runs (source, created_at);
      CREATE TABLE cursors (
        source TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
];
