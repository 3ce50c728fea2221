// Salesforce as a push target: WordPress users written to the records of the connection's
// user object map (Contact, Lead, Account, …).
//
// Change source: the plugin's outbox through the outbound pipeline (the changes of one user in
//   a page merged; the user's current state is read and sent), plus a full push on demand.
// Cursor: the pipeline's per-target outbox cursor; per user, the outbound state (the record's
//   Id, the values last sent by Salesforce field name, their hash).
// Batching: sObject Collections, at most 200 records a call and at most 4 calls in flight:
//   updates by Id (PATCH /composite/sobjects), creates as upserts by the external-id match key
//   (PATCH /composite/sobjects/{object}/{field}), or plain creates (POST) without one;
//   deletes by Id (DELETE /composite/sobjects?ids=). `allOrNone` is false, so each record
//   succeeds or fails on its own (per-record `statusCode`, `message`, `fields`).
//   A full push of more than 2,000 users writes more than 2,000 updates (by Id) or creates
//   (upserts by the external-id key) in one Bulk API 2.0 ingest job each (CSV, `#N/A` for
//   null); each row's result (sf__Id, sf__Created, sf__Error) is that user's outcome.
// Matching, for a user not linked yet: the map's match keys in order — the external-id field
//   holding `<site key>:<user id>`, then idLookup fields such as Email — each looked up with
//   chunked `IN (…)` queries. One record found: updated and linked. Several: a conflict naming
//   their Ids (a dead letter; never a create). None: created, when the map lets pushes create.
//   An empty key value is never sent. (Email is matched by query, never upserted by Email in
//   the URL: an address ending in a TLD such as `.inc` answers 404 there.)
// Deletes: a user deleted in WordPress follows the map's deletePolicy.push: `delete` deletes
//   the record, `ignore` leaves it. A disabled user is sent like any change when the map has a
//   row for `active` (e.g. a checkbox); otherwise it follows the delete policy too.
// Unchanged users (same hash as last sent) cost no request; "Push now" sends every field.
// Updates send only what changed here; on two-way maps, fields Salesforce changed too are
// settled by the map's conflict policy first (push-conflicts.ts), each verdict audited.
// Echo: the pipeline never delivers a change whose origin is this connection (the pull's own
//   writes); every write carries `Sforce-Call-Options: client=<callOptionsClient>` (the
//   client sets it) so change events of our writes name us.
// Privileged users (administrators, the service account) are never pushed unless the
// connection's `includeAdministrators` says so.
import pLimit from 'p-limit';
import type { Logger } from '../../logger.js';
import type { MappedValues, OutboundState, OutboundStateInput, Store } from '../../store/types.js';
import type { PluginFeed } from '../../wordpress/feed.js';
import type {
  AuditEntry,
  OutboxChange,
  SourceConnection,
  SyncConfig,
  UserSnapshot,
} from '../../wordpress/types.js';
import { DeliveryError } from '../types.js';
import type {
  DeliveryContext,
  DeliveryOutcome,
  DeliveryResult,
  OutboundTarget,
  PushContext,
  PushProgress,
  TargetDescription,
  UserChange,
} from '../types.js';
import { ingestCsv } from './client.js';
import type { JobResultRow, RecordResult, SalesforceClient } from './client.js';
import { findField } from './describe.js';
import type { ObjectDescribe } from './describe.js';
import {
  ACTIVE_TARGET,
  PushValueError,
  attributesRead,
  changedFields,
  outboundRows,
  pushRecord,
  rowReads,
  valuesHash,
  wordpressValue,
} from './push-mapper.js';
import type { PushRecord } from './push-mapper.js';
import type { SalesforceMatchKey, SalesforceObjectMap, SalesforceSettings } from './settings.js';
import { recordLinks } from '../links.js';
import { fromSalesforceValue, writableField } from './mapper.js';
import { describeVerdict, planPush } from './push-conflicts.js';
import { soqlString } from './soql.js';

export const KIND = 'salesforce';

/** Records per sObject Collections call (Salesforce's limit). */
export const COLLECTION_SIZE = 200;
/** Collection calls in flight at once, per target. */
export const CALLS_IN_FLIGHT = 4;
/**
 * Records of one kind (updates by Id, creates by the external id) above which a full push
 * writes them in one Bulk API 2.0 job instead of collection calls (Salesforce's guidance:
 * Bulk API for more than 2,000 records).
 */
export const BULK_THRESHOLD = 2_000;
/** Largest CSV upload of one job (Salesforce takes 150 MB; room kept for encoding). */
const JOB_BYTES = 100 * 1024 * 1024;
/** Users listed per page by a full push (a multiple of COLLECTION_SIZE, ≤ the plugin's 500). */
const PUSH_PAGE = 400;
/** Longest `IN (…)` list of one match query, in characters (the query goes in the URL). */
const IN_LIST_CHARS = 6_000;

