// Real-time feeds of sources whose connector has `watch` (Salesforce Change Data Capture):
// one feed per enabled source, consumed by one replica at a time (the lease `cdc:<slug>`,
// renewed while held). Each batch is applied, then its cursor saved (`cdc:<slug>`, fenced by
// the lease), so a crash replays from the last applied batch and loses nothing:
// - upserts → the users fetched and written as the source describes them now (`syncUsers`);
// - deletes → deprovisioned as a pull's deletions are, by the source's delete policy;
// - gap → a full run of the source (unless one is already running), since changes were lost.
// A failing feed is logged, counted (`usersync_realtime_failures_total`) and restarted with
// backoff from the saved cursor; the scheduled pull stays the safety net. Feeds start and
// stop with source reloads (a changed configuration restarts the feed) and at shutdown.
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import type { Connector, SourceDeletion, SourceNotification } from '../connectors/types.js';
import type { Store } from '../store/types.js';
import { backoffDelay, sleep } from '../retry.js';
import type { SourceConnection } from './types.js';

/** The cursor and lease of a source's real-time feed. */
export const realtimeKey = (slug: string) => `cdc:${slug}`;

export interface RealtimeDeps {
  store: Store;
  logger: Logger;
  owner: string;
  registry?: Registry;
  connectorOf(source: SourceConnection): Connector;
  /** Fetches and writes these users as the source describes them now. */
  upsert(slug: string, externalIds: string[]): Promise<{ failed: number }>;
  /** Deprovisions these users by the source's delete policy. */
  remove(slug: string, deletes: SourceDeletion[]): Promise<void>;
  /** Starts a full run of the source unless one is running. */
  fullRun(slug: string): Promise<void>;
  /** How long a lease lasts without renewal (default 60 s; renewed every third of it). */
  leaseMs?: number;
  /** Backoff between restarts of a failing feed (default 1 s doubling to 5 min). */
  backoff?: { baseMs: number; maxMs: number };
}

/** What a feed is doing, for logs and tests. */
export type FeedPhase = 'standby' | 'watching' | 'retrying' | 'stopped';

interface Feed {
  key: string;
  controller: AbortController;
  done: Promise<void>;
  phase: FeedPhase;
}

class LeaseLost extends Error {
  override name = 'LeaseLost';
}

export class RealtimeFeeds {
  private readonly feeds = new Map<string, Feed>();
  private readonly metrics: {
    notifications: Counter<'source' | 'kind'>;
    failures: Counter<'source'>;
    delay: Histogram<'source'>;
  } | null;

  constructor(private readonly deps: RealtimeDeps) {
    const registers = deps.registry ? [deps.registry] : null;
    this.metrics = registers && {
      notifications: new Counter({
        name: 'usersync_realtime_changes_total',
        help: 'Changes received from real-time feeds, by source and kind (upsert, delete, gap, echo)',
        labelNames: ['source', 'kind'],
        registers,
      }),
      failures: new Counter({
        name: 'usersync_realtime_failures_total',
        help: 'Real-time feed failures (the feed restarts from its saved cursor), by source',
        labelNames: ['source'],
        registers,
      }),
      delay: new Histogram({
        name: 'usersync_realtime_delay_seconds',
        help: 'From the commit in the source to the change applied in WordPress',
        labelNames: ['source'],
        buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
        registers,
      }),
    };
  }

  /** The phase of each source's feed. */
  phases(): Map<string, FeedPhase> {
    return new Map([...this.feeds].map(([slug, feed]) => [slug, feed.phase]));
  }

  /** Starts feeds of sources that have one, restarts changed ones, stops the rest. */
  update(sources: SourceConnection[]): void {
    const wanted = new Map<string, { source: SourceConnection; key: string }>();
    for (const source of sources) {
      if (!source.enabled) continue;
      let connector: Connector;
      try {
        connector = this.deps.connectorOf(source);
      } catch {
        continue; // an invalid configuration: runs report it
      }
      if (!connector.watch) continue;
      wanted.set(source.slug, { source, key: JSON.stringify([source.type, source.settings]) });
    }
    for (const [slug, feed] of this.feeds) {
      if (wanted.get(slug)?.key !== feed.key) void this.stopFeed(slug);
    }
    for (const [slug, { source, key }] of wanted) {
      if (this.feeds.has(slug)) continue;
      const feed: Feed = {
        key,
        controller: new AbortController(),
        done: Promise.resolve(),
        phase: 'standby',
      };
      this.feeds.set(slug, feed);
      feed.done = this.run(source, feed).catch((error: unknown) =>
        this.deps.logger.error({ err: error, source: slug }, 'real-time feed stopped'),
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.feeds.keys()].map((slug) => this.stopFeed(slug)));
  }

