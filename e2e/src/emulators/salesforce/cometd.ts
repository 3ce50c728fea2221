// Change Data Capture over CometD (Streaming API; Change Data Capture Developer Guide,
// "Subscribe with CometD", "Change Event Message Structure", "Change Event Header Fields").
// Bayeux long-polling on `/cometd/NN.0` (API 37.0 and later for replay): `/meta/handshake`,
// `/meta/subscribe` with the replay extension (`ext.replay = {channel: -1 | -2 | replayId}`:
// -1 new events only, -2 every retained event, N the events after N), `/meta/connect`
// (held until events arrive or the long-poll timeout, 110 s on real orgs), `/meta/unsubscribe`,
// `/meta/disconnect`. Channels: `/data/ChangeEvents` and `/data/<Object>ChangeEvent`.
//
// Every record change of the org becomes an event ("Change Event Body Fields", JSON change
// event messages): CREATE with every non-empty field and the system fields, UPDATE with the
// changed fields and `changedFields` (LastModifiedDate included), DELETE with the header only,
// UNDELETE with every non-empty field of the original record. Compound fields are nested (`Name: {FirstName, LastName}`,
// `MailingAddress: {City, …}`) and listed as `Name.LastName` in changedFields; CometD carries
// no nulledFields/diffFields (those are Pub/Sub API only). `changeOrigin` is
// `com/salesforce/api/rest/<version>;client=<id>` when the writer sent Sforce-Call-Options,
// without `;client=` when it did not, and empty for changes made in the UI (the control API).
// Events are kept 72 hours. A handshake without a valid token is denied with
// `ext.sfdc.failureReason` "401::Authentication invalid" (or "401::Request requires
// authentication" with no token) and `advice.reconnect = none`; a client that does not
// reconnect within 40 s after a delivery (110 s idle) is forgotten ("403::Unknown client").
import crypto from 'node:crypto';

import express from 'express';
import type { Request, Response, Router } from 'express';

import { USER_ID } from './org.js';
import type { ChangeRecord, Org, Value } from './org.js';
import type { Sessions } from './oauth.js';

export interface CometdSettings {
  /** How long a `/meta/connect` is held without events (ms; real orgs 110,000). */
  timeoutMs: number;
  /** A client must reconnect within this after a delivery (ms; real orgs 40,000). */
  reconnectMs: number;
  /** Events are retained this long (ms; 72 hours). */
  retentionMs: number;
  /** Objects with Change Data Capture enabled. */
  entities: string[];
}

export interface ChangeEventMessage {
  channel: string;
  data: {
    schema: string;
    payload: Record<string, unknown> & { ChangeEventHeader: Record<string, unknown> };
    event: { replayId: number };
  };
}

interface StoredEvent {
  replayId: number;
  entity: string;
  at: number;
  payload: ChangeEventMessage['data']['payload'];
}

const HOUR = 60 * 60 * 1000;

/** The retained change events of the org, with replay ids. */
export class ChangeLog {
  readonly settings: CometdSettings;
  private readonly events: StoredEvent[] = [];
  private nextReplayId = 1;
  private commitNumber = 1_000_000;
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  private readonly onChange = (change: ChangeRecord) => this.record(change);

  constructor(
    private readonly org: Org,
    settings: Partial<CometdSettings> = {},
  ) {
    this.settings = {
      timeoutMs: settings.timeoutMs ?? 110_000,
      reconnectMs: settings.reconnectMs ?? 40_000,
      retentionMs: settings.retentionMs ?? 72 * HOUR,
      entities: settings.entities ?? ['Contact', 'Lead', 'Account'],
    };
    org.on('change', this.onChange);
  }

  close(): void {
    this.org.off('change', this.onChange);
    this.listeners.clear();
  }

