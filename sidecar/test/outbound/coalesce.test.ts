// Merging a page of outbox rows into one change per user.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coalesce, mainAction } from '../../src/outbound/coalesce.js';
import type { OutboxChange } from '../../src/outbound/types.js';

const row = (
  id: number,
  userId: number,
  action: OutboxChange['action'],
  changed: string[],
  origin = 'local',
): OutboxChange => ({
  id,
  userId,
  action,
  changed,
  origin,
  createdAt: `2025-01-01T00:00:0${id}Z`,
});

describe('coalesce', () => {
  it('merges a user’s rows in order of first appearance, with every attribute and origin', () => {
    const merged = coalesce([
      row(1, 5, 'create', ['user_login']),
      row(2, 6, 'update', ['first_name']),
      row(3, 5, 'update', ['first_name', 'user_login']),
      row(4, 5, 'password', ['password'], 'entra'),
    ]);
    assert.deepEqual(
      merged.map((m) => [m.userId, m.ids, m.actions, m.changed, m.origins, m.firstAt]),
      [
        [
          5,
          [1, 3, 4],
          ['create', 'update', 'password'],
          ['user_login', 'first_name', 'password'],
          ['local', 'entra'],
          '2025-01-01T00:00:01Z',
        ],
        [6, [2], ['update'], ['first_name'], ['local'], '2025-01-01T00:00:02Z'],
      ],
    );
  });

  it('names a merged change by its strongest action', () => {
    const name = (...actions: OutboxChange['action'][]) =>
      mainAction(coalesce(actions.map((a, i) => row(i + 1, 1, a, [])))[0]!);
    assert.equal(name('update', 'delete'), 'delete');
    assert.equal(name('create', 'update'), 'create');
    assert.equal(name('update', 'disable'), 'disable');
    assert.equal(name('password'), 'password');
    assert.equal(name('password', 'update'), 'update');
  });
});
