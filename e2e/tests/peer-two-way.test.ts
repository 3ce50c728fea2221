// WordPress-to-WordPress, both ways: each site pushes to the other. Changes made on either side
// reach the other, a change crosses once and never comes back (counted in requests and outbox
// rows), the attribute map's direction decides which side may write an attribute, and when
// both sides change the same attribute while apart, the later change wins on both — with the
// overwritten value in the audit log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, eventually, restUrl } from '../src/helpers.js';
import { request, type Stack } from '../src/stack/index.js';
import {
  audit,
  createUser,
  feed,
  findUser,
  latestChange,
  pair,
  putConfig,
  ROLE_GROUPS,
  settled,
  sleep,
  startSite,
  target,
  updateUser,
} from './peer-support.js';

let parent: Stack;
let child: Stack;
/** Pat is created on the parent, Cam on the child. */
const pat = { parent: 0, child: 0 };
const cam = { parent: 0, child: 0 };

before(
  async () => {
    [parent, child] = await Promise.all([startSite('parent'), startSite('child')]);
    await Promise.all([putConfig(parent, ROLE_GROUPS), putConfig(child, ROLE_GROUPS)]);
    await pair(parent, child, { twoWay: true });
  },
  { timeout: 180_000 },
);

after(async () => {
  await Promise.all([parent?.stop(), child?.stop()]);
});

/** Waits until the user, as `site` sees it through `connection`, passes `check`. */
async function expectOn(
  site: Stack,
  id: number,
  connection: string,
  check: (user: NonNullable<Awaited<ReturnType<typeof findUser>>>) => void,
  what: string,
) {
  return eventually(
    async () => {
      const user = await findUser(site, { id }, connection);
      assert.ok(user, `user ${id} missing`);
      check(user);
      return user;
    },
    { what, timeoutMs: 60_000, intervalMs: 50 },
  );
}

