// The Graph emulator's control API as the demo's start-up lines use it: list users to find an
// id (paged, searchable), then change that user.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { startGraphEmulator } from '../src/emulators/microsoft-graph/index.js';

const emulator = await startGraphEmulator({ users: 45, seed: 'control' });
after(() => emulator.close());

interface Listed {
  id: string;
  userPrincipalName: string | null;
  displayName: string | null;
  mail: string | null;
  accountEnabled: boolean | null;
  inRecycleBin: boolean;
}
interface ListPage {
  total: number;
  page: number;
  perPage: number;
  totalPages: number;
  next: string | null;
  users: Listed[];
}

async function get(path: string): Promise<ListPage> {
  const response = await fetch(`${emulator.url}${path}`);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as ListPage;
}

describe('GET /_emulator/users', () => {
  test('pages through every user with its id, UPN and name; next links the following page', async () => {
    const seen: Listed[] = [];
    let path: string | null = '/_emulator/users?per_page=20';
    const pages: number[] = [];
    while (path) {
      const page: ListPage = await get(path);
      assert.equal(page.total, 45);
      assert.equal(page.totalPages, 3);
      pages.push(page.users.length);
      seen.push(...page.users);
      path = page.next;
    }
    assert.deepEqual(pages, [20, 20, 5]);
    assert.equal(new Set(seen.map((u) => u.id)).size, 45, 'no user twice');
    for (const user of seen) {
      assert.match(user.id, /^[0-9a-f-]{36}$/);
      assert.match(user.userPrincipalName ?? '', /@/);
      assert.ok(user.displayName, 'a display name');
    }
  });

  test('the listed id is the one PATCH changes; search finds it; a deleted user is marked', async () => {
    const first = (await get('/_emulator/users?per_page=1')).users[0]!;
    const patched = await fetch(`${emulator.url}/_emulator/users/${first.id}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ displayName: 'Zebediah Changed' }),
    });
    assert.equal(patched.status, 200);

    const found = await get('/_emulator/users?search=zebediah');
    assert.deepEqual(
      found.users.map((u) => [u.id, u.displayName]),
      [[first.id, 'Zebediah Changed']],
    );
    assert.equal(found.next, null);

    assert.equal(
      (await fetch(`${emulator.url}/_emulator/users/${first.id}`, { method: 'DELETE' })).status,
      204,
    );
    const again = await get('/_emulator/users?search=zebediah');
    assert.equal(again.users[0]?.inRecycleBin, true);
    const purged = await fetch(`${emulator.url}/_emulator/users/${first.id}?permanent=true`, {
      method: 'DELETE',
    });
    assert.equal(purged.status, 204);
    assert.equal((await get('/_emulator/users?search=zebediah')).total, 0);
    assert.equal((await get('/_emulator/users')).total, 44);
  });

  test('page and per_page out of range fall back or are capped', async () => {
    const page = await get('/_emulator/users?per_page=5000&page=abc');
    assert.equal(page.perPage, 200);
    assert.equal(page.page, 1);
    assert.equal(page.users.length, 44);
    const beyond = await get('/_emulator/users?page=9');
    assert.deepEqual(beyond.users, []);
    assert.equal(beyond.next, null);
  });
});
