// WordPress peer (WP-to-WP): pushes this site's users into another UserSync site over SCIM 2.0.
//
// Change source: the plugin's outbox, through the outbound pipeline (one user change at a time,
//   merged per page), plus a full push of every user on demand.
// Cursor: the pipeline's per-target outbox cursor; per user, the outbound state (the peer's id,
//   the values last sent and confirmed, the roles sent).
// Paging: the feed by outbox id; the full push by local user id, 500 a page, creates sent
//   through the peer's /Bulk 100 at a time.
// Deletes: a user deleted here is DELETEd on the peer (its deprovisioning policy decides what
//   that means there: disable, or delete with content reassigned); disable/enable are
//   `active` false/true.
//
// Identity: each user is created on the peer with externalId = this site's user id, so the
// peer links it to this site's connection there; the peer's id comes back and is recorded
// here as the link `usersync_link_<peer slug>`. Both sites thus know each other's ids, which
// two-way sync needs (each site's peer entry names the connection the other writes with).
//
// Roles travel as membership of groups named after the roles (`editor`, …) in this site's
// connection on the peer; the peer's role map decides which role each group grants there.
// Two-way sync reads the peer's user before writing and lets the later change of an attribute
// win (see conflicts.ts). Password hashes (never plain text) go to the peer's companion route
// when both sites enabled it (see the plugin's Password_Hashes).
import type { AttributeMapping, SyncConfig } from '../../wordpress/types.js';
import type { AuditEntry, PeerSettings } from '../../wordpress/types.js';
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
import type { OutboxChange } from '../../wordpress/types.js';
import type { UserSnapshot } from '../../wordpress/types.js';
import type { ScimResource } from '../../scim/schemas/model.js';
import type { MappedValues, OutboundState, OutboundStateInput } from '../../store/types.js';
import { PeerClient, PeerHttpError } from './client.js';
import { CompanionClient, companionUrl } from './companion.js';
import { describeVerdict, planUpdate, resolveConflicts } from './conflicts.js';
import { FullPush } from './full-push.js';
import {
  ACTIVE,
  PATCH_SCHEMA,
  differing,
  idFromLocation,
  localValues,
  outboundEntries,
  patchOperations,
  peerValues,
  scimUser,
  sentAttributes,
  valuesHash,
} from './mapper.js';
import { recordLinks } from '../links.js';
import { PeerRoleGroups } from './roles.js';
import type { Delivered, PeerTargetDeps, RecordAfter } from './types.js';

export type { PeerTargetDeps } from './types.js';

export const KIND = 'wordpress-peer';

export class WordPressPeerTarget implements OutboundTarget {
  readonly kind = KIND;
  readonly slug: string;
  private readonly client: PeerClient;
  private readonly companion: CompanionClient | null;
  private readonly roles: PeerRoleGroups;
  private twoWay = false;

  constructor(private readonly deps: PeerTargetDeps) {
    const { peer } = deps;
    this.slug = peer.slug;
    if (!peer.scimUrl || !peer.token)
      throw new Error(`Peer "${peer.slug}" needs a SCIM URL and a token to receive pushes`);
    this.client =
      deps.client ??
      new PeerClient({ baseUrl: peer.scimUrl, token: peer.token, peerName: peer.name });
    if (deps.companion !== undefined) {
      this.companion = deps.companion;
    } else {
      const url = companionUrl(peer.scimUrl);
      this.companion = url
        ? new CompanionClient(
            new PeerClient({ baseUrl: url, token: peer.token, peerName: peer.name }),
          )
        : null;
    }
    this.roles = new PeerRoleGroups(this.client, peer, (remoteId) => this.getRemote(remoteId));
  }

  private get peer(): PeerSettings {
    return this.deps.peer;
  }

  private get source(): string {
    return `peer:${this.peer.name}`;
  }

  describe(): TargetDescription {
    return {
      slug: this.slug,
      name: this.peer.name,
      kind: KIND,
      endpoint: this.peer.scimUrl,
      twoWay: this.twoWay,
    };
  }

  /** Requests sent to the peer so far. */
  get requests(): number {
    return this.client.requests;
  }