/** Per-record codes that waiting may fix. */
const TRANSIENT_CODES = new Set([
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'REQUEST_LIMIT_EXCEEDED',
  'UNKNOWN_EXCEPTION',
]);
/** Per-record codes of an update whose record no longer exists. */
const GONE_CODES = new Set(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY', 'NOT_FOUND']);

/** What the push uses of the Salesforce client. */
export type SalesforceApi = Pick<
  SalesforceClient,
  | 'query'
  | 'describe'
  | 'createRecords'
  | 'updateRecords'
  | 'upsertRecords'
  | 'deleteRecords'
  | 'createIngestJob'
  | 'uploadJobData'
  | 'closeJob'
  | 'abortJob'
  | 'jobInfo'
  | 'successfulResults'
  | 'failedResults'
>;

/** The connection's settings, and whether privileged users are pushed too (default: never). */
export type SalesforcePushSettings = Pick<SalesforceSettings, 'loginUrl' | 'objectMaps'> & {
  includeAdministrators?: boolean;
};

export interface SalesforceTargetDeps {
  connection: SourceConnection;
  settings: SalesforcePushSettings;
  client: SalesforceApi;
  feed: PluginFeed;
  store: Store;
  logger: Logger;
  /**
   * Names this site in the external-id values (`<site key>:<user id>`), so that several
   * sites can push to one org without taking each other's records.
   */
  siteKey: string;
  /** First wait between polls of a Bulk API job (default 500 ms). */
  jobPollMs?: number;
}

/** One user to bring over. */
interface Item {
  userId: number;
  snapshot: UserSnapshot | null;
  state: OutboundState | null;
  /** The user's actions in this change (empty for a full push). */
  actions: string[];
  /**
   * Sent in full even when Salesforce should have it: "Push now" (a change that is no outbox
   * row), so that a record edited or deleted in Salesforce is brought back in line.
   */
  force: boolean;
}

/** What delivering one user produced besides the outcome. */
interface Done {
  outcome: DeliveryOutcome;
  state: OutboundStateInput | 'forget' | null;
  /** The link to record (null removes it), undefined for none. */
  link: string | null | undefined;
}

/** The users of one page (or one delivery): what was decided for each, and what is to write. */
interface Round {
  items: Item[];
  results: Map<number, DeliveryResult>;
  done: Map<number, Done>;
  writes: Write[];
  /** Writes of users not linked before this round (matched or created). */
  unresolved: Write[];
  describe: ObjectDescribe | null;
  audit: AuditEntry[];
  /** Updates a Bulk API job found deleted in Salesforce (matched and created again). */
  gone: Write[];
}

/** A user whose record is written in this round. */
interface Write {
  item: Item;
  record: PushRecord;
  /** The record's Id (update), or null (create). */
  id: string | null;
  /** Fields to send (an update sends only what changed since the last write). */
  send: string[];
  requests: number;
  /** How an existing record was found (an idLookup match), for the audit log. */
  matched?: { field: string; value: string; attribute: string };
}

/**
 * The site key of a WordPress URL: its host (with a port other than the scheme's) and path,
 * lower case, `www.` dropped, e.g. `example.org` or `example.org/blog`.
 */
export function siteKeyOf(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.host.toLowerCase().replace(/^www\./, '');
    const path = parsed.pathname.replace(/\/+$/, '').toLowerCase();
    return `${host}${path}`;
  } catch {
    return url.toLowerCase();
  }
}

const isPush = (list: string[] | undefined) => (list ?? []).includes('push');
const pulls = (list: string[] | undefined) => (list ?? []).includes('pull');

export class SalesforceTarget implements OutboundTarget {
  readonly kind = KIND;
  readonly slug: string;
  private readonly map: SalesforceObjectMap | null;
  private readonly writes = pLimit(CALLS_IN_FLIGHT);

  constructor(private readonly deps: SalesforceTargetDeps) {
    this.slug = deps.connection.slug;
    // One user map pushes: links and outbound states hold one Salesforce Id per user.
    this.map =
      deps.settings.objectMaps.find(
        (map) => map.wpObject === 'user' && outboundRows(map).length > 0,
      ) ?? null;
    const others = deps.settings.objectMaps.filter(
      (map) => map !== this.map && map.wpObject === 'user' && outboundRows(map).length > 0,
    );
    if (others.length)
      deps.logger.warn(
        { target: this.slug, maps: others.map((map) => map.id) },
        'salesforce: only the first user object map is pushed',
      );
  }

  describe(): TargetDescription {
    return {
      slug: this.slug,
      name: this.deps.connection.name,
      kind: KIND,
      endpoint: this.deps.settings.loginUrl,
      // Salesforce also writes here when the map pulls values into WordPress.
      twoWay:
        !!this.map &&
        this.map.fields.some((row) => row.direction !== 'outbound') &&
        (pulls(this.map.operations.update) || pulls(this.map.operations.create)),
    };
  }

  private get object(): string {
    return this.map?.sfObject ?? 'Contact';
  }

  /** The external-id match key, if the map has one. */
  private get externalKey(): string | null {
    return this.map?.match.find((key) => key.kind === 'externalId')?.sf ?? null;
  }

  private externalValue(userId: number): string {
    return `${this.deps.siteKey}:${userId}`;
  }

  covers(change: OutboxChange, _config: SyncConfig): boolean {
    if (!this.map) return false;
    if (change.action === 'password') return false; // Passwords never go to Salesforce.
    if (change.action !== 'update') return true;
    const read = attributesRead(this.map);
    return change.changed.some((name) => read.has(name));
  }

  async deliver(
    changes: UserChange[],
    _context: DeliveryContext,
  ): Promise<Map<number, DeliveryResult>> {
    const ids = changes.map((change) => change.userId);
    const [snapshots, states] = await Promise.all([
      this.deps.feed.users(ids, this.slug),
      this.deps.store.getOutboundStates(this.slug, ids),
    ]);
    return this.bring(
      changes.map((change) => ({
        userId: change.userId,
        snapshot: snapshots.get(change.userId) ?? null,
        state: states.get(change.userId) ?? null,
        actions: change.actions,
        force: change.ids.every((id) => id === 0),
      })),
    );
  }

