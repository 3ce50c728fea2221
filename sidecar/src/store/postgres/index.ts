// The scale-out store: PostgreSQL shared by several sidecar replicas (`DATABASE_URL`).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type {
  Command,
  CommandOutcome,
  Cursor,
  DeadLetter,
  LeaseHolder,
  MappedValues,
  Migration,
  NewCommand,
  NewDeadLetter,
  OutboundState,
  OutboundStateInput,
  NewRun,
  Run,
  RunClaim,
  RunGuard,
  RunHolder,
  RunUpdate,
  SignalListener,
  SignalTopic,
  SourceGroup,
  Store,
  StoreHealth,
  SyncState,
  SyncStateInput,
} from '../types.js';
import { runUpdateColumns } from '../run-columns.js';
import { emptyCounts, emptyDetails } from '../types.js';
import { migrations as defaultMigrations } from './migrations.js';
import { PostgresSignals } from './signals.js';

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
  full_scan: boolean;
  owner: string | null;
  heartbeat_at: Date | null;
  schedule_slot: string | null;
  cancel_requested: boolean;
  details: Partial<Run['details']> | null;
}

interface SyncStateRow {
  source: string;
  external_id: string;
  wp_user_id: string | null;
  hash: string | null;
  roles: string[] | null;
  photo_version: string | null;
  status: string;
  seen_scan: string | null;
  error: string | null;
  updated_at: Date;
}

const toSyncState = (row: SyncStateRow): SyncState => ({
  source: row.source,
  externalId: row.external_id,
  wpUserId: row.wp_user_id === null ? null : Number(row.wp_user_id),
  hash: row.hash,
  roles: row.roles,
  photoVersion: row.photo_version,
  status: row.status as SyncState['status'],
  seenScan: row.seen_scan,
  error: row.error,
  updatedAt: row.updated_at.toISOString(),
});

interface OutboundStateRow {
  target: string;
  user_id: string;
  remote_id: string | null;
  sent: MappedValues | null;
  confirmed: MappedValues | null;
  hash: string | null;
  roles: string[] | null;
  remote_version: string | null;
  updated_at: Date;
}

interface DeadLetterRow {
  id: string;
  target: string;
  outbox_id: string;
  user_id: string;
  action: string;
  changed: string[];
  origin: string;
  code: string;
  message: string;
  attempts: number;
  created_at: Date;
  resolved_at: Date | null;
}

const toOutboundState = (row: OutboundStateRow): OutboundState => ({
  target: row.target,
  userId: Number(row.user_id),
  remoteId: row.remote_id,
  sent: row.sent,
  confirmed: row.confirmed,
  hash: row.hash,
  roles: row.roles,
  remoteVersion: row.remote_version,
  updatedAt: row.updated_at.toISOString(),
});

const toDeadLetter = (row: DeadLetterRow): DeadLetter => ({
  id: Number(row.id),
  target: row.target,
  outboxId: Number(row.outbox_id),
  userId: Number(row.user_id),
  action: row.action,
  changed: row.changed,
  origin: row.origin,
  code: row.code,
  message: row.message,
  attempts: row.attempts,
  createdAt: row.created_at.toISOString(),
  resolvedAt: row.resolved_at ? row.resolved_at.toISOString() : null,
});