  covers(change: OutboxChange, config: SyncConfig): boolean {
    if (change.action !== 'update' && change.action !== 'password') return true;
    const sent = sentAttributes(outboundEntries(config.attributeMap));
    return change.changed.some(
      (name) =>
        sent.has(name) ||
        (name === 'roles' && this.peer.roles) ||
        (name === 'password' && this.peer.sendPasswords),
    );
  }

  async deliver(
    changes: UserChange[],
    context: DeliveryContext,
  ): Promise<Map<number, DeliveryResult>> {
    const results = new Map<number, DeliveryResult>();
    const entries = outboundEntries(context.config.attributeMap);
    const ids = changes.map((change) => change.userId);
    const [snapshots, states, inbound] = await Promise.all([
      this.deps.feed.users(ids, this.slug),
      this.deps.store.getOutboundStates(this.slug, ids),
      this.deps.feed.inboundConnections(),
    ]);
    this.twoWay = inbound.has(this.slug);
    const hashes = await this.passwordHashes(
      changes
        .filter(
          (change) => change.changed.includes('password') || change.actions.includes('create'),
        )
        .map((change) => change.userId)
        .filter((id) => snapshots.has(id)),
    );

    const delivered = new Map<number, Delivered>();
    for (const change of changes) {
      const before = this.client.requests;
      try {
        const done = await this.deliverOne(
          change,
          snapshots.get(change.userId) ?? null,
          states.get(change.userId) ?? null,
          entries,
          hashes,
        );
        done.outcome.requests = this.client.requests - before;
        delivered.set(change.userId, done);
      } catch (error) {
        results.set(change.userId, { ok: false, error: toDeliveryError(error) });
      }
    }
    await this.record(delivered, results, snapshots);
    return results;
  }

  /**
   * Saves states, links and audit entries of what was delivered; fills in the results. The
   * links are recorded while the states are saved (or while `after.states` is awaited); a
   * failure of what they wait for fails the recording, once both have settled.
   */
  private async record(
    delivered: Map<number, Delivered>,
    results: Map<number, DeliveryResult>,
    snapshots: Map<number, UserSnapshot>,
    after: RecordAfter = {},
  ): Promise<void> {
    const states: OutboundStateInput[] = [];
    const forget: number[] = [];
    const links: { userId: number; externalId: string | null }[] = [];
    const audit: AuditEntry[] = [];
    for (const [userId, done] of delivered) {
      if (done.state === 'forget') forget.push(userId);
      else if (done.state) states.push(done.state);
      if (done.link !== undefined && snapshots.has(userId))
        links.push({ userId, externalId: done.link });
      audit.push(...done.audit);
    }
    const saved = (async () => {
      await after.states;
      await this.deps.store.saveOutboundStates(this.slug, states);
      await this.deps.store.deleteOutboundStates(this.slug, forget);
    })();
    const linked = (async () => {
      await after.links;
      return this.recordLinks(links);
    })();
    const [statesSaved, linksRecorded] = await Promise.allSettled([saved, linked]);
    if (statesSaved.status === 'rejected') throw statesSaved.reason;
    if (linksRecorded.status === 'rejected') throw linksRecorded.reason;
    const failedLinks = linksRecorded.value;
    if (audit.length) {
      await this.deps.feed
        .audit(audit)
        .catch((error: unknown) =>
          this.deps.logger.warn({ err: error }, 'peer: could not write conflict audit entries'),
        );
    }
    for (const [userId, done] of delivered) {
      const failure = failedLinks.get(userId);
      results.set(
        userId,
        failure ? { ok: false, error: failure } : { ok: true, outcome: done.outcome },
      );
    }
  }

  /** Records links in WordPress; the users whose link could not be recorded, and why. */
  private recordLinks(
    links: { userId: number; externalId: string | null }[],
  ): Promise<Map<number, DeliveryError>> {
    return recordLinks(this.deps.feed, this.slug, links, `${this.peer.name}'s user`);
  }

  private excluded(snapshot: UserSnapshot): boolean {
    const roles = snapshot.roles ?? [];
    if (roles.includes('usersync_service')) return true;
    return roles.includes('administrator') && !this.peer.includeAdministrators;
  }

