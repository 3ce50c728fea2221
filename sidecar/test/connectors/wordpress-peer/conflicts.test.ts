// Two-way decisions: which attributes to send, which to leave to the peer, and which changed
// on both sides; and the rule for the latter — the later change wins, the same on both sites.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeVerdict,
  planUpdate,
  resolveConflicts,
  timeKey,
} from '../../../src/connectors/wordpress-peer/conflicts.js';

describe('planUpdate', () => {
  const sent = { first_name: 'A', last_name: 'B', nickname: 'n', user_url: null };
  it('sends what only this site changed, keeps what only the peer changed, flags both', () => {
    const plan = planUpdate({
      ours: { first_name: 'A2', last_name: 'B', nickname: 'n2', user_url: null },
      sent,
      peer: { first_name: 'A', last_name: 'B3', nickname: 'n3', user_url: null },
      confirmed: sent,
    });
    assert.deepEqual(plan, {
      send: ['first_name'],
      peerOnly: ['last_name'],
      conflicts: ['nickname'],
    });
  });

  it('sees nothing to do when both sides already agree, even after both changed', () => {
    const plan = planUpdate({
      ours: { first_name: 'Same', last_name: 'B', nickname: 'n', user_url: null },
      sent,
      peer: { first_name: 'Same', last_name: 'B', nickname: 'n', user_url: null },
      confirmed: sent,
    });
    assert.deepEqual(plan, { send: [], peerOnly: [], conflicts: [] });
  });

  it('without a previous sync every difference is a conflict for the clocks to decide', () => {
    const plan = planUpdate({
      ours: { first_name: 'A', last_name: 'B' },
      sent: null,
      peer: { first_name: 'X', last_name: 'B' },
      confirmed: null,
    });
    assert.deepEqual(plan.conflicts, ['first_name']);
  });
});

describe('resolveConflicts', () => {
  const values = { ours: { a: 'mine' }, peer: { a: 'theirs' } };
  it('the later change wins, to the microsecond', () => {
    const [later] = resolveConflicts(['a'], {
      ...values,
      ourClock: { a: '2025-01-01T00:00:00.000002Z' },
      peerClock: { a: '2025-01-01T00:00:00.000001Z' },
    });
    assert.equal(later!.winner, 'ours');
    const [earlier] = resolveConflicts(['a'], {
      ...values,
      ourClock: { a: '2025-01-01T00:00:00.5Z' },
      peerClock: { a: '2025-01-01T00:00:01Z' },
    });
    assert.equal(earlier!.winner, 'peer');
  });

  it('a side with no recorded change loses to one with a time', () => {
    assert.equal(
      resolveConflicts(['a'], {
        ...values,
        ourClock: {},
        peerClock: { a: '2025-01-01T00:00:00Z' },
      })[0]!.winner,
      'peer',
    );
    assert.equal(
      resolveConflicts(['a'], {
        ...values,
        ourClock: { a: '2025-01-01T00:00:00Z' },
        peerClock: {},
      })[0]!.winner,
      'ours',
    );
  });

  it('both sites reach opposite-side verdicts for the same facts, ties included', () => {
    const times = [
      null,
      '2025-01-01T00:00:00Z',
      '2025-01-01T00:00:00.000001Z',
      '2025-01-01T00:00:01Z',
    ];
    const names = ['alpha', 'beta', null];
    for (const t1 of times)
      for (const t2 of times)
        for (const v1 of names)
          for (const v2 of names) {
            if (v1 === v2) continue;
            const here = resolveConflicts(['a'], {
              ours: { a: v1 },
              peer: { a: v2 },
              ourClock: t1 ? { a: t1 } : {},
              peerClock: t2 ? { a: t2 } : {},
            })[0]!;
            const there = resolveConflicts(['a'], {
              ours: { a: v2 },
              peer: { a: v1 },
              ourClock: t2 ? { a: t2 } : {},
              peerClock: t1 ? { a: t1 } : {},
            })[0]!;
            assert.notEqual(here.winner, there.winner, JSON.stringify({ t1, t2, v1, v2 }));
          }
  });

  it('names the overwritten value in the audit message', () => {
    const [verdict] = resolveConflicts(['first_name'], {
      ours: { first_name: 'Ada' },
      peer: { first_name: 'Augusta' },
      ourClock: { first_name: '2025-01-01T00:00:02Z' },
      peerClock: { first_name: '2025-01-01T00:00:01Z' },
    });
    assert.match(
      describeVerdict(verdict!, 'Child site'),
      /"Ada".*overwrote "Augusta" on Child site/,
    );
  });

  it('reads ISO times with any fraction', () => {
    assert.equal(timeKey('2025-01-01T00:00:00Z')! + 1, timeKey('2025-01-01T00:00:00.000001Z'));
    assert.equal(timeKey('2025-01-01T00:00:00.5Z'), timeKey('2025-01-01T00:00:00.500000Z'));
    assert.equal(timeKey('not a time'), null);
  });
});
