// The WordPress peer target against a real SCIM service provider (the sidecar's own router over
// its in-memory store, standing in for the peer) and an in-memory local WordPress: what each
// kind of change sends, what it skips, how links and states are kept, how replays and
// collisions are handled, how two-way conflicts are decided, and the full push.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { PeerClient } from '../../../src/connectors/wordpress-peer/client.js';
import type {
  PeerClientOptions,
  PeerRequest,
  PeerResponse,
} from '../../../src/connectors/wordpress-peer/client.js';
import type { CompanionClient } from '../../../src/connectors/wordpress-peer/companion.js';
import { WordPressPeerTarget } from '../../../src/connectors/wordpress-peer/index.js';
import type { PeerSettings } from '../../../src/outbound/feed.js';
import { DeliveryError } from '../../../src/outbound/types.js';
import type { DeliveryResult, PushProgress, UserChange } from '../../../src/outbound/types.js';
import { SqliteStore } from '../../../src/store/sqlite/index.js';
import { FakeFeed } from '../../outbound/fake-feed.js';
import { startServer } from '../../scim/helpers.js';
import type { TestServer } from '../../scim/helpers.js';

const logger = pino({ level: 'silent' });
const PEER_CONNECTION = 'entra-production'; // The token us_entra's connection on the peer.

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
});

interface Harness {
  feed: FakeFeed;
  store: SqliteStore;
  target: WordPressPeerTarget;
  passwords: { id: string; hash: string }[];
  peerClock: Map<string, Record<string, string>>;
  deliver(
    userId: number,
    actions?: UserChange['actions'],
    changed?: string[],
  ): Promise<DeliveryResult>;
}

async function harness(
  settings: Partial<PeerSettings> = {},
  token = 'us_entra',
  makeClient = (options: PeerClientOptions) => new PeerClient(options),
): Promise<Harness> {
  const feed = new FakeFeed();
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const passwords: { id: string; hash: string }[] = [];
  const peerClock = new Map<string, Record<string, string>>();
  const companion = {
    clock: async (ids: string[]) => new Map(ids.map((id) => [id, peerClock.get(id) ?? {}])),
    sendPasswords: async (users: { id: string; hash: string }[]) => {
      passwords.push(...users);
      return users.map((u) => ({ id: Number(u.id), ok: true, status: 'updated' }));
    },
  } as unknown as CompanionClient;
  const peer: PeerSettings = {
    slug: 'child',
    name: 'Child site',
    scimUrl: server.base,
    token,
    push: true,
    roles: true,
    sendPasswords: false,
    acceptPasswords: false,
    includeAdministrators: false,
    ...settings,
  };
  const target = new WordPressPeerTarget({
    peer,
    feed: feed.asFeed(),
    store,
    logger,
    client: makeClient({ baseUrl: peer.scimUrl!, token, peerName: peer.name }),
    companion,
  });
  return {
    feed,
    store,
    target,
    passwords,
    peerClock,
    async deliver(userId, actions = ['update'], changed = ['first_name']) {
      const change: UserChange = {
        userId,
        ids: [1],
        actions,
        changed,
        origins: ['local'],
        firstAt: new Date().toISOString(),
      };
      const results = await target.deliver([change], {
        config: feed.syncConfig,
        signal: new AbortController().signal,
      });
      return results.get(userId)!;
    },
  };
}

/**
 * A client that watches the /Bulk requests it sends: how many are in flight, which users each
 * one carries, and (when asked) fails the nth one as an unreachable peer would.
 */
class WatchedClient extends PeerClient {
  inFlight = new Set<number>();
  maxInFlight = 0;
  /** Per /Bulk request: its first user id, and the first user ids of those in flight. */
  started: { first: number; alongside: number[] }[] = [];
  failAt: number | null = null;
  failedAt: number | null = null;
  startedAfterFailure = 0;

  override async request<T = Record<string, unknown>>(req: PeerRequest): Promise<PeerResponse<T>> {
    if (req.path !== '/Bulk') return super.request<T>(req);
    const first = Number((req.body as { Operations: { bulkId: string }[] }).Operations[0]!.bulkId);
    if (this.failedAt !== null) this.startedAfterFailure++;
    this.started.push({ first, alongside: [...this.inFlight] });
    const nth = this.started.length;
    this.inFlight.add(first);
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight.size);
    try {
      // A peer takes a while per request, so that requests overlap as they would.
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (nth === this.failAt) {
        this.failedAt = nth;
        throw new DeliveryError('The peer is unreachable', 'network_error', true);
      }
      return await super.request<T>(req);
    } finally {
      this.inFlight.delete(first);
    }
  }
}