  /**
   * Every user, 400 a page (two pages at a time), skipping those Salesforce already has.
   * Up to 2,000 users, each page is written as it is read (collection calls); above, every
   * page is matched first and the writes of one kind (updates by Id, creates by the external
   * id) go in one Bulk API 2.0 job when they are more than 2,000.
   */
  async fullPush(context: PushContext): Promise<PushProgress> {
    const progress: PushProgress = {
      processed: 0,
      total: null,
      created: 0,
      updated: 0,
      unchanged: 0,
      failed: 0,
    };
    const tally = async (round: Round) => {
      for (const [userId, result] of round.results) {
        if (!result.ok) {
          progress.failed++;
          await context.onFailure(userId, result.error);
        } else if (result.outcome.status === 'created') progress.created++;
        else if (result.outcome.status === 'updated' || result.outcome.status === 'deleted')
          progress.updated++;
        else progress.unchanged++;
      }
      progress.processed += round.items.length;
      await context.onProgress({ ...progress });
    };
    const list = (page: number) => this.deps.feed.listUsers(this.slug, page, PUSH_PAGE);
    const held: Round[] = [];
    let bulk: boolean | null = null;
    for (let page = 1; ; page += 2) {
      if (context.signal.aborted) throw new Error('stopped');
      const [first, second] = await Promise.all([list(page), list(page + 1)]);
      progress.total = first.total;
      bulk ??= first.total > BULK_THRESHOLD;
      const users = [...first.users, ...second.users];
      if (users.length === 0) break;
      const states = await this.deps.store.getOutboundStates(
        this.slug,
        users.map((user) => user.id),
      );
      const round = await this.prepare(
        users.map((user) => ({
          userId: user.id,
          snapshot: user,
          state: states.get(user.id) ?? null,
          actions: [],
          force: false,
        })),
      );
      if (bulk) held.push(round);
      else {
        await this.complete(round);
        await tally(round);
      }
      if (second.users.length < PUSH_PAGE) break;
    }
    if (held.length) {
      await this.bulkWrite(held, context.signal);
      // What the jobs wrote is recorded even when the push is being stopped.
      for (const round of held) {
        await this.complete(round);
        await tally(round);
      }
    }
    return progress;
  }

  /** Brings these users over; one result each, never a throw for one user's failure. */
  private async bring(items: Item[]): Promise<Map<number, DeliveryResult>> {
    return this.complete(await this.prepare(items));
  }

  /**
   * Everything before the writes: users sorted into removals (done here), unchanged ones and
   * writes; records of users not linked yet found by the match keys; two-way conflicts settled.
   */
  private async prepare(items: Item[]): Promise<Round> {
    const results = new Map<number, DeliveryResult>();
    const done = new Map<number, Done>();
    const round: Round = {
      items,
      results,
      done,
      writes: [],
      unresolved: [],
      describe: null,
      audit: [],
      gone: [],
    };
    const map = this.map;
    if (!map) {
      for (const item of items) results.set(item.userId, ok(item.userId, 'unchanged'));
      return round;
    }
    const writes: Write[] = [];
    const unresolved: Write[] = [];
    const removals: Item[] = [];
    const present: (Item & { snapshot: UserSnapshot })[] = [];
    const mapsActive = outboundRows(map).some((row) => row.wp === ACTIVE_TARGET);
    for (const item of items) {
      const { snapshot, userId } = item;
      if (snapshot && this.excluded(snapshot)) {
        done.set(userId, { outcome: outcome(userId, 'excluded'), state: null, link: undefined });
      } else if (
        !snapshot ||
        (!snapshot.active && !mapsActive && map.deletePolicy.push === 'delete')
      ) {
        removals.push(item);
      } else {
        present.push({ ...item, snapshot });
      }
    }

    let describe: ObjectDescribe | null = null;
    if (present.length) {
      try {
        describe = await this.fields();
      } catch (error) {
        const failure = toDeliveryError(error, `Describing ${map.sfObject} failed`);
        for (const item of present) results.set(item.userId, { ok: false, error: failure });
        present.length = 0;
      }
    }
    for (const item of present) {
      const { snapshot, state, userId } = item;
      let record: PushRecord;
      try {
        record = pushRecord(snapshot, map, describe!, this.externalField(describe!, userId));
      } catch (error) {
        if (!(error instanceof PushValueError)) throw error;
        results.set(userId, {
          ok: false,
          error: new DeliveryError(error.message, 'invalid_value', false),
        });
        continue;
      }
      const hash = valuesHash(record.sent);
      const linked = (snapshot.linked && snapshot.externalId) || null;
      const remoteId = linked ?? state?.remoteId ?? null;
      if (!item.force && remoteId && state?.remoteId === remoteId && state.hash === hash) {
        // Salesforce has these values from us: nothing to send (the link is recorded if lost).
        done.set(userId, {
          outcome: outcome(userId, 'unchanged'),
          state: null,
          link: linked === remoteId ? undefined : remoteId,
        });
        continue;
      }
      const known = state?.remoteId === remoteId ? state.sent : null;
      const write: Write = {
        item,
        record,
        id: remoteId,
        send:
          remoteId && !item.force ? changedFields(record.sent, known) : Object.keys(record.sent),
        requests: 0,
      };
      if (remoteId) writes.push(write);
      else unresolved.push(write);
    }

    await this.removeAll(removals, done, results);
    await this.match(unresolved, results);
    for (const write of unresolved) if (!results.has(write.item.userId)) writes.push(write);

    round.audit = describe ? await this.settleConflicts(writes, describe, results) : [];
    round.writes = writes;
    round.unresolved = unresolved;
    round.describe = describe;
    return round;
  }

