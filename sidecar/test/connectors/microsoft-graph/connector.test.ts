// What is particular to Microsoft Graph: clouds, sign-in errors, the token cache, throttling
// and retries, paging-link safety, $select from the attribute map, delta semantics (@removed,
// expired tokens, groups), photos, B2C identities, and Test connection naming the missing
// permission.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startGraphEmulator } from '../../../../e2e/src/emulators/microsoft-graph/index.js';
import type { GraphEmulator } from '../../../../e2e/src/emulators/microsoft-graph/index.js';
import type { GraphError } from '../../../src/connectors/microsoft-graph/index.js';
import {
  GraphSettingsError,
  MicrosoftGraphConnector,
  parseGraphSettings,
} from '../../../src/connectors/microsoft-graph/index.js';
import { rolesOf } from '../../../src/connectors/microsoft-graph/client.js';
import { GRAPH_EXTENSION, selectFor } from '../../../src/connectors/microsoft-graph/mapper.js';
import type { PullOptions, SourcePage } from '../../../src/connectors/types.js';
import { CursorExpiredError } from '../../../src/connectors/types.js';
import { readPath } from '../../../src/engine/mapping.js';
import { json, scriptedServer } from '../../helpers/http-server.js';

const plain: PullOptions = { groupNames: [], attributes: [], photos: false };

async function all(pages: AsyncIterable<SourcePage>) {
  const list: SourcePage[] = [];
  for await (const page of pages) list.push(page);
  return list;
}

function connectorFor(emulator: GraphEmulator, extra: Record<string, unknown> = {}) {
  return new MicrosoftGraphConnector(
    {
      tenantId: emulator.tenantId,
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      authorityUrl: emulator.url,
      graphUrl: emulator.url,
      pageSize: 10,
      ...extra,
    },
    { backoffMs: 5, maxDelayMs: 3_000 },
  );
}

describe('Microsoft Graph settings', () => {
  it('resolves each cloud to its sign-in and Graph endpoints', () => {
    const base = { tenantId: 't', clientId: 'c', clientSecret: 's' };
    assert.deepEqual(parseGraphSettings(base).endpoints, {
      authorityUrl: 'https://login.microsoftonline.com',
      graphUrl: 'https://graph.microsoft.com',
    });
    assert.deepEqual(parseGraphSettings({ ...base, cloud: 'usgov' }).endpoints, {
      authorityUrl: 'https://login.microsoftonline.us',
      graphUrl: 'https://graph.microsoft.us',
    });
    assert.deepEqual(parseGraphSettings({ ...base, cloud: 'usgovdod' }).endpoints, {
      authorityUrl: 'https://login.microsoftonline.us',
      graphUrl: 'https://dod-graph.microsoft.us',
    });
    assert.deepEqual(parseGraphSettings({ ...base, cloud: 'china' }).endpoints, {
      authorityUrl: 'https://login.chinacloudapi.cn',
      graphUrl: 'https://microsoftgraph.chinacloudapi.cn',
    });
    const custom = parseGraphSettings({
      ...base,
      authorityUrl: 'http://127.0.0.1:1234/',
      graphUrl: 'http://127.0.0.1:1234',
    });
    assert.equal(custom.endpoints.authorityUrl, 'http://127.0.0.1:1234');
    assert.equal(custom.pageSize, 500);
  });

  it('explains what is wrong with a connection', () => {
    assert.throws(
      () => parseGraphSettings({ tenantId: '', clientId: 'c', pageSize: 5000 }),
      (error: Error) =>
        error instanceof GraphSettingsError &&
        /tenantId/.test(error.message) &&
        /clientSecret/.test(error.message) &&
        /pageSize/.test(error.message),
    );
  });
});

