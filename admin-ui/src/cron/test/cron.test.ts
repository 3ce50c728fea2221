/**
 * Internal dependencies
 */
import { nextRun, nextRuns } from '../next';
import { parseCron } from '../parse';
import type { CronSchedule } from '../parse';
import { describe as describeForm, fromExpression, presetProblems, toExpression } from '../presets';

function schedule(expression: string): CronSchedule {
  const parsed = parseCron(expression);
  if (!parsed.ok) {
    throw new Error(parsed.error);
  }
  return parsed.schedule;
}

/** Local times as `YYYY-MM-DD HH:MM:SS`. */
function local(date: Date | null): string | null {
  if (!date) {
    return null;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

const START = new Date(2025, 0, 15, 10, 20, 30); // Wednesday 15 January 2025, 10:20:30

describe('parseCron', () => {
  it.each([
    ['*/15 * * * *', 'minute', [0, 15, 30, 45]],
    ['0 9-17/4 * * *', 'hour', [9, 13, 17]],
    ['0 0 * jan,jul *', 'month', [1, 7]],
    ['0 0 * * MON-FRI', 'dayOfWeek', [1, 2, 3, 4, 5]],
    ['0 0 * * 7', 'dayOfWeek', [0]],
    ['0 0 * * ?', 'dayOfWeek', [0, 1, 2, 3, 4, 5, 6]],
    ['5/20 * * * *', 'minute', [5, 25, 45]],
    ['30 */10 * * * *', 'second', [30]],
    ['@daily', 'hour', [0]],
  ] as const)('%s', (expression, field, values) => {
    expect([...schedule(expression)[field]].sort((a, b) => a - b)).toEqual(values);
  });

  it.each([
    ['', 'Enter a cron expression.'],
    ['* * * *', /has 5 fields .* this one has 4/],
    ['* * * * * * *', /this one has 7/],
    ['60 * * * *', 'The minute must be from 0 to 59, not 60.'],
    ['0 24 * * *', 'The hour must be from 0 to 23, not 24.'],
    ['0 0 0 * *', 'The day of the month must be from 1 to 31, not 0.'],
    ['0 0 * 13 *', 'The month must be from 1 to 12, not 13.'],
    ['0 0 * * 8', 'The day of the week must be from 0 to 7, not 8.'],
    ['*/0 * * * *', /step after “\/” in the minute/],
    ['0 5-2 * * *', 'The range “5-2” of the hour runs backwards.'],
    ['0 0 * * funday', '“funday” is not a valid day of the week.'],
    ['0,,5 * * * *', 'The minute has an empty item in its list.'],
    ['every hour', /has 5 fields/],
  ])('refuses %j', (expression, message) => {
    const parsed = parseCron(expression);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      if (typeof message === 'string') {
        expect(parsed.error).toBe(message);
      } else {
        expect(parsed.error).toMatch(message);
      }
    }
  });
});

describe('nextRuns', () => {
  it.each([
    ['0 * * * *', ['2025-01-15 11:00:00', '2025-01-15 12:00:00', '2025-01-15 13:00:00']],
    ['*/15 * * * *', ['2025-01-15 10:30:00', '2025-01-15 10:45:00', '2025-01-15 11:00:00']],
    ['30 2 * * *', ['2025-01-16 02:30:00', '2025-01-17 02:30:00', '2025-01-18 02:30:00']],
    ['0 */6 * * *', ['2025-01-15 12:00:00', '2025-01-15 18:00:00', '2025-01-16 00:00:00']],
    ['0 9 * * 1', ['2025-01-20 09:00:00', '2025-01-27 09:00:00', '2025-02-03 09:00:00']],
    ['0 0 1 * *', ['2025-02-01 00:00:00', '2025-03-01 00:00:00', '2025-04-01 00:00:00']],
    ['0 0 29 2 *', ['2028-02-29 00:00:00', '2032-02-29 00:00:00', '2036-02-29 00:00:00']],
    ['20 10 15 1 *', ['2026-01-15 10:20:00', '2027-01-15 10:20:00', '2028-01-15 10:20:00']],
    ['45 * * * * *', ['2025-01-15 10:20:45', '2025-01-15 10:21:45', '2025-01-15 10:22:45']],
    // Day of month and day of week must both match, as in the sidecar's scheduler.
    ['0 12 13 * 5', ['2025-06-13 12:00:00', '2026-02-13 12:00:00', '2026-03-13 12:00:00']],
  ])('%s', (expression, expected) => {
    const runs = nextRuns(schedule(expression), START, 3).map(local);
    expect([...runs, null, null, null].slice(0, 3)).toEqual(expected);
  });

  it('finds nothing for a day that never comes', () => {
    expect(nextRun(schedule('0 0 31 2 *'), START)).toBeNull();
  });

  it('starts after the given moment, never at it', () => {
    expect(local(nextRun(schedule('0 11 * * *'), new Date(2025, 0, 15, 11, 0, 0)))).toBe(
      '2025-01-16 11:00:00',
    );
  });
});

describe('schedule presets', () => {
  it.each([
    [null, 'off', null],
    ['15 * * * *', 'hourly', 'Every hour, 15 minutes past the hour.'],
    ['0 */6 * * *', 'every-hours', 'Every 6 hours from midnight, 0 minutes past the hour.'],
    ['30 2 * * *', 'daily', 'Every day at 02:30.'],
    ['5 18 * * 5', 'weekly', 'Every Friday at 18:05.'],
    ['0 */5 * * *', 'custom', null],
    ['*/10 8-18 * * 1-5', 'custom', null],
  ] as const)('%j is shown as %s', (expression, mode, sentence) => {
    const form = fromExpression(expression);
    expect(form.mode).toBe(mode);
    if (mode !== 'off') {
      expect(toExpression(form)).toBe(expression);
    }
    if (sentence) {
      expect(describeForm(form)).toBe(sentence);
    }
  });

  it('checks the preset fields', () => {
    expect(presetProblems({ ...fromExpression('0 * * * *'), minute: 60 })).toEqual({
      minute: 'Enter a minute from 0 to 59.',
    });
    expect(presetProblems({ ...fromExpression('0 2 * * *'), time: '25:00' })).toEqual({
      time: 'Enter a time as HH:MM, e.g. 02:30.',
    });
  });
});