  /**
   * The writes of a round not written yet (by a Bulk API job) in collection calls, records
   * gone from Salesforce matched and created again, then states, links and audit entries.
   */
  private async complete(round: Round): Promise<Map<number, DeliveryResult>> {
    const { done, results, describe, writes, unresolved, audit, items } = round;
    const map = this.map;
    if (!map) return results;
    const settled = (write: Write) =>
      results.has(write.item.userId) || done.has(write.item.userId) || round.gone.includes(write);
    // Records gone from Salesforce (deleted there) are matched and created again, once.
    const gone = [...round.gone];
    if (describe)
      gone.push(
        ...(await this.writeAll(
          writes.filter((write) => !settled(write)),
          describe,
          done,
          results,
        )),
      );
    if (gone.length && describe) {
      for (const write of gone) {
        write.id = null;
        write.send = Object.keys(write.record.sent);
      }
      await this.match(gone, results);
      await this.writeAll(
        gone.filter((write) => !results.has(write.item.userId)),
        describe,
        done,
        results,
      );
    }
    // Users linked to a record that was already there (found by Email, …) are audited.
    for (const write of new Set([...writes, ...unresolved])) {
      const result = done.get(write.item.userId);
      if (!write.matched || !write.id || !result || results.has(write.item.userId)) continue;
      audit.push({
        source: `salesforce:${this.deps.connection.name}`,
        action: 'link',
        result: 'success',
        userId: write.item.userId,
        userLogin: write.item.snapshot?.login,
        fields: [write.matched.attribute],
        message: `Linked to the existing ${map.sfObject} ${write.id}, found by ${write.matched.field} "${write.matched.value}"`,
      });
    }
    await this.record(done, results, items, audit);
    return results;
  }

  /**
   * Two-way maps: reads what Salesforce holds now for the fields it may also change, and
   * settles each field both sides changed by the map's conflict policy (push-conflicts.ts);
   * returns the audit entries of the verdicts.
   */
  private async settleConflicts(
    writes: Write[],
    describe: ObjectDescribe,
    results: Map<number, DeliveryResult>,
  ): Promise<AuditEntry[]> {
    const map = this.map!;
    if (map.conflict === 'wordpress-wins' || !pulls(map.operations.update)) return [];
    // Fields Salesforce may change, with the WordPress attributes each carries.
    const twoWay = new Map<string, string[]>();
    for (const row of map.fields) {
      if (row.direction !== 'both') continue;
      const field = writableField(describe, row.sf);
      if (field) twoWay.set(field.name, rowReads(row));
    }
    const candidates = writes.filter(
      (write) =>
        write.id &&
        !write.item.force &&
        write.item.state?.remoteId === write.id &&
        write.item.state.confirmed &&
        write.send.some((field) => twoWay.has(field)),
    );
    if (candidates.length === 0) return [];
    const fields = [
      ...new Set(candidates.flatMap((write) => write.send.filter((f) => twoWay.has(f)))),
    ];
    let current: Map<string, { values: MappedValues; modified: string | null }>;
    try {
      current = await this.current(
        candidates.map((write) => write.id!),
        fields,
        describe,
      );
    } catch (error) {
      const failure = toDeliveryError(error, `Reading ${map.sfObject} records failed`);
      for (const write of candidates) results.set(write.item.userId, { ok: false, error: failure });
      return [];
    }
    for (const write of candidates) write.requests++;
    const clocks = await this.deps.feed
      .clock(
        candidates.map((write) => write.item.userId),
        this.slug,
      )
      .catch((error: unknown) => {
        this.deps.logger.warn({ err: error }, 'salesforce: change times unavailable');
        return new Map<number, Record<string, string>>();
      });
    const audit: AuditEntry[] = [];
    for (const write of candidates) {
      const now = current.get(write.id!);
      if (!now) continue; // Gone: the update says so, and the user is created again.
      const clock = clocks.get(write.item.userId) ?? {};
      const ourTimes: Record<string, string | null> = {};
      for (const field of fields) {
        const times = (twoWay.get(field) ?? []).map((name) => clock[name]).filter(Boolean);
        ourTimes[field] = times.length ? times.sort().at(-1)! : null;
      }
      const plan = planPush({
        send: write.send.filter((field) => twoWay.has(field)),
        ours: write.record.sent,
        confirmed: write.item.state!.confirmed!,
        theirs: now.values,
        policy: map.conflict,
        ourTimes,
        theirTime: now.modified,
      });
      write.send = [...write.send.filter((field) => !twoWay.has(field)), ...plan.send];
      for (const [field, value] of Object.entries(plan.keep)) write.record.sent[field] = value;
      for (const verdict of plan.verdicts) {
        audit.push({
          source: `salesforce:${this.deps.connection.name}`,
          action: 'conflict',
          result: verdict.winner === 'wordpress' ? 'success' : 'skipped',
          userId: write.item.userId,
          userLogin: write.item.snapshot?.login,
          fields: twoWay.get(verdict.field) ?? [verdict.field],
          message: describeVerdict(verdict, map.sfObject),
        });
      }
    }
    return audit;
  }

  /** The current values (as strings) and LastModifiedDate of records, by Id. */
  private async current(
    ids: string[],
    fields: string[],
    describe: ObjectDescribe,
  ): Promise<Map<string, { values: MappedValues; modified: string | null }>> {
    const found = new Map<string, { values: MappedValues; modified: string | null }>();
    await Promise.all(
      chunks(ids, COLLECTION_SIZE).map((chunk) =>
        this.writes(async () => {
          const soql = `SELECT Id, LastModifiedDate, ${fields.join(', ')} FROM ${this.object} WHERE Id IN (${chunk.map(soqlString).join(', ')})`;
          for await (const page of this.deps.client.query<Record<string, unknown>>(soql)) {
            for (const record of page.records) {
              const values: MappedValues = {};
              for (const name of fields) {
                const value = fromSalesforceValue(findField(describe, name), record[name]);
                values[name] =
                  value === null || value === undefined || value === '' ? null : String(value);
              }
              const modified = fromSalesforceValue(
                findField(describe, 'LastModifiedDate'),
                record.LastModifiedDate,
              );
              found.set(String(record.Id), {
                values,
                modified: typeof modified === 'string' ? modified : null,
              });
            }
          }
        }),
      ),
    );
    return found;
  }

