// The full push to a WordPress peer: every local user, a page at a time. New users go out
// through the peer's /Bulk (BULK_SIZE a request, BULK_IN_FLIGHT requests in flight), changed
// ones one by one as in real time, the rest are skipped by hash. Listing the next page,
// sending this one and recording the previous one overlap.
import type { AttributeMapping } from '../../wordpress/types.js';
import pLimit from 'p-limit';
import type { PeerSettings } from '../../wordpress/types.js';
import { DeliveryError } from '../types.js';
import type {
  DeliveryContext,
  DeliveryResult,
  PushContext,
  PushProgress,
  UserChange,
} from '../types.js';
import type { UserSnapshot } from '../../wordpress/types.js';
import type { PeerClient } from './client.js';
import type { CompanionClient } from './companion.js';
import { idFromLocation, localValues, outboundEntries, scimUser, valuesHash } from './mapper.js';
import type { PeerRoleGroups } from './roles.js';
import type { Delivered, PeerTargetDeps, RecordAfter } from './types.js';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const PUSH_PAGE = 500;
const BULK_SIZE = 100;
const BULK_IN_FLIGHT = 3;
const UPDATE_CONCURRENCY = 4;

/** What the full push uses of its target. */
export interface FullPushHost {
  slug: string;
  peer: PeerSettings;
  deps: PeerTargetDeps;
  client: PeerClient;
  companion: CompanionClient | null;
  roles: PeerRoleGroups;
  /** Re-reads whether the peer also writes here (two-way sync). */
  refreshTwoWay(): Promise<void>;
  excluded(snapshot: UserSnapshot): boolean;
  passwordHashes(ids: number[]): Promise<Map<number, string>>;
  record(
    delivered: Map<number, Delivered>,
    results: Map<number, DeliveryResult>,
    snapshots: Map<number, UserSnapshot>,
    after?: RecordAfter,
  ): Promise<void>;
  deliver(changes: UserChange[], context: DeliveryContext): Promise<Map<number, DeliveryResult>>;
}

export class FullPush {
  constructor(private readonly host: FullPushHost) {}

  /**
   * Every user, a page at a time: new ones through /Bulk (as fast as the peer's inbound SCIM
   * allows), changed ones one by one as in real time, the rest skipped by hash.
   *
   * Three stages overlap. One window of BULK_IN_FLIGHT /Bulk requests serves the whole push
   * and is fed across page boundaries, so it never drains while a page ends; the next page is
   * listed and planned while the window works; pages complete in order (roles and password
   * hashes sent while the links are recorded, states saved once the roles are sent, then
   * progress saved), each once all its creates are answered.
   * At most two pages' creates wait for the window. After a failure nothing more is sent, the
   * pages before it are still recorded, and the push ends once every request has settled.
   */
  async run(context: PushContext): Promise<PushProgress> {
    const entries = outboundEntries(context.config.attributeMap);
    await this.host.refreshTwoWay();
    const progress: PushProgress = {
      processed: 0,
      total: null,
      created: 0,
      updated: 0,
      unchanged: 0,
      failed: 0,
    };
    const list = (page: number) => {
      const pending = this.host.deps.feed.listUsers(this.host.slug, page, PUSH_PAGE);
      pending.catch(() => undefined); // Awaited below; a failure surfaces there.
      return pending;
    };
    const bulkWindow = pLimit(BULK_IN_FLIGHT);
    // The first failure; once set, nothing more is sent.
    const halt: { failed: boolean; error?: unknown } = { failed: false };
    const stop = (error: unknown) => {
      if (halt.failed) return;
      halt.failed = true;
      halt.error = error;
    };
    const sends: Promise<void>[] = [];
    let finishing: Promise<void> = Promise.resolve();
    try {
      let next = list(1);
      for (let page = 1; ; page++) {
        if (context.signal.aborted) throw new Error('stopped');
        if (halt.failed) break;
        const { total, users } = await next;
        progress.total = total;
        if (users.length === 0) break;
        const more = users.length === PUSH_PAGE;
        if (more) next = list(page + 1);
        const plan = await this.planPage(users, entries, progress);
        // Settles once every chunk of the page has (a page is never left with one in flight).
        const sent = Promise.allSettled(
          plan.chunks.map((chunk) =>
            bulkWindow(async () => {
              // Left unsent: the page stays incomplete (nothing of it is recorded as pushed).
              if (context.signal.aborted) throw new Error('stopped');
              if (halt.failed) throw halt.error;
              try {
                const created = await this.bulkCreate(chunk, entries, plan.conflicts, plan.results);
                for (const [userId, done] of created) plan.delivered.set(userId, done);
              } catch (error) {
                stop(error);
                throw error;
              }
            }),
          ),
        ).then((outcomes) => {
          const failed = outcomes.find((outcome) => outcome.status === 'rejected');
          if (failed) throw failed.reason;
        });
        sent.catch(stop);
        sends.push(sent);
        const earlier = finishing;
        finishing = (async () => {
          await earlier;
          await sent;
          // A page whose creates were all answered is recorded even when a later one failed.
          await plan.complete(context, progress);
          progress.processed += users.length;
          await context.onProgress({ ...progress });
        })();
        // Awaited at the end; a failure meanwhile stops the sending (and must not go unhandled).
        finishing.catch(stop);
        // Back-pressure: the page before this one has had all its creates answered.
        if (sends.length >= 2) await sends[sends.length - 2]!.catch(() => undefined);
        if (!more) break;
      }
    } catch (error) {
      stop(error);
    }
    await Promise.allSettled(sends);
    await finishing.catch(stop);
    if (halt.failed) throw halt.error;
    return progress;
  }

