// The behaviour every connector must show, whatever the system behind it, one suite per
// contract of connectors/types.ts: `connectorBehaviour` for pull sources (what the engine
// relies on) and `pushTargetBehaviour` for push targets (what the outbound pipeline relies
// on). A connector's test file calls the suite with a harness over its system's emulator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  CanonicalUser,
  Connector,
  DeliveryResult,
  OutboundTarget,
  PullOptions,
  PushProgress,
  SourcePage,
  UserChange,
} from '../../src/connectors/types.js';
import type { ChangeAction, SyncConfig } from '../../src/wordpress/types.js';

export interface SourceUserInput {
  userName: string;
  givenName: string;
  familyName: string;
  email: string;
}

export interface ConnectorHarness {
  connector: Connector;
  /** Same source, credentials refused. */
  badCredentials: Connector;
  /** Whether `pull(cursor)` returns only changes (else it lists everything each time). */
  incremental: boolean;
  /** How many users the source holds at start. */
  initialUsers: number;
  createUser(input: SourceUserInput): Promise<string>;
  updateUser(externalId: string, change: Partial<SourceUserInput>): Promise<void>;
  deleteUser(externalId: string): Promise<void>;
  close(): Promise<void>;
}

const options: PullOptions = { groupNames: [], attributes: [], photos: false };

async function collect(
  pages: AsyncIterable<SourcePage>,
  stopAfter = Infinity,
): Promise<{
  pages: SourcePage[];
  upserts: CanonicalUser[];
  deletes: string[];
  cursor: string | null;
}> {
  const result = {
    pages: [] as SourcePage[],
    upserts: [] as CanonicalUser[],
    deletes: [] as string[],
    cursor: null as string | null,
  };
  for await (const page of pages) {
    result.pages.push(page);
    result.upserts.push(...page.upserts);
    result.deletes.push(...page.deletes.map((d) => d.externalId));
    result.cursor = page.nextCursor;
    if (result.pages.length >= stopAfter) break;
  }
  return result;
}

export function connectorBehaviour(name: string, make: () => Promise<ConnectorHarness>): void {
  describe(`${name}: connector behaviour`, () => {
    let h: ConnectorHarness;
    before(async () => {
      h = await make();
    });
    after(async () => {
      await h.close();
    });

    it('lists every user once, in SCIM shape, in several pages marked full', async () => {
      const { pages, upserts } = await collect(h.connector.fullScan(options));
      assert.ok(pages.length > 1, 'the listing is paged');
      assert.ok(pages.every((page) => page.full));
      assert.equal(upserts.length, h.initialUsers);
      assert.equal(new Set(upserts.map((u) => u.externalId)).size, h.initialUsers);
      for (const user of upserts) {
        assert.ok(user.externalId);
        assert.equal(typeof user.attributes.userName, 'string');
        assert.equal(user.active, true);
        assert.equal(
          (user.attributes.name as { givenName?: unknown }).givenName !== undefined,
          true,
        );
      }
    });

    it('resumes from the cursor of any page without losing or repeating users', async () => {
      const first = await collect(h.connector.pull(null, options), 1);
      const rest = await collect(h.connector.pull(first.cursor, options));
      const ids = [...first.upserts, ...rest.upserts].map((u) => u.externalId);
      assert.equal(ids.length, h.initialUsers);
      assert.equal(new Set(ids).size, h.initialUsers);
    });

    it('reports creations, updates and deletions after the last cursor', async () => {
      const full = await collect(h.connector.pull(null, options));
      const created = await h.createUser({
        userName: 'grace.hopper',
        givenName: 'Grace',
        familyName: 'Hopper',
        email: 'grace.hopper@example.com',
      });
      const [changed, removed] = full.upserts.map((u) => u.externalId);
      await h.updateUser(changed!, { familyName: 'Changed' });
      await h.deleteUser(removed!);

      const next = await collect(h.connector.pull(full.cursor, options));
      const byId = new Map(next.upserts.map((u) => [u.externalId, u]));
      assert.ok(byId.has(created), 'the new user is reported');
      const grace = byId.get(created)!;
      assert.equal((grace.attributes.name as { familyName: string }).familyName, 'Hopper');
      assert.equal(
        (byId.get(changed!)!.attributes.name as { familyName: string }).familyName,
        'Changed',
      );
      if (h.incremental) {
        assert.equal(
          next.pages.some((p) => p.full),
          false,
          'changes only',
        );
        assert.ok(next.deletes.includes(removed!), 'the deletion is reported');
        assert.ok(next.upserts.length <= 3);
      } else {
        assert.ok(
          next.pages.every((p) => p.full),
          'a full listing',
        );
        assert.equal(byId.has(removed!), false, 'the deleted user is no longer listed');
        assert.equal(next.upserts.length, h.initialUsers);
      }
    });

    it('tests the connection: fine with good credentials, a clear failure without', async () => {
      const good = await h.connector.testConnection(options);
      assert.equal(good.ok, true, JSON.stringify(good.checks));
      assert.deepEqual(good.missingPermissions, []);
      const bad = await h.badCredentials.testConnection(options);
      assert.equal(bad.ok, false);
      assert.ok(bad.checks.some((check) => !check.ok && check.message.length > 10));
    });

    it('fails a pull with bad credentials instead of returning nothing', async () => {
      await assert.rejects(collect(h.badCredentials.pull(null, options)));
    });
  });
}

/** The pull source suite under the contract's name. */
export const pullSourceBehaviour = connectorBehaviour;

export interface LocalUserInput {
  firstName: string;
  lastName: string;
  active?: boolean;
}

/** What the target's system holds for a local user. */
export interface RemoteUser {
  firstName: string;
  active: boolean;
}

