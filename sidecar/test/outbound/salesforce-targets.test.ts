// The pipeline's targets beyond peers: a Salesforce connection whose settings say `push: true`
// gets a worker (delivering from the feed like a peer's), loses it when pushes are turned off
// or the connection is disabled, and a connection whose target cannot be built leaves the
// others running.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { OutboundPipeline, pushTargets } from '../../src/outbound/pipeline.js';
import type { PushTargetSpec } from '../../src/outbound/types.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { SourceConnection } from '../../src/wordpress/types.js';
import { FakeFeed } from './fake-feed.js';
import { ScriptedTarget } from './scripted-target.js';

const logger = pino({ level: 'silent' });

const salesforce = (
  slug: string,
  settings: Record<string, unknown>,
  extra: Partial<SourceConnection> = {},
): SourceConnection => ({
  slug,
  name: `Salesforce ${slug}`,
  type: 'salesforce',
  enabled: true,
  schedule: null,
  photos: false,
  settings: { loginUrl: 'https://acme.my.salesforce.com', objectMaps: [], ...settings },
  ...extra,
});

const open: OutboundPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.stop()));
});

async function setup() {
  const feed = new FakeFeed();
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const built: PushTargetSpec[] = [];
  const targets = new Map<string, ScriptedTarget>();
  const pipeline = new OutboundPipeline({
    store,
    feed: feed.asFeed(),
    logger,
    settings: { pollMs: 20, reloadMs: 60_000, leaseMs: 300, retryBaseMs: 5, retryMaxMs: 20 },
    targetFactory: (spec) => {
      built.push(spec);
      if (spec.kind === 'salesforce' && spec.connection.settings.broken)
        throw new Error('settings refused');
      const target = new ScriptedTarget(spec.slug);
      targets.set(spec.slug, target);
      return target;
    },
  });
  open.push(pipeline);
  return { feed, pipeline, built, targets };
}

async function until(condition: () => boolean, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const slugs = async (pipeline: OutboundPipeline) =>
  (await pipeline.status()).targets.map((target) => target.slug).sort();

describe('outbound pipeline: Salesforce connections as targets', () => {
  it('starts a worker for a connection with pushes on and delivers the feed to it', async () => {
    const { feed, pipeline, built, targets } = await setup();
    feed.connectionList = [
      salesforce('crm', { push: true }),
      salesforce('pull-only', { push: false }),
      { ...salesforce('graph', { push: true }), type: 'microsoft-graph' },
    ];
    await pipeline.start();
    assert.deepEqual(await slugs(pipeline), ['crm']);
    assert.equal(built[0]?.kind, 'salesforce');
    assert.equal(built[0]?.kind === 'salesforce' && built[0].connection.slug, 'crm');

    const user = feed.addUser('ada', { firstName: 'Ada' });
    feed.change(user.id, 'create', ['user_login']);
    feed.change(user.id, 'update', ['first_name'], 'crm'); // its own write: not sent back
    pipeline.nudge();
    await until(() => pipeline.handled(feed.latest()), 'the feed to be handled');
    assert.deepEqual(
      targets.get('crm')!.delivered.map((change) => [change.userId, change.actions]),
      [[user.id, ['create']]],
    );
  });

  it('stops the worker when pushes are turned off or the connection is disabled', async () => {
    const { feed, pipeline } = await setup();
    feed.connectionList = [salesforce('crm', { push: true }), salesforce('leads', { push: true })];
    await pipeline.start();
    assert.deepEqual(await slugs(pipeline), ['crm', 'leads']);

    feed.connectionList = [
      salesforce('crm', { push: false }),
      salesforce('leads', { push: true }, { enabled: false }),
    ];
    await pipeline.reload();
    assert.deepEqual(await slugs(pipeline), []);
    await assert.rejects(pipeline.requestUserPush('crm', 1), /No target "crm"/);

    feed.connectionList = [salesforce('crm', { push: true })];
    await pipeline.reload();
    assert.deepEqual(await slugs(pipeline), ['crm']);
  });

  it('rebuilds the target when its settings change, keeping the worker', async () => {
    const { feed, pipeline, built } = await setup();
    feed.connectionList = [salesforce('crm', { push: true, apiVersion: '61.0' })];
    await pipeline.start();
    feed.connectionList = [salesforce('crm', { push: true, apiVersion: '62.0' })];
    await pipeline.reload();
    assert.equal(built.length, 2);
    assert.deepEqual(await slugs(pipeline), ['crm']);
  });

  it('keeps the other targets when one cannot be built', async () => {
    const { feed, pipeline } = await setup();
    feed.peerList = [
      {
        slug: 'child',
        name: 'Child',
        scimUrl: 'https://child.example/scim/v2',
        token: 't',
        push: true,
        roles: false,
        sendPasswords: false,
        acceptPasswords: false,
        includeAdministrators: false,
      },
    ];
    feed.connectionList = [salesforce('crm', { push: true, broken: true })];
    await pipeline.start();
    assert.deepEqual(await slugs(pipeline), ['child']);
  });

  it('takes a slug once, peers first', () => {
    const peer = {
      slug: 'same',
      name: 'Peer',
      scimUrl: 'https://peer.example/scim/v2',
      token: 't',
      push: true,
      roles: false,
      sendPasswords: false,
      acceptPasswords: false,
      includeAdministrators: false,
    };
    const specs = pushTargets([peer], [salesforce('same', { push: true })]);
    assert.deepEqual(
      specs.map((spec) => spec.kind),
      ['wordpress-peer'],
    );
  });
});