  /**
   * Sorts a page's users into creates (sent through /Bulk, in chunks) and others (delivered
   * one by one when the page completes); counts the unchanged.
   */
  private async planPage(
    users: UserSnapshot[],
    entries: AttributeMapping[],
    progress: PushProgress,
  ) {
    const candidates = users.filter((user) => !this.host.excluded(user));
    progress.unchanged += users.length - candidates.length;
    const states = await this.host.deps.store.getOutboundStates(
      this.host.slug,
      candidates.map((user) => user.id),
    );
    const creates: UserSnapshot[] = [];
    const others: UserChange[] = [];
    for (const user of candidates) {
      const state = states.get(user.id) ?? null;
      const remoteId = (user.linked && user.externalId) || state?.remoteId || null;
      if (!remoteId) {
        creates.push(user);
        continue;
      }
      const same =
        state?.hash === valuesHash(localValues(user, entries)) &&
        (!this.host.peer.roles || !user.active || sameSet(state.roles, user.roles));
      if (same && user.linked && user.externalId === state?.remoteId) {
        progress.unchanged++;
        continue;
      }
      others.push({
        userId: user.id,
        ids: [0],
        actions: ['update'],
        changed: [],
        origins: ['local'],
        firstAt: new Date().toISOString(),
      });
    }

    const snapshots = new Map(users.map((user) => [user.id, user]));
    const results = new Map<number, DeliveryResult>();
    const delivered = new Map<number, Delivered>();
    const hashes = await this.host.passwordHashes(creates.map((user) => user.id));
    const chunks: UserSnapshot[][] = [];
    for (let i = 0; i < creates.length; i += BULK_SIZE)
      chunks.push(creates.slice(i, i + BULK_SIZE));
    // Users the peer already has (a create answered 409): resolved one by one.
    const conflicts: UserSnapshot[] = [];
    return {
      chunks,
      conflicts,
      results,
      delivered,
      complete: (context: PushContext, progress: PushProgress) =>
        this.completePage(
          snapshots,
          delivered,
          results,
          others,
          conflicts,
          hashes,
          context,
          progress,
        ),
    };
  }

  private async completePage(
    snapshots: Map<number, UserSnapshot>,
    delivered: Map<number, Delivered>,
    results: Map<number, DeliveryResult>,
    others: UserChange[],
    retryOneByOne: UserSnapshot[],
    hashes: Map<number, string>,
    context: PushContext,
    progress: PushProgress,
  ): Promise<void> {
    for (const user of retryOneByOne) {
      others.push({
        userId: user.id,
        ids: [0],
        actions: ['create'],
        changed: [],
        origins: ['local'],
        firstAt: new Date().toISOString(),
      });
    }

    // The peer's side of the new users (roles, password hashes) overlaps their links here. A
    // link recorded before the roles are sent is safe: a replay updates a linked user without
    // an outbound state one by one, which reads its memberships on the peer. The states say
    // the roles were sent, so they are saved only once they are; and the links wait for the
    // password hashes when there are some (a replay of a linked user would not send them).
    const peerSide = Promise.all([
      this.sendRoles(delivered, snapshots),
      this.sendPasswords(delivered, hashes),
    ]);
    peerSide.catch(() => undefined); // Awaited through record(); a failure surfaces there.
    const sendingPasswords = this.host.peer.sendPasswords && hashes.size > 0;
    await this.host.record(delivered, results, snapshots, {
      states: peerSide,
      links: sendingPasswords ? peerSide : undefined,
    });

    // Changed (or unresolved) users: one by one, as in real time.
    const rest = await pLimit(UPDATE_CONCURRENCY).map(others, (change) =>
      this.host.deliver([change], { config: context.config, signal: context.signal }),
    );
    for (const answer of rest) for (const [id, result] of answer) results.set(id, result);

    for (const [userId, result] of results) {
      if (result.ok) {
        if (result.outcome.status === 'created') progress.created++;
        else if (result.outcome.status === 'updated' || result.outcome.status === 'deleted')
          progress.updated++;
        else progress.unchanged++;
      } else {
        progress.failed++;
        await context.onFailure(userId, result.error);
      }
    }
  }

