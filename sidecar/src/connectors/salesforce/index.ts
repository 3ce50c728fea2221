// Salesforce connector: records of an object (Contact, Lead, Account, a custom object) as
// WordPress users, one object map at a time (only `wpObject: 'user'` in this version).
//
// Change source: SOQL on `SystemModstamp` (it moves on every change, system and formula
//   recalculations included, unlike LastModifiedDate). Incremental passes use `queryAll`,
//   so deleted (`IsDeleted = true`) and merged (`MasterRecordId`) records come in the same
//   ordered stream as the changed ones; each pass re-reads an overlap window (default 5 min)
//   behind the watermark, for changes committed late with an earlier SystemModstamp; the
//   engine's hash comparison makes the re-read free of writes.
// Cursor: JSON `{ v: 1, maps: { <object map id>: { phase: 'full' | 'incr', watermark,
//   lastId, at, since?, pass? } } }`, saved after every applied page, so a crash resumes
//   after the last applied page: `full` — the keyset position of the full listing under
//   way, and `since` the newest SystemModstamp when it began (changes made while it runs
//   are read from there); `incr` — the watermark (highest SystemModstamp applied), `pass`
//   the position inside a pass under way, `at` when the last pass began. A cursor whose last pass is older than
//   the recycle bin keeps deletions (15 days), or that lacks an object map, raises
//   CursorExpiredError: the engine lists everything again and deprovisions who is gone.
// Paging: keyset, never OFFSET —
//   `WHERE (SystemModstamp > :t OR (SystemModstamp = :t AND Id > :id)) [AND (<filter>)]
//   ORDER BY SystemModstamp, Id LIMIT 2000` (`pageSize`), re-issued after each page from the last record
//   read (so thousands of records sharing one SystemModstamp are all read, none twice);
//   within one query Salesforce's own `nextRecordsUrl` batches are followed (instance host
//   only) and each batch is a page.
// Deletes: a record in the recycle bin (`IsDeleted`) → deletion, not permanent (it may be
//   undeleted: it then comes back as an upsert and the user is enabled again); a merged
//   loser (deleted with `MasterRecordId` = the winner) → deletion of the loser, not
//   permanent, while the winner, whose SystemModstamp the merge moved, comes as an upsert.
//   The loser's identity link stays on its WordPress user (disabled); the winner is linked
//   by the engine's own matching (email), so a link does not jump to another record behind
//   the admin's back. A record that no longer passes the object map's filter or record type
//   → deletion, not permanent. The map's `deletePolicy.pull` decides (`removalOf`): disable
//   (the above), delete (permanent, when `operations.delete` includes pull) or ignore. Full
//   listings let the engine deprovision users they lack, as `removal` (the same policy) says.
//   `writes` tells the engine whether pulls may create and update users (`operations`). Each pass first asks Get Deleted
//   how far back the delete log goes: an emptied recycle bin (deletions queryAll no longer
//   shows) raises CursorExpiredError, so the engine reconciles with a full listing.
// API budget: every answer's `Sforce-Limit-Info` (api-usage=N/M); when N ≥ apiBudgetShare ×
//   M a pull stops before its next query with SourceError `api_budget` (the cursor of the
//   pages applied is kept; the next run goes on from there).
import type { Logger } from '../../logger.js';
import type {
  CanonicalUser,
  ConnectionCheck,
  ConnectionTest,
  Connector,
  PullOptions,
  SourceDeletion,
  SourceNotification,
  SourcePage,
  WatchOptions,
} from '../types.js';
import { CursorExpiredError, SourceError } from '../types.js';
import type { AttributeMapping } from '../../wordpress/types.js';
import { changeChannel, changeFeed } from './cdc.js';
import { SalesforceClient, SalesforceError } from './client.js';
import type { RetryPolicy } from './client.js';
import { findField, requiredOnCreate } from './describe.js';
import type { ObjectDescribe } from './describe.js';
import {
  ACTIVE_TARGET,
  fieldPlan,
  selectFields,
  toCanonicalUser,
  writableField,
} from './mapper.js';
import type { FieldPlan } from './mapper.js';
import {
  buildSelect,
  filterProblem,
  keysetAfter,
  parseSalesforceDateTime,
  soqlIn,
  soqlString,
} from './soql.js';
import { parseSalesforceSettings } from './settings.js';
import type { SalesforceObjectMap, SalesforceSettings } from './settings.js';
import { apiUsageByConnection, recordApiUsage } from './usage.js';

