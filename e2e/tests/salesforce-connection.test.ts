// Salesforce connections through the plugin's REST API on a real WordPress, the way the
// settings page drives them: created with write-only secrets (reads show `{ set }`), updated
// without re-entering them, refused with a 400 naming the field at fault, served to the
// sidecar with the secrets decrypted and every default filled; Graph connections beside them
// read exactly as before.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, restUrl } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

const SLUG = 'acme-salesforce';
const GRAPH = 'contoso-entra';

let stack: Stack;

before(
  async () => {
    stack = await startStack({ name: 'salesforce-connection', withSidecar: false });
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
});

function connections(path = '', init: { method?: string; body?: unknown } = {}) {
  return request<Json>(restUrl(stack, `usersync/v1/connections${path}`), {
    ...init,
    basic: asAdmin(stack),
  });
}

const objectMap = {
  id: 'contacts',
  sfObject: 'Contact',
  filter: "LeadSource = 'Web'",
  match: [
    { kind: 'externalId', sf: 'UserSync_Id__c' },
    { kind: 'idLookup', sf: 'Email', wp: 'user_email' },
  ],
  fields: [
    { wp: 'user_email', sf: 'Email', direction: 'both' },
    { wp: 'first_name', sf: 'FirstName' },
    { wp: 'last_name', sf: 'LastName' },
    { wp: 'user_login', sf: 'Email', direction: 'inbound', nulls: 'ignore' },
    { wp: 'meta:phone', sf: 'Phone' },
  ],
};

