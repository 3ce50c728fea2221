// Signals between replicas over PostgreSQL LISTEN/NOTIFY: `signal` is one pg_notify on the
// pool; one dedicated connection per replica LISTENs on every topic it was asked for. When
// that connection drops, listeners hear `null` (messages may have been missed) and it is
// opened again with backoff, listening on the same topics.
import pg from 'pg';
import { LocalSignals } from '../signals.js';
import type { SignalListener, SignalTopic } from '../types.js';

/** The NOTIFY channel of a topic: an SQL identifier, quoted where it is used. */
const channel = (topic: SignalTopic) => `usersync_${topic.replace(/-/g, '_')}`;

export class PostgresSignals {
  private readonly local = new LocalSignals();
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = 500;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly pool: pg.Pool,
  ) {}

  async signal(topic: SignalTopic, message: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [channel(topic), message]);
  }

  async onSignal(topic: SignalTopic, listener: SignalListener): Promise<() => void> {
    const known = this.local.topics().includes(topic);
    const remove = this.local.add(topic, listener);
    try {
      const client = await this.connect();
      if (!known) await client.query(`LISTEN "${channel(topic)}"`);
    } catch (error) {
      remove();
      throw error;
    }
    return remove;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (note) => {
      const topic = this.local.topics().find((each) => channel(each) === note.channel);
      if (topic) this.local.deliver(topic, note.payload ?? '');
    });
    // A dropped connection ('error' then 'end', or only 'end') is handled once, on 'end'.
    client.on('error', () => undefined);
    client.on('end', () => this.lost(client));
    await client.connect();
    for (const topic of this.local.topics()) await client.query(`LISTEN "${channel(topic)}"`);
    this.client = client;
    this.retryMs = 500;
    return client;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    if (this.closed) return;
    // Whatever was sent while nobody listened is lost: listeners resynchronise.
    this.local.deliver(null, null);
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().then(
        // Listening again: what was sent in between is unknown, so resynchronise once more.
        () => this.local.deliver(null, null),
        () => {
          this.retryMs = Math.min(this.retryMs * 2, 30_000);
          this.reconnectLater();
        },
      );
    }, this.retryMs);
    this.retryTimer.unref();
  }
}
