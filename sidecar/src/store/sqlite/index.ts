// The embedded store: one SQLite file (WAL mode), for a single sidecar process.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
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
import { LocalSignals } from '../signals.js';
import { runUpdateColumns } from '../run-columns.js';
import { emptyCounts, emptyDetails } from '../types.js';
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
  full_scan: number;
  owner: string | null;
  heartbeat_at: string | null;
  schedule_slot: string | null;
  cancel_requested: number;
  details: string | null;
}

interface SyncStateRow {
  source: string;
  external_id: string;
  wp_user_id: number | null;
  hash: string | null;
  roles: string | null;
  photo_version: string | null;
  status: string;
  seen_scan: string | null;
  error: string | null;
  updated_at: string;
}

interface OutboundStateRow {
  target: string;
  user_id: number;
  remote_id: string | null;
  sent: string | null;
  confirmed: string | null;
  hash: string | null;
  roles: string | null;
  remote_version: string | null;
  updated_at: string;
}

interface DeadLetterRow {
  id: number;
  target: string;
  outbox_id: number;
  user_id: number;
  action: string;
  changed: string;
  origin: string;
  code: string;
  message: string;
  attempts: number;
  created_at: string;
  resolved_at: string | null;
}

const parseJson = <T>(value: string | null): T | null =>
  value === null ? null : (JSON.parse(value) as T);

const toOutboundState = (row: OutboundStateRow): OutboundState => ({
  target: row.target,
  userId: row.user_id,
  remoteId: row.remote_id,
  sent: parseJson<MappedValues>(row.sent),
  confirmed: parseJson<MappedValues>(row.confirmed),
  hash: row.hash,
  roles: parseJson<string[]>(row.roles),
  remoteVersion: row.remote_version,
  updatedAt: row.updated_at,
});

const toDeadLetter = (row: DeadLetterRow): DeadLetter => ({
  id: row.id,
  target: row.target,
  outboxId: row.outbox_id,
  userId: row.user_id,
  action: row.action,
  changed: JSON.parse(row.changed) as string[],
  origin: row.origin,
  code: row.code,
  message: row.message,
  attempts: row.attempts,
  createdAt: row.created_at,
  resolvedAt: row.resolved_at,
});

const jsonOrNull = (value: unknown) => (value === null ? null : JSON.stringify(value));

const toSyncState = (row: SyncStateRow): SyncState => ({
  source: row.source,
  externalId: row.external_id,
  wpUserId: row.wp_user_id,
  hash: row.hash,
  roles: row.roles === null ? null : (JSON.parse(row.roles) as string[]),
  photoVersion: row.photo_version,
  status: row.status as SyncState['status'],
  seenScan: row.seen_scan,
  error: row.error,
  updatedAt: row.updated_at,
});

/** SQLite allows 32766 bound parameters; chunks stay well below. */
const CHUNK = 500;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

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
  full: row.full_scan === 1,
  owner: row.owner,
  heartbeatAt: row.heartbeat_at,
  scheduleSlot: row.schedule_slot,
  cancelRequested: row.cancel_requested === 1,
  details: { ...emptyDetails(), ...(row.details ? (JSON.parse(row.details) as object) : {}) },
});

