// The foundation every other test stands on: WordPress with the plugin active, the sidecar
// healthy and observable, SCIM guarded by the plugin's tokens, REST guarded by capabilities,
// and stacks that run side by side and leave nothing behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { asAdmin, asService, eventually, restUrl } from '../src/helpers.js';
import {
  groupAlive,
  portAnswers,
  request,
  startStack,
  type Answer,
  type Stack,
} from '../src/stack/index.js';
import { ensurePrerequisites } from '../src/stack/prerequisites.js';
import { run } from '../src/stack/process.js';

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SERVICE_PROVIDER_CONFIG = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

interface Status {
  plugin: { version: string };
  tables: { outbox: boolean; audit: boolean };
  sidecar: { configured: boolean; reachable: boolean; error: string | null };
}

interface Health {
  status: string;
  store: { ok: boolean; kind: string };
  wordpress: { ok: boolean };
}

let stack: Stack;

before(
  async () => {
    stack = await startStack({ name: 'foundation' });
  },
  { timeout: 120_000 },
);

after(async () => {
  await stack?.stop();
});

function assertScimError(answer: Answer, status: number): void {
  assert.equal(answer.status, status, `expected ${status}, got ${answer.status}: ${answer.text}`);
  const body = answer.body as { schemas?: unknown; status?: unknown };
  assert.ok(
    Array.isArray(body.schemas) && body.schemas.includes(SCIM_ERROR),
    `expected a SCIM error body, got: ${answer.text}`,
  );
}

