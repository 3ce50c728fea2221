// The engine's WordPress side over the plugin's routes: request shapes, defaults of the
// configuration, lenient parsing of sources, and a batch retried after a 503.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { PluginGateway } from '../../src/engine/wordpress-gateway.js';
import { WordPressClient } from '../../src/wordpress/client.js';
import { json, scriptedServer } from '../helpers/http-server.js';

type Server = Awaited<ReturnType<typeof scriptedServer>>;
let server: Server | undefined;
afterEach(async () => server?.close());

const gatewayFor = (url: string) =>
  new PluginGateway(
    new WordPressClient({ baseUrl: url, user: 'svc', appPassword: 'pw', backoffMs: 5, retries: 2 }),
  );

describe('plugin gateway', () => {
  it('fills configuration defaults the plugin leaves out', async () => {
    server = await scriptedServer((_req, res) => json(res, 200, {}));
    const config = await gatewayFor(server.url).getConfig();
    assert.equal(config.attributeMap[0]?.target, 'user_login');
    assert.equal(config.roleMap.defaultRole, 'subscriber');
    assert.equal(config.deprovision.action, 'disable');
    assert.equal(server.requests[0]?.url.searchParams.get('rest_route'), '/usersync/v1/config');
  });

  it("reads each role rule's connections; a rule saved without them applies to any", async () => {
    const roleMap = {
      rules: [
        { group: 'WP Admins', role: 'administrator', priority: 1, connections: ['entra'] },
        { group: 'Editors', role: 'editor', priority: 10 },
      ],
      defaultRole: 'subscriber',
      allowAdministrator: true,
    };
    server = await scriptedServer((_req, res) => json(res, 200, { roleMap }));
    const config = await gatewayFor(server.url).getConfig();
    assert.deepEqual(config.roleMap.rules, [
      { group: 'WP Admins', role: 'administrator', priority: 1, connections: ['entra'] },
      { group: 'Editors', role: 'editor', priority: 10, connections: ['*'] },
    ]);
  });

  it('keeps template rows with their template; other rows get no template key', async () => {
    const attributeMap = [
      { source: 'userName', target: 'nickname', direction: 'both', transform: 'none' },
      {
        source: '',
        target: 'user_login',
        direction: 'inbound',
        transform: 'template',
        default: null,
        template: '{name.givenName}.{name.familyName}',
      },
    ];
    server = await scriptedServer((_req, res) => json(res, 200, { attributeMap }));
    const config = await gatewayFor(server.url).getConfig();
    assert.equal(config.attributeMap[1]?.transform, 'template');
    assert.equal(config.attributeMap[1]?.template, '{name.givenName}.{name.familyName}');
    assert.ok(!('template' in config.attributeMap[0]!));
  });

  it('reads sources, skipping malformed ones, and none from a plugin without the route', async () => {
    server = await scriptedServer((req, res) =>
      req.url.searchParams.get('rest_route') === '/usersync/v1/sidecar/connections'
        ? json(res, 200, [
            { slug: 'good', name: 'Good', type: 'microsoft-graph', settings: { tenantId: 't' } },
            { slug: 'BAD SLUG', name: 'Bad', type: 'microsoft-graph' },
          ])
        : json(res, 404, { code: 'rest_no_route', message: 'No route' }),
    );
    const sources = await gatewayFor(server.url).listConnections();
    assert.deepEqual(
      sources.map((s) => [s.slug, s.enabled, s.photos, s.schedule]),
      [['good', true, true, null]],
    );
    await server.close();
    server = await scriptedServer((_req, res) =>
      json(res, 404, { code: 'rest_no_route', message: 'No route was found' }),
    );
    assert.deepEqual(await gatewayFor(server.url).listConnections(), []);
  });

  it('posts batches with the run id and retries them after a 503', async () => {
    let calls = 0;
    server = await scriptedServer((_req, res) => {
      calls++;
      if (calls === 1) return json(res, 503, { code: 'busy', message: 'Try again' });
      json(res, 200, {
        results: [
          {
            ref: '0',
            ok: true,
            status: 'created',
            user: { id: 7, login: 'ada', roles: [], active: true },
          },
          {
            ref: '1',
            ok: false,
            error: {
              status: 409,
              code: 'usersync_login_exists',
              message: 'taken',
              scimType: 'uniqueness',
            },
          },
        ],
      });
    });
    const results = await gatewayFor(server.url).applyUsers('contoso', 'run:abc', [
      { ref: '0', action: 'create', user: { login: 'ada' } },
      { ref: '1', action: 'create', user: { login: 'bob' } },
    ]);
    assert.equal(calls, 2);
    assert.equal(results[0]?.ok, true);
    assert.equal(results[1]?.ok, false);
    const body = JSON.parse(server.requests[1]!.body) as Record<string, unknown>;
    assert.equal(body.connection, 'contoso');
    assert.equal(body.source, 'run:abc');
    assert.equal(body.runId, 'abc');
    assert.equal(
      server.requests[1]?.url.searchParams.get('rest_route'),
      '/usersync/v1/users/batch',
    );
  });

  it('finds linked users by external id and pages through links', async () => {
    server = await scriptedServer((req, res) =>
      json(res, 200, {
        total: 1,
        users: [
          {
            id: 3,
            login: 'ada',
            roles: ['editor'],
            active: false,
            externalId: req.url.searchParams.get('external_id') ?? 'x',
          },
        ],
      }),
    );
    const gateway = gatewayFor(server.url);
    const found = await gateway.findLinkedUser('contoso', 'ext-1');
    assert.deepEqual(found && [found.id, found.externalId, found.active], [3, 'ext-1', false]);
    const page = await gateway.listLinkedUsers('contoso', 2, 500);
    assert.equal(page.total, 1);
    const query = server.requests[1]!.url.searchParams;
    assert.equal(query.get('linked'), '1');
    assert.equal(query.get('page'), '2');
    assert.equal(query.get('per_page'), '500');
  });
});