interface CommandRow {
  id: string;
  scope: string;
  kind: string;
  payload: string;
  state: string;
  owner: string | null;
  result: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const toCommand = (row: CommandRow): Command => ({
  id: row.id,
  scope: row.scope,
  kind: row.kind,
  payload: JSON.parse(row.payload) as Record<string, unknown>,
  state: row.state as Command['state'],
  owner: row.owner,
  result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
  error: row.error,
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  /** One process owns the file: its signals never leave it. */
  private readonly signals = new LocalSignals();

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
    return this.insertRun(run);
  }

  private insertRun(run: NewRun): Run {
    const id = randomUUID();
    this.db
      .prepare(
        `INSERT INTO runs (id, source, trigger, state, dry_run, full_scan, owner, schedule_slot,
           created_at, processed, counts, details)
         VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, 0, ?, ?)`,
      )
      .run(
        id,
        run.source,
        run.trigger,
        run.dryRun ? 1 : 0,
        run.full ? 1 : 0,
        run.owner ?? null,
        run.scheduleSlot ?? null,
        new Date().toISOString(),
        JSON.stringify(emptyCounts()),
        JSON.stringify(emptyDetails()),
      );
    return this.runById(id)!;
  }

  private runById(id: string): Run | null {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  async claimRun(run: NewRun): Promise<RunClaim> {
    // One immediate (write-locked) transaction: nothing can slip in between the check and the
    // insert, even from another process sharing the file.
    return this.db
      .transaction((): RunClaim => {
        if (run.scheduleSlot) {
          const tick = this.db
            .prepare('SELECT * FROM runs WHERE source = ? AND schedule_slot = ?')
            .get(run.source, run.scheduleSlot) as RunRow | undefined;
          if (tick) return { run: toRun(tick), created: false };
        }
        const active = this.activeRunSync(run.source);
        if (active) return { run: active, created: false };
        if (run.resume) {
          const reopened = this.db
            .prepare(
              `UPDATE runs SET state = 'queued', owner = ?, error = NULL, finished_at = NULL
               WHERE id = ? AND source = ? AND state = 'interrupted'`,
            )
            .run(run.owner ?? null, run.resume, run.source);
          if (reopened.changes > 0) return { run: this.runById(run.resume)!, created: true };
        }
        return { run: this.insertRun(run), created: true };
      })
      .immediate();
  }

  private activeRunSync(source: string): Run | null {
    const row = this.db
      .prepare(
        "SELECT * FROM runs WHERE source = ? AND state IN ('queued', 'running') ORDER BY created_at LIMIT 1",
      )
      .get(source) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  async activeRun(source: string): Promise<Run | null> {
    return this.activeRunSync(source);
  }

  async interruptRuns(options: {
    source?: string;
    staleBefore?: string;
    owners?: string[];
    error: string;
  }): Promise<Run[]> {
    const who: string[] = [];
    const params: unknown[] = [];
    if (options.staleBefore) {
      who.push('COALESCE(heartbeat_at, created_at) < ?');
      params.push(options.staleBefore);
    }
    if (options.owners && options.owners.length > 0) {
      who.push(`owner IN (${placeholders(options.owners.length)})`);
      params.push(...options.owners);
    }
    if (who.length === 0) return [];
    let where = `state IN ('queued', 'running') AND (${who.join(' OR ')})`;
    if (options.source) {
      where += ' AND source = ?';
      params.push(options.source);
    }
    return this.db.transaction(() => {
      const rows = this.db.prepare(`SELECT id FROM runs WHERE ${where}`).all(...params) as {
        id: string;
      }[];
      const finishedAt = new Date().toISOString();
      for (const { id } of rows) {
        this.db
          .prepare("UPDATE runs SET state = 'interrupted', error = ?, finished_at = ? WHERE id = ?")
          .run(options.error, finishedAt, id);
      }
      return rows.map(({ id }) => this.runById(id)!);
    })();
  }

  async updateRun(id: string, update: RunUpdate, guard?: RunGuard): Promise<Run | null> {
    const set = runUpdateColumns(update, (value) => (value ? 1 : 0));
    const params: unknown[] = [id];
    let where = 'id = ?';
    if (guard) {
      where += ` AND state IN (${guard.states.map(() => '?').join(', ') || 'NULL'})`;
      params.push(...guard.states);
      if (guard.owner !== undefined) {
        where += ' AND owner = ?';
        params.push(guard.owner);
      }
    }
    return this.db
      .transaction((): Run | null => {
        if (set.length > 0) {
          const { changes } = this.db
            .prepare(
              `UPDATE runs SET ${set.map(([column]) => `${column} = ?`).join(', ')} WHERE ${where}`,
            )
            .run(...set.map(([, value]) => value), ...params);
          if (changes === 0) return null;
        } else if (!this.db.prepare(`SELECT 1 FROM runs WHERE ${where}`).get(...params)) {
          return null;
        }
        return this.runById(id);
      })
      .immediate();
  }

  async getRun(id: string): Promise<Run | null> {
    return this.runById(id);
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

  async saveCursorOfRun(source: string, value: string, run: RunHolder): Promise<Cursor | null> {
    return this.db
      .transaction((): Cursor | null => {
        const held = this.db
          .prepare("SELECT 1 FROM runs WHERE id = ? AND owner = ? AND state = 'running'")
          .get(run.id, run.owner);
        if (!held) return null;
        const updatedAt = new Date().toISOString();
        this.db
          .prepare(
            `INSERT INTO cursors (source, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          )
          .run(source, value, updatedAt);
        return { source, value, updatedAt };
      })
      .immediate();
  }

  async deleteCursor(source: string): Promise<void> {
    this.db.prepare('DELETE FROM cursors WHERE source = ?').run(source);
  }

  async getSyncStates(source: string, externalIds: string[]): Promise<Map<string, SyncState>> {
    const found = new Map<string, SyncState>();
    for (const part of chunks(externalIds)) {
      const rows = this.db
        .prepare(
          `SELECT * FROM sync_state WHERE source = ? AND external_id IN (${placeholders(part.length)})`,
        )
        .all(source, ...part) as SyncStateRow[];
      for (const row of rows) found.set(row.external_id, toSyncState(row));
    }
    return found;
  }

  async saveSyncStates(source: string, states: SyncStateInput[]): Promise<void> {
    if (states.length === 0) return;
    const updatedAt = new Date().toISOString();
    const upsert = this.db.prepare(
      `INSERT INTO sync_state (source, external_id, wp_user_id, hash, roles, photo_version,
         status, seen_scan, error, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source, external_id) DO UPDATE SET
         wp_user_id = excluded.wp_user_id, hash = excluded.hash, roles = excluded.roles,
         photo_version = excluded.photo_version, status = excluded.status,
         seen_scan = COALESCE(excluded.seen_scan, sync_state.seen_scan),
         error = excluded.error, updated_at = excluded.updated_at`,
    );
    this.db.transaction(() => {
      for (const state of states) {
        upsert.run(
          source,
          state.externalId,
          state.wpUserId,
          state.hash,
          state.roles === null ? null : JSON.stringify(state.roles),
          state.photoVersion,
          state.status,
          state.seenScan ?? null,
          state.error,
          updatedAt,
        );
      }
    })();
  }

  async deleteSyncStates(source: string, externalIds: string[]): Promise<void> {
    this.db.transaction(() => {
      for (const part of chunks(externalIds)) {
        this.db
          .prepare(
            `DELETE FROM sync_state WHERE source = ? AND external_id IN (${placeholders(part.length)})`,
          )
          .run(source, ...part);
      }
    })();
  }

  async countSyncStates(source: string): Promise<number> {
    const row = this.db
      .prepare('SELECT COUNT(*) AS n FROM sync_state WHERE source = ?')
      .get(source) as { n: number };
    return row.n;
  }

  async markSeen(source: string, externalIds: string[], scanId: string): Promise<void> {
    this.db.transaction(() => {
      for (const part of chunks(externalIds)) {
        this.db
          .prepare(
            `UPDATE sync_state SET seen_scan = ? WHERE source = ? AND external_id IN (${placeholders(part.length)})`,
          )
          .run(scanId, source, ...part);
      }
    })();
  }

  async listUnseen(
    source: string,
    scanId: string,
    after: string | null,
    limit: number,
  ): Promise<SyncState[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM sync_state
         WHERE source = ? AND status != 'deprovisioned' AND (seen_scan IS NULL OR seen_scan != ?)
           AND external_id > ?
         ORDER BY external_id LIMIT ?`,
      )
      .all(source, scanId, after ?? '', limit) as SyncStateRow[];
    return rows.map(toSyncState);
  }

  async resetSource(source: string): Promise<void> {
    this.db.transaction(() => {
      for (const table of ['cursors', 'sync_state', 'source_groups', 'source_group_members']) {
        this.db.prepare(`DELETE FROM ${table} WHERE source = ?`).run(source);
      }
    })();
  }

  async saveGroups(source: string, groups: SourceGroup[], scanId?: string): Promise<void> {
    const upsert = this.db.prepare(
      `INSERT INTO source_groups (source, external_id, display_name, seen_scan) VALUES (?, ?, ?, ?)
       ON CONFLICT (source, external_id) DO UPDATE SET display_name = excluded.display_name,
         seen_scan = COALESCE(excluded.seen_scan, source_groups.seen_scan)`,
    );
    this.db.transaction(() => {
      for (const group of groups)
        upsert.run(source, group.externalId, group.displayName, scanId ?? null);
    })();
  }

  async deleteGroups(source: string, externalIds: string[]): Promise<void> {
    this.db.transaction(() => {
      for (const part of chunks(externalIds)) {
        const list = placeholders(part.length);
        this.db
          .prepare(`DELETE FROM source_groups WHERE source = ? AND external_id IN (${list})`)
          .run(source, ...part);
        this.db
          .prepare(`DELETE FROM source_group_members WHERE source = ? AND group_id IN (${list})`)
          .run(source, ...part);
      }
    })();
  }

  async deleteUnseenGroups(source: string, scanId: string): Promise<string[]> {
    const ids = (
      this.db
        .prepare(
          'SELECT external_id FROM source_groups WHERE source = ? AND (seen_scan IS NULL OR seen_scan != ?)',
        )
        .all(source, scanId) as { external_id: string }[]
    ).map((row) => row.external_id);
    await this.deleteGroups(source, ids);
    return ids;
  }

  async setGroupMembers(
    source: string,
    groupId: string,
    change: { all?: string[]; add?: string[]; remove?: string[] },
  ): Promise<void> {
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO source_group_members (source, group_id, user_id) VALUES (?, ?, ?)',
    );
    const remove = this.db.prepare(
      'DELETE FROM source_group_members WHERE source = ? AND group_id = ? AND user_id = ?',
    );
    this.db.transaction(() => {
      if (change.all) {
        this.db
          .prepare('DELETE FROM source_group_members WHERE source = ? AND group_id = ?')
          .run(source, groupId);
        for (const user of change.all) insert.run(source, groupId, user);
      }
      for (const user of change.add ?? []) insert.run(source, groupId, user);
      for (const user of change.remove ?? []) remove.run(source, groupId, user);
    })();
  }

  async groupMembers(source: string, groupIds: string[]): Promise<string[]> {
    const members = new Set<string>();
    for (const part of chunks(groupIds)) {
      const rows = this.db
        .prepare(
          `SELECT DISTINCT user_id FROM source_group_members WHERE source = ? AND group_id IN (${placeholders(part.length)})`,
        )
        .all(source, ...part) as { user_id: string }[];
      for (const row of rows) members.add(row.user_id);
    }
    return [...members];
  }

  async groupsOfUsers(source: string, userIds: string[]): Promise<Map<string, string[]>> {
    const groups = new Map<string, string[]>();
    for (const part of chunks(userIds)) {
      const rows = this.db
        .prepare(
          `SELECT m.user_id, g.display_name FROM source_group_members m
           JOIN source_groups g ON g.source = m.source AND g.external_id = m.group_id
           WHERE m.source = ? AND m.user_id IN (${placeholders(part.length)})
           ORDER BY g.display_name`,
        )
        .all(source, ...part) as { user_id: string; display_name: string }[];
      for (const row of rows) {
        const list = groups.get(row.user_id) ?? [];
        list.push(row.display_name);
        groups.set(row.user_id, list);
      }
    }
    return groups;
  }

  async getOutboundStates(target: string, userIds: number[]): Promise<Map<number, OutboundState>> {
    const found = new Map<number, OutboundState>();
    for (const part of chunks(userIds)) {
      const rows = this.db
        .prepare(
          `SELECT * FROM outbound_state WHERE target = ? AND user_id IN (${placeholders(part.length)})`,
        )
        .all(target, ...part) as OutboundStateRow[];
      for (const row of rows) found.set(row.user_id, toOutboundState(row));
    }
    return found;
  }

  async saveOutboundStates(target: string, states: OutboundStateInput[]): Promise<void> {
    if (states.length === 0) return;
    const updatedAt = new Date().toISOString();
    const upsert = this.db.prepare(
      `INSERT INTO outbound_state (target, user_id, remote_id, sent, confirmed, hash, roles,
         remote_version, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (target, user_id) DO UPDATE SET
         remote_id = excluded.remote_id, sent = excluded.sent, confirmed = excluded.confirmed,
         hash = excluded.hash, roles = excluded.roles, remote_version = excluded.remote_version,
         updated_at = excluded.updated_at`,
    );
    this.db.transaction(() => {
      for (const state of states) {
        upsert.run(
          target,
          state.userId,
          state.remoteId,
          jsonOrNull(state.sent),
          jsonOrNull(state.confirmed),
          state.hash,
          jsonOrNull(state.roles),
          state.remoteVersion,
          updatedAt,
        );
      }
    })();
  }

  async deleteOutboundStates(target: string, userIds: number[]): Promise<void> {
    this.db.transaction(() => {
      for (const part of chunks(userIds)) {
        this.db
          .prepare(
            `DELETE FROM outbound_state WHERE target = ? AND user_id IN (${placeholders(part.length)})`,
          )
          .run(target, ...part);
      }
    })();
  }

  async resetOutboundTarget(target: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM outbound_state WHERE target = ?').run(target);
      this.db.prepare('DELETE FROM outbound_dead_letters WHERE target = ?').run(target);
    })();
  }

  async addDeadLetter(letter: NewDeadLetter): Promise<DeadLetter> {
    const result = this.db
      .prepare(
        `INSERT INTO outbound_dead_letters (target, outbox_id, user_id, action, changed, origin,
           code, message, attempts, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        letter.target,
        letter.outboxId,
        letter.userId,
        letter.action,
        JSON.stringify(letter.changed),
        letter.origin,
        letter.code,
        letter.message,
        letter.attempts,
        new Date().toISOString(),
      );
    return (await this.getDeadLetter(Number(result.lastInsertRowid)))!;
  }

  async getDeadLetter(id: number): Promise<DeadLetter | null> {
    const row = this.db.prepare('SELECT * FROM outbound_dead_letters WHERE id = ?').get(id) as
      DeadLetterRow | undefined;
    return row ? toDeadLetter(row) : null;
  }

  async listDeadLetters(
    options: { target?: string; includeResolved?: boolean; limit?: number } = {},
  ): Promise<DeadLetter[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.target) {
      where.push('target = ?');
      params.push(options.target);
    }
    if (!options.includeResolved) where.push('resolved_at IS NULL');
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const rows = this.db
      .prepare(
        `SELECT * FROM outbound_dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id DESC LIMIT ?`,
      )
      .all(...params, limit) as DeadLetterRow[];
    return rows.map(toDeadLetter);
  }

  async resolveDeadLetters(ids: number[]): Promise<void> {
    const resolvedAt = new Date().toISOString();
    this.db.transaction(() => {
      for (const part of chunks(ids)) {
        this.db
          .prepare(
            `UPDATE outbound_dead_letters SET resolved_at = ?
             WHERE resolved_at IS NULL AND id IN (${placeholders(part.length)})`,
          )
          .run(resolvedAt, ...part);
      }
    })();
  }

  async countDeadLetters(): Promise<Map<string, number>> {
    const rows = this.db
      .prepare(
        'SELECT target, COUNT(*) AS n FROM outbound_dead_letters WHERE resolved_at IS NULL GROUP BY target',
      )
      .all() as { target: string; n: number }[];
    return new Map(rows.map((row) => [row.target, row.n]));
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = new Date();
    const expires = new Date(now.getTime() + ttlMs).toISOString();
    return this.db
      .transaction((): boolean => {
        const row = this.db
          .prepare('SELECT owner, expires_at FROM leases WHERE name = ?')
          .get(name) as { owner: string; expires_at: string } | undefined;
        if (row && row.owner !== owner && row.expires_at > now.toISOString()) return false;
        this.db
          .prepare(
            `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`,
          )
          .run(name, owner, expires);
        return true;
      })
      .immediate();
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner);
  }

  async signal(topic: SignalTopic, message: string): Promise<void> {
    this.signals.deliver(topic, message);
  }

  async onSignal(topic: SignalTopic, listener: SignalListener): Promise<() => void> {
    return this.signals.add(topic, listener);
  }

  /** Whether `lease.owner` holds `lease.name` unexpired (call inside a transaction). */
  private holds(lease: LeaseHolder): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM leases WHERE name = ? AND owner = ? AND expires_at > ?')
        .get(lease.name, lease.owner, new Date().toISOString()) !== undefined
    );
  }

  async renewLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = new Date();
    const { changes } = this.db
      .prepare('UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ? AND expires_at > ?')
      .run(new Date(now.getTime() + ttlMs).toISOString(), name, owner, now.toISOString());
    return changes === 1;
  }

  async saveCursorLeased(
    source: string,
    value: string,
    lease: LeaseHolder,
  ): Promise<Cursor | null> {
    return this.db
      .transaction((): Cursor | null => {
        if (!this.holds(lease)) return null;
        const updatedAt = new Date().toISOString();
        this.db
          .prepare(
            `INSERT INTO cursors (source, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          )
          .run(source, value, updatedAt);
        return { source, value, updatedAt };
      })
      .immediate();
  }

  async addCommand(command: NewCommand): Promise<Command> {
    const id = command.id ?? randomUUID();
    this.db
      .prepare(
        `INSERT INTO commands (id, scope, kind, payload, state, created_at)
         VALUES (?, ?, ?, ?, 'queued', ?)`,
      )
      .run(
        id,
        command.scope,
        command.kind,
        JSON.stringify(command.payload),
        new Date().toISOString(),
      );
    return (await this.getCommand(id))!;
  }

  async getCommand(id: string): Promise<Command | null> {
    const row = this.db.prepare('SELECT * FROM commands WHERE id = ?').get(id) as
      CommandRow | undefined;
    return row ? toCommand(row) : null;
  }

  async claimCommands(scope: string, lease: LeaseHolder, limit = 10): Promise<Command[]> {
    return this.db
      .transaction((): Command[] => {
        if (!this.holds(lease)) return [];
        const rows = this.db
          .prepare(
            `SELECT * FROM commands WHERE scope = ? AND state = 'queued'
             ORDER BY created_at, rowid LIMIT ?`,
          )
          .all(scope, limit) as CommandRow[];
        const startedAt = new Date().toISOString();
        const start = this.db.prepare(
          "UPDATE commands SET state = 'running', owner = ?, started_at = ? WHERE id = ?",
        );
        for (const row of rows) start.run(lease.owner, startedAt, row.id);
        return rows.map((row) =>
          toCommand({ ...row, state: 'running', owner: lease.owner, started_at: startedAt }),
        );
      })
      .immediate();
  }

  async finishCommand(id: string, owner: string, outcome: CommandOutcome): Promise<Command | null> {
    const { changes } = this.db
      .prepare(
        `UPDATE commands SET state = ?, result = ?, error = ?, finished_at = ?
         WHERE id = ? AND owner = ? AND state = 'running'`,
      )
      .run(
        outcome.state,
        outcome.result ? JSON.stringify(outcome.result) : null,
        outcome.error ?? null,
        new Date().toISOString(),
        id,
        owner,
      );
    return changes === 1 ? this.getCommand(id) : null;
  }

  async requeueCommands(scope: string, owner: string): Promise<number> {
    const { changes } = this.db
      .prepare(
        `UPDATE commands SET state = 'queued', owner = NULL, started_at = NULL
         WHERE scope = ? AND state = 'running' AND (owner IS NULL OR owner != ?)`,
      )
      .run(scope, owner);
    return changes;
  }

  async takeRateToken(key: string, limit: { perSecond: number; burst: number }): Promise<number> {
    const refill = 'MIN(@burst, b.tokens + (excluded.at_ms - b.at_ms) / 1000.0 * @rate)';
    const row = this.db
      .prepare(
        `INSERT INTO rate_buckets AS b (key, tokens, at_ms, granted)
         VALUES (@key, @burst - 1, @now, 1)
         ON CONFLICT (key) DO UPDATE SET
           tokens = ${refill} - (CASE WHEN ${refill} >= 1 THEN 1 ELSE 0 END),
           granted = (${refill} >= 1),
           at_ms = excluded.at_ms
         RETURNING tokens, granted`,
      )
      .get({ key, burst: limit.burst, rate: limit.perSecond, now: Date.now() }) as {
      tokens: number;
      granted: number;
    };
    if (row.granted === 1) return 0;
    return Math.max(1, Math.ceil((1 - row.tokens) / limit.perSecond));
  }
}