  private async stopFeed(slug: string): Promise<void> {
    const feed = this.feeds.get(slug);
    if (!feed) return;
    this.feeds.delete(slug);
    feed.controller.abort('stop');
    await feed.done;
    feed.phase = 'stopped';
  }

  private async run(source: SourceConnection, feed: Feed): Promise<void> {
    const { store, owner } = this.deps;
    const slug = source.slug;
    const name = realtimeKey(slug);
    const leaseMs = this.deps.leaseMs ?? 60_000;
    const log = this.deps.logger.child({ source: slug, feed: 'realtime' });
    const stopped = feed.controller.signal;
    let failures = 0;
    let held = false;
    try {
      while (!stopped.aborted) {
        const attempt = new AbortController();
        const abort = () => attempt.abort(stopped.reason);
        stopped.addEventListener('abort', abort, { once: true });
        let renewal: NodeJS.Timeout | null = null;
        try {
          if (!(await store.acquireLease(name, owner, leaseMs))) {
            feed.phase = 'standby';
            await sleep(leaseMs / 3, stopped);
            continue;
          }
          held = true;
          renewal = setInterval(() => {
            void store.renewLease(name, owner, leaseMs).then(
              (ok) => {
                if (!ok) attempt.abort(new LeaseLost());
              },
              (error: unknown) => log.warn({ err: error }, 'real-time feed lease not renewed'),
            );
          }, leaseMs / 3);
          renewal.unref();
          const connector = this.deps.connectorOf(source);
          const saved = await store.getCursor(name);
          feed.phase = 'watching';
          log.info({ resumeFrom: saved?.value ?? null }, 'real-time feed started');
          let position = saved?.value ?? null;
          const save = async (value: string) => {
            if (value === position) return;
            if (!(await store.saveCursorLeased(name, value, { name, owner }))) {
              throw new LeaseLost();
            }
            position = value;
          };
          for await (const batch of connector.watch!(position, { signal: attempt.signal })) {
            // The position before the batch first (a new feed learns it from its first
            // batch), so a failure or a crash while applying replays the batch.
            await save(batch.since);
            await this.apply(slug, batch, log);
            await save(batch.cursor);
            failures = 0;
          }
        } catch (error) {
          if (stopped.aborted) break;
          if (error instanceof LeaseLost || attempt.signal.reason instanceof LeaseLost) {
            log.warn('real-time feed lease lost to another replica; standing by');
            held = false;
            feed.phase = 'standby';
            continue;
          }
          failures++;
          feed.phase = 'retrying';
          this.metrics?.failures.inc({ source: slug });
          const delay = backoffDelay(
            failures,
            this.deps.backoff ?? { baseMs: 1_000, maxMs: 300_000 },
          );
          log.warn(
            { err: error, delay },
            'real-time feed failed; restarting from the saved cursor',
          );
          await sleep(delay, stopped).catch(() => undefined);
        } finally {
          if (renewal) clearInterval(renewal);
          stopped.removeEventListener('abort', abort);
          attempt.abort('done');
        }
      }
    } finally {
      feed.phase = 'stopped';
      if (held) await store.releaseLease(name, owner).catch(() => undefined);
    }
  }

  private async apply(slug: string, batch: SourceNotification, log: Logger): Promise<void> {
    const count = (kind: string, n: number) => {
      if (n > 0) this.metrics?.notifications.inc({ source: slug, kind }, n);
    };
    count('echo', batch.echoes);
    if (batch.upserts.length > 0) {
      const { failed } = await this.deps.upsert(slug, [...new Set(batch.upserts)]);
      count('upsert', batch.upserts.length);
      if (failed > 0) log.warn({ failed }, 'real-time changes not applied to some users');
    }
    if (batch.deletes.length > 0) {
      await this.deps.remove(slug, batch.deletes);
      count('delete', batch.deletes.length);
    }
    if (batch.gap) {
      count('gap', 1);
      log.warn('real-time feed lost changes; starting a full run');
      await this.deps.fullRun(slug);
    }
    if (batch.committedAt !== null && (batch.upserts.length > 0 || batch.deletes.length > 0)) {
      this.metrics?.delay.observe(
        { source: slug },
        Math.max(0, (Date.now() - batch.committedAt) / 1000),
      );
    }
    log.debug(
      { upserts: batch.upserts.length, deletes: batch.deletes.length, gap: batch.gap },
      'real-time changes applied',
    );
  }
}