  /** Roles of the new users: one membership change per role for the whole page. */
  private async sendRoles(
    delivered: Map<number, Delivered>,
    snapshots: Map<number, UserSnapshot>,
  ): Promise<void> {
    if (!this.host.peer.roles) return;
    const byRole = new Map<string, string[]>();
    for (const [userId, done] of delivered) {
      const user = snapshots.get(userId)!;
      if (!user.active) continue;
      for (const role of user.roles ?? []) {
        if (role === 'usersync_service') continue;
        byRole.set(role, [...(byRole.get(role) ?? []), String(done.link)]);
      }
    }
    for (const [role, members] of byRole) {
      for (let i = 0; i < members.length; i += 500)
        await this.host.roles.changeMembership(role, { add: members.slice(i, i + 500) });
    }
  }

  /** Password hashes of the new users, through the peer's companion route. */
  private async sendPasswords(
    delivered: Map<number, Delivered>,
    hashes: Map<number, string>,
  ): Promise<void> {
    if (!this.host.peer.sendPasswords || !this.host.companion || !delivered.size) return;
    const list = [...delivered]
      .filter(([userId]) => hashes.has(userId))
      .map(([userId, done]) => ({ id: String(done.link), hash: hashes.get(userId)! }));
    for (let i = 0; i < list.length; i += 500) {
      const answers = await this.host.companion.sendPasswords(list.slice(i, i + 500));
      for (const answer of answers.filter((a) => !a.ok))
        this.host.deps.logger.warn(
          { target: this.host.slug, id: answer.id, error: answer.error },
          'peer: password hash refused',
        );
    }
  }

  /** One /Bulk request of creates; users the peer already has go to `conflicts`. */
  private async bulkCreate(
    users: UserSnapshot[],
    entries: AttributeMapping[],
    conflicts: UserSnapshot[],
    results: Map<number, DeliveryResult>,
  ): Promise<Map<number, Delivered>> {
    const delivered = new Map<number, Delivered>();
    const values = new Map(users.map((user) => [user.id, localValues(user, entries)]));
    const { data } = await this.host.client.request<{
      Operations?: {
        bulkId?: string;
        status?: string;
        location?: string;
        version?: string;
        response?: { detail?: string; scimType?: string };
      }[];
    }>({
      method: 'POST',
      path: '/Bulk',
      body: {
        schemas: [BULK_REQUEST],
        Operations: users.map((user) => ({
          method: 'POST',
          path: '/Users',
          bulkId: String(user.id),
          data: scimUser(values.get(user.id)!, entries, String(user.id)),
        })),
      },
    });
    const answers = new Map((data?.Operations ?? []).map((op) => [op.bulkId, op]));
    for (const user of users) {
      const answer = answers.get(String(user.id));
      const status = Number(answer?.status ?? 0);
      const remoteId = idFromLocation(answer?.location);
      if (status === 201 && remoteId) {
        const sent = values.get(user.id)!;
        delivered.set(user.id, {
          outcome: { userId: user.id, status: 'created', requests: 0 },
          state: {
            userId: user.id,
            remoteId,
            sent,
            confirmed: sent,
            hash: valuesHash(sent),
            roles:
              this.host.peer.roles && user.active
                ? (user.roles ?? []).filter((r) => r !== 'usersync_service')
                : null,
            remoteVersion: answer?.version ?? null,
          },
          link: remoteId,
          audit: [],
        });
      } else if (status === 409) {
        conflicts.push(user);
      } else {
        const transient = status === 0 || status === 429 || status >= 500;
        results.set(user.id, {
          ok: false,
          error: new DeliveryError(
            `${this.host.peer.name} refused the user (${status || 'no answer'}): ${answer?.response?.detail ?? 'no detail'}`,
            answer?.response?.scimType ?? `http_${status}`,
            transient,
            status,
          ),
        });
      }
    }
    return delivered;
  }
}

function sameSet(a: string[] | null | undefined, b: string[] | null | undefined): boolean {
  const x = new Set(a ?? []);
  const y = new Set(b ?? []);
  return x.size === y.size && [...x].every((v) => y.has(v));
}
