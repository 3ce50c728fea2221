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
  {
    version: 2,
    name: 'sync engine: run claiming, sync state, source groups',
    sql: `
      ALTER TABLE runs ADD COLUMN full_scan BOOLEAN NOT NULL DEFAULT FALSE;
      ALTER TABLE runs ADD COLUMN owner TEXT;
      ALTER TABLE runs ADD COLUMN heartbeat_at TIMESTAMPTZ;
      ALTER TABLE runs ADD COLUMN schedule_slot TEXT;
      ALTER TABLE runs ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT FALSE;
      ALTER TABLE runs ADD COLUMN details JSONB;
      CREATE INDEX runs_source_state ON runs (source, state);
      -- A schedule tick fires once even when every replica's timer fires.
      CREATE UNIQUE INDEX runs_one_per_schedule_slot ON runs (source, schedule_slot)
        WHERE schedule_slot IS NOT NULL;
      CREATE TABLE sync_state (
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        wp_user_id BIGINT,
        hash TEXT,
        roles JSONB,
        photo_version TEXT,
        status TEXT NOT NULL,
        seen_scan TEXT,
        error TEXT,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (source, external_id)
      );
      CREATE TABLE source_groups (
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        seen_scan TEXT,
        PRIMARY KEY (source, external_id)
      );
      CREATE TABLE source_group_members (
        source TEXT NOT NULL,
        group_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (source, group_id, user_id)
      );
      CREATE INDEX source_group_members_user ON source_group_members (source, user_id);
    `,
  },
  {
    version: 3,
    name: 'outbound: per-target state of local users, dead letters',
    sql: `
      CREATE TABLE outbound_state (
        target TEXT NOT NULL,
        user_id BIGINT NOT NULL,
        remote_id TEXT,
        sent JSONB,
        confirmed JSONB,
        hash TEXT,
        roles JSONB,
        remote_version TEXT,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (target, user_id)
      );
      CREATE TABLE outbound_dead_letters (
        id BIGSERIAL PRIMARY KEY,
        target TEXT NOT NULL,
        outbox_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        action TEXT NOT NULL,
        changed JSONB NOT NULL,
        origin TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        resolved_at TIMESTAMPTZ
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
        expires_at TIMESTAMPTZ NOT NULL
      );
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
        payload JSONB NOT NULL,
        state TEXT NOT NULL,
        owner TEXT,
        result JSONB,
        error TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        started_at TIMESTAMPTZ,
        finished_at TIMESTAMPTZ
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
        tokens DOUBLE PRECISION NOT NULL,
        at_ms DOUBLE PRECISION NOT NULL,
        granted BOOLEAN NOT NULL
      );
    `,
  },
];