export { SalesforceClient, SalesforceError } from './client.js';
export { parseSalesforceSettings, SalesforceSettingsError } from './settings.js';
export type { SalesforceSettings } from './settings.js';

/** Get Deleted and the recycle bin keep deletions 15 days: an older cursor misses some. */
export const DELETED_RETENTION_MS = 15 * 24 * 60 * 60_000;
/** Ids per `Id IN (…)` query (keeps the URL far below Salesforce's 16,384 bytes). */
const IDS_PER_QUERY = 200;

export interface MapCursor {
  phase: 'full' | 'incr';
  /** full: SystemModstamp of the last record listed; incr: the highest applied. */
  watermark: string | null;
  /** full: Id of the last record listed; incr: '' (the pass position is in `pass`). */
  lastId: string | null;
  /** When the last incremental pass (or the full listing) began (ISO 8601). */
  at: string | null;
  /**
   * full: the object's newest SystemModstamp when the listing began (the org's clock; null
   * when it was empty): the incremental passes start there.
   */
  since?: string | null;
  /** incr: the position inside a pass under way (resumed exactly, without the overlap). */
  pass?: { modstamp: string; id: string } | null;
}

export interface SalesforceCursor {
  v: 1;
  maps: Record<string, MapCursor>;
}

export function encodeCursor(cursor: SalesforceCursor): string {
  return JSON.stringify(cursor);
}

/** A saved cursor; throws CursorExpiredError for one this version cannot read. */
export function decodeCursor(text: string): SalesforceCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CursorExpiredError('The saved Salesforce cursor is not JSON');
  }
  const cursor = parsed as Partial<SalesforceCursor> | null;
  if (!cursor || cursor.v !== 1 || typeof cursor.maps !== 'object' || cursor.maps === null) {
    throw new CursorExpiredError('The saved Salesforce cursor has another format');
  }
  for (const [id, map] of Object.entries(cursor.maps)) {
    if (!map || (map.phase !== 'full' && map.phase !== 'incr')) {
      throw new CursorExpiredError(`The saved cursor of object map "${id}" is unreadable`);
    }
  }
  return cursor as SalesforceCursor;
}

export interface SalesforceConnectorDeps {
  logger: Logger;
  /** The connection's slug (metrics label, messages). */
  connection?: string;
  retry?: Partial<RetryPolicy>;
  now?: () => number;
}

type SfRecord = Record<string, unknown> & { Id: string; SystemModstamp?: string };

export class SalesforceConnector implements Connector {
  readonly kind = 'salesforce';
  readonly settings: SalesforceSettings;
  readonly client: SalesforceClient;
  /** A source that brings its own field map: the object maps' field rows. */
  readonly attributeMap: AttributeMapping[];
  /** What pulls may write: creates (updates) when an object map lets pulls create (update). */
  readonly writes: { create: boolean; update: boolean };
  /** The object maps' `deletePolicy.pull`, for the users a full listing lacks. */
  readonly removal: 'disable' | 'delete' | 'ignore';
  private readonly plan: FieldPlan;
  private readonly connection: string;
  private readonly now: () => number;
  private readonly logger: Logger;
  /** Change Data Capture over CometD, when the connection's real time is `cometd`. */
  readonly watch?: (
    cursor: string | null,
    options: WatchOptions,
  ) => AsyncIterable<SourceNotification>;

  constructor(settings: Record<string, unknown>, deps: SalesforceConnectorDeps) {
    this.settings = parseSalesforceSettings(settings);
    this.connection = deps.connection ?? 'salesforce';
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.client = new SalesforceClient(this.settings, {
      logger: deps.logger,
      ...(deps.retry ? { retry: deps.retry } : {}),
      onUsage: (usage) => recordApiUsage(this.connection, usage),
    });
    this.plan = fieldPlan(this.settings.objectMaps);
    this.attributeMap = this.plan.attributeMap;
    const maps = this.userMaps();
    this.writes = {
      create: maps.some((map) => map.operations.create.includes('pull')),
      update: maps.some((map) => map.operations.update.includes('pull')),
    };
    this.removal = connectionRemoval(maps);
    if (this.settings.realtime === 'cometd') {
      this.watch = (cursor, options) => this.changeEvents(cursor, options);
    }
  }