  /** Whether a user is privileged and kept out of Salesforce (peers do the same). */
  private excluded(snapshot: UserSnapshot): boolean {
    const roles = snapshot.roles ?? [];
    if (roles.includes('usersync_service')) return true;
    return roles.includes('administrator') && !this.deps.settings.includeAdministrators;
  }

  private externalField(
    describe: ObjectDescribe,
    userId: number,
  ): { field: string; value: string } | null {
    const key = this.externalKey;
    if (!key) return null;
    const field = findField(describe, key);
    return { field: field?.name ?? key, value: this.externalValue(userId) };
  }

  /** The object's describe (the client describes each object once). */
  private fields(): Promise<ObjectDescribe> {
    return this.deps.client.describe(this.object);
  }

  /**
   * Finds the records of users not linked yet by the map's match keys, in order; sets `id`
   * of those found once, fails those found several times (conflict).
   */
  private async match(writes: Write[], results: Map<number, DeliveryResult>): Promise<void> {
    const map = this.map!;
    let open = writes.filter((write) => !results.has(write.item.userId));
    for (const key of map.match) {
      if (open.length === 0) break;
      const values = new Map<Write, string>();
      for (const write of open) {
        const value = this.keyValue(key, write.item);
        if (value) values.set(write, value);
      }
      let found: Map<string, { id: string }[]>;
      try {
        found = await this.lookup(key.sf, [...new Set(values.values())]);
      } catch (error) {
        const failure = toDeliveryError(error, `Looking up ${map.sfObject} by ${key.sf} failed`);
        for (const write of values.keys())
          results.set(write.item.userId, { ok: false, error: failure });
        open = open.filter((write) => !values.has(write));
        continue;
      }
      for (const [write, value] of values) {
        write.requests++;
        const records = found.get(value.toLowerCase()) ?? [];
        if (records.length === 1) {
          write.id = records[0]!.id;
          write.send = Object.keys(write.record.sent);
          if (key.kind === 'idLookup') write.matched = { field: key.sf, value, attribute: key.wp };
        } else if (records.length > 1) {
          results.set(write.item.userId, {
            ok: false,
            error: new DeliveryError(
              `${records.length} ${map.sfObject} records have ${key.sf} "${value}" (${records
                .map((record) => record.id)
                .join(', ')}): link the user to one of them, or merge them in Salesforce`,
              'conflict',
              false,
            ),
          });
        }
      }
      open = open.filter((write) => write.id === null && !results.has(write.item.userId));
    }
    // Not found: created when the map lets pushes create.
    if (!isPush(map.operations.create)) {
      for (const write of open) {
        if (write.id === null && !results.has(write.item.userId))
          results.set(write.item.userId, ok(write.item.userId, 'unchanged', write.requests));
      }
    }
  }

  /** The value a user has for a match key; null when empty (an empty key is never sent). */
  private keyValue(key: SalesforceMatchKey, item: Item): string | null {
    if (key.kind === 'externalId') return this.externalValue(item.userId);
    const value = item.snapshot ? wordpressValue(item.snapshot, key.wp) : null;
    return value && value.trim() ? value.trim() : null;
  }

  /** Records whose `field` is one of `values`, by lower-case value (chunked IN queries). */
  private async lookup(field: string, values: string[]): Promise<Map<string, { id: string }[]>> {
    const found = new Map<string, { id: string }[]>();
    const chunks: string[][] = [];
    let chunk: string[] = [];
    let length = 0;
    for (const value of values) {
      const literal = soqlString(value);
      if (chunk.length && length + literal.length + 1 > IN_LIST_CHARS) {
        chunks.push(chunk);
        chunk = [];
        length = 0;
      }
      chunk.push(literal);
      length += literal.length + 1;
    }
    if (chunk.length) chunks.push(chunk);
    await Promise.all(
      chunks.map((literals) =>
        this.writes(async () => {
          const soql = `SELECT Id, ${field} FROM ${this.object} WHERE ${field} IN (${literals.join(', ')})`;
          for await (const page of this.deps.client.query<Record<string, unknown>>(soql)) {
            for (const record of page.records) {
              const value = record[field];
              if (typeof value !== 'string' || typeof record.Id !== 'string') continue;
              const list = found.get(value.toLowerCase()) ?? [];
              if (!list.some((other) => other.id === record.Id)) list.push({ id: record.Id });
              found.set(value.toLowerCase(), list);
            }
          }
        }),
      ),
    );
    return found;
  }

  /**
   * Full pushes above BULK_THRESHOLD users: the writes of the held rounds, by kind, in one
   * Bulk API 2.0 job each when they are more than BULK_THRESHOLD — updates of linked records
   * by Id (`update`), creates as upserts by the external-id field (`upsert`, so a job run
   * twice never duplicates). Creates without an external-id key stay in collection calls:
   * a job's results could not be told apart per user. Users matched by Email were looked up
   * before (prepare), so they are updates by Id here, never creates.
   */
  private async bulkWrite(rounds: Round[], signal: AbortSignal): Promise<void> {
    const map = this.map!;
    const describe = rounds.find((round) => round.describe)?.describe;
    if (!describe) return;
    const external = this.externalKey ? findField(describe, this.externalKey)?.name : undefined;
    const updates: [Write, Round][] = [];
    const creates: [Write, Round][] = [];
    for (const round of rounds) {
      for (const write of round.writes) {
        const userId = write.item.userId;
        if (round.results.has(userId) || round.done.has(userId)) continue;
        if (write.id) {
          if (isPush(map.operations.update) && write.send.length) updates.push([write, round]);
        } else creates.push([write, round]);
      }
    }
    if (updates.length > BULK_THRESHOLD) {
      const rows = updates.map(([write]) => ({
        Id: write.id,
        ...pick(write.record.fields, write.send, (name) => updatable(describe, name)),
      }));
      await this.ingest('update', 'Id', updates, rows, signal);
    }
    if (external && creates.length > BULK_THRESHOLD) {
      const rows = creates.map(([write]) => {
        const row: Record<string, unknown> = pick(
          write.record.fields,
          Object.keys(write.record.fields),
          (name) => creatable(describe, name),
        );
        // As in collection creates: no value is left to the field's default.
        for (const [name, value] of Object.entries(row)) if (value === null) delete row[name];
        if (map.recordTypeId) row.RecordTypeId = map.recordTypeId;
        return row;
      });
      await this.ingest('upsert', external, creates, rows, signal);
    }
  }