  listen(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events still retained (72 h by the org clock). */
  retained(): StoredEvent[] {
    const horizon = this.org.clock.now() - this.settings.retentionMs;
    while (this.events.length && this.events[0]!.at < horizon) this.events.shift();
    return this.events;
  }

  /** The oldest replay id a subscriber may still ask for (events after it are retained). */
  oldestReplayable(): number {
    const events = this.retained();
    return events.length ? events[0]!.replayId - 1 : this.nextReplayId - 1;
  }

  latestReplayId(): number {
    return this.nextReplayId - 1;
  }

  /** Publishes a gap event (GAP_CREATE/UPDATE/DELETE/UNDELETE/OVERFLOW) for an object. */
  gap(
    entity: string,
    changeType: 'GAP_CREATE' | 'GAP_UPDATE' | 'GAP_DELETE' | 'GAP_UNDELETE' | 'GAP_OVERFLOW',
    recordIds: string[] = [],
  ): number {
    return this.publish(entity, {
      ChangeEventHeader: this.header(entity, changeType, recordIds, [], ''),
    });
  }

  private header(
    entity: string,
    changeType: string,
    recordIds: string[],
    changedFields: string[],
    changeOrigin: string,
    commitTimestamp = this.org.clock.now(),
  ): Record<string, unknown> {
    return {
      entityName: entity,
      recordIds,
      changeType,
      changeOrigin,
      transactionKey: crypto.randomUUID(),
      sequenceNumber: 1,
      commitTimestamp,
      commitNumber: this.commitNumber++,
      commitUser: USER_ID,
      changedFields,
    };
  }

  private record(change: ChangeRecord): void {
    if (!this.settings.entities.includes(change.entityName)) return;
    const object = this.org.object(change.entityName);
    if (!object) return;
    const payload: Record<string, unknown> = {};
    const changedFields: string[] = [];
    const isPerson = object.name === 'Contact' || object.name === 'Lead';
    for (const [name, value] of Object.entries(change.values)) {
      const f = this.org.field(object, name);
      if (!f) continue;
      const out: Value =
        f.type === 'datetime' && typeof value === 'number' ? new Date(value).toISOString() : value;
      if (isPerson && ['FirstName', 'LastName', 'Salutation'].includes(f.name)) {
        const nameField = (payload.Name ??= {}) as Record<string, unknown>;
        nameField[f.name] = out;
        changedFields.push(`Name.${f.name}`);
      } else if (f.name === 'Name' && isPerson) {
        continue;
      } else if (f.compoundFieldName) {
        const component = f.name.slice(f.compoundFieldName.replace(/Address$/, '').length);
        const compound = (payload[f.compoundFieldName] ??= {}) as Record<string, unknown>;
        compound[component] = out;
        changedFields.push(`${f.compoundFieldName}.${component}`);
      } else {
        payload[f.name] = out;
        changedFields.push(f.name);
      }
    }
    const origin = change.origin;
    const changeOrigin =
      origin.api === 'rest' || origin.api === 'bulkapi'
        ? `com/salesforce/api/${origin.api}/${origin.version ?? '62.0'};${origin.client ? `client=${origin.client}` : ''}`.replace(
            /;$/,
            '',
          )
        : '';
    this.publish(change.entityName, {
      ChangeEventHeader: this.header(
        change.entityName,
        change.changeType,
        change.recordIds,
        change.changeType === 'UPDATE' ? changedFields : [],
        changeOrigin,
        change.commitTimestamp,
      ),
      ...(change.changeType === 'DELETE' ? {} : payload),
    });
  }

  private publish(entity: string, payload: ChangeEventMessage['data']['payload']): number {
    const event = { replayId: this.nextReplayId++, entity, at: this.org.clock.now(), payload };
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
    return event.replayId;
  }
}

interface Client {
  id: string;
  /** Subscribed channel → only events after this replay id are due. */
  subscriptions: Map<string, number>;
  queue: ChangeEventMessage[];
  waiting: (() => void) | null;
  lastSeen: number;
  /** A delivery was made: the client must reconnect within reconnectMs. */
  deliveredAt: number | null;
}

function schemaId(entity: string): string {
  return crypto.createHash('sha256').update(entity).digest('base64url').slice(0, 22);
}

export function cometdRouter(log: ChangeLog, sessions: Sessions, versions: string[]): Router {
  const router = express.Router();
  const clients = new Map<string, Client>();
  const settings = log.settings;
  const advice = { reconnect: 'retry', interval: 0, timeout: settings.timeoutMs };

  const channelOf = (entity: string) => `/data/${entity}ChangeEvent`;
  const valid = (channel: string) =>
    channel === '/data/ChangeEvents' || settings.entities.some((e) => channelOf(e) === channel);
  const wants = (channel: string, entity: string) =>
    channel === '/data/ChangeEvents' || channel === channelOf(entity);
  const message = (channel: string, event: StoredEvent): ChangeEventMessage => ({
    channel,
    data: {
      schema: schemaId(event.entity),
      payload: event.payload,
      event: { replayId: event.replayId },
    },
  });

  log.listen((event) => {
    for (const client of clients.values()) {
      for (const [channel] of client.subscriptions) {
        if (wants(channel, event.entity)) client.queue.push(message(channel, event));
      }
      if (client.queue.length && client.waiting) client.waiting();
    }
  });

  const alive = (client: Client | undefined): client is Client => {
    if (!client) return false;
    const now = Date.now();
    if (client.waiting) return true;
    const limit = client.deliveredAt !== null ? settings.reconnectMs : settings.timeoutMs;
    if (now - Math.max(client.lastSeen, client.deliveredAt ?? 0) > limit) {
      clients.delete(client.id);
      return false;
    }
    return true;
  };

  // Faye probes the endpoint (WebSocket upgrade) before long-polling; only long-polling is served.
  router.get('/:version', (_req, res) =>
    res.status(400).type('text/plain').send('Long-polling only'),
  );

  router.post('/:version', express.json({ limit: '32kb' }), async (req: Request, res: Response) => {
    const version = String(req.params.version);
    if (!versions.includes(version) || Number(version) < 37) {
      return res
        .status(404)
        .json([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    }
    const messages = (Array.isArray(req.body) ? req.body : [req.body]) as Record<string, unknown>[];
    const authorized = sessions.check(req.headers.authorization) !== null;
    const replies: object[] = [];
    let hold: Client | null = null;
    let connectReply: Record<string, unknown> | null = null;

    for (const m of messages) {
      const channel = String(m.channel ?? '');
      const id = m.id;
      const clientId = typeof m.clientId === 'string' ? m.clientId : '';
      const client = clients.get(clientId);
      if (channel === '/meta/handshake') {
        if (!authorized) {
          replies.push({
            ext: {
              sfdc: {
                failureReason: req.headers.authorization
                  ? '401::Authentication invalid'
                  : '401::Request requires authentication',
              },
              replay: true,
            },
            advice: { reconnect: 'none' },
            channel,
            id,
            error: '403::Handshake denied',
            successful: false,
          });
          continue;
        }
        const newId = crypto.randomBytes(16).toString('base64url');
        clients.set(newId, {
          id: newId,
          subscriptions: new Map(),
          queue: [],
          waiting: null,
          lastSeen: Date.now(),
          deliveredAt: null,
        });
        res.cookie('BAYEUX_BROWSER', crypto.randomBytes(8).toString('hex'), { httpOnly: true });
        replies.push({
          ext: { replay: true, 'payload.format': true },
          minimumVersion: '1.0',
          clientId: newId,
          supportedConnectionTypes: ['long-polling'],
          channel,
          id,
          version: '1.0',
          successful: true,
          advice: { ...advice, reconnect: 'retry' },
        });
        continue;
      }
      if (!authorized || !alive(client)) {
        if (client) clients.delete(client.id);
        replies.push({
          channel,
          id,
          clientId,
          successful: false,
          error: '403::Unknown client',
          advice: { reconnect: 'handshake', interval: 0 },
        });
        continue;
      }
      client.lastSeen = Date.now();
      if (channel === '/meta/subscribe') {
        const subscription = String(m.subscription ?? '');
        if (!valid(subscription)) {
          replies.push({
            channel,
            id,
            clientId,
            subscription,
            successful: false,
            error: `400::The channel you requested to subscribe to does not exist {${subscription}}`,
          });
          continue;
        }
        const replay = ((m.ext as { replay?: Record<string, unknown> } | undefined)?.replay ?? {})[
          subscription
        ];
        const from = replay === undefined ? -1 : Number(replay);
        let after: number;
        if (from === -1) after = log.latestReplayId();
        else if (from === -2) after = log.oldestReplayable();
        else if (
          Number.isInteger(from) &&
          from >= log.oldestReplayable() &&
          from <= log.latestReplayId()
        )
          after = from;
        else {
          replies.push({
            channel,
            id,
            clientId,
            subscription,
            successful: false,
            error: `400::The replayId {${String(replay)}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`,
          });
          continue;
        }
        client.subscriptions.set(subscription, after);
        for (const event of log.retained()) {
          if (event.replayId > after && wants(subscription, event.entity)) {
            client.queue.push(message(subscription, event));
          }
        }
        replies.push({ clientId, channel, id, subscription, successful: true });
        continue;
      }
      if (channel === '/meta/unsubscribe') {
        const subscription = String(m.subscription ?? '');
        client.subscriptions.delete(subscription);
        client.queue = client.queue.filter((q) => q.channel !== subscription);
        replies.push({ clientId, channel, id, subscription, successful: true });
        continue;
      }
      if (channel === '/meta/disconnect') {
        if (client.waiting) client.waiting();
        clients.delete(client.id);
        replies.push({ clientId, channel, id, successful: true });
        continue;
      }
      if (channel === '/meta/connect') {
        hold = client;
        connectReply = { clientId, channel, id, successful: true, advice };
        continue;
      }
      replies.push({
        channel,
        id,
        clientId,
        successful: false,
        error: `400::Unknown channel ${channel}`,
      });
    }

    if (hold && connectReply) {
      const client = hold;
      if (!client.queue.length) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, settings.timeoutMs);
          timer.unref();
          function done() {
            clearTimeout(timer);
            client.waiting = null;
            resolve();
          }
          client.waiting = done;
          res.on('close', done);
        });
      }
      const events = client.queue.splice(0);
      if (events.length) client.deliveredAt = Date.now();
      client.lastSeen = Date.now();
      replies.push(...events, connectReply);
    }
    if (!res.writableEnded && !res.destroyed) res.json(replies);
  });
  return router;
}