  /** The change events of the user maps' objects (cdc.ts), by the maps' delete policies. */
  private changeEvents(
    cursor: string | null,
    options: WatchOptions,
  ): AsyncIterable<SourceNotification> {
    const maps = this.userMaps();
    if (maps.length === 0) {
      throw new SourceError(
        'The Salesforce connection has no object map for WordPress users',
        0,
        'no_object_map',
      );
    }
    return changeFeed(this.client, cursor, {
      objects: maps.map((map) => map.sfObject),
      callOptionsClient: this.settings.callOptionsClient,
      removal: (object) => {
        const map = maps.find((m) => m.sfObject.toLowerCase() === object.toLowerCase());
        return map ? removalOf(map) : null;
      },
      signal: options.signal,
      logger: this.logger.child({ connection: this.connection }),
    });
  }

  private userMaps(): SalesforceObjectMap[] {
    return this.settings.objectMaps.filter((map) => map.wpObject === 'user');
  }

  fullScan(options: PullOptions): AsyncIterable<SourcePage> {
    return this.pull(null, options);
  }

  async *pull(cursor: string | null, options: PullOptions): AsyncIterable<SourcePage> {
    const maps = this.userMaps();
    if (maps.length === 0) {
      throw new SourceError(
        'The Salesforce connection has no object map for WordPress users',
        0,
        'no_object_map',
      );
    }
    const state: SalesforceCursor = { v: 1, maps: {} };
    if (cursor === null) {
      for (const map of maps) {
        state.maps[map.id] = { phase: 'full', watermark: null, lastId: null, at: null };
      }
    } else {
      const saved = decodeCursor(cursor);
      for (const map of maps) {
        const own = saved.maps[map.id];
        // A new object map has never been listed: only a full listing brings its records.
        if (!own) throw new CursorExpiredError(`Object map "${map.id}" has not been listed yet`);
        state.maps[map.id] = own;
      }
    }
    await this.refreshPausedBudget(options);
    // While any map's listing is under way, this pull finishes the listing (every page
    // full); maps already listed catch up on the next, incremental, run.
    const full = maps.some((map) => state.maps[map.id]!.phase === 'full');
    for (const map of maps) {
      if (full) {
        if (state.maps[map.id]!.phase === 'full') yield* this.listing(map, state, options);
      } else {
        yield* this.changes(map, state, options);
      }
    }
  }

  /** The full listing of one object map, resumed at its keyset position. */
  private async *listing(
    map: SalesforceObjectMap,
    state: SalesforceCursor,
    options: PullOptions,
  ): AsyncIterable<SourcePage> {
    const describe = await this.client.describe(map.sfObject);
    const fields = selectFields(map, describe);
    const own = state.maps[map.id]!;
    if (own.since === undefined) {
      own.since = await this.latestModstamp(describe, options);
      own.at = new Date(this.now()).toISOString();
    }
    for (;;) {
      this.checkBudget();
      const soql = buildSelect({
        fields,
        from: describe.name,
        where: [
          own.watermark ? keysetAfter({ modstamp: own.watermark, id: own.lastId ?? '' }) : null,
          mapFilter(map),
        ],
        orderBy: ['SystemModstamp', 'Id'],
        limit: this.settings.pageSize,
      });
      let read = 0;
      let finished = false;
      for await (const batch of this.client.query<SfRecord>(soql, { signal: options.signal })) {
        read += batch.records.length;
        const upserts = batch.records.map((record) =>
          toCanonicalUser(record, map, describe, this.plan),
        );
        const last = batch.records.at(-1);
        if (last) {
          own.watermark = modstampOf(last);
          own.lastId = last.Id;
        }
        if (batch.done && read < this.settings.pageSize) {
          // Listed: later changes are read from when the listing began (a change made
          // while it ran may carry a SystemModstamp behind the last record listed).
          finished = true;
          const since = own.since ?? null;
          const watermark =
            since === null
              ? null
              : own.watermark && Date.parse(own.watermark) < Date.parse(since)
                ? own.watermark
                : since;
          state.maps[map.id] = {
            phase: 'incr',
            watermark,
            lastId: '',
            at: own.at ?? new Date(this.now()).toISOString(),
            pass: null,
          };
        }
        yield { upserts, deletes: [], nextCursor: encodeCursor(state), full: true };
      }
      if (finished) return;
    }
  }