  private async deliverOne(
    change: UserChange,
    snapshot: UserSnapshot | null,
    state: OutboundState | null,
    entries: AttributeMapping[],
    hashes: Map<number, string>,
  ): Promise<Delivered> {
    const userId = change.userId;
    const outcome = (status: DeliveryOutcome['status']): DeliveryOutcome => ({
      userId,
      status,
      requests: 0,
    });
    if (!snapshot) {
      // Gone here: gone there too.
      const remoteId = state?.remoteId ?? (await this.findByExternalId(userId))?.id ?? null;
      if (remoteId) await this.deleteRemote(String(remoteId));
      return {
        outcome: outcome(remoteId ? 'deleted' : 'unchanged'),
        state: 'forget',
        link: undefined,
        audit: [],
      };
    }
    if (this.excluded(snapshot))
      return { outcome: outcome('excluded'), state: null, link: undefined, audit: [] };

    const values = localValues(snapshot, entries);
    const hash = valuesHash(values);
    let remoteId: string | null =
      (snapshot.linked && snapshot.externalId) || state?.remoteId || null;
    let remote: ScimResource | null = null;
    let current = state;
    let status: DeliveryOutcome['status'] = 'unchanged';
    const audit: AuditEntry[] = [];

    // Never delivered (or the state was lost): the peer may already have the user from an
    // attempt whose answer was lost — find it rather than create it twice.
    if (!remoteId && !state) {
      remote = await this.findByExternalId(userId);
      remoteId = remote ? String(remote.id) : null;
      if (remote) current = null;
    }

    let sent: MappedValues = values;
    let confirmed: MappedValues | null = state?.confirmed ?? null;
    let version: string | null = state?.remoteVersion ?? null;

    if (!remoteId) {
      const created = await this.create(values, entries, userId);
      remote = created.resource;
      remoteId = created.id;
      status = 'created';
      confirmed = created.resource ? peerValues(created.resource, entries) : values;
      version = created.version;
    } else if (!current || current.hash !== hash || remote) {
      const updated = await this.update({
        userId,
        remoteId,
        values,
        state: current,
        entries,
        remote,
        snapshot,
      });
      if (updated === 'gone') {
        // The peer no longer has the user (deleted there, or unlinked): create it again.
        const created = await this.create(values, entries, userId);
        remote = created.resource;
        remoteId = created.id;
        status = 'created';
        confirmed = created.resource ? peerValues(created.resource, entries) : values;
        version = created.version;
        current = null;
      } else {
        remote = updated.resource ?? remote;
        sent = updated.sent;
        confirmed = updated.confirmed;
        version = updated.version ?? version;
        audit.push(...updated.audit);
        if (updated.wrote) status = 'updated';
      }
    }

    const roles = await this.roles.sync(snapshot, remoteId, current, remote, status === 'created');
    if (roles.changed && status === 'unchanged') status = 'updated';

    const hashForPeer = hashes.get(userId);
    if (
      this.peer.sendPasswords &&
      hashForPeer &&
      (status === 'created' || change.changed.includes('password'))
    ) {
      await this.sendPassword(remoteId, hashForPeer);
      if (status === 'unchanged') status = 'updated';
    }

    return {
      outcome: outcome(status),
      state: {
        userId,
        remoteId,
        sent,
        confirmed,
        hash: valuesHash(sent),
        roles: roles.roles,
        remoteVersion: version,
      },
      link: snapshot.linked && snapshot.externalId === remoteId ? undefined : remoteId,
      audit,
    };
  }

