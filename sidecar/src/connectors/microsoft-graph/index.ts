// Microsoft Graph connector: Microsoft Entra ID (Azure AD) and Azure AD B2C.
//
// Change source: Entra ID — `GET /users/delta` (and `/groups/delta` with `members` when the
//   role map names groups); B2C has no delta query — `GET /users` and `GET /groups` (+ each
//   group's `members`) are listed in full every run, and the engine's hash comparison finds
//   what changed.
// Cursor: JSON `{ phase, full, users, groups }` holding Graph's own links: the
//   `@odata.nextLink` of the next page while a pass is under way, the `@odata.deltaLink`s once
//   it is done. Saved after every page, so a restart resumes with the page that was not
//   applied. A delta link Graph no longer accepts (`syncStateNotFound`, 410) raises
//   CursorExpiredError and the engine starts over with a full pass.
// Paging: `Prefer: odata.maxpagesize` on delta (a hint: Graph picks the page size, and `$top`
//   is not supported there), `$top` on B2C lists (both `pageSize`, ≤ 999); links are followed
//   verbatim and only on the configured Graph host, through empty pages that carry a nextLink;
//   an item repeated on a later page is applied again, idempotently (unchanged hash).
// Deletes: delta `@removed` — reason `deleted` (hard delete) is permanent, `changed` (recycle
//   bin, restorable for 30 days) deprovisions but keeps the link; `accountEnabled: false`
//   arrives as an inactive user. Full listings let the engine deprovision users they lack.
// Photos: `GET /users/{id}/photo` gives the media ETag of each upserted user's picture; the
//   bytes (`/photo/$value`) are only downloaded when that ETag differs from the one applied.
//   B2C tenants do not support profile photos: off there unless `b2cPhotos`, never fatal.
//   A photo-only change does not put the user in a delta page ("photo is a navigation
//   property"), so `photos()` reads the media ETags of linked users through JSON batching
//   (`POST /$batch`, 20 requests each) for the engine's photo reconciliation.
// Count: `/users/$count` (an advanced query) for progress; B2C has no advanced queries.
import pLimit from 'p-limit';
import type { Logger } from '../../logger.js';
import type {
  CanonicalUser,
  ConnectionCheck,
  ConnectionTest,
  Connector,
  GroupChange,
  PullOptions,
  SourceDeletion,
  SourcePage,
  SourcePhoto,
} from '../types.js';
import { CursorExpiredError } from '../types.js';
import { sleep } from '../../retry.js';
import { GraphClient, GraphError } from './client.js';
import type { GraphClientOptions } from './client.js';
import {
  collectionSchema,
  directoryObjectRefSchema,
  graphGroupSchema,
  graphUserSchema,
  readsRawProperties,
  selectFor,
  toCanonicalUser,
} from './mapper.js';
import { parseGraphSettings } from './settings.js';
import type { GraphSettings } from './settings.js';

export { GraphClient, GraphError } from './client.js';
export { parseGraphSettings, GraphSettingsError, clouds } from './settings.js';
export type { GraphSettings, GraphSettingsInput } from './settings.js';

interface GraphCursor {
  v: 1;
  /** Which list the next page comes from; `done` once a pass is complete. */
  phase: 'groups' | 'users' | 'done';
  /** The pass lists everything (initial delta or a B2C scan). */
  full: boolean;
  /** Next page of the pass, or (phase `done`) the delta link for the next pass. */
  users: string | null;
  groups: string | null;
}