  /** Changes of one object map since its watermark (minus the overlap), deletions included. */
  private async *changes(
    map: SalesforceObjectMap,
    state: SalesforceCursor,
    options: PullOptions,
  ): AsyncIterable<SourcePage> {
    const own = state.maps[map.id]!;
    if (own.at && this.now() - Date.parse(own.at) > DELETED_RETENTION_MS) {
      throw new CursorExpiredError(
        `The last Salesforce pull of "${map.id}" began ${own.at}; deletions older than 15 days are no longer kept`,
      );
    }
    const describe = await this.client.describe(map.sfObject);
    if (!own.pass && own.at) await this.checkDeleteLog(describe, own.at, options);
    const fields = selectFields(map, describe);
    fields.push('IsDeleted');
    if (findField(describe, 'MasterRecordId')) fields.push('MasterRecordId');
    const overlapMs = this.settings.overlapMinutes * 60_000;
    const startedAt = new Date(this.now()).toISOString();
    // Nothing existed when the object was listed: everything since is a change.
    let position: { modstamp: string; id: string } = own.pass ?? {
      modstamp: own.watermark
        ? new Date(Date.parse(own.watermark) - overlapMs).toISOString()
        : new Date(0).toISOString(),
      id: '',
    };
    const passAt = own.pass ? (own.at ?? startedAt) : startedAt;
    const filter = mapFilter(map);
    const removal = removalOf(map);
    for (;;) {
      this.checkBudget();
      const soql = buildSelect({
        fields,
        from: describe.name,
        where: [keysetAfter(position)],
        orderBy: ['SystemModstamp', 'Id'],
        limit: this.settings.pageSize,
      });
      let read = 0;
      let finished = false;
      for await (const batch of this.client.query<SfRecord>(soql, {
        all: true,
        signal: options.signal,
      })) {
        read += batch.records.length;
        const deletes: SourceDeletion[] = [];
        const live: SfRecord[] = [];
        for (const record of batch.records) {
          if (record.IsDeleted === true) {
            if (removal) deletes.push({ externalId: record.Id, permanent: removal.permanent });
          } else live.push(record);
        }
        const passing = filter ? await this.passing(describe, filter, live, options) : null;
        const upserts: CanonicalUser[] = [];
        for (const record of live) {
          if (passing && !passing.has(record.Id)) {
            // Left the object map's filter or record type: no longer this source's user.
            if (removal) deletes.push({ externalId: record.Id, permanent: removal.permanent });
            continue;
          }
          const user = toCanonicalUser(record, map, describe, this.plan);
          // Internal fields of the change stream, not the record's data.
          delete user.attributes.IsDeleted;
          delete user.attributes.MasterRecordId;
          upserts.push(user);
        }
        const last = batch.records.at(-1);
        if (last) {
          position = { modstamp: modstampOf(last), id: last.Id };
          if (!own.watermark || Date.parse(position.modstamp) > Date.parse(own.watermark)) {
            own.watermark = position.modstamp;
          }
        }
        if (batch.done && read < this.settings.pageSize) {
          finished = true;
          state.maps[map.id] = {
            phase: 'incr',
            watermark: own.watermark,
            lastId: '',
            at: passAt,
            pass: null,
          };
        } else {
          state.maps[map.id] = { ...own, at: passAt, pass: position };
        }
        yield { upserts, deletes, nextCursor: encodeCursor(state), full: false };
      }
      if (finished) return;
    }
  }

  /**
   * The newest SystemModstamp of an object (deleted records included), in the org's own
   * clock: where changes made while a listing runs begin. Null for an empty object.
   */
  private async latestModstamp(
    describe: ObjectDescribe,
    options: PullOptions,
  ): Promise<string | null> {
    const soql = buildSelect({
      fields: ['Id', 'SystemModstamp'],
      from: describe.name,
      orderBy: ['SystemModstamp DESC', 'Id DESC'],
      limit: 1,
    });
    for await (const batch of this.client.query<SfRecord>(soql, {
      all: true,
      signal: options.signal,
    })) {
      const newest = batch.records[0];
      return newest ? modstampOf(newest) : null;
    }
    return null;
  }