describe('two-way sync', () => {
  test('users created on either site appear on the other, linked both ways', async () => {
    pat.parent = await createUser(parent, {
      username: 'pat',
      first_name: 'Pat',
      roles: ['author'],
    });
    cam.child = await createUser(child, { username: 'cam', first_name: 'Cam', roles: ['editor'] });
    const patOnChild = await eventually(
      async () => {
        const user = await findUser(child, { login: 'pat' }, 'parent');
        assert.ok(user);
        assert.deepEqual(user.roles, ['author']);
        return user;
      },
      { what: 'pat on the child', timeoutMs: 60_000 },
    );
    pat.child = patOnChild.id;
    assert.equal(patOnChild.externalId, String(pat.parent));

    const camOnParent = await eventually(
      async () => {
        const user = await findUser(parent, { login: 'cam' }, 'child');
        assert.ok(user);
        assert.deepEqual(user.roles, ['editor']);
        return user;
      },
      { what: 'cam on the parent', timeoutMs: 60_000 },
    );
    cam.parent = camOnParent.id;
    assert.equal(camOnParent.externalId, String(cam.child));

    await expectOn(
      parent,
      pat.parent,
      'child',
      (u) => assert.equal(u.externalId, String(pat.child)),
      'pat linked on the parent',
    );
    await expectOn(
      child,
      cam.child,
      'parent',
      (u) => assert.equal(u.externalId, String(cam.parent)),
      'cam linked on the child',
    );
  });

  test('each side edits the user the other side created, and the edit arrives', async () => {
    await updateUser(parent, cam.parent, { first_name: 'Cameron', roles: ['author'] });
    await updateUser(child, pat.child, { last_name: 'Parker' });
    await expectOn(
      child,
      cam.child,
      'parent',
      (u) => {
        assert.equal(u.firstName, 'Cameron');
        assert.deepEqual(u.roles, ['author']);
      },
      'cam renamed on the child',
    );
    await expectOn(
      parent,
      pat.parent,
      'child',
      (u) => assert.equal(u.lastName, 'Parker'),
      'pat renamed on the parent',
    );
  });

  test('no echo: a change crosses once and nothing comes back', async () => {
    await Promise.all([settled(parent), settled(child)]);
    await sleep(1500);
    const [p0, c0] = await Promise.all([target(parent, 'child'), target(child, 'parent')]);
    const [parentMark, childMark] = await Promise.all([latestChange(parent), latestChange(child)]);

    await updateUser(parent, pat.parent, { nickname: 'patty' });
    await expectOn(
      child,
      pat.child,
      'parent',
      (u) => assert.equal(u.nickname, 'patty'),
      'the nickname on the child',
    );
    // Long enough for any echo to happen: several polls of both sidecars.
    await Promise.all([settled(parent), settled(child)]);
    await sleep(3000);
    await Promise.all([settled(parent), settled(child)]);

    const [p1, c1] = await Promise.all([target(parent, 'child'), target(child, 'parent')]);
    assert.equal(
      p1.counts.delivered - p0.counts.delivered,
      1,
      'the parent delivered the change once',
    );
    const parentRequests = p1.counts.requests - p0.counts.requests;
    assert.ok(
      parentRequests >= 1 && parentRequests <= 2,
      `parent sent ${parentRequests} requests (read + write at most)`,
    );
    assert.equal(c1.counts.requests, c0.counts.requests, 'the child sent nothing back');
    assert.ok(
      c1.counts.skippedOrigin > c0.counts.skippedOrigin,
      'the child skipped the change by its origin',
    );

    const parentRows = (await feed(parent, parentMark)).changes;
    assert.deepEqual(
      parentRows.map((r) => [r.userId, r.action, r.origin]),
      [[pat.parent, 'update', 'local']],
      'the parent wrote nothing after its own change',
    );
    const childRows = (await feed(child, childMark)).changes;
    assert.ok(childRows.length >= 1);
    assert.ok(
      childRows.every((r) => r.userId === pat.child && r.origin === 'parent'),
      JSON.stringify(childRows),
    );
  });

  test("the attribute map's direction decides which side may write an attribute", async () => {
    const config = (
      await request<{ attributeMap: { source: string; target: string; direction: string }[] }>(
        restUrl(parent, 'usersync/v1/config'),
        { basic: asAdmin(parent) },
      )
    ).body;
    const inbound = config.attributeMap.map((row) =>
      row.target === 'last_name' ? { ...row, direction: 'inbound' } : row,
    );
    await putConfig(parent, { attributeMap: inbound });
    try {
      const before = await target(parent, 'child');
      await updateUser(parent, pat.parent, { last_name: 'ParentSide' });
      await settled(parent);
      assert.equal((await target(parent, 'child')).counts.notCovered, before.counts.notCovered + 1);
      assert.equal(
        (await findUser(child, { id: pat.child }, 'parent'))?.lastName,
        'Parker',
        'the parent may not write last_name',
      );

      await updateUser(child, pat.child, { last_name: 'ChildSide' });
      await expectOn(
        parent,
        pat.parent,
        'child',
        (u) => assert.equal(u.lastName, 'ChildSide'),
        'the child’s last name on the parent',
      );
    } finally {
      await putConfig(parent, { attributeMap: config.attributeMap });
    }
  });

  test('a conflict: both sides change the same attribute while apart; the later change wins on both', async () => {
    await Promise.all([settled(parent), settled(child)]);
    await Promise.all([parent.stopSidecar(), child.stopSidecar()]);

    await updateUser(child, pat.child, { first_name: 'Child First' });
    await updateUser(parent, pat.parent, { nickname: 'parent-nick' });
    await sleep(1100);
    await updateUser(parent, pat.parent, { first_name: 'Parent First' });
    await updateUser(child, pat.child, { nickname: 'child-nick', url: 'https://child.example' });

    await Promise.all([parent.startSidecar(), child.startSidecar()]);

    const agreed = (u: { firstName: string; url?: string }, nickname: string, url: string) => {
      assert.equal(u.firstName, 'Parent First', 'first name: the parent changed it later');
      assert.equal(nickname, 'child-nick', 'nickname: the child changed it later');
      assert.equal(url, 'https://child.example', 'url: only the child changed it');
    };
    const read = async (site: Stack, id: number) =>
      (
        await request<{ first_name: string; nickname: string; url: string }>(
          `${restUrl(site, `wp/v2/users/${id}`)}?context=edit`,
          { basic: asAdmin(site) },
        )
      ).body;
    await eventually(
      async () => {
        const [p, c] = await Promise.all([read(parent, pat.parent), read(child, pat.child)]);
        agreed({ firstName: p.first_name }, p.nickname, p.url);
        agreed({ firstName: c.first_name }, c.nickname, c.url);
      },
      { what: 'both sites to agree', timeoutMs: 60_000 },
    );
    await Promise.all([settled(parent), settled(child)]);
    await sleep(2000);
    // Still agreed after everything settled: no ping-pong undid the outcome.
    const [p, c] = await Promise.all([read(parent, pat.parent), read(child, pat.child)]);
    agreed({ firstName: p.first_name }, p.nickname, p.url);
    agreed({ firstName: c.first_name }, c.nickname, c.url);

    const conflicts = [
      ...(await audit(parent, { action: 'conflict' })),
      ...(await audit(child, { action: 'conflict' })),
    ];
    const text = conflicts.map((e) => `${e.fields.join(',')}: ${e.error}`).join('\n');
    assert.ok(
      conflicts.some((e) => e.fields.includes('first_name') && e.error?.includes('"Child First"')),
      `the overwritten first name is in the audit log:\n${text}`,
    );
    assert.ok(
      conflicts.some((e) => e.fields.includes('nickname') && e.error?.includes('"parent-nick"')),
      `the overwritten nickname is in the audit log:\n${text}`,
    );
  });
});
