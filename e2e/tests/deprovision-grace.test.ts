// The grace period of the delete policy against a real WordPress: a SCIM DELETE disables and
// unlinks the user at once and schedules its deletion; the daily wp-cron job deletes it once
// due. SCIM goes through the stack's sidecar; the job is run through PHP against the stack's
// site, its deadline first moved into the past.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, restUrl, scimRequest } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';
import { wpEval } from './peer-support.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GRACE_DAYS = 7;

interface Snapshot {
  id: number;
  login: string;
  active: boolean;
  linked: boolean;
  roles: string[];
}

interface AuditEntry {
  userId: number | null;
  action: string;
  source: string;
  fields: string[];
  result: string;
}

interface Pending {
  count: number;
  nextDueAt: string | null;
  users: { id: number; login: string; dueAt: string; connection: string | null }[];
}

let stack: Stack;

before(
  async () => {
    stack = await startStack({ name: 'grace', tokenName: 'Entra production' });
  },
  { timeout: 180_000 },
);

after(async () => {
  await stack?.stop();
});

const call = (method: string, route: string, body?: unknown) =>
  scimRequest(stack, method, route, body);

async function wpUser(id: number): Promise<Snapshot | undefined> {
  const answer = await request<{ users: Snapshot[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?id=${id}`,
    { basic: asService(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.users.find((user) => user.id === id);
}

async function pending(): Promise<Pending> {
  const answer = await request<Pending>(restUrl(stack, 'usersync/v1/deprovision/pending'), {
    basic: asAdmin(stack),
  });
  assert.equal(answer.status, 200, answer.text);
  return answer.body;
}

async function auditOf(id: number): Promise<AuditEntry[]> {
  const answer = await request<AuditEntry[]>(
    `${restUrl(stack, 'usersync/v1/audit')}?user=${id}&order=asc&per_page=100`,
    { basic: asAdmin(stack) },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body;
}

/** Moves a user's deadline a minute into the past and runs the daily job's cron hook. */
async function runJobAfterDeadline(id: number): Promise<void> {
  await wpEval(
    stack,
    `update_user_meta(${id}, \\UserSync\\Deprovision_Grace::due_key(), (string) (time() - 60));
     do_action(\\UserSync\\Deprovision_Grace::CRON_HOOK);`,
  );
}

describe('delete policy with a grace period', () => {
  let id: number;

  test('the admin sets the delete policy with a grace period', async () => {
    const answer = await request<{ deprovision: { action: string; graceDays: number } }>(
      restUrl(stack, 'usersync/v1/config'),
      {
        method: 'PUT',
        basic: asAdmin(stack),
        body: { deprovision: { action: 'delete', graceDays: GRACE_DAYS } },
      },
    );
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body.deprovision.action, 'delete');
    assert.equal(answer.body.deprovision.graceDays, GRACE_DAYS);
    assert.deepEqual(await pending(), { count: 0, nextDueAt: null, users: [] });
  });

  test('SCIM DELETE answers 204, the user stays disabled in WordPress and is gone for SCIM', async () => {
    const created = await call('POST', '/Users', {
      schemas: [USER],
      externalId: 'grace-ext-1',
      userName: 'grace.user1@contoso.com',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'grace.user1@contoso.com' }],
      name: { givenName: 'Grace', familyName: 'Period' },
    });
    assert.equal(created.status, 201, created.text);
    id = Number(created.body.id);
    assert.equal((await wpUser(id))?.active, true);

    const asked = Date.now();
    const deleted = await call('DELETE', `/Users/${id}`);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal((await call('GET', `/Users/${id}`)).status, 404);

    const user = await wpUser(id);
    assert.ok(user, 'the user still exists in WordPress');
    assert.equal(user.active, false);
    assert.equal(user.linked, false);
    assert.deepEqual(user.roles, []);

    const waiting = await pending();
    assert.equal(waiting.count, 1);
    assert.deepEqual(
      waiting.users.map(({ id: pendingId, login, dueAt }) => ({ id: pendingId, login, dueAt })),
      [{ id, login: 'grace.user1@contoso.com', dueAt: waiting.nextDueAt }],
      'the pending list names who and when',
    );
    const due = Date.parse(waiting.nextDueAt ?? '');
    const expected = asked + GRACE_DAYS * 86_400_000;
    assert.ok(Math.abs(due - expected) < 60_000, `due ${waiting.nextDueAt}`);

    const scheduled = (await auditOf(id)).find((entry) => entry.action === 'disable');
    assert.ok(scheduled, 'the disable is audited');
    assert.equal(scheduled.result, 'success');
    assert.ok(
      scheduled.fields.includes(`delete_after:${waiting.nextDueAt}`),
      `fields ${scheduled.fields.join(', ')}`,
    );
  });

  test('once due, the daily job deletes the user and audits it', async () => {
    await runJobAfterDeadline(id);

    assert.equal(await wpUser(id), undefined, 'the user is gone');
    const core = await request(`${restUrl(stack, `wp/v2/users/${id}`)}?context=edit`, {
      basic: asAdmin(stack),
    });
    assert.equal(core.status, 404, core.text);
    assert.deepEqual(await pending(), { count: 0, nextDueAt: null, users: [] });

    const deletion = (await auditOf(id)).find(
      (entry) => entry.action === 'delete' && entry.source === 'grace period',
    );
    assert.ok(deletion, 'the deletion is audited');
    assert.equal(deletion.result, 'success');
  });
});

describe('deactivation under "when a source deactivates a user: delete"', () => {
  const setPolicy = async (deprovision: Record<string, unknown>) => {
    const answer = await request(restUrl(stack, 'usersync/v1/config'), {
      method: 'PUT',
      basic: asAdmin(stack),
      body: { deprovision },
    });
    assert.equal(answer.status, 200, answer.text);
  };
  const provision = async (login: string): Promise<number> => {
    const created = await call('POST', '/Users', {
      schemas: [USER],
      userName: login,
      emails: [{ value: `${login}@contoso.example`, primary: true }],
    });
    assert.equal(created.status, 201, created.text);
    return Number(created.body.id);
  };
  // Entra ID unassigns a user from the app with exactly this PATCH.
  const deactivate = (id: number) =>
    call('PATCH', `/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });

  test('with a grace period: disabled now, deleted by the daily job once due', async () => {
    await setPolicy({ action: 'disable', deactivate: 'delete', graceDays: GRACE_DAYS });
    const id = await provision('deactivated.later');
    const answer = await deactivate(id);
    assert.ok(answer.status === 200 || answer.status === 204, answer.text);
    assert.equal((await wpUser(id))?.active, false);
    assert.equal((await pending()).count, 1);

    await runJobAfterDeadline(id);
    assert.equal(await wpUser(id), undefined, 'deleted once due');
  });

  test('without a grace period: deleted at once; by default only disabled', async () => {
    await setPolicy({ action: 'disable', deactivate: 'delete', graceDays: 0 });
    const gone = await provision('deactivated.now');
    const answer = await deactivate(gone);
    assert.ok(answer.status < 300, answer.text);
    assert.equal(await wpUser(gone), undefined, 'deleted at once');

    await setPolicy({ action: 'delete', deactivate: 'disable', graceDays: 0 });
    const kept = await provision('deactivated.kept');
    await deactivate(kept);
    assert.equal((await wpUser(kept))?.active, false, 'disabled, not deleted');
  });
});