/** Application permissions that grant each capability (any one of them suffices). */
const PERMISSIONS = {
  users: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  groups: [
    'GroupMember.Read.All',
    'Group.Read.All',
    'Group.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  photos: ['ProfilePhoto.Read.All', 'User.Read.All', 'User.ReadWrite.All'],
};

export class MicrosoftGraphConnector implements Connector {
  readonly kind = 'microsoft-graph';
  readonly settings: GraphSettings;
  readonly client: GraphClient;

  constructor(
    settings: unknown,
    private readonly options: GraphClientOptions & { logger?: Logger } = {},
  ) {
    this.settings = parseGraphSettings(settings);
    this.client = new GraphClient(this.settings, options);
  }

  fullScan(options: PullOptions): AsyncIterable<SourcePage> {
    return this.pull(null, options);
  }

  /** Photos are read when asked for, and in B2C (which has none) only when forced. */
  private wantsPhotos(options: PullOptions): boolean {
    return options.photos && (!this.settings.b2c || this.settings.b2cPhotos);
  }

  async *pull(cursor: string | null, options: PullOptions): AsyncIterable<SourcePage> {
    options = { ...options, photos: this.wantsPhotos(options) };
    if (this.settings.b2c) {
      yield* this.scan(parseCursor(cursor), options);
    } else {
      yield* this.delta(parseCursor(cursor), options);
    }
  }

  /** Entra ID: groups delta (when roles are mapped), then users delta. */
  private async *delta(saved: GraphCursor | null, options: PullOptions): AsyncIterable<SourcePage> {
    const select = selectFor(options.attributes, false).join(',');
    const wantGroups = options.groupNames.length > 0;
    let state: GraphCursor;
    if (!saved || (wantGroups && saved.phase === 'done' && !saved.groups)) {
      state = {
        v: 1,
        phase: wantGroups ? 'groups' : 'users',
        full: true,
        users: this.client.url(`/v1.0/users/delta?$select=${select}`),
        groups: wantGroups
          ? this.client.url('/v1.0/groups/delta?$select=id,displayName,members')
          : null,
      };
    } else if (saved.phase === 'done') {
      state = { ...saved, phase: wantGroups ? 'groups' : 'users', full: false };
      if (!wantGroups) state.groups = null;
    } else {
      state = { ...saved };
    }
    // A saved link was issued by Graph earlier; only those can expire.
    const fromSavedLink = saved !== null;

    const headers = { Prefer: `odata.maxpagesize=${this.settings.pageSize}` };
    while (state.phase === 'groups' && state.groups) {
      const body = await this.getCollection(state.groups, headers, options, fromSavedLink);
      const groups = body.value.map((item) => groupChange(graphGroupSchema.parse(item)));
      state = body['@odata.deltaLink']
        ? { ...state, phase: 'users', groups: body['@odata.deltaLink'] }
        : { ...state, groups: requireLink(body['@odata.nextLink'], 'groups delta') };
      yield {
        upserts: [],
        deletes: [],
        groups,
        nextCursor: JSON.stringify(state),
        full: state.full,
      };
    }

    let total: number | undefined = state.full ? await this.countUsers(options) : undefined;
    while (state.phase === 'users' && state.users) {
      const body = await this.getCollection(state.users, headers, options, fromSavedLink);
      const { upserts, deletes } = await this.usersOf(body.value, options);
      state = body['@odata.deltaLink']
        ? { ...state, phase: 'done', users: body['@odata.deltaLink'] }
        : { ...state, users: requireLink(body['@odata.nextLink'], 'users delta') };
      yield { upserts, deletes, nextCursor: JSON.stringify(state), full: state.full, total };
      total = undefined;
    }
  }

  /** B2C: every pass lists groups (with members, when roles are mapped) and users in full. */
  private async *scan(saved: GraphCursor | null, options: PullOptions): AsyncIterable<SourcePage> {
    const select = selectFor(options.attributes, true).join(',');
    const top = this.settings.pageSize;
    const wantGroups = options.groupNames.length > 0;
    const resuming = saved !== null && saved.phase !== 'done';
    let state: GraphCursor =
      saved && resuming
        ? { ...saved }
        : {
            v: 1,
            phase: wantGroups ? 'groups' : 'users',
            full: true,
            users: this.client.url(`/v1.0/users?$select=${select}&$top=${top}`),
            groups: wantGroups
              ? this.client.url(`/v1.0/groups?$select=id,displayName&$top=${top}`)
              : null,
          };

    while (state.phase === 'groups' && state.groups) {
      const body = await this.getCollection(state.groups, {}, options, false);
      const listed = body.value.map((item) => graphGroupSchema.parse(item));
      const groups = await pLimit(this.settings.concurrency).map(listed, async (group) => ({
        externalId: group.id,
        displayName: group.displayName ?? group.id,
        members: { all: await this.membersOf(group.id, options) },
      }));
      const next = body['@odata.nextLink'];
      state = next ? { ...state, groups: next } : { ...state, phase: 'users' };
      yield { upserts: [], deletes: [], groups, nextCursor: JSON.stringify(state), full: true };
    }

    let total = resuming ? undefined : await this.countUsers(options);
    while (state.phase === 'users' && state.users) {
      const body = await this.getCollection(state.users, {}, options, false);
      const { upserts, deletes } = await this.usersOf(body.value, options);
      const next = body['@odata.nextLink'];
      state = next
        ? { ...state, users: next }
        : { ...state, phase: 'done', users: null, groups: null };
      yield { upserts, deletes, nextCursor: JSON.stringify(state), full: true, total };
      total = undefined;
    }
  }

  private async getCollection(
    url: string,
    headers: Record<string, string>,
    options: PullOptions,
    mayExpire: boolean,
  ) {
    try {
      const body = await this.client.getJson<unknown>(url, { headers, signal: options.signal });
      return collectionSchema.parse(body);
    } catch (error) {
      if (mayExpire && error instanceof GraphError && isExpiredToken(error)) {
        throw new CursorExpiredError(
          `Microsoft Graph no longer accepts the saved delta link (${error.code}); a full sync is needed`,
        );
      }
      throw error;
    }
  }

  private async usersOf(
    items: unknown[],
    options: PullOptions,
  ): Promise<{ upserts: CanonicalUser[]; deletes: SourceDeletion[] }> {
    const upserts: CanonicalUser[] = [];
    const deletes: SourceDeletion[] = [];
    const raw = readsRawProperties(options.attributes);
    for (const item of items) {
      const user = graphUserSchema.parse(item);
      if (user['@removed']) {
        deletes.push({ externalId: user.id, permanent: user['@removed'].reason === 'deleted' });
      } else {
        upserts.push(toCanonicalUser(user, this.settings.b2c, raw));
      }
    }
    if (options.photos) {
      await pLimit(this.settings.concurrency).map(upserts, async (user) => {
        user.photo = await this.photoOf(user.externalId, options.signal);
      });
    }
    return { upserts, deletes };
  }

  /**
   * One user by object id or userPrincipalName (`GET /users/{id | userPrincipalName}`), else
   * by `mail` (`$filter`, Entra ID only); with the display names of their groups
   * (`/memberOf`) when the role map names groups, and their photo when photos are asked for.
   */
  async getUser(lookup: string, options: PullOptions): Promise<CanonicalUser | null> {
    options = { ...options, photos: this.wantsPhotos(options) };
    const select = selectFor(options.attributes, this.settings.b2c).join(',');
    let item: unknown = null;
    try {
      item = await this.client.getJson<unknown>(
        `/v1.0/users/${encodeURIComponent(lookup)}?$select=${select}`,
        { signal: options.signal },
      );
    } catch (error) {
      if (!(error instanceof GraphError) || (error.status !== 404 && error.status !== 400))
        throw error;
    }
    if (item === null && lookup.includes('@') && !this.settings.b2c) {
      const filter = encodeURIComponent(`mail eq '${lookup.replace(/'/g, "''")}'`);
      const body = await this.getCollection(
        `/v1.0/users?$filter=${filter}&$select=${select}&$top=1`,
        {},
        options,
        false,
      );
      item = body.value[0] ?? null;
    }
    if (item === null) return null;
    const user = toCanonicalUser(
      graphUserSchema.parse(item),
      this.settings.b2c,
      readsRawProperties(options.attributes),
    );
    if (options.groupNames.length > 0) {
      const groups: string[] = [];
      let url: string | undefined = this.client.url(
        `/v1.0/users/${encodeURIComponent(user.externalId)}/memberOf?$select=id,displayName&$top=999`,
      );
      while (url) {
        const body = await this.getCollection(url, {}, options, false);
        for (const entry of body.value) {
          const group = graphGroupSchema.parse(entry);
          const type = (entry as { '@odata.type'?: unknown })['@odata.type'];
          if ((!type || type === '#microsoft.graph.group') && group.displayName)
            groups.push(group.displayName);
        }
        url = body['@odata.nextLink'];
      }
      user.groups = groups;
    }
    if (options.photos) user.photo = await this.photoOf(user.externalId, options.signal);
    return user;
  }

  /**
   * Current photos of these users, 20 per JSON batch (Graph's limit), batches `concurrency` at
   * a time. A sub-request Graph throttles is sent again after its Retry-After; one that fails
   * otherwise leaves its user out (the next reconciliation tries again).
   */
  async photos(
    externalIds: string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<Map<string, SourcePhoto | null>> {
    const found = new Map<string, SourcePhoto | null>();
    if (this.settings.b2c && !this.settings.b2cPhotos) return found;
    const chunks: string[][] = [];
    for (let i = 0; i < externalIds.length; i += BATCH_LIMIT) {
      chunks.push(externalIds.slice(i, i + BATCH_LIMIT));
    }
    await pLimit(this.settings.concurrency).map(chunks, async (chunk) => {
      let pending = chunk;
      for (let round = 0; pending.length > 0 && round <= this.settings.retries; round++) {
        const answer = await this.client.postJson<BatchAnswer>(
          '/v1.0/$batch',
          {
            requests: pending.map((id, index) => ({
              id: String(index),
              method: 'GET',
              url: `/users/${encodeURIComponent(id)}/photo`,
            })),
          },
          options,
        );
        const throttled: string[] = [];
        let wait = 0;
        for (const response of answer.responses ?? []) {
          const id = pending[Number(response.id)];
          if (id === undefined) continue;
          if (response.status === 200) {
            const version = String(
              response.body?.['@odata.mediaEtag'] ?? response.body?.['id'] ?? '',
            );
            found.set(id, version ? this.photoLoader(id, version, options.signal) : null);
          } else if (response.status === 404) {
            found.set(id, null);
          } else if (response.status === 429 || response.status === 503) {
            throttled.push(id);
            wait = Math.max(wait, Number(response.headers?.['Retry-After'] ?? 1) * 1000);
          }
        }
        pending = throttled;
        if (pending.length > 0) await sleep(Math.min(wait, 60_000), options.signal);
      }
    });
    return found;
  }

  private photoLoader(userId: string, version: string, signal?: AbortSignal): SourcePhoto {
    const path = `/v1.0/users/${encodeURIComponent(userId)}/photo`;
    return {
      version,
      load: async () => {
        const photo = await this.client.getBinary(`${path}/$value`, { signal });
        if (!photo)
          throw new GraphError(`The photo of ${userId} is gone`, 404, 'ImageNotFound', path);
        return photo;
      },
    };
  }

  /** The user's photo version (media ETag) and a loader; null when the user has none. */
  private async photoOf(userId: string, signal?: AbortSignal): Promise<CanonicalUser['photo']> {
    const path = `/v1.0/users/${encodeURIComponent(userId)}/photo`;
    let meta: Record<string, unknown>;
    try {
      meta = await this.client.getJson<Record<string, unknown>>(path, { signal });
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) return null;
      // B2C does not support photos: whatever it answers, the user simply has none.
      if (this.settings.b2c && !signal?.aborted) return null;
      throw error;
    }
    const version = String(meta['@odata.mediaEtag'] ?? meta['id'] ?? '');
    if (!version) return null;
    return this.photoLoader(userId, version, signal);
  }

  private async membersOf(groupId: string, options: PullOptions): Promise<string[]> {
    const members: string[] = [];
    let url: string | undefined = this.client.url(
      `/v1.0/groups/${encodeURIComponent(groupId)}/members?$select=id&$top=999`,
    );
    while (url) {
      const body = await this.getCollection(url, {}, options, false);
      for (const item of body.value) {
        const member = directoryObjectRefSchema.parse(item);
        if (!member['@odata.type'] || member['@odata.type'] === '#microsoft.graph.user')
          members.push(member.id);
      }
      url = body['@odata.nextLink'];
    }
    return members;
  }

  /** How many users the directory holds (for progress); undefined when Graph will not say. */
  private async countUsers(options: PullOptions): Promise<number | undefined> {
    // `$count` is an advanced query, which Azure AD B2C tenants do not offer.
    if (this.settings.b2c) return undefined;
    try {
      const body = await this.client.getJson<unknown>('/v1.0/users/$count', {
        headers: { ConsistencyLevel: 'eventual' },
        signal: options.signal,
      });
      const count = Number(body);
      return Number.isInteger(count) && count >= 0 ? count : undefined;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return undefined;
    }
  }

  async testConnection(options: PullOptions): Promise<ConnectionTest> {
    const checks: ConnectionCheck[] = [];
    const missing = new Set<string>();
    const endpoints = this.settings.endpoints;

    let roles: string[] | null;
    try {
      roles = (await this.client.accessToken(options.signal)).roles;
      checks.push({
        name: 'Sign in',
        ok: true,
        message: `Signed in to tenant ${this.settings.tenantId} at ${endpoints.authorityUrl} as application ${this.settings.clientId}.`,
      });
    } catch (error) {
      checks.push({ name: 'Sign in', ok: false, message: (error as Error).message });
      return { ok: false, checks, missingPermissions: [] };
    }
    if (roles) {
      const lacks = (needed: string[]) => !needed.some((role) => roles!.includes(role));
      if (lacks(PERMISSIONS.users)) missing.add('User.Read.All');
      if (options.groupNames.length > 0 && lacks(PERMISSIONS.groups))
        missing.add('GroupMember.Read.All');
      // User.Read.All also grants photos: name ProfilePhoto.Read.All only when it is the gap.
      if (options.photos && !lacks(PERMISSIONS.users) && lacks(PERMISSIONS.photos))
        missing.add('ProfilePhoto.Read.All');
    }

    const probe = async (name: string, permission: string, path: string, headers = {}) => {
      try {
        const body = await this.client.getJson<unknown>(path, { headers, signal: options.signal });
        checks.push({ name, ok: true, message: 'Allowed.' });
        return body;
      } catch (error) {
        const e = error as GraphError;
        if (e.status === 403 || e.status === 401) {
          missing.add(permission);
          checks.push({
            name,
            ok: false,
            message: `Denied (${e.code}). Grant the application permission ${permission} and admin consent in the app registration.`,
          });
        } else if (name.startsWith('Photo') && e.status === 404) {
          checks.push({ name, ok: true, message: 'Allowed (the user has no photo).' });
        } else {
          checks.push({ name, ok: false, message: e.message });
        }
        return null;
      }
    };

    const users = (await probe(
      'Read users (User.Read.All)',
      'User.Read.All',
      '/v1.0/users?$top=1&$select=id',
    )) as { value?: { id?: string }[] } | null;
    if (!this.settings.b2c) {
      await probe(
        'Track user changes (delta query)',
        'User.Read.All',
        '/v1.0/users/delta?$select=id&$deltatoken=latest',
      );
    }
    if (options.groupNames.length > 0) {
      await probe(
        'Read group members (GroupMember.Read.All)',
        'GroupMember.Read.All',
        '/v1.0/groups?$top=1&$select=id',
      );
    }
    const someone = users?.value?.[0]?.id;
    if (this.wantsPhotos(options) && someone) {
      await probe(
        'Photos (ProfilePhoto.Read.All)',
        'ProfilePhoto.Read.All',
        `/v1.0/users/${encodeURIComponent(someone)}/photo`,
      );
    }
    if (missing.size > 0) {
      checks.push({
        name: 'Permissions',
        ok: false,
        message: `Missing application permission${missing.size > 1 ? 's' : ''}: ${[...missing].join(', ')}.`,
      });
    }
    return {
      ok: checks.every((check) => check.ok),
      checks,
      missingPermissions: [...missing],
    };
  }
}

/** JSON batching: at most 20 requests per batch. */
const BATCH_LIMIT = 20;

/** The answer to `POST /$batch`. */
interface BatchAnswer {
  responses?: {
    id: string;
    status: number;
    headers?: Record<string, string>;
    body?: Record<string, unknown>;
  }[];
}

function groupChange(group: ReturnType<typeof graphGroupSchema.parse>): GroupChange {
  if (group['@removed']) return { externalId: group.id, displayName: null };
  const change: GroupChange = { externalId: group.id, displayName: group.displayName ?? group.id };
  const delta = group['members@delta'];
  if (delta) {
    const users = delta.filter(
      (m) => !m['@odata.type'] || m['@odata.type'] === '#microsoft.graph.user',
    );
    change.members = {
      added: users.filter((m) => !m['@removed']).map((m) => m.id),
      removed: users.filter((m) => m['@removed']).map((m) => m.id),
    };
  }
  return change;
}

/** Graph no longer accepts the state token: 410 Gone, or its codes (nested ones included). */
function isExpiredToken(error: GraphError): boolean {
  return (
    error.status === 410 ||
    [error.code, ...error.innerCodes].some((code) =>
      /syncStateNotFound|resyncRequired|InvalidDeltaToken|ExpiredToken/i.test(code),
    ) ||
    (error.status === 400 && /delta ?token|sync state/i.test(error.message))
  );
}

function parseCursor(cursor: string | null): GraphCursor | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(cursor) as Partial<GraphCursor>;
    if (parsed.v === 1 && ['groups', 'users', 'done'].includes(parsed.phase ?? '')) {
      return parsed as GraphCursor;
    }
  } catch {
    // fall through
  }
  throw new CursorExpiredError('The saved Microsoft Graph cursor is unreadable; starting over');
}

function requireLink(link: string | undefined, what: string): string {
  if (!link) {
    throw new GraphError(
      `Microsoft Graph ended a ${what} page with neither @odata.nextLink nor @odata.deltaLink`,
      502,
      'invalid_page',
      what,
    );
  }
  return link;
}