  /** Creates the user on the peer; a user already there (replayed create) is found instead. */
  private async create(
    values: MappedValues,
    entries: AttributeMapping[],
    userId: number,
  ): Promise<{ id: string; resource: ScimResource | null; version: string | null }> {
    try {
      const { data, headers } = await this.client.request<ScimResource>({
        method: 'POST',
        path: '/Users',
        body: scimUser(values, entries, String(userId)),
      });
      const id = data?.id !== undefined ? String(data.id) : idFromLocation(headers.location);
      if (!id)
        throw new DeliveryError(
          `${this.peer.name} created the user without giving its id`,
          'peer_error',
          true,
        );
      return { id, resource: data, version: headers.etag ?? null };
    } catch (error) {
      if (!(error instanceof PeerHttpError) || error.status !== 409) throw error;
      const existing = await this.findByExternalId(userId);
      if (!existing) {
        throw new DeliveryError(
          `${this.peer.name} already has a user with the login "${values.user_login}" or its email address, not linked to this site: link or rename one of them (${error.message})`,
          'uniqueness',
          false,
          409,
        );
      }
      return {
        id: String(existing.id),
        resource: existing,
        version: (existing.meta as { version?: string } | undefined)?.version ?? null,
      };
    }
  }

  /**
   * Brings the peer's user to this site's values. One-way: the attributes changed since the
   * last sync. Two-way: reads the peer's user first and plans per attribute (conflicts.ts),
   * writing with If-Match so a change made on the peer meanwhile is never overwritten
   * blindly.
   */
  private async update(input: {
    userId: number;
    remoteId: string;
    values: MappedValues;
    state: OutboundState | null;
    entries: AttributeMapping[];
    remote: ScimResource | null;
    snapshot: UserSnapshot;
  }): Promise<
    | 'gone'
    | {
        wrote: boolean;
        resource: ScimResource | null;
        sent: MappedValues;
        confirmed: MappedValues;
        version: string | null;
        audit: AuditEntry[];
      }
  > {
    const { userId, remoteId, values, state, entries } = input;
    for (let attempt = 0; ; attempt++) {
      let remote = attempt === 0 ? input.remote : null;
      const audit: AuditEntry[] = [];
      let send: string[];
      const sent: MappedValues = { ...values };
      let ifMatch: string | undefined;
      if (this.twoWay || remote) {
        remote ??= await this.getRemote(remoteId);
        if (!remote) return 'gone';
        const peer = peerValues(remote, entries);
        const plan = planUpdate({
          ours: values,
          sent: state?.sent ?? null,
          peer,
          confirmed: state?.confirmed ?? null,
        });
        send = plan.send;
        for (const key of plan.peerOnly) sent[key] = peer[key] ?? null;
        if (plan.conflicts.length) {
          const verdicts = resolveConflicts(plan.conflicts, {
            ours: values,
            peer,
            ourClock: await this.ourClock(userId),
            peerClock: await this.peerClock(remoteId, remote, plan.conflicts),
          });
          for (const verdict of verdicts) {
            if (verdict.winner === 'ours') send.push(verdict.attribute);
            else sent[verdict.attribute] = verdict.peer;
            audit.push({
              source: this.source,
              action: 'conflict',
              result: verdict.winner === 'ours' ? 'success' : 'skipped',
              userId,
              userLogin: input.snapshot.login,
              fields: [verdict.attribute],
              message: describeVerdict(verdict, this.peer.name),
            });
          }
        }
        ifMatch = (remote.meta as { version?: string } | undefined)?.version;
        if (send.length === 0) {
          return {
            wrote: false,
            resource: remote,
            sent,
            confirmed: peer,
            version: ifMatch ?? null,
            audit,
          };
        }
      } else {
        send = differing(values, state?.sent ?? null);
        if (send.length === 0) send = [ACTIVE];
      }
      try {
        const { data, headers } = await this.client.request<ScimResource>({
          method: 'PATCH',
          path: `/Users/${encodeURIComponent(remoteId)}`,
          body: {
            schemas: [PATCH_SCHEMA],
            Operations: patchOperations(values, entries, send, String(userId)),
          },
          ifMatch,
        });
        return {
          wrote: true,
          resource: data,
          sent,
          confirmed:
            data && typeof data === 'object' && data.id !== undefined
              ? peerValues(data, entries)
              : { ...sent },
          version: headers.etag ?? null,
          audit,
        };
      } catch (error) {
        if (error instanceof PeerHttpError && error.status === 404) return 'gone';
        // The peer's user changed between our read and our write: read and plan again.
        if (error instanceof PeerHttpError && error.status === 412 && attempt < 3) continue;
        throw error;
      }
    }
  }

