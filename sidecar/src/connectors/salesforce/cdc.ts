// Salesforce Change Data Capture over CometD (Streaming API, Bayeux long-polling): the real-
// time feed of a connection's object maps, as batches of notifications for the engine.
//
// Change source: one channel per mapped object, `/data/<Object>ChangeEvent` (custom objects
//   `/data/<Name>__ChangeEvent`; CDC Developer Guide, "Subscription Channels"), subscribed with
//   the replay extension `ext.replay = {channel: replayId | -1}` (-1: new events only).
// Cursor: JSON `{ v: 1, replay: { <channel>: <last replay id applied> } }`, saved by the
//   engine after each applied batch; a channel without an id starts at -1. A replay id older
//   than the 72 h retention is refused at subscribe ("The replayId {N} you provided was
//   invalid"): the feed says "gap" and goes on with new events.
// Batches: the events of one `/meta/connect` answer. CREATE/UPDATE/UNDELETE → record ids to
//   fetch (the event carries only changed fields; the engine reads the record as it is now);
//   DELETE → deletions by the map's delete policy; GAP_* and GAP_OVERFLOW → gap ("Gap Events"
//   and "Overflow Events": the event bus could not describe the changes). The last change of
//   a record within a batch wins (deleted then undeleted = upsert). Events whose
//   `changeOrigin` names `client=<callOptionsClient>` are this connection's own pushes
//   (Sforce-Call-Options): skipped, their replay id still advances.
// Session: the bearer token and the `BAYEUX_BROWSER` cookie on every request; `/meta/connect`
//   honours `advice` (interval, timeout; `handshake` → a new handshake and subscriptions from
//   the position reached, `none` → the feed stops with an error). "403::Unknown client" (the
//   server forgot the client, e.g. no reconnect within 40 s) and HTTP 401 / "401::" handshake
//   refusals (expired session) sign in again and handshake anew.
import type { Logger } from '../../logger.js';
import { sleep } from '../../retry.js';
import { SourceError } from '../types.js';
import type { SourceDeletion, SourceNotification } from '../types.js';
import type { SalesforceClient } from './client.js';
import { SalesforceError } from './client.js';

/** Change Data Capture's channel of an object: `/data/ContactChangeEvent`, `/data/Member__ChangeEvent`. */
export function changeChannel(object: string): string {
  return `/data/${object.endsWith('__c') ? `${object.slice(0, -3)}__ChangeEvent` : `${object}ChangeEvent`}`;
}

export interface ChangeCursor {
  v: 1;
  replay: Record<string, number>;
}

export function decodeChangeCursor(text: string | null): ChangeCursor {
  if (!text) return { v: 1, replay: {} };
  try {
    const parsed = JSON.parse(text) as Partial<ChangeCursor> | null;
    if (parsed && parsed.v === 1 && typeof parsed.replay === 'object' && parsed.replay) {
      const replay: Record<string, number> = {};
      for (const [channel, id] of Object.entries(parsed.replay)) {
        if (Number.isInteger(id)) replay[channel] = id;
      }
      return { v: 1, replay };
    }
  } catch {
    // An unreadable cursor starts with new events; the scheduled pull covers the rest.
  }
  return { v: 1, replay: {} };
}

export interface ChangeFeedOptions {
  /** Mapped objects (`Contact`, `Member__c`). */
  objects: string[];
  /** Our own `Sforce-Call-Options` client id ('' = none: no event is taken for an echo). */
  callOptionsClient: string;
  /** What a deleted record of this object does (null: nothing, the policy ignores deletes). */
  removal(object: string): { permanent: boolean } | null;
  signal: AbortSignal;
  logger: Logger;
}

type Message = Record<string, unknown>;

interface ChangeHeader {
  entityName?: unknown;
  recordIds?: unknown;
  changeType?: unknown;
  changeOrigin?: unknown;
  commitTimestamp?: unknown;
}

/** The long-poll timeout until the server advises one (Salesforce: 110 s). */
const DEFAULT_POLL_MS = 110_000;
/** Slack over the advised timeout before the HTTP request gives up. */
const POLL_SLACK_MS = 15_000;
/** Handshakes refused for authentication (each after a new sign-in) before the feed fails. */
const AUTH_ATTEMPTS = 3;
/** Handshakes in a row without a successful connect before the feed gives up (and restarts). */
const MAX_HANDSHAKES = 5;

class Resync extends Error {
  override name = 'Resync';
}

/** Whether `changeOrigin` (`com/salesforce/api/rest/62.0;client=usersync`) names our client. */
export function isOwnChange(changeOrigin: unknown, client: string): boolean {
  if (!client || typeof changeOrigin !== 'string') return false;
  return changeOrigin
    .split(';')
    .slice(1)
    .some((part) => part.trim() === `client=${client}`);
}