  /**
   * One ingest job per 100 MB of CSV: created, uploaded, closed, waited for; each user's
   * record then found in the results by `key` (Id or the external-id value). Written: the
   * state and link are recorded (sf__Id, sf__Created). Refused: a failure with Salesforce's
   * message (sf__Error), or, for an update of a record deleted there, matched and created
   * again. Neither: a transient failure (the job did not process it).
   */
  private async ingest(
    operation: 'update' | 'upsert',
    key: string,
    entries: [Write, Round][],
    rows: Record<string, unknown>[],
    signal: AbortSignal,
  ): Promise<void> {
    const map = this.map!;
    const client = this.deps.client;
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    if (operation === 'update') columns.sort((a, b) => Number(b === 'Id') - Number(a === 'Id'));
    const fail = (part: [Write, Round][], error: DeliveryError) => {
      for (const [write, round] of part) round.results.set(write.item.userId, { ok: false, error });
    };
    for (const [start, end] of jobSlices(columns, rows)) {
      const part = entries.slice(start, end);
      const keyOf = (row: Record<string, unknown>) => String(row[key] ?? '');
      const byKey = new Map(part.map(([write], index) => [keyOf(rows[start + index]!), write]));
      const roundOf = new Map(part);
      let requests = 0;
      let jobId: string | null = null;
      let success: JobResultRow[];
      let failed: JobResultRow[];
      try {
        const job = await client.createIngestJob({
          object: map.sfObject,
          operation,
          ...(operation === 'upsert' ? { externalIdFieldName: key } : {}),
          signal,
        });
        jobId = job.id;
        await client.uploadJobData(job.id, ingestCsv(columns, rows.slice(start, end)), signal);
        await client.closeJob(job.id, signal);
        requests += 3;
        const info = await client.jobInfo(job.id, { signal, firstMs: this.deps.jobPollMs ?? 500 });
        requests += 1;
        if (info.state !== 'JobComplete') {
          fail(
            part,
            new DeliveryError(
              `Salesforce's Bulk API job ${job.id} ended ${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ''}`,
              'bulk_job_failed',
              info.state === 'Aborted',
            ),
          );
          continue;
        }
        [success, failed] = await Promise.all([
          client.successfulResults(job.id, signal),
          client.failedResults(job.id, signal),
        ]);
        requests += 2;
      } catch (error) {
        // A job not closed is aborted, so nothing of it is written after the failure.
        if (jobId && requests < 3)
          await client
            .abortJob(jobId)
            .catch((abort: unknown) =>
              this.deps.logger.warn({ err: abort, job: jobId }, 'salesforce: could not abort job'),
            );
        fail(
          part,
          toDeliveryError(error, `Writing ${map.sfObject} records in a Bulk API job failed`),
        );
        continue;
      }
      part[0]![0].requests += requests;
      const seen = new Set<Write>();
      for (const row of success) {
        const write = byKey.get(row[key] ?? '');
        const id = row.sf__Id;
        if (!write || !id || seen.has(write)) continue;
        seen.add(write);
        const round = roundOf.get(write)!;
        const created = operation === 'upsert' && row.sf__Created === 'true';
        round.done.set(
          write.item.userId,
          this.finished(write, created ? 'created' : 'updated', id),
        );
      }
      for (const row of failed) {
        const write = byKey.get(row[key] ?? '');
        if (!write || seen.has(write)) continue;
        seen.add(write);
        const round = roundOf.get(write)!;
        const answer: RecordResult = { success: false, errors: jobErrors(row.sf__Error ?? '') };
        if (operation === 'update' && answer.errors.some((e) => GONE_CODES.has(e.statusCode)))
          round.gone.push(write);
        else round.results.set(write.item.userId, { ok: false, error: recordError(map, answer) });
      }
      fail(
        part.filter(([write]) => !seen.has(write)),
        new DeliveryError(
          `Salesforce's Bulk API job ${jobId} did not process this ${map.sfObject}`,
          'bulk_unprocessed',
          true,
        ),
      );
    }
  }

