import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WordPressClient } from '../../src/wordpress/client.js';
import { WordPressPlugin, WordPressResponseError } from '../../src/wordpress/plugin.js';
import { scimErrorFromWordPress } from '../../src/scim/wordpress-repository.js';
import { json, scriptedServer } from '../helpers/http-server.js';

type Server = Awaited<ReturnType<typeof scriptedServer>>;
let server: Server | undefined;
afterEach(async () => server?.close());

/** A plugin whose every route answers `body` for `route`, and 404 rest_no_route otherwise. */
async function pluginAnswering(answers: Record<string, unknown>) {
  server = await scriptedServer((req, res) => {
    const route = req.url.searchParams.get('rest_route') ?? '';
    if (route in answers) json(res, 200, answers[route]);
    else json(res, 404, { code: 'rest_no_route', message: 'No route', data: { status: 404 } });
  });
  return new WordPressPlugin(
    new WordPressClient({ baseUrl: server.url, user: 'svc', appPassword: 'pw', retries: 0 }),
  );
}

const snapshot = {
  id: 7,
  login: 'ada',
  email: 'ada@example.com',
  roles: ['subscriber'],
  active: true,
  externalId: 'e-7',
  // PHP encodes an empty associative array as a list.
  meta: [],
  scim: [],
};

describe('WordPressPlugin', () => {
  it('checks the configuration and fills what an older plugin leaves out', async () => {
    const plugin = await pluginAnswering({
      '/usersync/v1/config': { attributeMap: [], siteTimeZone: 'Europe/Paris' },
    });
    const config = await plugin.config();
    assert.deepEqual(config.attributeMap, []);
    assert.equal(config.roleMap.defaultRole, 'subscriber');
    assert.equal(config.deprovision.action, 'disable');
    assert.equal(config.siteTimeZone, 'Europe/Paris');
  });

  it('refuses a malformed configuration with an error naming the route and the field', async () => {
    const plugin = await pluginAnswering({
      '/usersync/v1/config': { deprovision: { action: 'shred' } },
    });
    await assert.rejects(plugin.config(), (error: unknown) => {
      assert.ok(error instanceof WordPressResponseError);
      assert.equal(error.code, 'invalid_response');
      assert.match(error.message, /\/usersync\/v1\/config/);
      assert.match(error.message, /deprovision\.action/);
      return true;
    });
  });

  it('reads user pages with PHP-encoded empty objects, and refuses a user without an id', async () => {
    let plugin = await pluginAnswering({ '/usersync/v1/users': { total: '1', users: [snapshot] } });
    const page = await plugin.users({ connection: 'entra', linked: true, perPage: 1 });
    assert.equal(page.total, 1);
    assert.deepEqual(page.users[0]?.meta, {});
    assert.deepEqual(page.users[0]?.scim, {});
    assert.equal(page.users[0]?.firstName, '');
    const [req] = server!.requests;
    assert.equal(req?.url.searchParams.get('linked'), '1');
    assert.equal(req?.url.searchParams.get('per_page'), '1');
    await server!.close();

    plugin = await pluginAnswering({
      '/usersync/v1/users': { users: [{ ...snapshot, id: 'seven' }] },
    });
    await assert.rejects(plugin.users({ connection: 'entra' }), /users\.0\.id/);
  });

  it('refuses a batch answer without results or with a result it cannot read', async () => {
    let plugin = await pluginAnswering({ '/usersync/v1/users/batch': { ok: true } });
    const batch = { connection: 'entra', source: 'run:1', operations: [{ ref: '0' }] };
    await assert.rejects(plugin.usersBatch(batch), /expected `results`/);
    await server!.close();

    plugin = await pluginAnswering({
      '/usersync/v1/users/batch': {
        results: [
          { ref: 0, ok: true, status: 'created', user: snapshot },
          { ref: '1', ok: 'maybe' },
        ],
      },
    });
    await assert.rejects(plugin.usersBatch(batch), WordPressResponseError);
    await server!.close();

    plugin = await pluginAnswering({
      '/usersync/v1/users/batch': {
        results: [
          { ref: 0, ok: true, status: 'created', user: snapshot },
          { ref: '1', ok: false, error: { status: 409, code: 'usersync_login_exists' } },
        ],
      },
    });
    const results = await plugin.usersBatch(batch);
    assert.equal(results[0]?.ref, '0');
    assert.equal(results[0]?.ok && results[0].user?.id, 7);
    assert.equal(!results[1]?.ok && results[1]?.error.code, 'usersync_login_exists');
  });

  it('lists sources and peers, skipping entries it cannot read, and [] without the route', async () => {
    const plugin = await pluginAnswering({
      '/usersync/v1/sidecar/connections': [
        { slug: 'entra', name: 'Entra', type: 'microsoft-graph', settings: [] },
        { slug: 'Not A Slug', name: 'x', type: 'microsoft-graph' },
      ],
    });
    const connections = await plugin.connections();
    assert.deepEqual(
      connections.map((c) => [c.slug, c.enabled, c.schedule, c.settings]),
      [['entra', true, null, {}]],
    );
    assert.deepEqual(await plugin.peers(), []);
  });

  it('refuses a token list that is not a list, and a changes page without its cursor', async () => {
    const plugin = await pluginAnswering({
      '/usersync/v1/sidecar/tokens': { tokens: [] },
      '/usersync/v1/changes': { changes: [] },
    });
    await assert.rejects(plugin.tokens(), /expected a list of tokens/);
    await assert.rejects(plugin.changes(0, 10), /last/);
  });

  it('turns a malformed answer into a SCIM 502, not a 500', () => {
    const error = scimErrorFromWordPress(
      new WordPressResponseError('/usersync/v1/users', 200, 'users: expected array'),
    );
    assert.equal(error.status, 502);
    assert.match(error.message, /\/usersync\/v1\/users/);
  });
});