/** The change events of the mapped objects, batch by batch, until the signal aborts. */
export async function* changeFeed(
  client: SalesforceClient,
  cursor: string | null,
  options: ChangeFeedOptions,
): AsyncIterable<SourceNotification> {
  const { signal, logger } = options;
  const position = decodeChangeCursor(cursor);
  const channels = [...new Set(options.objects.map(changeChannel))];
  const entities = new Map(options.objects.map((object) => [object.toLowerCase(), object]));
  const session: { cookie?: string } = {};
  let clientId: string | null = null;
  let messageId = 0;
  let pollMs = DEFAULT_POLL_MS;
  let intervalMs = 0;
  const nextId = () => String(++messageId);

  const handshake = async (): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      delete session.cookie;
      let reply: Message | undefined;
      try {
        [reply] = await client.cometd(
          [
            {
              channel: '/meta/handshake',
              version: '1.0',
              minimumVersion: '1.0',
              supportedConnectionTypes: ['long-polling'],
              ext: { replay: true },
              id: nextId(),
            },
          ],
          session,
          { signal, timeoutMs: client.settings.timeoutMs },
        );
      } catch (error) {
        if (error instanceof SalesforceError && error.status === 401 && attempt < AUTH_ATTEMPTS) {
          client.forgetToken();
          continue;
        }
        throw error;
      }
      if (reply?.successful === true && typeof reply.clientId === 'string') {
        applyAdvice(reply.advice);
        return reply.clientId;
      }
      const reason = failureReason(reply);
      // "401::Authentication invalid": the session ended; sign in again.
      if (reason.startsWith('401::') && attempt < AUTH_ATTEMPTS) {
        client.forgetToken();
        continue;
      }
      throw new SourceError(
        `Salesforce refused the Streaming API handshake (${reason}): the integration user needs the "API Enabled" and "Streaming API" permissions`,
        401,
        'cdc_handshake',
      );
    }
  };

  const applyAdvice = (advice: unknown) => {
    if (!advice || typeof advice !== 'object') return;
    const { interval, timeout } = advice as { interval?: unknown; timeout?: unknown };
    if (typeof interval === 'number' && interval >= 0) intervalMs = interval;
    if (typeof timeout === 'number' && timeout > 0) pollMs = timeout;
  };

  /** Subscribes every channel from the position reached; the channels whose id was refused. */
  const subscribe = async (id: string): Promise<string[]> => {
    const refused: string[] = [];
    for (const channel of channels) {
      for (;;) {
        const from = position.replay[channel] ?? -1;
        const replies = await client.cometd(
          [
            {
              channel: '/meta/subscribe',
              clientId: id,
              subscription: channel,
              id: nextId(),
              ext: { replay: { [channel]: from } },
            },
          ],
          session,
          { signal, timeoutMs: client.settings.timeoutMs },
        );
        const reply = replies.find((r) => r.channel === '/meta/subscribe');
        if (reply?.successful === true) break;
        const error = String(reply?.error ?? 'no answer');
        if (/^403::/.test(error)) throw new Resync(error);
        if (from !== -1 && /replay\s*id/i.test(error)) {
          // Older than the feed keeps (72 hours): events were lost; new ones from now on.
          logger.warn(
            { channel, replayId: from, error },
            'salesforce change events: replay refused',
          );
          delete position.replay[channel];
          refused.push(channel);
          continue;
        }
        throw new SourceError(
          `Salesforce refused the subscription to ${channel} (${error}): select the object for Change Data Capture in Setup`,
          400,
          'cdc_subscribe',
        );
      }
    }
    return refused;
  };

  let handshakes = 0;
  try {
    while (!signal.aborted) {
      if (!clientId) {
        if (++handshakes > MAX_HANDSHAKES) {
          throw new SourceError(
            `Salesforce's Streaming API dropped the client ${MAX_HANDSHAKES} times in a row`,
            0,
            'cdc_unstable',
          );
        }
        try {
          const id = await handshake();
          clientId = id;
          const refused = await subscribe(id);
          if (refused.length > 0) {
            yield {
              upserts: [],
              deletes: [],
              gap: true,
              cursor: JSON.stringify(position),
              since: JSON.stringify(position),
              committedAt: null,
              echoes: 0,
            };
          }
        } catch (error) {
          const expired = error instanceof SalesforceError && error.status === 401;
          if (!(error instanceof Resync) && !expired) throw error;
          // The client was forgotten, or the session ended mid-way: start over.
          if (expired) client.forgetToken();
          clientId = null;
          continue;
        }
      }
      if (intervalMs > 0) await sleep(intervalMs, signal);
      let replies: Message[];
      try {
        replies = await client.cometd(
          [
            {
              channel: '/meta/connect',
              clientId,
              connectionType: 'long-polling',
              id: nextId(),
            },
          ],
          session,
          { signal, timeoutMs: pollMs + POLL_SLACK_MS },
        );
      } catch (error) {
        if (error instanceof SalesforceError && error.status === 401) {
          client.forgetToken();
          clientId = null;
          continue;
        }
        throw error;
      }
      const events = replies.filter(
        (r) => typeof r.channel === 'string' && r.channel.startsWith('/data/') && r.data,
      );
      if (events.length > 0) {
        yield batchOf(events, position, entities, options);
      }
      const connect = replies.find((r) => r.channel === '/meta/connect');
      applyAdvice(connect?.advice);
      if (connect?.successful === true) handshakes = 0;
      if (connect?.successful !== true) {
        const reconnect = (connect?.advice as { reconnect?: unknown } | undefined)?.reconnect;
        if (reconnect === 'none') {
          throw new SourceError(
            `Salesforce ended the change event stream (${String(connect?.error ?? 'no answer')})`,
            0,
            'cdc_closed',
          );
        }
        // "403::Unknown client" and the like: a new handshake, subscriptions from here.
        logger.info(
          { error: connect?.error ?? null },
          'salesforce change events: handshaking again',
        );
        clientId = null;
      }
    }
  } finally {
    if (clientId) {
      const id = clientId;
      await client
        .cometd([{ channel: '/meta/disconnect', clientId: id, id: nextId() }], session, {
          timeoutMs: 5_000,
        })
        .catch(() => undefined);
    }
  }
}