  /**
   * Sends the writes in collection calls (updates by Id, creates as upserts by the external
   * id or plain creates); returns the updates whose record is gone from Salesforce.
   */
  private async writeAll(
    writes: Write[],
    describe: ObjectDescribe,
    done: Map<number, Done>,
    results: Map<number, DeliveryResult>,
  ): Promise<Write[]> {
    const map = this.map!;
    const updates: Write[] = [];
    const creates: Write[] = [];
    for (const write of writes) {
      if (write.id) {
        // Nothing to write (Salesforce's values kept): the state records them.
        if (isPush(map.operations.update) && write.send.length) updates.push(write);
        else done.set(write.item.userId, this.finished(write, 'unchanged', write.id));
      } else creates.push(write);
    }
    const gone: Write[] = [];
    const calls: Promise<void>[] = [];
    const external = this.externalKey ? findField(describe, this.externalKey)?.name : undefined;
    for (let i = 0; i < updates.length; i += COLLECTION_SIZE) {
      const chunk = updates.slice(i, i + COLLECTION_SIZE);
      calls.push(
        this.call(chunk, results, () =>
          this.deps.client.updateRecords(
            chunk.map((write) => ({
              attributes: { type: map.sfObject },
              Id: write.id,
              ...pick(write.record.fields, write.send, (name) => updatable(describe, name)),
            })),
            { allOrNone: false },
          ),
        ).then((answers) => {
          answers.forEach((answer, index) => {
            const write = chunk[index]!;
            if (answer.success) {
              done.set(write.item.userId, this.finished(write, 'updated', write.id!));
            } else if (answer.errors.some((e) => GONE_CODES.has(e.statusCode))) {
              gone.push(write);
            } else {
              results.set(write.item.userId, { ok: false, error: recordError(map, answer) });
            }
          });
        }),
      );
    }
    for (let i = 0; i < creates.length; i += COLLECTION_SIZE) {
      const chunk = creates.slice(i, i + COLLECTION_SIZE);
      const records = chunk.map((write) => {
        const body: Record<string, unknown> = {
          attributes: { type: map.sfObject },
          ...pick(write.record.fields, Object.keys(write.record.fields), (name) =>
            creatable(describe, name),
          ),
        };
        for (const [name, value] of Object.entries(body)) if (value === null) delete body[name];
        if (map.recordTypeId) body.RecordTypeId = map.recordTypeId;
        return body;
      });
      calls.push(
        this.call(chunk, results, () =>
          external
            ? this.deps.client.upsertRecords(map.sfObject, external, records, { allOrNone: false })
            : this.deps.client.createRecords(records, { allOrNone: false }),
        ).then((answers) => {
          answers.forEach((answer, index) => {
            const write = chunk[index]!;
            if (answer.success && answer.id) {
              const status = answer.created === false ? 'updated' : 'created';
              done.set(write.item.userId, this.finished(write, status, answer.id));
            } else {
              results.set(write.item.userId, { ok: false, error: recordError(map, answer) });
            }
          });
        }),
      );
    }
    await Promise.all(calls);
    return gone;
  }

  /**
   * One collection call for these writes (waiting its turn among the calls in flight); a call
   * that fails as a whole fails each of its users the same way.
   */
  private async call(
    chunk: Write[],
    results: Map<number, DeliveryResult>,
    send: () => Promise<RecordResult[]>,
  ): Promise<RecordResult[]> {
    for (const write of chunk) write.requests++;
    try {
      const answers = await this.writes(send);
      if (answers.length !== chunk.length)
        throw new DeliveryError(
          `Salesforce answered ${answers.length} results for ${chunk.length} records`,
          'salesforce_error',
          true,
        );
      return answers;
    } catch (error) {
      const failure = toDeliveryError(error, `Writing ${this.object} records failed`);
      for (const write of chunk) results.set(write.item.userId, { ok: false, error: failure });
      return [];
    }
  }

  private finished(write: Write, status: DeliveryOutcome['status'], id: string): Done {
    const { item, record } = write;
    return {
      outcome: outcome(item.userId, status, write.requests),
      state: {
        userId: item.userId,
        remoteId: id,
        sent: record.sent,
        confirmed: record.sent,
        hash: valuesHash(record.sent),
        roles: null,
        remoteVersion: null,
      },
      link: item.snapshot?.linked && item.snapshot.externalId === id ? undefined : id,
    };
  }

  /**
   * Users deleted in WordPress (or disabled, when the map does not send the account state):
   * their records are deleted when the delete policy says so, else left alone.
   */
  private async removeAll(
    items: Item[],
    done: Map<number, Done>,
    results: Map<number, DeliveryResult>,
  ): Promise<void> {
    if (items.length === 0) return;
    const map = this.map!;
    const deleting = map.deletePolicy.push === 'delete';
    const byId = new Map<string, Item>();
    const unknown: Item[] = [];
    for (const item of items) {
      const id = (item.snapshot?.linked && item.snapshot.externalId) || item.state?.remoteId;
      if (!deleting) {
        done.set(item.userId, {
          outcome: outcome(item.userId, 'unchanged'),
          state: item.snapshot ? null : 'forget',
          link: undefined,
        });
      } else if (id) byId.set(id, item);
      else unknown.push(item);
    }
    // Never delivered from here (or the state was lost): look for the record by external id.
    const external = this.externalKey;
    if (external && unknown.length) {
      try {
        const found = await this.lookup(
          external,
          unknown.map((item) => this.externalValue(item.userId)),
        );
        for (const item of unknown) {
          const records = found.get(this.externalValue(item.userId).toLowerCase()) ?? [];
          if (records.length === 1) byId.set(records[0]!.id, item);
          else done.set(item.userId, this.removed(item, 'unchanged', 1));
        }
      } catch (error) {
        const failure = toDeliveryError(error, `Looking up ${map.sfObject} by ${external} failed`);
        for (const item of unknown) results.set(item.userId, { ok: false, error: failure });
      }
    } else {
      for (const item of unknown) done.set(item.userId, this.removed(item, 'unchanged', 0));
    }
    const ids = [...byId.keys()];
    await Promise.all(
      chunks(ids, COLLECTION_SIZE).map(async (chunk) => {
        let answers: RecordResult[];
        try {
          answers = await this.writes(() =>
            this.deps.client.deleteRecords(chunk, { allOrNone: false }),
          );
        } catch (error) {
          const failure = toDeliveryError(error, `Deleting ${map.sfObject} records failed`);
          for (const id of chunk) results.set(byId.get(id)!.userId, { ok: false, error: failure });
          return;
        }
        chunk.forEach((id, index) => {
          const item = byId.get(id)!;
          const answer = answers[index];
          if (
            answer &&
            !answer.success &&
            !answer.errors.some((e) => GONE_CODES.has(e.statusCode))
          ) {
            results.set(item.userId, { ok: false, error: recordError(map, answer) });
          } else {
            done.set(item.userId, this.removed(item, 'deleted', 1));
          }
        });
      }),
    );
  }