export interface PushTargetHarness {
  target: OutboundTarget;
  /** The same target whose system cannot be reached. */
  unreachable: OutboundTarget;
  config: SyncConfig;
  /** Local WordPress users (what the outbox feed describes). */
  addUser(login: string, input: LocalUserInput): number;
  updateUser(id: number, change: Partial<LocalUserInput>): void;
  deleteUser(id: number): void;
  /** The user the target's system holds for a local user, or null. */
  remote(id: number): Promise<RemoteUser | null>;
  /** How many users the target's system holds. */
  remoteCount(): Promise<number>;
  /** Forgets every local and remote user (between tests). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const NEVER = new AbortController().signal;

function userChange(userId: number, actions: ChangeAction[], changed: string[]): UserChange {
  return {
    userId,
    ids: [1],
    actions,
    changed,
    origins: ['local'],
    firstAt: new Date().toISOString(),
  };
}

export function pushTargetBehaviour(name: string, make: () => Promise<PushTargetHarness>): void {
  describe(`${name}: push target behaviour`, () => {
    let h: PushTargetHarness;
    before(async () => {
      h = await make();
    });
    after(async () => {
      await h.close();
    });

    const deliver = async (
      target: OutboundTarget,
      changes: UserChange[],
    ): Promise<Map<number, DeliveryResult>> =>
      target.deliver(changes, { config: h.config, signal: NEVER });

    const deliverOne = async (userId: number, actions: ChangeAction[], changed: string[]) => {
      const results = await deliver(h.target, [userChange(userId, actions, changed)]);
      const result = results.get(userId);
      assert.ok(result, 'a result for the user');
      if (!result.ok) throw result.error;
      return result.outcome;
    };

    it('describes itself and covers a new user', async () => {
      await h.reset();
      const description = h.target.describe();
      assert.equal(description.slug, h.target.slug);
      assert.equal(description.kind, h.target.kind);
      assert.ok(description.name.length > 0);
      const id = h.addUser('cover', { firstName: 'Cover', lastName: 'Test' });
      const change = {
        id: 1,
        userId: id,
        action: 'create' as const,
        changed: ['user_login'],
        origin: 'local',
        createdAt: new Date().toISOString(),
      };
      assert.equal(h.target.covers(change, h.config), true);
    });

    it('creates, updates, disables, re-enables and deletes a user', async () => {
      await h.reset();
      const id = h.addUser('ada', { firstName: 'Ada', lastName: 'Lovelace' });
      assert.equal((await deliverOne(id, ['create'], ['user_login'])).status, 'created');
      assert.deepEqual(await h.remote(id), { firstName: 'Ada', active: true });

      h.updateUser(id, { firstName: 'Augusta' });
      assert.equal((await deliverOne(id, ['update'], ['first_name'])).status, 'updated');
      assert.equal((await h.remote(id))?.firstName, 'Augusta');

      h.updateUser(id, { active: false });
      await deliverOne(id, ['disable'], ['active']);
      assert.equal((await h.remote(id))?.active, false);
      h.updateUser(id, { active: true });
      await deliverOne(id, ['enable'], ['active']);
      assert.equal((await h.remote(id))?.active, true);

      h.deleteUser(id);
      assert.equal((await deliverOne(id, ['delete'], [])).status, 'deleted');
      assert.equal(await h.remote(id), null);
    });

    it('is idempotent: a replayed change creates no second user', async () => {
      await h.reset();
      const id = h.addUser('grace', { firstName: 'Grace', lastName: 'Hopper' });
      await deliverOne(id, ['create'], ['user_login']);
      const count = await h.remoteCount();
      const again = await deliverOne(id, ['create'], ['user_login']);
      assert.notEqual(again.status, 'created');
      assert.equal(await h.remoteCount(), count);
    });

    it('answers each user of a batch on its own', async () => {
      await h.reset();
      const ids = ['alan', 'barbara', 'claude'].map((login) =>
        h.addUser(login, { firstName: login, lastName: 'Test' }),
      );
      const results = await deliver(
        h.target,
        ids.map((id) => userChange(id, ['create'], ['user_login'])),
      );
      assert.deepEqual([...results.keys()].sort(), [...ids].sort());
      for (const id of ids) assert.equal(results.get(id)?.ok, true);
      assert.equal(await h.remoteCount(), 3);
    });

    it('never throws for an unreachable system: each user gets a transient failure', async () => {
      await h.reset();
      const id = h.addUser('kept', { firstName: 'Kept', lastName: 'Back' });
      const results = await deliver(h.unreachable, [userChange(id, ['create'], ['user_login'])]);
      const result = results.get(id);
      assert.ok(result && !result.ok, 'a failure');
      assert.equal(result.error.transient, true);
      assert.ok(result.error.code.length > 0);
    });

    it('pushes every existing user, then skips those the target already has', async () => {
      await h.reset();
      for (const login of ['dora', 'edsger', 'frances'])
        h.addUser(login, { firstName: login, lastName: 'Test' });
      const seen: PushProgress[] = [];
      const context = {
        config: h.config,
        signal: NEVER,
        onProgress: async (progress: PushProgress) => {
          seen.push(progress);
        },
        onFailure: async (_userId: number, error: Error) => {
          throw error;
        },
      };
      const first = await h.target.fullPush(context);
      assert.equal(first.created, 3);
      assert.equal(first.failed, 0);
      assert.equal(await h.remoteCount(), 3);
      assert.ok(seen.length > 0, 'progress reported');
      const second = await h.target.fullPush(context);
      assert.equal(second.created, 0);
      assert.equal(second.unchanged + second.updated, 3);
      assert.equal(await h.remoteCount(), 3);
    });
  });
}