  /**
   * Deletions reach a pull through queryAll while they sit in the recycle bin; an emptied
   * recycle bin takes them away. Get Deleted's `earliestDateAvailable` says how far back
   * the delete log still goes: later than the last pass means deletions may be lost, so the
   * engine reconciles with a full listing. Other refusals of the window are only logged.
   */
  private async checkDeleteLog(
    describe: ObjectDescribe,
    lastPassAt: string,
    options: PullOptions,
  ): Promise<void> {
    const end = this.now();
    // The window must be longer than a minute; seconds are truncated by Salesforce.
    const start = Math.min(Date.parse(lastPassAt) - 60_000, end - 2 * 60_000);
    try {
      const { data } = await this.client.request<{ earliestDateAvailable?: unknown }>(
        'GET',
        `/sobjects/${encodeURIComponent(describe.name)}/deleted/`,
        {
          query: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
          signal: options.signal,
        },
      );
      const earliest =
        typeof data?.earliestDateAvailable === 'string'
          ? parseSalesforceDateTime(data.earliestDateAvailable)
          : null;
      if (earliest && earliest.getTime() > start) {
        throw new CursorExpiredError(
          `Salesforce keeps ${describe.name} deletions only since ${earliest.toISOString()}, after the last pull (${lastPassAt}): the recycle bin was emptied, so some deletions can only be found by a full listing`,
        );
      }
    } catch (error) {
      if (error instanceof SalesforceError && error.errorCode === 'INVALID_REPLICATION_DATE') {
        this.logger.warn(
          { object: describe.name, err: error },
          'salesforce delete log not checked',
        );
        return;
      }
      throw error;
    }
  }

  /** Which of these records pass the object map's filter and record type now. */
  private async passing(
    describe: ObjectDescribe,
    filter: string,
    records: SfRecord[],
    options: PullOptions,
  ): Promise<Set<string>> {
    const passing = new Set<string>();
    for (let i = 0; i < records.length; i += IDS_PER_QUERY) {
      const ids = records.slice(i, i + IDS_PER_QUERY).map((record) => record.Id);
      const soql = buildSelect({
        fields: ['Id'],
        from: describe.name,
        where: [soqlIn('Id', ids), filter],
      });
      for await (const batch of this.client.query<SfRecord>(soql, { signal: options.signal })) {
        for (const record of batch.records) passing.add(record.Id);
      }
    }
    return passing;
  }

  /** The freshest API usage any client of this connection read. */
  private latestUsage() {
    const candidates = [this.client.usage, apiUsageByConnection().get(this.connection)].filter(
      (usage) => usage !== null && usage !== undefined,
    );
    return candidates.sort((a, b) => b!.at - a!.at)[0];
  }

  private overBudget(): boolean {
    const usage = this.latestUsage();
    return !!usage && usage.max > 0 && usage.used >= this.settings.apiBudgetShare * usage.max;
  }

  /**
   * A pull that stopped at the budget knows only the usage of its last answer: before the
   * next pull starts, one `GET /limits` reads it afresh (the 24-hour window has moved on, or
   * the admin raised the share), else a paused connection would never query again.
   */
  private async refreshPausedBudget(options: PullOptions): Promise<void> {
    if (this.overBudget()) await this.client.limits(options.signal);
  }

  /** Stops the pull when the org's API usage reached the share the admin allows pulls. */
  private checkBudget(): void {
    const usage = this.latestUsage();
    if (!usage || usage.max <= 0) return;
    const share = this.settings.apiBudgetShare;
    if (usage.used >= share * usage.max) {
      const pct = (value: number) => `${Math.round(value * 1000) / 10}%`;
      throw new SourceError(
        `Salesforce API budget reached: ${usage.used} of the org's ${usage.max} daily API requests used (${pct(usage.used / usage.max)}); pulls pause at ${pct(share)} and go on from the last applied page on a later run`,
        0,
        'api_budget',
      );
    }
  }