  private removed(item: Item, status: DeliveryOutcome['status'], requests: number): Done {
    return {
      outcome: outcome(item.userId, status, requests),
      state: 'forget',
      // A disabled user keeps no link to a deleted record: enabled again, it is created anew.
      link: item.snapshot?.linked ? null : undefined,
    };
  }

  /** Saves states and links of what was delivered; fills in the results. */
  private async record(
    done: Map<number, Done>,
    results: Map<number, DeliveryResult>,
    items: Item[],
    audit: AuditEntry[] = [],
  ): Promise<void> {
    const exists = new Set(items.filter((item) => item.snapshot).map((item) => item.userId));
    const states: OutboundStateInput[] = [];
    const forget: number[] = [];
    const links: { userId: number; externalId: string | null }[] = [];
    for (const [userId, entry] of done) {
      if (entry.state === 'forget') forget.push(userId);
      else if (entry.state) states.push(entry.state);
      if (entry.link !== undefined && exists.has(userId))
        links.push({ userId, externalId: entry.link });
    }
    await this.deps.store.saveOutboundStates(this.slug, states);
    await this.deps.store.deleteOutboundStates(this.slug, forget);
    const failedLinks = await recordLinks(
      this.deps.feed,
      this.slug,
      links,
      `the ${this.object} record`,
    );
    if (audit.length) {
      await this.deps.feed
        .audit(audit)
        .catch((error: unknown) =>
          this.deps.logger.warn({ err: error }, 'salesforce: could not write audit entries'),
        );
    }
    for (const [userId, entry] of done) {
      const failure = failedLinks.get(userId);
      results.set(
        userId,
        failure ? { ok: false, error: failure } : { ok: true, outcome: entry.outcome },
      );
    }
  }
}

/** Row ranges of the jobs: as many rows a job as fit in JOB_BYTES of CSV. */
function jobSlices(columns: string[], rows: Record<string, unknown>[]): [number, number][] {
  const slices: [number, number][] = [];
  const header = Buffer.byteLength(ingestCsv(columns, []));
  let start = 0;
  let bytes = header;
  rows.forEach((row, index) => {
    const size = Buffer.byteLength(ingestCsv(columns, [row])) - header;
    if (index > start && bytes + size > JOB_BYTES) {
      slices.push([start, index]);
      start = index;
      bytes = header;
    }
    bytes += size;
  });
  if (rows.length > start) slices.push([start, rows.length]);
  return slices;
}

/**
 * The errors of a failed job row: `sf__Error` holds `CODE:message:field,field --` per error
 * (e.g. `REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --`).
 */
export function jobErrors(text: string): RecordResult['errors'] {
  const errors = text
    .split(/\s*--\s*/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const first = part.indexOf(':');
      if (first < 0) return { statusCode: part, message: part, fields: [] };
      const statusCode = part.slice(0, first);
      const rest = part.slice(first + 1);
      const last = rest.lastIndexOf(':');
      const tail = last < 0 ? '' : rest.slice(last + 1);
      // A last part that is a list of field names; otherwise the colon is the message's own.
      const fields = /^[A-Za-z0-9_.]*(,[A-Za-z0-9_.]+)*$/.test(tail) ? tail : null;
      return {
        statusCode: /^[A-Z_]+$/.test(statusCode) ? statusCode : 'UNKNOWN_EXCEPTION',
        message: fields === null ? rest : rest.slice(0, last),
        fields: fields ? fields.split(',').filter(Boolean) : [],
      };
    });
  return errors.length ? errors : [{ statusCode: 'UNKNOWN_EXCEPTION', message: text, fields: [] }];
}

function outcome(userId: number, status: DeliveryOutcome['status'], requests = 0): DeliveryOutcome {
  return { userId, status, requests };
}

function ok(userId: number, status: DeliveryOutcome['status'], requests = 0): DeliveryResult {
  return { ok: true, outcome: outcome(userId, status, requests) };
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

const updatable = (describe: ObjectDescribe, name: string) =>
  findField(describe, name)?.updateable !== false;
const creatable = (describe: ObjectDescribe, name: string) =>
  findField(describe, name)?.createable !== false;

function pick(
  values: Record<string, unknown>,
  names: string[],
  allowed: (name: string) => boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (name in values && allowed(name)) out[name] = values[name];
  return out;
}

/** A record Salesforce refused, as the dead letter shows it. */
function recordError(map: SalesforceObjectMap, answer: RecordResult): DeliveryError {
  const first = answer.errors[0];
  const code = first?.statusCode || 'salesforce_error';
  const details = answer.errors
    .map((e) => `${e.message}${e.fields?.length ? ` (fields: ${e.fields.join(', ')})` : ''}`)
    .join('; ');
  return new DeliveryError(
    `Salesforce refused the ${map.sfObject}: ${details || 'no reason given'}`,
    code,
    answer.errors.length > 0 && answer.errors.every((e) => TRANSIENT_CODES.has(e.statusCode)),
  );
}

/** A thrown failure (the client's SalesforceError, a network error) for every user it hit. */
function toDeliveryError(error: unknown, context: string): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const e = error as {
    message?: string;
    status?: number;
    errorCode?: string;
    transient?: boolean;
    fields?: string[];
  };
  const fields = e.fields?.length ? ` (fields: ${e.fields.join(', ')})` : '';
  const status = typeof e.status === 'number' ? e.status : 0;
  return new DeliveryError(
    `${context}: ${e.message || String(error)}${fields}`,
    e.errorCode || (status === 0 ? 'salesforce_unreachable' : `http_${status}`),
    // Unreachable, throttled or unavailable: waiting may fix it.
    e.transient ??
      (status === 0 || status === 429 || status >= 500 || TRANSIENT_CODES.has(e.errorCode ?? '')),
    status,
  );
}
