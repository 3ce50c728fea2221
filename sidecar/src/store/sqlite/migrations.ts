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
  {
    version: 2,
    name: 'sync engine: run claiming, sync state, source groups',
    sql: `
      ALTER TABLE runs ADD COLUMN full_scan INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN owner TEXT;
      ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
      ALTER TABLE runs ADD COLUMN schedule_slot TEXT;
      ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN details TEXT;
      CREATE INDEX runs_source_state ON runs (source, state);
      CREATE UNIQUE INDEX runs_one_per_schedule_slot ON runs (source, schedule_slot)
        WHERE schedule_slot IS NOT NULL;
      CREATE TABLE sync_state (
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        wp_user_id INTEGER,
        hash TEXT,
        roles TEXT,
        photo_version TEXT,
        status TEXT NOT NULL,
        seen_scan TEXT,
        error TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (source, external_id)
      ) WITHOUT ROWID;
      CREATE TABLE source_groups (
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        seen_scan TEXT,
        PRIMARY KEY (source, external_id)
      ) WITHOUT ROWID;
      CREATE TABLE source_group_members (
        source TEXT NOT NULL,
        group_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (source, group_id, user_id)
      ) WITHOUT ROWID;
      CREATE INDEX source_group_members_user ON source_group_members (source, user_id);
    `,
  },
  {
    version: 3,
    name: 'outbound: per-target state of local users, dead letters',
    sql: `
      CREATE TABLE outbound_state (
        target TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        remote_id TEXT,
        sent TEXT,
        confirmed TEXT,
        hash TEXT,
        roles TEXT,
        remote_version TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (target, user_id)
      ) WITHOUT ROWID;
      CREATE TABLE outbound_dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        target TEXT NOT NULL,
        outbox_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        action TEXT NOT NULL,
        changed TEXT NOT NULL,
        origin TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        resolved_at TEXT
      );
      CREATE INDEX outbound_dead_letters_open ON outbound_dead_letters (target, resolved_at);
    `,
  },
  {
    version: 4,
    name: 'leases: one replica at a time works on a named task',
    sql: `
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: 'commands: requests carried out by the replica that owns the work',
    sql: `
      CREATE TABLE commands (
        id TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        owner TEXT,
        result TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE INDEX commands_scope_state ON commands (scope, state, created_at);
    `,
  },
  {
    version: 6,
    name: 'rate buckets: the SCIM rate limit of each token, shared by the replicas',
    sql: `
      CREATE TABLE rate_buckets (
        key TEXT PRIMARY KEY,
        tokens REAL NOT NULL,
        at_ms REAL NOT NULL,
        granted INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];