function failureReason(reply: Message | undefined): string {
  const ext = reply?.ext as { sfdc?: { failureReason?: unknown } } | undefined;
  const reason = ext?.sfdc?.failureReason;
  if (typeof reason === 'string') return reason;
  return String(reply?.error ?? 'no answer');
}

/** One connect answer's events as a notification; moves `position` past each of them. */
function batchOf(
  events: Message[],
  position: ChangeCursor,
  entities: Map<string, string>,
  options: ChangeFeedOptions,
): SourceNotification {
  // Last change of a record wins: insertion order kept, an id in one of the two maps only.
  const upserts = new Set<string>();
  const deletes = new Map<string, SourceDeletion>();
  let gap = false;
  let echoes = 0;
  let committedAt: number | null = null;
  // The position before the batch; a channel seen for the first time starts just before
  // its first event (subscribing with an id replays the events after it).
  const since: ChangeCursor = { v: 1, replay: { ...position.replay } };
  for (const event of events) {
    const channel = String(event.channel);
    const data = event.data as {
      payload?: { ChangeEventHeader?: ChangeHeader };
      event?: { replayId?: unknown };
    };
    const replayId = data.event?.replayId;
    if (Number.isInteger(replayId)) {
      const seen = position.replay[channel];
      if (seen !== undefined && (replayId as number) <= seen) continue; // delivered twice
      if (since.replay[channel] === undefined) since.replay[channel] = (replayId as number) - 1;
      position.replay[channel] = replayId as number;
    }
    const header = data.payload?.ChangeEventHeader ?? {};
    const type = String(header.changeType ?? '');
    if (type.startsWith('GAP_')) {
      gap = true;
      continue;
    }
    if (isOwnChange(header.changeOrigin, options.callOptionsClient)) {
      echoes++;
      continue;
    }
    const ids = Array.isArray(header.recordIds)
      ? header.recordIds.filter((id): id is string => typeof id === 'string')
      : [];
    const at = Number(header.commitTimestamp);
    if (Number.isFinite(at) && at > 0) committedAt = Math.min(committedAt ?? at, at);
    const object =
      entities.get(String(header.entityName ?? '').toLowerCase()) ??
      String(header.entityName ?? '');
    if (type === 'CREATE' || type === 'UPDATE' || type === 'UNDELETE') {
      for (const id of ids) {
        deletes.delete(id);
        upserts.add(id);
      }
    } else if (type === 'DELETE') {
      const removal = options.removal(object);
      for (const id of ids) {
        upserts.delete(id);
        if (removal) deletes.set(id, { externalId: id, permanent: removal.permanent });
      }
    } else {
      options.logger.warn({ channel, changeType: type }, 'salesforce change event not understood');
    }
  }
  return {
    upserts: [...upserts],
    deletes: [...deletes.values()],
    gap,
    cursor: JSON.stringify(position),
    since: JSON.stringify(since),
    committedAt,
    echoes,
  };
}