describe('Microsoft Graph connector', () => {
  let emulator: GraphEmulator;
  before(async () => {
    emulator = await startGraphEmulator({ users: 30, seed: 'connector' });
  });
  after(async () => {
    await emulator.close();
  });
  afterEach(() => {
    emulator.clearFaults();
    emulator.reset({ seed: 'connector', users: 30, b2c: false });
  });

  it('signs in once and reuses the token until it nearly expires', async () => {
    const connector = connectorFor(emulator);
    const before = emulator.stats.requests['POST /{tenant}/oauth2/v2.0/token'] ?? 0;
    await all(connector.pull(null, plain));
    await all(connector.pull(null, plain));
    assert.equal((emulator.stats.requests['POST /{tenant}/oauth2/v2.0/token'] ?? 0) - before, 1);
    const token = await connector.client.accessToken();
    assert.deepEqual(token.roles, [
      'User.Read.All',
      'GroupMember.Read.All',
      'ProfilePhoto.Read.All',
    ]);
    assert.ok(token.expiresAt > Date.now() + 3_000_000);
  });

  it('names the sign-in problem an admin can fix', async () => {
    const cases: [Record<string, unknown>, RegExp, number][] = [
      [{ clientSecret: 'nope' }, /client secret is wrong/, 7000215],
      [{ clientId: 'unknown-app' }, /No application with this client id/, 700016],
      [{ tenantId: 'fabrikam.onmicrosoft.com' }, /tenant was not found/, 90002],
    ];
    for (const [settings, message, aadsts] of cases) {
      const connector = connectorFor(emulator, settings);
      await assert.rejects(connector.client.accessToken(), (error: GraphError) => {
        assert.match(error.message, message);
        assert.deepEqual(error.aadsts, [aadsts]);
        return true;
      });
    }
  });

  it('honours Retry-After on 429 and 503, and retries 5xx and dropped connections', async () => {
    const connector = connectorFor(emulator);
    emulator.addFault({ status: 429, retryAfter: 1, count: 1, match: '/users/delta' });
    emulator.addFault({ status: 503, retryAfter: 0, count: 1, match: '/users/delta' });
    emulator.addFault({ status: 500, count: 1, match: '/users/delta' });
    emulator.addFault({ drop: true, count: 1, match: '/users/delta' });
    const started = Date.now();
    const pages = await all(connector.pull(null, plain));
    assert.ok(Date.now() - started >= 1_000, 'waited the Retry-After second');
    assert.equal(pages.flatMap((p) => p.upserts).length, 30);
    assert.equal(connector.client.throttled, 2);
  });

  it('gives up after its retries with Graph’s error code and message', async () => {
    const connector = connectorFor(emulator, { retries: 2 });
    emulator.addFault({ status: 503, retryAfter: 0, match: '/users/delta' });
    await assert.rejects(all(connector.pull(null, plain)), (error: GraphError) => {
      assert.equal(error.status, 503);
      assert.equal(error.code, 'serviceNotAvailable');
      assert.match(error.message, /temporarily unavailable/);
      return true;
    });
  });

  it('refreshes a token Graph stops accepting', async () => {
    const short = await startGraphEmulator({ users: 5, tokenLifetime: 1 });
    try {
      const connector = connectorFor(short);
      await all(connector.pull(null, plain));
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const pages = await all(connector.pull(null, plain));
      assert.equal(pages.flatMap((p) => p.upserts).length, 5);
    } finally {
      await short.close();
    }
  });

  it('reads the nested innerError codes of a Graph error', async () => {
    const graph = await scriptedServer((req, res) => {
      if (req.url.pathname.endsWith('/token')) {
        return json(res, 200, { access_token: 'x.e30.y', expires_in: 3600, token_type: 'Bearer' });
      }
      json(res, 400, {
        error: {
          code: 'badRequest',
          message: 'The delta token is no longer valid.',
          innerError: { code: 'invalidDeltaToken', innerError: { code: 'syncStateNotFound' } },
        },
      });
    });
    try {
      const connector = new MicrosoftGraphConnector({
        tenantId: 't',
        clientId: 'c',
        clientSecret: 's',
        authorityUrl: graph.url,
        graphUrl: graph.url,
      });
      await assert.rejects(connector.client.getJson('/v1.0/users'), (error: GraphError) => {
        assert.equal(error.code, 'badRequest');
        assert.deepEqual(error.innerCodes, ['invalidDeltaToken', 'syncStateNotFound']);
        assert.match(error.message, /badRequest\/invalidDeltaToken\/syncStateNotFound/);
        return true;
      });
      // A saved delta link answered so is expired: the engine starts over.
      const saved = JSON.stringify({
        v: 1,
        phase: 'done',
        full: false,
        users: `${graph.url}/v1.0/users/delta?$deltatoken=old`,
        groups: null,
      });
      await assert.rejects(all(connector.pull(saved, plain)), CursorExpiredError);
    } finally {
      await graph.close();
    }
  });

  it('never follows a paging link to another host', async () => {
    const rogue = await scriptedServer((req, res) => {
      if (req.url.pathname.endsWith('/token')) {
        return json(res, 200, { access_token: 'x.e30.y', expires_in: 3600, token_type: 'Bearer' });
      }
      json(res, 200, {
        value: [],
        '@odata.nextLink': 'http://evil.example/v1.0/users/delta?$skiptoken=1',
      });
    });
    try {
      const connector = new MicrosoftGraphConnector({
        tenantId: 't',
        clientId: 'c',
        clientSecret: 's',
        authorityUrl: rogue.url,
        graphUrl: rogue.url,
      });
      await assert.rejects(all(connector.pull(null, plain)), /another host/);
      assert.equal(rogue.requests.filter((r) => r.url.pathname.includes('delta')).length, 1);
    } finally {
      await rogue.close();
    }
  });

  it('selects what the attribute map reads, including raw Graph properties', async () => {
    const connector = connectorFor(emulator);
    const attributes = [`${GRAPH_EXTENSION}:officeLocation`, 'userName'];
    assert.ok(selectFor(attributes, false).includes('officeLocation'));
    assert.ok(!selectFor([], false).includes('officeLocation'));
    const [page] = (await all(connector.pull(null, { ...plain, attributes }))).filter(
      (p) => p.upserts.length > 0,
    );
    const user = page!.upserts[0]!;
    assert.match(String(readPath(user.attributes, `${GRAPH_EXTENSION}:officeLocation`)), /\d/);
    assert.equal(
      readPath(user.attributes, 'emails[primary].value'),
      emulator.directory.user(user.externalId).props.mail,
    );
    assert.equal(
      readPath(
        user.attributes,
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
      ),
      emulator.directory.user(user.externalId).props.employeeId,
    );
    const delta = emulator.stats.requests['GET /v1.0/users/delta'];
    assert.ok(delta && delta > 0);
  });

  it('reports @removed as permanent (deleted) or not (changed), and disabled accounts', async () => {
    const connector = connectorFor(emulator);
    const first = await all(connector.pull(null, plain));
    const cursor = first.at(-1)!.nextCursor;
    const [a, b, c] = emulator.directory.userOrder;
    emulator.directory.deleteUser(a!);
    emulator.directory.deleteUser(b!, true);
    emulator.directory.updateUser(c!, { accountEnabled: false });
    const next = await all(connector.pull(cursor, plain));
    const deletes = next.flatMap((p) => p.deletes);
    assert.deepEqual(
      deletes.sort((x, y) => x.externalId.localeCompare(y.externalId)),
      [
        { externalId: a!, permanent: false },
        { externalId: b!, permanent: true },
      ].sort((x, y) => x.externalId.localeCompare(y.externalId)),
    );
    const disabled = next.flatMap((p) => p.upserts);
    assert.equal(disabled.length, 1);
    assert.equal(disabled[0]?.active, false);
    assert.equal(disabled[0]?.attributes.active, false);
  });

  it('raises CursorExpiredError when Graph no longer knows the delta token', async () => {
    const connector = connectorFor(emulator);
    const first = await all(connector.pull(null, plain));
    emulator.expireDeltaTokens();
    await assert.rejects(all(connector.pull(first.at(-1)!.nextCursor, plain)), CursorExpiredError);
    await assert.rejects(all(connector.pull('not json', plain)), CursorExpiredError);
  });

  it('tracks group membership with groups delta, before the users', async () => {
    const connector = connectorFor(emulator);
    const options = { ...plain, groupNames: ['Site Editors'] };
    const first = await all(connector.pull(null, options));
    assert.ok(first[0]!.groups && first[0]!.upserts.length === 0, 'groups come first');
    const editors = first
      .flatMap((p) => p.groups ?? [])
      .filter((g) => g.displayName === 'Site Editors');
    const members = editors.flatMap((g) =>
      g.members && 'added' in g.members ? g.members.added : [],
    );
    assert.equal(members.length, 3);
    const group = [...emulator.directory.groups.values()].find(
      (g) => g.displayName === 'Site Editors',
    )!;
    emulator.directory.updateGroup(group.id, {
      add: [emulator.directory.userOrder[5]!],
      remove: [members[0]!],
    });
    const next = await all(connector.pull(first.at(-1)!.nextCursor, options));
    const change = next.flatMap((p) => p.groups ?? []).find((g) => g.externalId === group.id);
    assert.deepEqual(change?.members, {
      added: [emulator.directory.userOrder[5]],
      removed: [members[0]],
    });
    emulator.directory.deleteGroup(group.id);
    const last = await all(connector.pull(next.at(-1)!.nextCursor, options));
    assert.deepEqual(
      last.flatMap((p) => p.groups ?? []),
      [{ externalId: group.id, displayName: null }],
    );
  });

  it('splits big groups over several delta items without losing members', async () => {
    const big = await startGraphEmulator({ users: 1_200, photoEvery: 0 });
    try {
      const connector = connectorFor(big);
      const pages = await all(connector.pull(null, { ...plain, groupNames: ['All Staff'] }));
      const staff = pages
        .flatMap((p) => p.groups ?? [])
        .filter((g) => g.displayName === 'All Staff');
      assert.ok(staff.length > 1, 'All Staff arrives in parts');
      const members = new Set(
        staff.flatMap((g) => (g.members && 'added' in g.members ? g.members.added : [])),
      );
      assert.equal(members.size, 1_200);
    } finally {
      await big.close();
    }
  });

  it('fetches photo versions, and the bytes only on demand', async () => {
    const connector = connectorFor(emulator);
    const pages = await all(connector.pull(null, { ...plain, photos: true }));
    const users = pages.flatMap((p) => p.upserts);
    const withPhoto = users.filter((u) => u.photo);
    assert.equal(withPhoto.length, 3);
    assert.equal(users.filter((u) => u.photo === null).length, 27);
    assert.equal(emulator.stats.requests['GET /v1.0/users/{id}/photo/$value'] ?? 0, 0);
    const photo = await withPhoto[0]!.photo!.load();
    assert.equal(photo.contentType, 'image/png');
    assert.equal(photo.data.subarray(1, 4).toString(), 'PNG');
  });

  it('lists a B2C tenant in full with its identities, never asking for delta', async () => {
    emulator.reset({ seed: 'b2c', users: 12, b2c: true });
    const connector = connectorFor(emulator, { b2c: true, pageSize: 5 });
    const pages = await all(connector.pull(null, { ...plain, groupNames: ['Site Editors'] }));
    const users = pages.flatMap((p) => p.upserts);
    assert.equal(users.length, 12);
    assert.ok(pages.every((p) => p.full));
    // B2C has no advanced queries: no $count is asked for, so no total.
    assert.ok(pages.every((p) => p.total === undefined));
    assert.equal(emulator.stats.requests['GET /v1.0/users/$count'] ?? 0, 0);
    const user = users[0]!;
    const email = readPath(
      user.attributes,
      'identities[signInType eq "emailAddress"].issuerAssignedId',
    );
    assert.match(String(email), /@example\.com$/);
    assert.equal(user.attributes.userName, email);
    const groups = pages.flatMap((p) => p.groups ?? []);
    assert.deepEqual(groups.find((g) => g.displayName === 'Site Editors')?.members, {
      all: [emulator.directory.userOrder[0], emulator.directory.userOrder[10]],
    });
    assert.equal(emulator.stats.requests['GET /v1.0/users/delta'] ?? 0, 0);
    // The real service refuses delta queries on B2C tenants; the emulator too.
    const token = await connector.client.accessToken();
    const refused = await fetch(`${emulator.url}/v1.0/users/delta`, {
      headers: { Authorization: `Bearer ${token.value}` },
    });
    assert.equal(refused.status, 400);
    // A cursor saved after a completed scan starts the next full scan.
    const again = await all(connector.pull(pages.at(-1)!.nextCursor, plain));
    assert.equal(again.flatMap((p) => p.upserts).length, 12);
  });

  it('names exactly the permission the application lacks', async () => {
    emulator.apps.set('reader-only', {
      clientId: 'reader-only',
      clientSecret: 'secret',
      roles: ['User.Read.All'],
    });
    emulator.apps.set('nothing', { clientId: 'nothing', clientSecret: 'secret', roles: [] });
    const options = { ...plain, groupNames: ['Site Editors'], photos: true };

    const reader = connectorFor(emulator, { clientId: 'reader-only', clientSecret: 'secret' });
    const partial = await reader.testConnection(options);
    assert.equal(partial.ok, false);
    assert.deepEqual(partial.missingPermissions, ['GroupMember.Read.All']);
    const groups = partial.checks.find((c) => c.name.startsWith('Read group members'));
    assert.equal(groups?.ok, false);
    assert.match(groups!.message, /GroupMember\.Read\.All/);

    const none = connectorFor(emulator, { clientId: 'nothing', clientSecret: 'secret' });
    const result = await none.testConnection(options);
    assert.deepEqual(result.missingPermissions.sort(), ['GroupMember.Read.All', 'User.Read.All']);
    assert.match(result.checks.at(-1)!.message, /Missing application permissions: /);

    emulator.apps.set('directory', {
      clientId: 'directory',
      clientSecret: 'secret',
      roles: ['Directory.Read.All'],
    });
    const directory = connectorFor(emulator, { clientId: 'directory', clientSecret: 'secret' });
    const photos = await directory.testConnection(options);
    assert.deepEqual(photos.missingPermissions, ['ProfilePhoto.Read.All']);

    const full = await connectorFor(emulator).testConnection(options);
    assert.equal(full.ok, true, JSON.stringify(full.checks));
  });

  it('reads the roles claim of an access token', () => {
    const payload = Buffer.from(JSON.stringify({ roles: ['User.Read.All'] })).toString('base64url');
    assert.deepEqual(rolesOf(`h.${payload}.s`), ['User.Read.All']);
    assert.deepEqual(rolesOf(`h.${Buffer.from('{}').toString('base64url')}.s`), []);
    assert.equal(rolesOf('opaque'), null);
  });
});