interface CommandRow {
  id: string;
  scope: string;
  kind: string;
  payload: Record<string, unknown>;
  state: string;
  owner: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const toCommand = (row: CommandRow): Command => ({
  id: row.id,
  scope: row.scope,
  kind: row.kind,
  payload: row.payload,
  state: row.state as Command['state'],
  owner: row.owner,
  result: row.result,
  error: row.error,
  createdAt: row.created_at.toISOString(),
  startedAt: row.started_at ? row.started_at.toISOString() : null,
  finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
});

// The lease row of a guarded write, share-locked so that a takeover committing meanwhile is
// seen: the write then matches nothing.
const HELD_LEASE = `SELECT 1 FROM leases WHERE name = $1 AND owner = $2
  AND expires_at > clock_timestamp() FOR SHARE`;

const jsonOrNull = (value: unknown) => (value === null ? null : JSON.stringify(value));

// Advisory lock namespace for run claims (the second key is the source's hash).
const RUN_CLAIM_LOCK = 0x72756e73;

const INSERT_RUN = `INSERT INTO runs (id, source, trigger, state, dry_run, full_scan, owner,
    schedule_slot, created_at, processed, counts, details)
  VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, clock_timestamp(), 0, $8, $9) RETURNING *`;

const runValues = (run: NewRun) => [
  randomUUID(),
  run.source,
  run.trigger,
  run.dryRun ?? false,
  run.full ?? false,
  run.owner ?? null,
  run.scheduleSlot ?? null,
  JSON.stringify(emptyCounts()),
  JSON.stringify(emptyDetails()),
];

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
  full: row.full_scan,
  owner: row.owner,
  heartbeatAt: iso(row.heartbeat_at),
  scheduleSlot: row.schedule_slot,
  cancelRequested: row.cancel_requested,
  details: { ...emptyDetails(), ...(row.details ?? {}) },
});

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly signals: PostgresSignals;

  constructor(
    connectionString: string,
    private readonly migrations: Migration[] = defaultMigrations,
  ) {
    this.pool = new pg.Pool({ connectionString, max: 10 });
    // An idle connection the server closes (restart, failover, pg_terminate_backend) is an
    // 'error' event on the pool; unhandled, it would crash the sidecar. The pool drops that
    // client and the next query opens a new connection.
    this.pool.on('error', () => undefined);
    // A client checked out for a transaction has no pool listener: its connection dropping
    // between two queries would be an unhandled 'error' event too. The failing query (or the
    // next one) reports it to the caller; the pool discards the client on release.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
    this.signals = new PostgresSignals(connectionString, this.pool);
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
    await this.signals.close();
    await this.pool.end();
  }

  async createRun(run: NewRun): Promise<Run> {
    const { rows } = await this.pool.query<RunRow>(INSERT_RUN, runValues(run));
    return toRun(rows[0]!);
  }

  async claimRun(run: NewRun): Promise<RunClaim> {
    // A transaction-scoped advisory lock per source serialises claims from every replica: the
    // check for an active run (or a run of the same schedule tick) and the insert are atomic.
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        RUN_CLAIM_LOCK,
        run.source,
      ]);
      const existing = await client.query<RunRow>(
        `SELECT * FROM runs WHERE source = $1
           AND (state IN ('queued', 'running') OR ($2::text IS NOT NULL AND schedule_slot = $2))
         ORDER BY (schedule_slot IS NOT DISTINCT FROM $2) DESC, created_at LIMIT 1`,
        [run.source, run.scheduleSlot ?? null],
      );
      if (existing.rows[0]) {
        await client.query('COMMIT');
        return { run: toRun(existing.rows[0]), created: false };
      }
      if (run.resume) {
        const reopened = await client.query<RunRow>(
          `UPDATE runs SET state = 'queued', owner = $1, error = NULL, finished_at = NULL
           WHERE id = $2 AND source = $3 AND state = 'interrupted' RETURNING *`,
          [run.owner ?? null, run.resume, run.source],
        );
        if (reopened.rows[0]) {
          await client.query('COMMIT');
          return { run: toRun(reopened.rows[0]), created: true };
        }
      }
      const { rows } = await client.query<RunRow>(INSERT_RUN, runValues(run));
      await client.query('COMMIT');
      return { run: toRun(rows[0]!), created: true };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async activeRun(source: string): Promise<Run | null> {
    const { rows } = await this.pool.query<RunRow>(
      `SELECT * FROM runs WHERE source = $1 AND state IN ('queued', 'running')
       ORDER BY created_at LIMIT 1`,
      [source],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async interruptRuns(options: {
    source?: string;
    staleBefore?: string;
    owners?: string[];
    error: string;
  }): Promise<Run[]> {
    const who: string[] = [];
    const params: unknown[] = [options.error];
    if (options.staleBefore) {
      params.push(options.staleBefore);
      who.push(`COALESCE(heartbeat_at, created_at) < $${params.length}`);
    }
    if (options.owners && options.owners.length > 0) {
      params.push(options.owners);
      who.push(`owner = ANY($${params.length})`);
    }
    if (who.length === 0) return [];
    let where = `state IN ('queued', 'running') AND (${who.join(' OR ')})`;
    if (options.source) {
      params.push(options.source);
      where += ` AND source = $${params.length}`;
    }
    const { rows } = await this.pool.query<RunRow>(
      `UPDATE runs SET state = 'interrupted', error = $1, finished_at = now() WHERE ${where} RETURNING *`,
      params,
    );
    return rows.map(toRun);
  }

  async updateRun(id: string, update: RunUpdate, guard?: RunGuard): Promise<Run | null> {
    const set = runUpdateColumns(update, (value) => value);
    const params: unknown[] = [...set.map(([, value]) => value), id];
    let where = `id = $${params.length}`;
    if (guard) {
      params.push(guard.states);
      where += ` AND state = ANY($${params.length})`;
      if (guard.owner !== undefined) {
        params.push(guard.owner);
        where += ` AND owner = $${params.length}`;
      }
    }
    if (set.length === 0) {
      const { rows } = await this.pool.query<RunRow>(`SELECT * FROM runs WHERE ${where}`, params);
      return rows[0] ? toRun(rows[0]) : null;
    }
    const { rows } = await this.pool.query<RunRow>(
      `UPDATE runs SET ${set.map(([column], i) => `${column} = $${i + 1}`).join(', ')}
       WHERE ${where} RETURNING *`,
      params,
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

  async saveCursorOfRun(source: string, value: string, run: RunHolder): Promise<Cursor | null> {
    // FOR SHARE holds the run row until the cursor is written: a takeover (an UPDATE of the
    // row) waits for it, and a takeover that committed first makes the condition false.
    const { rows } = await this.pool.query<{ updated_at: Date }>(
      `WITH held AS (
         SELECT 1 FROM runs WHERE id = $1 AND owner = $2 AND state = 'running' FOR SHARE
       )
       INSERT INTO cursors (source, value, updated_at) SELECT $3, $4, now() FROM held
       ON CONFLICT (source) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
       RETURNING updated_at`,
      [run.id, run.owner, source, value],
    );
    return rows[0] ? { source, value, updatedAt: rows[0].updated_at.toISOString() } : null;
  }

  async deleteCursor(source: string): Promise<void> {
    await this.pool.query('DELETE FROM cursors WHERE source = $1', [source]);
  }

  async getSyncStates(source: string, externalIds: string[]): Promise<Map<string, SyncState>> {
    const found = new Map<string, SyncState>();
    if (externalIds.length === 0) return found;
    const { rows } = await this.pool.query<SyncStateRow>(
      'SELECT * FROM sync_state WHERE source = $1 AND external_id = ANY($2)',
      [source, externalIds],
    );
    for (const row of rows) found.set(row.external_id, toSyncState(row));
    return found;
  }

  async saveSyncStates(source: string, states: SyncStateInput[]): Promise<void> {
    if (states.length === 0) return;
    // One statement per page: arrays unnested into rows.
    await this.pool.query(
      `INSERT INTO sync_state (source, external_id, wp_user_id, hash, roles, photo_version,
         status, seen_scan, error, updated_at)
       SELECT $1, t.external_id, t.wp_user_id, t.hash, t.roles::jsonb, t.photo_version,
         t.status, t.seen_scan, t.error, now()
       FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::text[])
         AS t(external_id, wp_user_id, hash, roles, photo_version, status, seen_scan, error)
       ON CONFLICT (source, external_id) DO UPDATE SET
         wp_user_id = EXCLUDED.wp_user_id, hash = EXCLUDED.hash, roles = EXCLUDED.roles,
         photo_version = EXCLUDED.photo_version, status = EXCLUDED.status,
         seen_scan = COALESCE(EXCLUDED.seen_scan, sync_state.seen_scan),
         error = EXCLUDED.error, updated_at = EXCLUDED.updated_at`,
      [
        source,
        states.map((s) => s.externalId),
        states.map((s) => s.wpUserId),
        states.map((s) => s.hash),
        states.map((s) => (s.roles === null ? null : JSON.stringify(s.roles))),
        states.map((s) => s.photoVersion),
        states.map((s) => s.status),
        states.map((s) => s.seenScan ?? null),
        states.map((s) => s.error),
      ],
    );
  }

  async deleteSyncStates(source: string, externalIds: string[]): Promise<void> {
    if (externalIds.length === 0) return;
    await this.pool.query('DELETE FROM sync_state WHERE source = $1 AND external_id = ANY($2)', [
      source,
      externalIds,
    ]);
  }

  async countSyncStates(source: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT COUNT(*) AS n FROM sync_state WHERE source = $1',
      [source],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async markSeen(source: string, externalIds: string[], scanId: string): Promise<void> {
    if (externalIds.length === 0) return;
    await this.pool.query(
      'UPDATE sync_state SET seen_scan = $1 WHERE source = $2 AND external_id = ANY($3)',
      [scanId, source, externalIds],
    );
  }

  async listUnseen(
    source: string,
    scanId: string,
    after: string | null,
    limit: number,
  ): Promise<SyncState[]> {
    const { rows } = await this.pool.query<SyncStateRow>(
      `SELECT * FROM sync_state
       WHERE source = $1 AND status != 'deprovisioned' AND seen_scan IS DISTINCT FROM $2
         AND external_id COLLATE "C" > $3
       ORDER BY external_id COLLATE "C" LIMIT $4`,
      [source, scanId, after ?? '', limit],
    );
    return rows.map(toSyncState);
  }

  async resetSource(source: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const table of ['cursors', 'sync_state', 'source_groups', 'source_group_members']) {
        await client.query(`DELETE FROM ${table} WHERE source = $1`, [source]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  async saveGroups(source: string, groups: SourceGroup[], scanId?: string): Promise<void> {
    if (groups.length === 0) return;
    await this.pool.query(
      `INSERT INTO source_groups (source, external_id, display_name, seen_scan)
       SELECT $1, t.external_id, t.display_name, $4
       FROM unnest($2::text[], $3::text[]) AS t(external_id, display_name)
       ON CONFLICT (source, external_id) DO UPDATE SET display_name = EXCLUDED.display_name,
         seen_scan = COALESCE(EXCLUDED.seen_scan, source_groups.seen_scan)`,
      [source, groups.map((g) => g.externalId), groups.map((g) => g.displayName), scanId ?? null],
    );
  }

  async deleteGroups(source: string, externalIds: string[]): Promise<void> {
    if (externalIds.length === 0) return;
    await this.pool.query('DELETE FROM source_groups WHERE source = $1 AND external_id = ANY($2)', [
      source,
      externalIds,
    ]);
    await this.pool.query(
      'DELETE FROM source_group_members WHERE source = $1 AND group_id = ANY($2)',
      [source, externalIds],
    );
  }

  async deleteUnseenGroups(source: string, scanId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ external_id: string }>(
      'SELECT external_id FROM source_groups WHERE source = $1 AND seen_scan IS DISTINCT FROM $2',
      [source, scanId],
    );
    const ids = rows.map((row) => row.external_id);
    await this.deleteGroups(source, ids);
    return ids;
  }

  async setGroupMembers(
    source: string,
    groupId: string,
    change: { all?: string[]; add?: string[]; remove?: string[] },
  ): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (change.all) {
        await client.query('DELETE FROM source_group_members WHERE source = $1 AND group_id = $2', [
          source,
          groupId,
        ]);
      }
      const add = [...(change.all ?? []), ...(change.add ?? [])];
      if (add.length > 0) {
        await client.query(
          `INSERT INTO source_group_members (source, group_id, user_id)
           SELECT $1, $2, u FROM unnest($3::text[]) AS u ON CONFLICT DO NOTHING`,
          [source, groupId, add],
        );
      }
      if (change.remove && change.remove.length > 0) {
        await client.query(
          'DELETE FROM source_group_members WHERE source = $1 AND group_id = $2 AND user_id = ANY($3)',
          [source, groupId, change.remove],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  async groupMembers(source: string, groupIds: string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    const { rows } = await this.pool.query<{ user_id: string }>(
      'SELECT DISTINCT user_id FROM source_group_members WHERE source = $1 AND group_id = ANY($2)',
      [source, groupIds],
    );
    return rows.map((row) => row.user_id);
  }

  async groupsOfUsers(source: string, userIds: string[]): Promise<Map<string, string[]>> {
    const groups = new Map<string, string[]>();
    if (userIds.length === 0) return groups;
    const { rows } = await this.pool.query<{ user_id: string; display_name: string }>(
      `SELECT m.user_id, g.display_name FROM source_group_members m
       JOIN source_groups g ON g.source = m.source AND g.external_id = m.group_id
       WHERE m.source = $1 AND m.user_id = ANY($2)
       ORDER BY g.display_name`,
      [source, userIds],
    );
    for (const row of rows) {
      const list = groups.get(row.user_id) ?? [];
      list.push(row.display_name);
      groups.set(row.user_id, list);
    }
    return groups;
  }

  async getOutboundStates(target: string, userIds: number[]): Promise<Map<number, OutboundState>> {
    const found = new Map<number, OutboundState>();
    if (userIds.length === 0) return found;
    const { rows } = await this.pool.query<OutboundStateRow>(
      'SELECT * FROM outbound_state WHERE target = $1 AND user_id = ANY($2::bigint[])',
      [target, userIds],
    );
    for (const row of rows) found.set(Number(row.user_id), toOutboundState(row));
    return found;
  }

  async saveOutboundStates(target: string, states: OutboundStateInput[]): Promise<void> {
    if (states.length === 0) return;
    // One statement for the whole list; the last state of a user wins.
    const byUser = new Map(states.map((state) => [state.userId, state]));
    const list = [...byUser.values()];
    await this.pool.query(
      `INSERT INTO outbound_state (target, user_id, remote_id, sent, confirmed, hash, roles,
         remote_version, updated_at)
       SELECT $1, u.user_id, u.remote_id, u.sent, u.confirmed, u.hash, u.roles, u.remote_version,
         now()
       FROM UNNEST($2::bigint[], $3::text[], $4::jsonb[], $5::jsonb[], $6::text[], $7::jsonb[],
         $8::text[]) AS u(user_id, remote_id, sent, confirmed, hash, roles, remote_version)
       ON CONFLICT (target, user_id) DO UPDATE SET
         remote_id = EXCLUDED.remote_id, sent = EXCLUDED.sent, confirmed = EXCLUDED.confirmed,
         hash = EXCLUDED.hash, roles = EXCLUDED.roles, remote_version = EXCLUDED.remote_version,
         updated_at = EXCLUDED.updated_at`,
      [
        target,
        list.map((s) => s.userId),
        list.map((s) => s.remoteId),
        list.map((s) => jsonOrNull(s.sent)),
        list.map((s) => jsonOrNull(s.confirmed)),
        list.map((s) => s.hash),
        list.map((s) => jsonOrNull(s.roles)),
        list.map((s) => s.remoteVersion),
      ],
    );
  }

  async deleteOutboundStates(target: string, userIds: number[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.pool.query(
      'DELETE FROM outbound_state WHERE target = $1 AND user_id = ANY($2::bigint[])',
      [target, userIds],
    );
  }

  async resetOutboundTarget(target: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM outbound_state WHERE target = $1', [target]);
      await client.query('DELETE FROM outbound_dead_letters WHERE target = $1', [target]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async addDeadLetter(letter: NewDeadLetter): Promise<DeadLetter> {
    const { rows } = await this.pool.query<DeadLetterRow>(
      `INSERT INTO outbound_dead_letters (target, outbox_id, user_id, action, changed, origin,
         code, message, attempts, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, clock_timestamp()) RETURNING *`,
      [
        letter.target,
        letter.outboxId,
        letter.userId,
        letter.action,
        JSON.stringify(letter.changed),
        letter.origin,
        letter.code,
        letter.message,
        letter.attempts,
      ],
    );
    return toDeadLetter(rows[0]!);
  }

  async getDeadLetter(id: number): Promise<DeadLetter | null> {
    const { rows } = await this.pool.query<DeadLetterRow>(
      'SELECT * FROM outbound_dead_letters WHERE id = $1',
      [id],
    );
    return rows[0] ? toDeadLetter(rows[0]) : null;
  }

  async listDeadLetters(
    options: { target?: string; includeResolved?: boolean; limit?: number } = {},
  ): Promise<DeadLetter[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.target) {
      params.push(options.target);
      where.push(`target = $${params.length}`);
    }
    if (!options.includeResolved) where.push('resolved_at IS NULL');
    params.push(Math.min(Math.max(options.limit ?? 100, 1), 1000));
    const { rows } = await this.pool.query<DeadLetterRow>(
      `SELECT * FROM outbound_dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toDeadLetter);
  }

  async resolveDeadLetters(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE outbound_dead_letters SET resolved_at = now()
       WHERE resolved_at IS NULL AND id = ANY($1::bigint[])`,
      [ids],
    );
  }

  async countDeadLetters(): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ target: string; n: string }>(
      `SELECT target, COUNT(*) AS n FROM outbound_dead_letters WHERE resolved_at IS NULL
       GROUP BY target`,
    );
    return new Map(rows.map((row) => [row.target, Number(row.n)]));
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    // One statement: the row is taken when free, expired or already ours; else left alone.
    const { rows } = await this.pool.query<{ owner: string }>(
      `INSERT INTO leases (name, owner, expires_at)
       VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
         WHERE leases.owner = EXCLUDED.owner OR leases.expires_at < clock_timestamp()
       RETURNING owner`,
      [name, owner, ttlMs],
    );
    return rows[0]?.owner === owner;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.pool.query('DELETE FROM leases WHERE name = $1 AND owner = $2', [name, owner]);
  }

  signal(topic: SignalTopic, message: string): Promise<void> {
    return this.signals.signal(topic, message);
  }

  onSignal(topic: SignalTopic, listener: SignalListener): Promise<() => void> {
    return this.signals.onSignal(topic, listener);
  }

  async renewLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE leases SET expires_at = clock_timestamp() + $3 * interval '1 millisecond'
       WHERE name = $1 AND owner = $2 AND expires_at > clock_timestamp()`,
      [name, owner, ttlMs],
    );
    return rowCount === 1;
  }

  async saveCursorLeased(
    source: string,
    value: string,
    lease: LeaseHolder,
  ): Promise<Cursor | null> {
    const { rows } = await this.pool.query<{ updated_at: Date }>(
      `WITH held AS (${HELD_LEASE})
       INSERT INTO cursors (source, value, updated_at) SELECT $3, $4, now() FROM held
       ON CONFLICT (source) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
       RETURNING updated_at`,
      [lease.name, lease.owner, source, value],
    );
    return rows[0] ? { source, value, updatedAt: rows[0].updated_at.toISOString() } : null;
  }

  async addCommand(command: NewCommand): Promise<Command> {
    const { rows } = await this.pool.query<CommandRow>(
      `INSERT INTO commands (id, scope, kind, payload, state, created_at)
       VALUES ($1, $2, $3, $4, 'queued', clock_timestamp()) RETURNING *`,
      [command.id ?? randomUUID(), command.scope, command.kind, JSON.stringify(command.payload)],
    );
    return toCommand(rows[0]!);
  }

  async getCommand(id: string): Promise<Command | null> {
    const { rows } = await this.pool.query<CommandRow>('SELECT * FROM commands WHERE id = $1', [
      id,
    ]);
    return rows[0] ? toCommand(rows[0]) : null;
  }

  async claimCommands(scope: string, lease: LeaseHolder, limit = 10): Promise<Command[]> {
    const { rows } = await this.pool.query<CommandRow>(
      `WITH held AS (${HELD_LEASE}),
       next AS (
         SELECT id FROM commands WHERE scope = $3 AND state = 'queued' AND EXISTS (SELECT 1 FROM held)
         ORDER BY created_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
       )
       UPDATE commands SET state = 'running', owner = $2, started_at = clock_timestamp()
       FROM next WHERE commands.id = next.id RETURNING commands.*`,
      [lease.name, lease.owner, scope, limit],
    );
    return rows.map(toCommand).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async finishCommand(id: string, owner: string, outcome: CommandOutcome): Promise<Command | null> {
    const { rows } = await this.pool.query<CommandRow>(
      `UPDATE commands SET state = $3, result = $4, error = $5, finished_at = clock_timestamp()
       WHERE id = $1 AND owner = $2 AND state = 'running' RETURNING *`,
      [id, owner, outcome.state, jsonOrNull(outcome.result ?? null), outcome.error ?? null],
    );
    return rows[0] ? toCommand(rows[0]) : null;
  }

  async requeueCommands(scope: string, owner: string): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE commands SET state = 'queued', owner = NULL, started_at = NULL
       WHERE scope = $1 AND state = 'running' AND owner IS DISTINCT FROM $2`,
      [scope, owner],
    );
    return rowCount ?? 0;
  }

  async takeRateToken(key: string, limit: { perSecond: number; burst: number }): Promise<number> {
    // One statement: the row lock of ON CONFLICT DO UPDATE orders concurrent requests.
    const { rows } = await this.pool.query<{ tokens: number; granted: boolean }>(
      `WITH clock AS (SELECT extract(epoch FROM clock_timestamp()) * 1000 AS now_ms)
       INSERT INTO rate_buckets AS b (key, tokens, at_ms, granted)
       SELECT $1, $2::float8 - 1, now_ms, true FROM clock
       ON CONFLICT (key) DO UPDATE SET
         tokens = LEAST($2::float8, b.tokens + (EXCLUDED.at_ms - b.at_ms) / 1000 * $3::float8)
           - CASE WHEN LEAST($2::float8, b.tokens + (EXCLUDED.at_ms - b.at_ms) / 1000 * $3::float8) >= 1
             THEN 1 ELSE 0 END,
         granted = LEAST($2::float8, b.tokens + (EXCLUDED.at_ms - b.at_ms) / 1000 * $3::float8) >= 1,
         at_ms = EXCLUDED.at_ms
       RETURNING tokens, granted`,
      [key, limit.burst, limit.perSecond],
    );
    return waitOf(rows[0]!, limit.perSecond);
  }
}

/** Seconds to wait after a take: 0 when granted, else until one whole request refills. */
function waitOf(row: { tokens: number; granted: boolean | number }, perSecond: number): number {
  if (row.granted === true || row.granted === 1) return 0;
  return Math.max(1, Math.ceil((1 - Number(row.tokens)) / perSecond));
}