/** A client whose role group changes fail (as an unreachable peer's would) while asked to. */
class GroupsFailingClient extends PeerClient {
  failGroups = false;

  override async request<T = Record<string, unknown>>(req: PeerRequest): Promise<PeerResponse<T>> {
    if (this.failGroups && req.method === 'PATCH' && req.path.startsWith('/Groups/'))
      throw new DeliveryError('The peer is unreachable', 'network_error', true);
    return super.request<T>(req);
  }
}

const ok = (result: DeliveryResult) => {
  if (!result.ok) throw result.error;
  return result.outcome;
};

/** The peer's users of our connection, by userName. */
const peerUser = (userName: string) =>
  [...server.dir.users.values()].find(
    (u) => u.connection === PEER_CONNECTION && u.resource.userName === userName,
  );

beforeEach(() => {
  server.dir.users.clear();
  server.dir.groups.clear();
});

describe('WordPress peer target', () => {
  it('creates a user with externalId = the local id, links it back, and sends its role as a group', async () => {
    const h = await harness();
    const ada = h.feed.addUser('ada', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      roles: ['editor'],
    });
    const outcome = ok(await h.deliver(ada.id, ['create'], ['user_login']));
    assert.equal(outcome.status, 'created');
    const remote = peerUser('ada');
    assert.ok(remote);
    assert.equal(remote.resource.externalId, String(ada.id));
    assert.deepEqual(remote.resource.name, { givenName: 'Ada', familyName: 'Lovelace' });
    assert.equal(ada.links.get('child'), remote.id, 'linked back to the peer id');
    const group = [...server.dir.groups.values()].find((g) => g.resource.displayName === 'editor');
    assert.ok(group?.members.has(remote.id), 'member of the role group');
    const state = (await h.store.getOutboundStates('child', [ada.id])).get(ada.id);
    assert.equal(state?.remoteId, remote.id);
    assert.deepEqual(state?.roles, ['editor']);
  });

  it('sends nothing when the mapped values equal what the peer last confirmed', async () => {
    const h = await harness();
    const ada = h.feed.addUser('ada');
    ok(await h.deliver(ada.id, ['create']));
    const before = h.target.requests;
    const outcome = ok(await h.deliver(ada.id, ['update'], ['first_name']));
    assert.equal(outcome.status, 'unchanged');
    assert.equal(h.target.requests, before, 'no request at all');
  });

  it('updates only the attributes that changed, leaving the peer’s other attributes alone', async () => {
    const h = await harness();
    const ada = h.feed.addUser('ada', { firstName: 'Ada' });
    ok(await h.deliver(ada.id, ['create']));
    const remote = peerUser('ada')!;
    remote.resource.title = 'Set on the peer';
    ada.firstName = 'Augusta';
    assert.equal(ok(await h.deliver(ada.id)).status, 'updated');
    assert.equal(
      peerUser('ada')!.resource.name &&
        (peerUser('ada')!.resource.name as { givenName: string }).givenName,
      'Augusta',
    );
    assert.equal(peerUser('ada')!.resource.title, 'Set on the peer');
  });

  it('disables, re-enables and deletes', async () => {
    const h = await harness();
    const ada = h.feed.addUser('ada');
    ok(await h.deliver(ada.id, ['create']));
    ada.active = false;
    ok(await h.deliver(ada.id, ['disable'], ['active', 'roles']));
    assert.equal(peerUser('ada')!.resource.active, false);
    ada.active = true;
    ok(await h.deliver(ada.id, ['enable'], ['active', 'roles']));
    assert.equal(peerUser('ada')!.resource.active, true);
    h.feed.people.delete(ada.id);
    assert.equal(ok(await h.deliver(ada.id, ['delete'], [])).status, 'deleted');
    assert.equal(peerUser('ada'), undefined);
    assert.equal((await h.store.getOutboundStates('child', [ada.id])).size, 0, 'state forgotten');
  });

  it('moves the user between role groups when its roles change', async () => {
    const h = await harness();
    const ada = h.feed.addUser('ada', { roles: ['author'] });
    ok(await h.deliver(ada.id, ['create']));
    ada.roles = ['editor'];
    assert.equal(ok(await h.deliver(ada.id, ['update'], ['roles'])).status, 'updated');
    const remoteId = peerUser('ada')!.id;
    const byName = (name: string) =>
      [...server.dir.groups.values()].find((g) => g.resource.displayName === name);
    assert.equal(byName('author')?.members.has(remoteId), false);
    assert.equal(byName('editor')?.members.has(remoteId), true);
  });

  it('finds the user a lost answer already created instead of creating it twice', async () => {
    const h = await harness();
    const ada = h.feed.addUser('ada');
    ok(await h.deliver(ada.id, ['create']));
    // The sidecar died before it recorded anything: no state, no link.
    await h.store.resetOutboundTarget('child');
    ada.links.clear();
    const users = server.dir.users.size;
    const outcome = ok(await h.deliver(ada.id, ['create']));
    assert.equal(server.dir.users.size, users, 'no second user');
    assert.notEqual(outcome.status, 'created');
    assert.equal(ada.links.get('child'), peerUser('ada')!.id);
  });

  it('refuses for good when the peer has an unlinked user with the same login', async () => {
    const h = await harness();
    const created = await server.call(
      'POST',
      '/Users',
      { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada' },
      { token: 'us_okta' },
    );
    assert.equal(created.status, 201);
    const ada = h.feed.addUser('ada');
    const result = await h.deliver(ada.id, ['create']);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.error.transient, false);
    assert.equal(result.error.code, 'uniqueness');
    assert.match(result.error.message, /already has a user with the login "ada"/);
  });

  it('leaves out administrators (unless asked) and the service user', async () => {
    const h = await harness();
    const admin = h.feed.addUser('boss', { roles: ['administrator'] });
    const service = h.feed.addUser('usersync-service', { roles: ['usersync_service'] });
    assert.equal(ok(await h.deliver(admin.id, ['create'])).status, 'excluded');
    assert.equal(ok(await h.deliver(service.id, ['create'])).status, 'excluded');
    assert.equal(server.dir.users.size, 0);
    const withAdmins = await harness({ includeAdministrators: true });
    const boss = withAdmins.feed.addUser('boss', { roles: ['administrator'] });
    assert.equal(ok(await withAdmins.deliver(boss.id, ['create'])).status, 'created');
  });

  it('reports a refused token and an unreachable peer as transient failures', async () => {
    const h = await harness({}, 'us_nobody');
    const ada = h.feed.addUser('ada');
    const refused = await h.deliver(ada.id, ['create']);
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.equal(refused.error.code, 'peer_token_refused');
      assert.equal(refused.error.transient, true);
    }

    const feed = new FakeFeed();
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const unreachable = new WordPressPeerTarget({
      peer: {
        slug: 'child',
        name: 'Child site',
        scimUrl: 'http://127.0.0.1:9/scim/v2',
        token: 'us_entra',
        push: true,
        roles: true,
        sendPasswords: false,
        acceptPasswords: false,
        includeAdministrators: false,
      },
      feed: feed.asFeed(),
      store,
      logger,
    });
    const ben = feed.addUser('ben');
    const results = await unreachable.deliver(
      [
        {
          userId: ben.id,
          ids: [1],
          actions: ['create'],
          changed: [],
          origins: ['local'],
          firstAt: '',
        },
      ],
      { config: feed.syncConfig, signal: new AbortController().signal },
    );
    const result = results.get(ben.id)!;
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.ok(result.error instanceof DeliveryError);
      assert.equal(result.error.code, 'peer_unreachable');
      assert.equal(result.error.transient, true);
    }
  });

  it('two-way: sends what only this site changed, keeps what only the peer changed, and lets the later change win a conflict', async () => {
    const h = await harness();
    h.feed.inbound.add('child'); // The peer writes to this site too.
    const ada = h.feed.addUser('ada', { firstName: 'Ada', lastName: 'Lovelace', nickname: 'ada' });
    ok(await h.deliver(ada.id, ['create']));
    const remote = peerUser('ada')!;

    // Both sides change things while apart.
    ada.firstName = 'Here First'; // conflict: this site later
    ada.lastName = 'Here Last'; // conflict: the peer later
    ada.displayName = 'Only Here'; // only here
    remote.resource.name = { givenName: 'There First', familyName: 'There Last' };
    remote.resource.nickName = 'only-there'; // only there
    h.feed.clocks.set(ada.id, {
      first_name: '2025-05-01T10:00:02.000000Z',
      last_name: '2025-05-01T10:00:00.000000Z',
    });
    h.peerClock.set(remote.id, {
      first_name: '2025-05-01T10:00:01.000000Z',
      last_name: '2025-05-01T10:00:01.500000Z',
    });

    assert.equal(
      ok(await h.deliver(ada.id, ['update'], ['first_name', 'last_name', 'display_name'])).status,
      'updated',
    );
    const after = peerUser('ada')!.resource;
    assert.deepEqual(after.name, { givenName: 'Here First', familyName: 'There Last' });
    assert.equal(after.displayName, 'Only Here');
    assert.equal(after.nickName, 'only-there', 'a change only the peer made is not overwritten');

    const conflicts = h.feed.auditLog.filter((e) => e.action === 'conflict');
    assert.deepEqual(
      conflicts.map((e) => [e.fields, e.result]),
      [
        [['first_name'], 'success'],
        [['last_name'], 'skipped'],
      ],
    );
    assert.match(conflicts[0]!.message!, /overwrote "There First" on Child site/);
    assert.match(conflicts[1]!.message!, /"There Last".*overwrites this site's "Here Last"/);

    // Once the peer's change arrives here, nothing is sent back (no ping-pong).
    ada.lastName = 'There Last';
    ada.nickname = 'only-there';
    const before = h.target.requests;
    assert.equal(
      ok(await h.deliver(ada.id, ['update'], ['last_name', 'nickname'])).status,
      'unchanged',
    );
    assert.equal(h.target.requests, before);
  });

  it('sends the password hash of a new user and of a changed password when enabled', async () => {
    const h = await harness({ sendPasswords: true });
    const ada = h.feed.addUser('ada');
    ok(await h.deliver(ada.id, ['create']));
    assert.deepEqual(h.passwords, [{ id: peerUser('ada')!.id, hash: ada.pass }]);
    ada.pass = '$P$Bnewhashnewhashnewhashnewhash1';
    assert.equal(ok(await h.deliver(ada.id, ['password'], ['password'])).status, 'updated');
    assert.equal(h.passwords.at(-1)?.hash, ada.pass);
    const off = await harness();
    const ben = off.feed.addUser('ben');
    ok(await off.deliver(ben.id, ['create']));
    assert.deepEqual(off.passwords, [], 'off by default');
  });

  it('pushes every user through /Bulk, then finds nothing to do on a second push', async () => {
    const h = await harness();
    for (let i = 0; i < 7; i++) h.feed.addUser(`user${i}`, { firstName: `User ${i}` });
    h.feed.addUser('boss', { roles: ['administrator'] });
    const progress: PushProgress[] = [];
    const push = () =>
      h.target.fullPush({
        config: h.feed.syncConfig,
        signal: new AbortController().signal,
        onProgress: async (p) => {
          progress.push(p);
        },
        onFailure: async (_id, error) => {
          throw error;
        },
      });
    const first = await push();
    assert.deepEqual(
      [first.processed, first.total, first.created, first.unchanged, first.failed],
      [8, 8, 7, 1, 0],
    );
    assert.ok(
      server.dir.batches.some((size) => size === 7),
      'the creates went as one batch',
    );
    assert.equal(peerUser('user3')?.resource.externalId, '4');
    const second = await push();
    assert.deepEqual([second.created, second.updated, second.unchanged], [0, 0, 8]);
    assert.ok(progress.length >= 2);
  });

  const pushOf = (h: Harness, progress: PushProgress[] = []) =>
    h.target.fullPush({
      config: h.feed.syncConfig,
      signal: new AbortController().signal,
      onProgress: async (p) => {
        progress.push(p);
      },
      onFailure: async (_id, error) => {
        throw error;
      },
    });

  it('keeps three /Bulk requests in flight across page boundaries, and records pages in order', async () => {
    let client: WatchedClient | null = null;
    const h = await harness({ roles: false }, 'us_entra', (options) => {
      client = new WatchedClient(options);
      return client;
    });
    const ids = Array.from({ length: 1250 }, (_, i) => h.feed.addUser(`many${i}`).id);
    const pageOf = (id: number) => Math.floor(ids.indexOf(id) / 500);
    const progress: PushProgress[] = [];
    const result = await pushOf(h, progress);
    assert.deepEqual([result.created, result.failed, result.processed], [1250, 0, 1250]);
    const watched = client! as WatchedClient;
    assert.equal(watched.started.length, 13, '100 users a request');
    assert.equal(watched.maxInFlight, 3, 'never more than three in flight');
    assert.ok(
      watched.started.some(
        ({ first, alongside }) =>
          pageOf(first) > 0 && alongside.some((other) => pageOf(other) < pageOf(first)),
      ),
      'a page’s first request starts while the page before still has one in flight',
    );
    assert.deepEqual(
      progress.map((p) => p.processed),
      [500, 1000, 1250],
      'pages complete in order',
    );
    const ours = [...server.dir.users.values()].filter((u) => u.connection === PEER_CONNECTION);
    assert.equal(ours.length, 1250);
    for (const user of h.feed.people.values())
      assert.ok(user.links.get('child'), `user ${user.id} is linked`);
  });

  it('saves no outbound state before the roles are sent: the next push repairs a push whose roles failed', async () => {
    let client: GroupsFailingClient | null = null;
    const h = await harness({}, 'us_entra', (options) => {
      client = new GroupsFailingClient(options);
      return client;
    });
    const ids = Array.from(
      { length: 30 },
      (_, i) => h.feed.addUser(`role${i}`, { roles: ['editor'] }).id,
    );
    const failing = client! as GroupsFailingClient;
    failing.failGroups = true;
    await assert.rejects(pushOf(h), /unreachable/);
    const states = await h.store.getOutboundStates('child', ids);
    assert.equal(states.size, 0, 'no state says the roles were sent');

    failing.failGroups = false;
    const second = await pushOf(h);
    assert.deepEqual([second.failed, second.processed], [0, 30]);
    const ours = [...server.dir.users.values()].filter((u) => u.connection === PEER_CONNECTION);
    assert.equal(ours.length, 30, 'nobody created twice');
    const group = [...server.dir.groups.values()].find((g) => g.resource.displayName === 'editor');
    for (const user of ours)
      assert.ok(
        group?.members.has(user.id),
        `${String(user.resource.userName)} is an editor there`,
      );
    const after = await h.store.getOutboundStates('child', ids);
    for (const id of ids) assert.deepEqual(after.get(id)?.roles, ['editor'], `state of ${id}`);
    for (const id of ids)
      assert.equal(h.feed.people.get(id)?.links.get('child'), after.get(id)?.remoteId);
  });

  it('sends nothing after a failed /Bulk, keeps the pages before it, and a second push creates nobody twice', async () => {
    let client: WatchedClient | null = null;
    const h = await harness({ roles: false }, 'us_entra', (options) => {
      client = new WatchedClient(options);
      return client;
    });
    for (let i = 0; i < 1250; i++) h.feed.addUser(`many${i}`);
    const watched = () => client! as WatchedClient;
    watched().failAt = 7; // The second request of the second page.
    const progress: PushProgress[] = [];
    await assert.rejects(pushOf(h, progress), /unreachable/);
    assert.equal(watched().inFlight.size, 0, 'nothing left in flight when the push ends');
    assert.equal(watched().startedAfterFailure, 0, 'nothing sent after the failure');
    assert.deepEqual(
      progress.map((p) => p.processed),
      [500],
      'the first page, all answered, is recorded',
    );
    const linkedAfterFailure = [...h.feed.people.values()].filter((u) => u.links.has('child'));
    assert.equal(linkedAfterFailure.length, 500);

    watched().failAt = null;
    watched().failedAt = null;
    const second = await pushOf(h);
    assert.equal(second.failed, 0);
    assert.equal(second.processed, 1250);
    // The recorded page is skipped; users a request in flight beside the failed one created
    // are found on the peer (its answer was never recorded), not created again.
    assert.ok(second.unchanged >= 500, `${second.unchanged} unchanged`);
    assert.equal(second.created + second.unchanged, 1250);
    const ours = [...server.dir.users.values()].filter((u) => u.connection === PEER_CONNECTION);
    assert.equal(ours.length, 1250, 'no user created twice');
    const linked = new Set([...h.feed.people.values()].map((u) => u.links.get('child')));
    assert.equal(linked.size, 1250, 'each user linked to its own peer user');
    assert.ok(!linked.has(undefined));
  });
});
