// The grace period of the delete policy against a real WordPress: a SCIM DELETE disables and
// unlinks the user at once and schedules its deletion; the daily wp-cron job deletes it once
// due. The SCIM router runs in this process over the stack's WordPress (as in
// scim-wordpress.test.ts); the job is run through PHP against the stack's site, its deadline
// first moved into the past.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import express from 'express';
import { pino } from 'pino';

import { ScimTokenCache } from '../../sidecar/src/auth/scim-tokens.js';
import { createScimRouter } from '../../sidecar/src/scim/index.js';
import { WordPressClient } from '../../sidecar/src/wordpress/client.js';
import { asAdmin, asService, restUrl } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';

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
}

let stack: Stack;
let server: Server;
let scim: string;
let tokens: ScimTokenCache;

before(
  async () => {
    stack = await startStack({ name: 'grace', withSidecar: false, tokenName: 'Entra production' });
    const wordpress = new WordPressClient({
      baseUrl: stack.wordpress.url,
      user: stack.wordpress.appUser,
      appPassword: stack.wordpress.appPassword,
      retries: 1,
    });
    tokens = new ScimTokenCache(wordpress, { usageFlushMs: 0 });
    const app = express();
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    app.use(
      '/scim/v2',
      createScimRouter({ tokens, wordpress, publicUrl: url, logger: pino({ level: 'silent' }) }),
    );
    scim = `${url}/scim/v2`;
  },
  { timeout: 180_000 },
);

after(async () => {
  tokens?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await stack?.stop();
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${scim}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.sidecar.scimToken}`,
      ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, text };
}

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
function runJobAfterDeadline(id: number): string {
  const code = `
    // Names of their own: this code runs in the global scope, where WordPress keeps $wp.
    [$usersync_dir, $usersync_user] = array_slice($argv, 1);
    $_SERVER['HTTP_HOST'] = 'localhost';
    $_SERVER['REQUEST_URI'] = '/';
    require rtrim($usersync_dir, '/') . '/wp-load.php';
    update_user_meta((int) $usersync_user, \\UserSync\\Deprovision_Grace::due_key(), (string) (time() - 60));
    do_action(\\UserSync\\Deprovision_Grace::CRON_HOOK);
    echo 'job ran';
  `;
  const run = spawnSync(
    process.env.USERSYNC_PHP ?? 'php',
    ['-r', code, '--', stack.wordpress.dir, String(id)],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const debug = fs.existsSync(stack.logs.wordpressDebug)
    ? fs.readFileSync(stack.logs.wordpressDebug, 'utf8').slice(-4000)
    : '';
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 0, `${output.slice(-2000)}\n${debug}`);
  return output;
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
    assert.deepEqual(await pending(), { count: 0, nextDueAt: null });
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
    runJobAfterDeadline(id);

    assert.equal(await wpUser(id), undefined, 'the user is gone');
    const core = await request(`${restUrl(stack, `wp/v2/users/${id}`)}?context=edit`, {
      basic: asAdmin(stack),
    });
    assert.equal(core.status, 404, core.text);
    assert.deepEqual(await pending(), { count: 0, nextDueAt: null });

    const deletion = (await auditOf(id)).find(
      (entry) => entry.action === 'delete' && entry.source === 'grace period',
    );
    assert.ok(deletion, 'the deletion is audited');
    assert.equal(deletion.result, 'success');
  });
});