  async getUser(lookup: string, options: PullOptions): Promise<CanonicalUser | null> {
    const value = lookup.trim();
    if (!value) return null;
    for (const map of this.userMaps()) {
      const describe = await this.client.describe(map.sfObject);
      let condition: string;
      if (/^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(value)) condition = `Id = ${soqlString(value)}`;
      else if (value.includes('@') && findField(describe, 'Email'))
        condition = `Email = ${soqlString(value)}`;
      else continue;
      const soql = buildSelect({
        fields: selectFields(map, describe),
        from: describe.name,
        where: [condition, mapFilter(map)],
        // Several records with one email: the oldest, as Salesforce's duplicate rules keep.
        orderBy: ['CreatedDate', 'Id'],
        limit: 1,
      });
      for await (const batch of this.client.query<SfRecord>(soql, { signal: options.signal })) {
        const record = batch.records[0];
        if (record) return toCanonicalUser(record, map, describe, this.plan);
      }
    }
    return null;
  }

  async testConnection(options: PullOptions): Promise<ConnectionTest> {
    const checks: ConnectionCheck[] = [];
    const missing = new Set<string>();
    const { settings } = this;
    try {
      const token = await this.client.signIn(options.signal);
      checks.push({
        name: 'Sign in',
        ok: true,
        message: `Signed in at ${settings.loginUrl} (${flowName(settings.flow)}); the org's instance is ${token.instanceUrl}.`,
      });
    } catch (error) {
      checks.push({ name: 'Sign in', ok: false, message: (error as Error).message });
      return { ok: false, checks, missingPermissions: [] };
    }

    const versionCheck = `API version ${settings.apiVersion}`;
    try {
      const versions = await this.client.versions(options.signal);
      const served = versions.some((v) => v.version === settings.apiVersion);
      const latest = versions.map((v) => v.version).at(-1);
      checks.push({
        name: versionCheck,
        ok: served,
        message: served
          ? `The org serves API version ${settings.apiVersion}${latest && latest !== settings.apiVersion ? ` (its latest is ${latest})` : ''}.`
          : `The org does not serve API version ${settings.apiVersion}; it serves ${versions.map((v) => v.version).join(', ') || 'none'}. Choose one of those.`,
      });
    } catch (error) {
      checks.push({ name: versionCheck, ok: false, message: (error as Error).message });
    }

    for (const map of settings.objectMaps) {
      const object = map.sfObject;
      let describe: ObjectDescribe;
      try {
        describe = await this.client.describe(object);
        const problems = [
          describe.queryable ? null : 'cannot be queried',
          settings.push && map.operations.create.includes('push') && !describe.createable
            ? 'cannot be created'
            : null,
          settings.push && map.operations.update.includes('push') && !describe.updateable
            ? 'cannot be updated'
            : null,
        ].filter(Boolean);
        if (!describe.queryable) missing.add(`${object}: Read`);
        if (problems.length > 0 && describe.queryable) missing.add(`${object}: Create/Edit`);
        checks.push({
          name: `Describe ${object}`,
          ok: problems.length === 0,
          message:
            problems.length === 0
              ? `${describe.label || object} (${describe.fields.length} fields visible to the integration user).`
              : `${object} ${problems.join(' and ')} by the integration user: grant the object permissions in its profile or permission set.`,
        });
      } catch (error) {
        const e = error as SalesforceError;
        checks.push({
          name: `Describe ${object}`,
          ok: false,
          message:
            e.status === 404 || e.errorCode === 'NOT_FOUND' || e.errorCode === 'INVALID_TYPE'
              ? `The org has no object ${object}, or the integration user cannot see it (${e.errorCode}).`
              : e.message,
        });
        continue;
      }
      checks.push(...this.fieldChecks(map, describe, missing));
      checks.push(this.requiredCheck(map, describe));
      if (map.filter || map.recordTypeId)
        checks.push(await this.filterCheck(map, describe, options));
      if (settings.realtime === 'cometd')
        checks.push(await this.changeEventsCheck(object, options));
    }
    if (settings.objectMaps.length === 0) {
      checks.push({
        name: 'Object maps',
        ok: false,
        message: 'No object map: add one (e.g. Contact → WordPress users) to sync anything.',
      });
    }
    return { ok: checks.every((check) => check.ok), checks, missingPermissions: [...missing] };
  }