describe('WordPress', () => {
  test('answers with the plugin active and its tables installed', async () => {
    const answer = await request<Status>(restUrl(stack, 'usersync/v1/status'), {
      basic: asAdmin(stack),
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.tables.outbox, true);
    assert.equal(answer.body.tables.audit, true);
    assert.match(answer.body.plugin.version, /^\d+\.\d+\.\d+/);
  });

  test('reaches the sidecar at USERSYNC_SIDECAR_URL', async () => {
    const answer = await request<Status>(restUrl(stack, 'usersync/v1/status'), {
      basic: asAdmin(stack),
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.sidecar.configured, true);
    assert.equal(
      answer.body.sidecar.reachable,
      true,
      `sidecar error: ${answer.body.sidecar.error}`,
    );
  });

  test('refuses the status route without authentication (401)', async () => {
    const answer = await request(restUrl(stack, 'usersync/v1/status'));
    assert.equal(answer.status, 401, answer.text);
  });

  test('does not let the service user create tokens (403)', async () => {
    const answer = await request(restUrl(stack, 'usersync/v1/tokens'), {
      method: 'POST',
      basic: asService(stack),
      body: { name: 'Not allowed' },
    });
    assert.equal(answer.status, 403, answer.text);
  });

  test('refuses a token whose connection would be "local", the origin of WordPress changes', async () => {
    for (const body of [{ name: 'Local' }, { name: 'Anything', connection: 'local' }]) {
      const answer = await request(restUrl(stack, 'usersync/v1/tokens'), {
        method: 'POST',
        basic: asAdmin(stack),
        body,
      });
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.text, /usersync_invalid_connection/);
    }
  });
});

describe('sidecar', () => {
  test('/healthz answers 200 with the store and WordPress ok to a caller with the API key', async () => {
    const answer = await request<Health>(`${stack.sidecar.url}/healthz`, {
      bearer: stack.sidecar.apiKey,
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.status, 'ok');
    assert.equal(answer.body.store.ok, true);
    assert.equal(answer.body.store.kind, 'sqlite');
    assert.equal(answer.body.wordpress.ok, true);
  });

  test('/healthz tells a caller without the API key only that it is ok', async () => {
    const answer = await request(`${stack.sidecar.url}/healthz`);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body, { status: 'ok' });
    assert.ok(!answer.text.includes(stack.wordpress.url), 'no internal WordPress URL');
  });

  test("the plugin's status page still gets the sidecar's details (it sends the key)", async () => {
    const status = await request<{ sidecar: { reachable: boolean; health: Health | null } }>(
      restUrl(stack, 'usersync/v1/status'),
      { basic: asAdmin(stack) },
    );
    assert.equal(status.status, 200, status.text);
    assert.equal(status.body.sidecar.reachable, true, status.text);
    assert.equal(status.body.sidecar.health?.status, 'ok', status.text);
    assert.equal(status.body.sidecar.health?.store.kind, 'sqlite', status.text);
    assert.equal(status.body.sidecar.health?.wordpress.ok, true, status.text);
  });

  test('/metrics is Prometheus text', async () => {
    const answer = await request<string>(`${stack.sidecar.url}/metrics`, {
      headers: { accept: 'text/plain' },
    });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(answer.text, /^# HELP \w+ /m);
    assert.match(answer.text, /^# TYPE \w+ (counter|gauge|histogram|summary)$/m);
  });
});

describe('SCIM authentication', () => {
  const config = () => `${stack.sidecar.scimUrl}/ServiceProviderConfig`;

  test("accepts the stack's token", async () => {
    const answer = await request<{ schemas?: string[] }>(config(), {
      bearer: stack.sidecar.scimToken,
    });
    assert.equal(answer.status, 200, answer.text);
    assert.ok(answer.body.schemas?.includes(SERVICE_PROVIDER_CONFIG), answer.text);
  });

  test('answers 401 with a SCIM error without a token', async () => {
    assertScimError(await request(config()), 401);
  });

  test('answers 401 with a SCIM error for a wrong token', async () => {
    const wrong = `us_${'A'.repeat(43)}`;
    assertScimError(await request(config(), { bearer: wrong }), 401);
  });

  test('answers 401 with a SCIM error to the very next request after revoking a token', async () => {
    const created = await request<{ id: string; token: string }>(
      restUrl(stack, 'usersync/v1/tokens'),
      { method: 'POST', basic: asAdmin(stack), body: { name: 'Revoked soon' } },
    );
    assert.equal(created.status, 201, created.text);
    const { id, token } = created.body;
    await eventually(
      async () => {
        const answer = await request(config(), { bearer: token });
        assert.equal(answer.status, 200, answer.text);
      },
      { what: 'the new token to be accepted', timeoutMs: 10_000 },
    );

    const revoked = await request<{ deleted: boolean; id: string }>(
      restUrl(stack, `usersync/v1/tokens/${id}`),
      { method: 'DELETE', basic: asAdmin(stack) },
    );
    assert.equal(revoked.status, 200, revoked.text);
    assert.deepEqual(revoked.body, { deleted: true, id });

    // No waiting: the sidecar caches tokens for seconds, and the revoke told it at once.
    assertScimError(await request(config(), { bearer: token }), 401);
    assertScimError(await request(`${stack.sidecar.scimUrl}/Users`, { bearer: token }), 401);

    // The stack's own token keeps working.
    const still = await request(config(), { bearer: stack.sidecar.scimToken });
    assert.equal(still.status, 200, still.text);
  });
});

describe('token revoke while the sidecar is down', () => {
  test('still revokes at once and says in the audit log that the sidecar was not told', async () => {
    const created = await request<{ id: string }>(restUrl(stack, 'usersync/v1/tokens'), {
      method: 'POST',
      basic: asAdmin(stack),
      body: { name: 'Revoked offline' },
    });
    assert.equal(created.status, 201, created.text);
    await stack.stopSidecar();
    try {
      const started = Date.now();
      const revoked = await request(restUrl(stack, `usersync/v1/tokens/${created.body.id}`), {
        method: 'DELETE',
        basic: asAdmin(stack),
      });
      assert.equal(revoked.status, 200, revoked.text);
      assert.ok(Date.now() - started < 5_000, 'the revoke does not hang on the sidecar');
      const audit = await request<{ action: string; userLogin: string; error: string | null }[]>(
        `${restUrl(stack, 'usersync/v1/audit')}?action=token_revoke&per_page=1`,
        { basic: asAdmin(stack) },
      );
      assert.equal(audit.status, 200, audit.text);
      assert.equal(audit.body[0]?.userLogin, 'Revoked offline', audit.text);
      assert.match(audit.body[0]?.error ?? '', /The sidecar could not be told at once/);
    } finally {
      await stack.startSidecar();
    }
  });
});

describe('stacks', () => {
  test(
    'two run side by side and a stopped one leaves nothing behind',
    { timeout: 120_000 },
    async () => {
      const second = await startStack({ name: 'foundation-second' });
      let stopped = false;
      try {
        assert.notEqual(second.wordpress.port, stack.wordpress.port);
        assert.notEqual(second.sidecar.port, stack.sidecar.port);
        assert.notEqual(second.database.name, stack.database.name);
        for (const each of [stack, second]) {
          const status = await request<Status>(restUrl(each, 'usersync/v1/status'), {
            basic: asAdmin(each),
          });
          assert.equal(status.status, 200, `${each.id}: ${status.text}`);
          const health = await request(`${each.sidecar.url}/healthz`);
          assert.equal(health.status, 200, `${each.id}: ${health.text}`);
        }
        // Each site knows only its own tokens: the first stack's token means nothing to the second.
        const foreign = await request(`${second.sidecar.scimUrl}/ServiceProviderConfig`, {
          bearer: stack.sidecar.scimToken,
        });
        assertScimError(foreign, 401);

        const groups = second.processGroups();
        assert.equal(groups.length, 2, 'PHP server and sidecar run in their own process groups');
        await second.stop();
        stopped = true;

        assert.equal(await portAnswers(second.wordpress.port), false, 'WordPress port closed');
        assert.equal(await portAnswers(second.sidecar.port), false, 'sidecar port closed');
        for (const pgid of groups)
          assert.equal(groupAlive(pgid), false, `process group ${pgid} gone`);
        const { mariadb } = await ensurePrerequisites();
        const databases = await run(mariadb, ['-uroot', '-N', '-B', '-e', 'SHOW DATABASES']);
        assert.ok(!databases.stdout.split('\n').includes(second.database.name), 'database dropped');
        assert.equal(fs.existsSync(second.dir), false, 'stack folder removed');

        // The first stack is unaffected.
        const health = await request(`${stack.sidecar.url}/healthz`);
        assert.equal(health.status, 200, health.text);
      } finally {
        if (!stopped) await second.stop();
      }
    },
  );
});