describe('Salesforce connection over REST', () => {
  test('created with its secret write-only; the settings page reads it back with { set: true }', async () => {
    const graph = await connections('', {
      method: 'POST',
      body: {
        name: 'Contoso Entra',
        slug: GRAPH,
        type: 'microsoft-graph',
        tenantId: 'contoso.onmicrosoft.com',
        clientId: '11111111-2222-3333-4444-555555555555',
        clientSecret: 'graph-secret',
      },
    });
    assert.equal(graph.status, 201, graph.text);

    const created = await connections('', {
      method: 'POST',
      body: {
        name: 'Acme Salesforce',
        slug: SLUG,
        type: 'salesforce',
        loginUrl: 'https://acme.my.salesforce.com/',
        flow: 'client_credentials',
        clientId: '3MVG9acmeConsumerKey',
        clientSecret: 'sf-secret-value',
        schedule: '*/15 * * * *',
        objectMaps: [objectMap],
      },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.type, 'salesforce');
    assert.equal(created.body.loginUrl, 'https://acme.my.salesforce.com');
    assert.deepEqual(created.body.clientSecret, { set: true });
    assert.deepEqual(created.body.privateKey, { set: false });
    assert.deepEqual(created.body.refreshToken, { set: false });
    assert.equal(created.body.apiVersion, '62.0');
    assert.equal(created.text.includes('sf-secret-value'), false, 'the answer holds no secret');

    const read = await connections(`/${SLUG}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.clientSecret, { set: true });
    assert.equal(read.body.objectMaps[0].fields[1].direction, 'both', 'row defaults filled');
    assert.equal(read.body.objectMaps[0].filter, "LeadSource = 'Web'");
    const list = await connections();
    assert.equal(list.text.includes('sf-secret-value'), false, 'the list holds no secret');
  });

  test('an update without the secret keeps it; the sidecar gets it decrypted with every default', async () => {
    const updated = await connections(`/${SLUG}`, {
      method: 'PATCH',
      body: { name: 'Acme production', clientSecret: '', apiBudgetShare: 0.5, push: false },
    });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(updated.body.clientSecret, { set: true });
    assert.equal(updated.body.apiBudgetShare, 0.5);

    const sidecar = await request<Json>(restUrl(stack, 'usersync/v1/sidecar/connections'), {
      basic: asService(stack),
    });
    assert.equal(sidecar.status, 200);
    const mine = sidecar.body.find((c: Json) => c.slug === SLUG);
    assert.equal(mine.type, 'salesforce');
    assert.equal(mine.name, 'Acme production');
    assert.equal(mine.schedule, '*/15 * * * *');
    assert.equal(mine.settings.clientSecret, 'sf-secret-value', 'kept, decrypted for the sidecar');
    assert.equal(mine.settings.push, false);
    assert.equal(mine.settings.callOptionsClient, 'usersync');
    assert.equal(mine.settings.realtime, 'none');
    const map = mine.settings.objectMaps[0];
    assert.deepEqual(map.operations, {
      create: ['push', 'pull'],
      update: ['push', 'pull'],
      delete: [],
    });
    assert.deepEqual(map.deletePolicy, { pull: 'disable', push: 'ignore' });
    assert.equal(map.conflict, 'last-writer-wins');
    assert.deepEqual(map.fields[4], {
      wp: 'meta:phone',
      sf: 'Phone',
      direction: 'both',
      transform: 'none',
      default: null,
      template: null,
      valueMap: null,
      nulls: 'propagate',
    });
    const admins = await request(restUrl(stack, 'usersync/v1/sidecar/connections'), {
      basic: asAdmin(stack),
    });
    assert.equal(admins.status, 403, 'admins never read secrets');
  });

  test('bad input is a 400 naming the field, and changes nothing', async () => {
    const before = await connections(`/${SLUG}`);
    const cases: [unknown, string][] = [
      [{ loginUrl: 'http://acme.my.salesforce.com' }, 'loginUrl'],
      [{ loginUrl: 'https://login.salesforce.com' }, 'loginUrl'],
      [{ flow: 'jwt', username: 'integration@acme.com' }, 'privateKey'],
      [{ apiVersion: '62' }, 'apiVersion'],
      [
        { objectMaps: [{ ...objectMap, filter: "LeadSource = 'Web' LIMIT 5" }] },
        'objectMaps[0][filter]',
      ],
      [
        {
          objectMaps: [
            {
              ...objectMap,
              fields: [{ wp: 'meta:wp_capabilities', sf: 'Role__c', direction: 'inbound' }],
            },
          ],
        },
        'objectMaps[0][fields][0][wp]',
      ],
      [{ objectMaps: [objectMap, objectMap] }, 'objectMaps[1][id]'],
    ];
    for (const [body, field] of cases) {
      const answer = await connections(`/${SLUG}`, { method: 'PATCH', body });
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(answer.body.code, 'usersync_invalid_connection');
      assert.equal(answer.body.data.field, field, JSON.stringify(body));
    }
    const after = await connections(`/${SLUG}`);
    assert.deepEqual(after.body, before.body, 'nothing changed');

    const missing = await connections('', {
      method: 'POST',
      body: { name: 'No secret', type: 'salesforce', clientId: 'x', objectMaps: [objectMap] },
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.data.field, 'clientSecret');
  });

  test('Graph connections read as before, and the settings file carries no Salesforce secret', async () => {
    const graph = await connections(`/${GRAPH}`);
    assert.equal(graph.status, 200);
    assert.deepEqual(Object.keys(graph.body), [
      'slug',
      'name',
      'type',
      'enabled',
      'schedule',
      'photos',
      'tenantId',
      'clientId',
      'cloud',
      'b2c',
      'authorityUrl',
      'graphUrl',
      'pageSize',
      'concurrency',
      'batchSize',
      'batchConcurrency',
      'clientSecret',
      'createdAt',
      'modifiedAt',
    ]);
    assert.deepEqual(graph.body.clientSecret, { set: true });
    const refused = await connections(`/${GRAPH}`, { method: 'PATCH', body: { clientId: 'nope' } });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.data.field, 'clientId');

    const file = await request<Json>(restUrl(stack, 'usersync/v1/settings/export'), {
      basic: asAdmin(stack),
    });
    assert.equal(file.status, 200, file.text);
    const exported = file.body.settings.connections.find((c: Json) => c.slug === SLUG);
    assert.ok(exported, 'the Salesforce connection is exported');
    for (const secret of ['clientSecret', 'privateKey', 'refreshToken']) {
      assert.equal(secret in exported, false, `no ${secret} in the file`);
    }
    assert.equal(file.text.includes('sf-secret-value'), false);
  });

  test('deleted', async () => {
    const deleted = await connections(`/${SLUG}`, { method: 'DELETE' });
    assert.deepEqual(deleted.body, { deleted: true, slug: SLUG });
    assert.equal((await connections(`/${SLUG}`)).status, 404);
  });
});
