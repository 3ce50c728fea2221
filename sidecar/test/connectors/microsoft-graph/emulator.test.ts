// The Graph emulator itself, over HTTP: Microsoft's documented shapes (token answers and
// AADSTS errors, error bodies, paging links, $select, $top limits, $count, delta semantics)
// and the control API tests drive it with.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGraphEmulator } from '../../../../e2e/src/emulators/microsoft-graph/index.js';
import type { GraphEmulator } from '../../../../e2e/src/emulators/microsoft-graph/index.js';

describe('Graph emulator', () => {
  let emulator: GraphEmulator;
  let token: string;

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(path.startsWith('http') ? path : `${emulator.url}${path}`, {
      headers: { Authorization: `Bearer ${token}`, ...headers },
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // plain text ($count)
    }
    return {
      status: response.status,
      headers: response.headers,
      body: body as Record<string, unknown>,
    };
  };
  const control = (method: string, path: string, body?: unknown) =>
    fetch(`${emulator.url}/_emulator${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const signIn = (form: Record<string, string>, tenant = emulator.tenantId) =>
    fetch(`${emulator.url}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  const credentials = () => ({
    client_id: emulator.clientId,
    client_secret: emulator.clientSecret,
    scope: `${emulator.graphUrl}/.default`,
    grant_type: 'client_credentials',
  });

  before(async () => {
    emulator = await startGraphEmulator({ users: 12, seed: 'emulator' });
    const answer = (await (await signIn(credentials())).json()) as Record<string, unknown>;
    token = String(answer.access_token);
  });
  after(async () => {
    await emulator.close();
  });

  it('issues client-credentials tokens and AADSTS errors like the token endpoint', async () => {
    const ok = (await (await signIn(credentials())).json()) as Record<string, unknown>;
    assert.equal(ok.token_type, 'Bearer');
    assert.equal(ok.expires_in, 3599);
    assert.equal(String(ok.access_token).split('.').length, 3);
    const bad = await signIn({ ...credentials(), client_secret: 'nope' });
    assert.equal(bad.status, 401);
    const body = (await bad.json()) as Record<string, unknown>;
    assert.equal(body.error, 'invalid_client');
    assert.deepEqual(body.error_codes, [7000215]);
    assert.match(String(body.error_description), /^AADSTS7000215: /);
    assert.equal((await signIn(credentials(), 'unknown-tenant')).status, 400);
    assert.equal((await signIn({ ...credentials(), scope: 'User.Read' })).status, 400);
  });

  it('answers errors as { error: { code, message, innerError } }', async () => {
    const anonymous = await fetch(`${emulator.url}/v1.0/users`);
    assert.equal(anonymous.status, 401);
    const body = (await anonymous.json()) as { error: Record<string, unknown> };
    assert.equal(body.error.code, 'InvalidAuthenticationToken');
    assert.equal(typeof body.error.message, 'string');
    assert.ok((body.error.innerError as Record<string, unknown>)['request-id']);
    const missing = await get('/v1.0/users/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal((missing.body.error as { code: string }).code, 'Request_ResourceNotFound');
  });

  it('pages /users with $top and nextLink, selects properties, and counts with ConsistencyLevel', async () => {
    const first = await get('/v1.0/users?$top=5&$select=displayName,accountEnabled');
    const value = first.body.value as Record<string, unknown>[];
    assert.equal(value.length, 5);
    assert.deepEqual(Object.keys(value[0]!).sort(), ['accountEnabled', 'displayName', 'id']);
    let next = first.body['@odata.nextLink'] as string | undefined;
    let total = value.length;
    while (next) {
      const page = await get(next);
      total += (page.body.value as unknown[]).length;
      next = page.body['@odata.nextLink'] as string | undefined;
    }
    assert.equal(total, 12);
    const defaults = (await get('/v1.0/users?$top=1')).body.value as Record<string, unknown>[];
    assert.ok('userPrincipalName' in defaults[0]! && !('accountEnabled' in defaults[0]!));
    assert.equal((await get('/v1.0/users?$top=1000')).status, 400);
    assert.equal((await get('/v1.0/users/$count')).status, 400);
    const count = await get('/v1.0/users/$count', { ConsistencyLevel: 'eventual' });
    assert.equal(count.body, 12);
  });

  it('tracks changes with delta links, @removed and odata.maxpagesize', async () => {
    const pages: Record<string, unknown>[] = [];
    let link: string | undefined = '/v1.0/users/delta?$select=displayName';
    let deltaLink: string | undefined;
    while (link) {
      const page = await get(link, { Prefer: 'odata.maxpagesize=4' });
      assert.equal(page.headers.get('preference-applied'), 'odata.maxpagesize=4');
      pages.push(page.body);
      link = page.body['@odata.nextLink'] as string | undefined;
      deltaLink = page.body['@odata.deltaLink'] as string | undefined;
      assert.ok(!(link && deltaLink), 'never both links');
    }
    assert.equal(pages.length, 3);
    assert.match(deltaLink!, /\$deltatoken=/);

    const created = await control('POST', '/users', {
      userPrincipalName: 'new@contoso.onmicrosoft.com',
      displayName: 'New',
    });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: string }).id;
    const [gone, recycled] = emulator.directory.userOrder;
    assert.equal((await control('DELETE', `/users/${gone}?permanent=true`)).status, 204);
    assert.equal((await control('DELETE', `/users/${recycled}`)).status, 204);
    assert.equal((await control('PATCH', `/users/${id}`, { displayName: 'Renamed' })).status, 200);

    const changes = await get(deltaLink!);
    const items = changes.body.value as Record<string, unknown>[];
    assert.deepEqual(
      items.map((i) => [i.id, i['@removed'] ?? i.displayName]),
      [
        [gone, { reason: 'deleted' }],
        [recycled, { reason: 'changed' }],
        [id, 'Renamed'],
      ],
      'each user once, in its latest state',
    );
    assert.ok(changes.body['@odata.deltaLink']);

    assert.equal((await control('POST', `/users/${recycled}/restore`)).status, 200);
    const latest = await get('/v1.0/users/delta?$deltatoken=latest');
    assert.deepEqual(latest.body.value, []);
    await control('POST', '/expire-delta-tokens');
    const expired = await get(changes.body['@odata.deltaLink'] as string);
    // 410 Gone with a Location header holding a new delta query, as Microsoft documents.
    assert.equal(expired.status, 410);
    assert.match(expired.headers.get('location') ?? '', /\/v1\.0\/users\/delta/);
    const error = expired.body.error as { code: string; innerError: { code: string } };
    assert.equal(error.code, 'resyncRequired');
    assert.equal(error.innerError.code, 'syncStateNotFound');
  });

  it('omits never-set properties from delta items, refuses $top there, and lists them as null', async () => {
    const user = [...emulator.directory.users.values()].find((u) => !u.deleted)!;
    delete user.props.jobTitle;
    const delta = await get('/v1.0/users/delta?$select=id,jobTitle,displayName', {
      Prefer: 'odata.maxpagesize=999',
    });
    const item = (delta.body.value as Record<string, unknown>[]).find((u) => u.id === user.id)!;
    assert.equal('jobTitle' in item, false, 'never set: not in the delta item at all');
    assert.equal(typeof item.displayName, 'string');
    const listed = await get(`/v1.0/users?$select=id,jobTitle&$top=999`);
    const row = (listed.body.value as Record<string, unknown>[]).find((u) => u.id === user.id)!;
    assert.equal(row.jobTitle, null);
    assert.equal((await get('/v1.0/users/delta?$top=5')).status, 400);
  });

  it('strict: empty pages with a nextLink, repeated items, shuffled changes, server page sizes', async () => {
    const strict = await startGraphEmulator({ users: 300, seed: 'strict', strict: true });
    try {
      const answer = (await (
        await fetch(`${strict.url}/${strict.tenantId}/oauth2/v2.0/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ ...credentials(), client_id: strict.clientId }).toString(),
        })
      ).json()) as { access_token: string };
      let url: string | undefined = `${strict.url}/v1.0/users/delta?$select=id,displayName`;
      const sizes: number[] = [];
      const seen: string[] = [];
      let empty = 0;
      while (url) {
        const page = (await (
          await fetch(url, {
            headers: {
              Authorization: `Bearer ${answer.access_token}`,
              Prefer: 'odata.maxpagesize=20',
            },
          })
        ).json()) as { value: { id: string }[]; '@odata.nextLink'?: string };
        if (page.value.length === 0 && page['@odata.nextLink']) empty++;
        sizes.push(page.value.length);
        seen.push(...page.value.map((u) => u.id));
        url = page['@odata.nextLink'];
      }
      assert.ok(empty > 0, 'some pages are empty yet carry a nextLink');
      assert.ok(seen.length > new Set(seen).size, 'some users come twice');
      assert.equal(new Set(seen).size, 300, 'every user comes at least once');
      assert.ok(sizes.every((n) => n <= 20));
      assert.ok(new Set(sizes.filter((n) => n > 0)).size > 2, 'the server picks the sizes');
      const order = strict.directory.userOrder;
      const unique = [...new Set(seen)];
      assert.notDeepEqual(unique, order.slice(0, unique.length), 'not in directory order');
    } finally {
      await strict.close();
    }
  });

  it('injects throttling with Retry-After, counts requests, and resets', async () => {
    assert.equal(
      (await control('POST', '/faults', { status: 429, retryAfter: 7, count: 1 })).status,
      201,
    );
    const throttled = await get('/v1.0/users?$top=1');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '7');
    assert.equal((throttled.body.error as { code: string }).code, 'TooManyRequests');
    assert.equal((await get('/v1.0/users?$top=1')).status, 200, 'count: 1 fires once');
    const stats = (await (await control('GET', '/stats')).json()) as {
      requests: Record<string, number>;
      faulted: number;
    };
    assert.ok((stats.requests['GET /v1.0/users'] ?? 0) >= 2);
    assert.equal(stats.faulted, 1);
    const reset = await control('POST', '/reset', { users: 3, b2c: true, seed: 'other' });
    assert.deepEqual(await reset.json(), { users: 3 });
    const state = (await (await control('GET', '/state')).json()) as Record<string, unknown>;
    assert.equal(state.b2c, true);
    assert.equal((await get('/v1.0/users/delta')).status, 400, 'no delta query in B2C');
    assert.equal((await get('/v1.0/users/$count', { ConsistencyLevel: 'eventual' })).status, 400);
    const someone = emulator.directory.userOrder[0]!;
    assert.equal((await get(`/v1.0/users/${someone}/photo`)).status, 400, 'no photos in B2C');
  });

  it('serves photos and their media ETag, and group members', async () => {
    emulator.reset({ users: 12, b2c: false, seed: 'emulator' });
    const [withPhoto, without] = [
      emulator.directory.userOrder[0]!,
      emulator.directory.userOrder[1]!,
    ];
    const meta = await get(`/v1.0/users/${withPhoto}/photo`);
    assert.equal(meta.status, 200);
    assert.match(String(meta.body['@odata.mediaEtag']), /^W\/"/);
    const bytes = await fetch(`${emulator.url}/v1.0/users/${withPhoto}/photo/$value`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(bytes.headers.get('content-type'), 'image/png');
    const none = await get(`/v1.0/users/${without}/photo`);
    assert.equal(none.status, 404);
    assert.equal((none.body.error as { code: string }).code, 'ImageNotFound');

    const groups = (await get('/v1.0/groups?$select=id,displayName')).body.value as {
      id: string;
      displayName: string;
    }[];
    const editors = groups.find((g) => g.displayName === 'Site Editors')!;
    const members = (await get(`/v1.0/groups/${editors.id}/members?$select=id`)).body.value as {
      id: string;
    }[];
    assert.deepEqual(
      members.map((m) => m.id),
      [emulator.directory.userOrder[0], emulator.directory.userOrder[10]],
    );
    const memberOf = (await get(`/v1.0/users/${withPhoto}/memberOf`)).body.value as {
      displayName: string;
    }[];
    assert.deepEqual(memberOf.map((g) => g.displayName).sort(), ['All Staff', 'Site Editors']);
  });
});