  /** "Field <Object>.<Field>" per mapped field: visible, and writable where pushes write. */
  private fieldChecks(
    map: SalesforceObjectMap,
    describe: ObjectDescribe,
    missing: Set<string>,
  ): ConnectionCheck[] {
    const checks: ConnectionCheck[] = [];
    const seen = new Set<string>();
    const pushes = this.settings.push;
    const rows = map.fields.flatMap((row) =>
      row.transform === 'template' ? [] : [{ sf: row.sf, direction: row.direction }],
    );
    for (const key of map.match) rows.push({ sf: key.sf, direction: 'both' });
    for (const row of rows) {
      const name = `Field ${describe.name}.${row.sf}`;
      if (seen.has(name)) continue;
      seen.add(name);
      const head = row.sf.split('.')[0]!;
      const field = findField(describe, head);
      if (!field) {
        missing.add(`${describe.name}.${head}: Read`);
        checks.push({
          name,
          ok: false,
          message: `${describe.name} has no field ${head} visible to the integration user: check the API name, or grant read access in field-level security.`,
        });
        continue;
      }
      const problems: string[] = [];
      if (pushes && row.direction !== 'inbound') {
        const target = writableField(describe, row.sf) ?? field;
        const creates = map.operations.create.includes('push');
        const updates = map.operations.update.includes('push');
        if (creates && !target.createable) problems.push('cannot be set on create');
        if (updates && !target.updateable) problems.push('cannot be updated');
        if (problems.length > 0) missing.add(`${describe.name}.${target.name}: Edit`);
      }
      checks.push({
        name,
        ok: problems.length === 0,
        message:
          problems.length === 0
            ? `${field.label || field.name} (${field.type}${field.length ? `, ${field.length}` : ''})${row.direction === 'inbound' ? ', read' : ', read and written'}.`
            : `${field.name} ${problems.join(' and ')} by the integration user (the row sends WordPress values to Salesforce): grant edit access in field-level security or make the row inbound.`,
      });
    }
    return checks;
  }

  /** Every field required on create must be pushed (a row outbound/both) or defaulted. */
  private requiredCheck(map: SalesforceObjectMap, describe: ObjectDescribe): ConnectionCheck {
    const name = `Required fields of ${describe.name}`;
    if (!this.settings.push || !map.operations.create.includes('push')) {
      return {
        name,
        ok: true,
        message: 'Pushes do not create records of this map: nothing to check.',
      };
    }
    const covered = new Set<string>();
    for (const row of map.fields) {
      if (row.direction === 'inbound' || row.wp === ACTIVE_TARGET) continue;
      const field = writableField(describe, row.sf);
      if (field) covered.add(field.name.toLowerCase());
    }
    for (const key of map.match) if (key.kind === 'externalId') covered.add(key.sf.toLowerCase());
    const required = describe.fields.filter(requiredOnCreate);
    const lacking = required.filter((field) => !covered.has(field.name.toLowerCase()));
    return {
      name,
      ok: lacking.length === 0,
      message:
        lacking.length === 0
          ? required.length === 0
            ? `${describe.name} requires no field on create.`
            : `Mapped: ${required.map((f) => f.name).join(', ')}.`
          : `${describe.name} cannot be created without ${lacking.map((f) => f.name).join(', ')}: map ${lacking.length === 1 ? 'it' : 'them'} outbound (or both ways) with a WordPress field or a default.`,
    };
  }

  /**
   * "Change events": a CometD handshake and a subscription to the object's change channel
   * (`/data/<Object>ChangeEvent`, which exists only when the object is selected for Change
   * Data Capture), then a disconnect.
   */
  private async changeEventsCheck(object: string, options: PullOptions): Promise<ConnectionCheck> {
    const name = 'Change events';
    const channel = changeChannel(object);
    const session: { cookie?: string } = {};
    try {
      const [hello] = await this.client.cometd(
        [
          {
            channel: '/meta/handshake',
            version: '1.0',
            minimumVersion: '1.0',
            supportedConnectionTypes: ['long-polling'],
            id: '1',
          },
        ],
        session,
        { signal: options.signal },
      );
      if (!hello || hello.successful !== true || typeof hello.clientId !== 'string') {
        const reason = (hello?.ext as { sfdc?: { failureReason?: string } } | undefined)?.sfdc
          ?.failureReason;
        return {
          name,
          ok: false,
          message: `Salesforce refused the Streaming API handshake (${reason ?? String(hello?.error ?? 'no answer')}): the integration user needs the "Streaming API" and "API Enabled" permissions.`,
        };
      }
      const clientId = hello.clientId;
      const [subscribed] = await this.client.cometd(
        [
          {
            channel: '/meta/subscribe',
            subscription: channel,
            clientId,
            id: '2',
            ext: { replay: { [channel]: -1 } },
          },
        ],
        session,
        { signal: options.signal },
      );
      await this.client
        .cometd([{ channel: '/meta/disconnect', clientId, id: '3' }], session, {
          signal: options.signal,
        })
        .catch(() => undefined);
      if (subscribed?.successful === true) {
        return {
          name,
          ok: true,
          message: `Subscribed to ${channel}: changes of ${object} arrive in real time.`,
        };
      }
      return {
        name,
        ok: false,
        message: `Salesforce has no change channel ${channel} (${String(subscribed?.error ?? 'refused')}): select ${object} for Change Data Capture in Setup.`,
      };
    } catch (error) {
      return {
        name,
        ok: false,
        message: `The Streaming API did not answer: ${(error as Error).message}`,
      };
    }
  }

