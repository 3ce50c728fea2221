/**
 * Internal dependencies
 */
import { cronError, nextRuns, scheduleTimeZone } from '../read';
import { describe as describeForm, fromExpression, presetProblems, toExpression } from '../presets';

/** Local times as `YYYY-MM-DD HH:MM:SS`. */
function local(date: Date | null | undefined): string | null {
  if (!date) {
    return null;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

const START = new Date(2025, 0, 15, 10, 20, 30); // Wednesday 15 January 2025, 10:20:30

describe('cronError', () => {
  it.each([
    '*/15 * * * *',
    '0 9-17/4 * * *',
    '0 0 * jan,jul *',
    '0 0 * * MON-FRI',
    '0 0 * * 7',
    '0 0 * * ?',
    '0 0 ? * ?',
    '30 */10 * * * *',
    '@daily',
    '0 0 L * *',
    '0 0 * * 5L',
    '0 0 * * 1#2',
    '0 0 29 2 *',
  ])('accepts %j, as the sidecar does', (expression) => {
    expect(cronError(expression)).toBeNull();
  });

  it.each([
    ['', 'Enter a cron expression.'],
    ['* * * *', /has 5 fields .* this one has 4/],
    ['* * * * * * *', /this one has 7/],
    ['every hour', /has 5 fields/],
    ['60 * * * *', 'The minute must be from 0 to 59, not 60.'],
    ['1,60 * * * *', 'The minute must be from 0 to 59, not 60.'],
    ['0 24 * * *', 'The hour must be from 0 to 23, not 24.'],
    ['0 0 0 * *', 'The day of the month must be from 1 to 31, not 0.'],
    ['0 0 * 13 *', 'The month must be from 1 to 12, not 13.'],
    ['0 0 * * 8', 'The day of the week must be from 0 to 7, not 8.'],
    ['*/0 * * * *', '“*/0” is not a valid minute.'],
    ['0 5-2 * * *', 'The range “5-2” of the hour runs backwards.'],
    ['0 0 * * funday', '“funday” is not a valid day of the week.'],
    ['0,,5 * * * *', '“0,,5” is not a valid minute.'],
    // Taken by croner alone or by node-cron alone: the sidecar runs neither.
    ['5/20 * * * *', '“5/20” is not a valid minute.'],
    ['? * * * *', '“?” is not a valid minute.'],
    ['0 0 * * +5', '“+5” is not a valid day of the week.'],
    ['0 0 * * sunday', '“sunday” is not a valid day of the week.'],
    ['0 0 L-3 * *', '“L-3” is not a valid day of the month.'],
    ['@reboot', 'This is not a cron expression the sidecar can run.'],
    ['0 0 31 2 *', 'This expression never fires: no month has that day.'],
    ['0 0 30 2 *', 'This expression never fires: no month has that day.'],
  ])('refuses %j', (expression, message) => {
    const error = cronError(expression);
    if (typeof message === 'string') {
      expect(error).toBe(message);
    } else {
      expect(error).toMatch(message);
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
  ])('%s, in the browser’s zone', (expression, expected) => {
    expect(nextRuns(expression, START, 3).map(local)).toEqual(expected);
  });

  it('gives the times in the zone asked for', () => {
    const after = new Date('2025-01-15T10:20:30Z');
    const iso = (zone: string) =>
      nextRuns('30 2 * * *', after, 2, zone).map((d) => d.toISOString());
    expect(iso('UTC')).toEqual(['2025-01-16T02:30:00.000Z', '2025-01-17T02:30:00.000Z']);
    expect(iso('Asia/Tokyo')).toEqual(['2025-01-15T17:30:00.000Z', '2025-01-16T17:30:00.000Z']);
    expect(iso('America/New_York')).toEqual([
      '2025-01-16T07:30:00.000Z',
      '2025-01-17T07:30:00.000Z',
    ]);
  });

  it('skips a time the clock skips, as the sidecar does not fire then', () => {
    // Summer time starts in Berlin on 29 March 2026: 02:00 becomes 03:00.
    const runs = nextRuns('30 2 * * *', new Date('2026-03-28T12:00:00Z'), 2, 'Europe/Berlin');
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('gives none for an expression the sidecar refuses', () => {
    expect(nextRuns('0 0 31 2 *', START, 3)).toEqual([]);
    expect(nextRuns('5/20 * * * *', START, 3)).toEqual([]);
  });

  it('starts after the given moment, never at it', () => {
    expect(local(nextRuns('0 11 * * *', new Date(2025, 0, 15, 11, 0, 0), 1)[0])).toBe(
      '2025-01-16 11:00:00',
    );
  });
});

describe('scheduleTimeZone', () => {
  it.each([
    ['Europe/Berlin', 'Europe/Berlin'],
    ['UTC', 'UTC'],
    ['+02:00', 'Etc/GMT-2'],
    ['-05:00', 'Etc/GMT+5'],
    ['+00:00', 'UTC'],
    ['Not/AZone', 'UTC'],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as the sidecar does: %j', (zone, expected) => {
    expect(scheduleTimeZone(zone)).toBe(expected);
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