  private async ourClock(userId: number): Promise<Record<string, string>> {
    return (await this.deps.feed.clock([userId], this.slug)).get(userId) ?? {};
  }

  /** The peer's change times; without its companion route, its last-modified time for all. */
  private async peerClock(
    remoteId: string,
    remote: ScimResource,
    attributes: string[],
  ): Promise<Record<string, string>> {
    if (this.companion) {
      try {
        const clock = await this.companion.clock([remoteId]);
        return clock.get(remoteId) ?? {};
      } catch (error) {
        this.deps.logger.warn(
          { err: error, target: this.slug },
          "peer: change times unavailable; using the user's last-modified time",
        );
      }
    }
    const modified = (remote.meta as { lastModified?: string } | undefined)?.lastModified;
    return modified ? Object.fromEntries(attributes.map((a) => [a, modified])) : {};
  }

  private async passwordHashes(ids: number[]): Promise<Map<number, string>> {
    if (!this.peer.sendPasswords || ids.length === 0) return new Map();
    try {
      return await this.deps.feed.passwordHashes(ids);
    } catch (error) {
      throw new DeliveryError(
        `Password hashes could not be read from WordPress: ${(error as Error).message}`,
        'password_read_failed',
        true,
      );
    }
  }

  private async sendPassword(remoteId: string, hash: string): Promise<void> {
    if (!this.companion) {
      throw new DeliveryError(
        `${this.peer.name}'s SCIM URL does not end in /scim/v2, so its password route is unknown`,
        'password_route_unknown',
        false,
      );
    }
    const [result] = await this.companion.sendPasswords([{ id: remoteId, hash }]);
    if (result && !result.ok) {
      throw new DeliveryError(
        `${this.peer.name} refused the password hash: ${result.error?.message ?? 'unknown error'}`,
        result.error?.code ?? 'password_refused',
        false,
      );
    }
  }

  private async getRemote(remoteId: string): Promise<ScimResource | null> {
    try {
      const { data } = await this.client.request<ScimResource>({
        method: 'GET',
        path: `/Users/${encodeURIComponent(remoteId)}`,
      });
      return data;
    } catch (error) {
      if (error instanceof PeerHttpError && error.status === 404) return null;
      throw error;
    }
  }

  /** The peer's user linked to this site's user id, if any. */
  private async findByExternalId(userId: number): Promise<ScimResource | null> {
    const { data } = await this.client.request<{ Resources?: ScimResource[] }>({
      method: 'GET',
      path: '/Users',
      query: { filter: `externalId eq "${userId}"`, count: 1 },
    });
    return data?.Resources?.[0] ?? null;
  }

  private async deleteRemote(remoteId: string): Promise<void> {
    try {
      await this.client.request({
        method: 'DELETE',
        path: `/Users/${encodeURIComponent(remoteId)}`,
      });
    } catch (error) {
      if (!(error instanceof PeerHttpError) || error.status !== 404) throw error;
    }
  }

  /**
   * Every user, a page at a time: new ones through /Bulk (as fast as the peer's inbound SCIM
   * allows), changed ones one by one as in real time, the rest skipped by hash (full-push.ts).
   */
  async fullPush(context: PushContext): Promise<PushProgress> {
    return new FullPush({
      slug: this.slug,
      peer: this.peer,
      deps: this.deps,
      client: this.client,
      companion: this.companion,
      roles: this.roles,
      refreshTwoWay: async () => {
        this.twoWay = (await this.deps.feed.inboundConnections()).has(this.slug);
      },
      excluded: (snapshot) => this.excluded(snapshot),
      passwordHashes: (ids) => this.passwordHashes(ids),
      record: (delivered, results, snapshots, after) =>
        this.record(delivered, results, snapshots, after),
      deliver: (changes, context) => this.deliver(changes, context),
    }).run(context);
  }
}

function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  return new DeliveryError((error as Error)?.message || String(error), 'internal', true);
}

/** The factory the pipeline uses for peers. */
export function wordpressPeerTarget(deps: PeerTargetDeps): WordPressPeerTarget {
  return new WordPressPeerTarget(deps);
}