  /** The object map's filter, run once. */
  private async filterCheck(
    map: SalesforceObjectMap,
    describe: ObjectDescribe,
    options: PullOptions,
  ): Promise<ConnectionCheck> {
    const name = `Filter of ${describe.name}`;
    const problem = map.filter ? filterProblem(map.filter) : null;
    if (problem) return { name, ok: false, message: `The filter ${problem}.` };
    try {
      const soql = buildSelect({
        fields: ['Id'],
        from: describe.name,
        where: [mapFilter(map)],
        limit: 1,
      });
      for await (const _batch of this.client.query(soql, { signal: options.signal })) break;
      return { name, ok: true, message: `Salesforce accepts the filter: ${mapFilter(map)}.` };
    } catch (error) {
      return {
        name,
        ok: false,
        message: `Salesforce refused the filter: ${(error as Error).message}`,
      };
    }
  }
}

/**
 * What a record leaving Salesforce (deleted, merged away, out of the filter) does to its
 * WordPress user, by the map's `deletePolicy.pull`: `disable` — deprovisioned, link kept
 * (it may come back); `delete` — gone for good, when `operations.delete` lets pulls delete
 * (else disabled); `ignore` — nothing (nor does a full listing to who it lacks).
 */
export function removalOf(map: SalesforceObjectMap): { permanent: boolean } | null {
  switch (map.deletePolicy.pull) {
    case 'ignore':
      return null;
    case 'delete':
      return { permanent: map.operations.delete.includes('pull') };
    default:
      return { permanent: false };
  }
}

/**
 * What a full listing does to the users it lacks: `ignore` or `delete` when every user
 * object map says so (as `removalOf` reads it), else `disable`. The engine cannot tell which
 * object map a vanished user came from.
 */
export function connectionRemoval(maps: SalesforceObjectMap[]): 'disable' | 'delete' | 'ignore' {
  const removals = maps.map(removalOf);
  if (removals.length > 0 && removals.every((removal) => removal === null)) return 'ignore';
  if (removals.length > 0 && removals.every((removal) => removal?.permanent)) return 'delete';
  return 'disable';
}

/** The object map's WHERE fragment and record type as one condition, or null. */
export function mapFilter(map: SalesforceObjectMap): string | null {
  const parts: string[] = [];
  if (map.filter) {
    const problem = filterProblem(map.filter);
    if (problem) {
      throw new SourceError(`The filter of object map "${map.id}" ${problem}`, 0, 'invalid_filter');
    }
    parts.push(map.filter);
  }
  if (map.recordTypeId) parts.push(`RecordTypeId = ${soqlString(map.recordTypeId)}`);
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0]! : parts.map((part) => `(${part})`).join(' AND ');
}

function modstampOf(record: SfRecord): string {
  const value = record.SystemModstamp;
  const time =
    typeof value === 'string' ? Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : NaN;
  if (Number.isNaN(time)) {
    throw new SalesforceError(
      `Record ${record.Id} came without a SystemModstamp`,
      200,
      'invalid_response',
    );
  }
  return new Date(time).toISOString();
}

function flowName(flow: SalesforceSettings['flow']): string {
  return flow === 'jwt'
    ? 'JWT bearer'
    : flow === 'refresh_token'
      ? 'refresh token'
      : 'client credentials';
}
