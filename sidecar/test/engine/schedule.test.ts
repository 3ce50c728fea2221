// Schedules: the tick a run belongs to, and the last tick before a moment (start-up catch-up).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { previousTick, scheduleSlot, validSchedule } from '../../src/engine/schedule.js';

describe('schedules', () => {
  it('validates cron expressions', () => {
    assert.ok(validSchedule('*/15 * * * *'));
    assert.ok(validSchedule('0 3 * * 1-5'));
    assert.ok(validSchedule('*/10 * * * * *'));
    assert.ok(!validSchedule('every hour'));
    // node-cron fires it (a range wrapping past midnight), though croner cannot read it...
    assert.ok(validSchedule('0 22-2 * * *'));
    assert.equal(previousTick('0 22-2 * * *', new Date('2026-01-05T10:00:00Z')), null);
    // ...and croner alone would take this one (no February has a 30th).
    assert.ok(!validSchedule('0 0 30 2 *'));
  });

  it('names a tick the same on every replica', () => {
    const a = scheduleSlot('*/5 * * * *', new Date('2026-01-05T10:05:00.004Z'));
    const b = scheduleSlot('*/5 * * * *', new Date('2026-01-05T10:05:00.950Z'));
    assert.equal(a, b);
    assert.equal(a, '*/5 * * * *@2026-01-05T10:05:00.000Z');
  });

  it('finds the last tick before a moment', () => {
    const tz = { timezone: 'UTC' };
    assert.equal(
      previousTick('*/15 * * * *', new Date('2026-01-05T10:07:30Z'), tz)?.toISOString(),
      '2026-01-05T10:00:00.000Z',
    );
    assert.equal(
      previousTick('0 3 * * *', new Date('2026-01-05T02:59:00Z'), tz)?.toISOString(),
      '2026-01-04T03:00:00.000Z',
    );
    assert.equal(
      previousTick('30 8 * * 1', new Date('2026-01-07T12:00:00Z'), tz)?.toISOString(),
      '2026-01-05T08:30:00.000Z',
      'last Monday',
    );
    assert.equal(
      previousTick('*/20 * * * * *', new Date('2026-01-05T10:07:45Z'), tz)?.toISOString(),
      '2026-01-05T10:07:40.000Z',
    );
    assert.equal(
      previousTick('0 0 1 1 *', new Date('2026-06-01T00:00:00Z'), { ...tz, lookbackDays: 30 }),
      null,
    );
    assert.equal(
      previousTick('0 12 13 * 5', new Date('2026-01-05T00:00:00Z'), {
        ...tz,
        lookbackDays: 400,
      })?.toISOString(),
      '2025-06-13T12:00:00.000Z',
      'day of month and day of week both: the last Friday the 13th',
    );
    assert.equal(
      previousTick('30 2 * * *', new Date('2026-03-29T12:00:00Z'), {
        timezone: 'Europe/Berlin',
      })?.toISOString(),
      '2026-03-28T01:30:00.000Z',
      'no 02:30 on the night summer time starts',
    );
  });
});
