// The shared push target behaviour, run against the WordPress peer target: the peer is the
// sidecar's own SCIM service provider over its in-memory store, the local WordPress the
// in-memory plugin feed.
import { pino } from 'pino';
import { PeerClient } from '../../../src/connectors/wordpress-peer/client.js';
import type { CompanionClient } from '../../../src/connectors/wordpress-peer/companion.js';
import { WordPressPeerTarget } from '../../../src/connectors/wordpress-peer/index.js';
import { SqliteStore } from '../../../src/store/sqlite/index.js';
import type { PeerSettings } from '../../../src/wordpress/types.js';
import { FakeFeed } from '../../outbound/fake-feed.js';
import { startServer } from '../../scim/helpers.js';
import { pushTargetBehaviour } from '../behaviour.js';

const logger = pino({ level: 'silent' });
const TOKEN = 'us_entra';
const PEER_CONNECTION = 'entra-production'; // The connection of that token on the peer.

pushTargetBehaviour('WordPress peer', async () => {
  const server = await startServer();
  const feed = new FakeFeed();
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const companion = {
    clock: async (ids: string[]) => new Map(ids.map((id) => [id, {}])),
    sendPasswords: async () => [],
  } as unknown as CompanionClient;
  const peer: PeerSettings = {
    slug: 'child',
    name: 'Child site',
    scimUrl: server.base,
    token: TOKEN,
    push: true,
    roles: true,
    sendPasswords: false,
    acceptPasswords: false,
    includeAdministrators: false,
  };
  const target = (scimUrl: string) =>
    new WordPressPeerTarget({
      peer: { ...peer, scimUrl },
      feed: feed.asFeed(),
      store,
      logger,
      client: new PeerClient({ baseUrl: scimUrl, token: TOKEN, peerName: peer.name }),
      companion,
    });
  const remoteUsers = () =>
    [...server.dir.users.values()].filter((u) => u.connection === PEER_CONNECTION);
  return {
    target: target(server.base),
    // Nothing listens on port 1 of the loopback.
    unreachable: target('http://127.0.0.1:1/scim/v2'),
    config: feed.syncConfig,
    addUser: (login, input) => feed.addUser(login, input).id,
    updateUser(id, change) {
      Object.assign(feed.people.get(id)!, change);
    },
    deleteUser(id) {
      feed.people.delete(id);
    },
    async remote(id) {
      const user = remoteUsers().find((u) => u.resource.externalId === String(id));
      if (!user) return null;
      const name = user.resource.name as { givenName?: string } | undefined;
      return { firstName: name?.givenName ?? '', active: user.resource.active !== false };
    },
    remoteCount: async () => remoteUsers().length,
    async reset() {
      server.dir.users.clear();
      server.dir.groups.clear();
      feed.people.clear();
      await store.resetOutboundTarget('child');
    },
    async close() {
      await store.close();
      await server.close();
    },
  };
});
