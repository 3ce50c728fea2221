// The schedule is read by croner and fired by node-cron: on a table of expressions and time
// zones the two give the same verdicts, and every next and previous tick croner names is the
// one node-cron's own walk finds from the same instant (Date is mocked so that node-cron's
// getNextRuns starts from that instant), also on the night summer time starts.
//
// Not compared: the hour the clocks go back. node-cron reads a wall time of that hour as its
// second pass and its walk then depends on where it starts (from 02:44:59 CEST its next
// `*/15` tick is 02:45 CET, from 02:45 CEST it is 03:00 CET), so there is no one set of
// ticks to agree with; croner names both passes. A catch-up or preview in that hour may
// name a tick node-cron skips; the tick's slot still makes it run at most once.
import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { Cron } from 'croner';
import cron from 'node-cron';

import { CRON_OPTIONS, nextTicks, previousTick, validSchedule } from '../../src/engine/schedule.js';

/** Accepted by both. */
const VALID = [
  '*/15 * * * *',
  '0 3 * * 1-5',
  '*/10 * * * * *',
  '0 9-17/4 * * *',
  '0 0 * jan,jul *',
  '0 0 * * MON-FRI',
  '0 0 * * 7',
  '0 0 * * ?',
  '0 0 ? * ?',
  '@daily',
  '@hourly',
  '@weekly',
  '@monthly',
  '@yearly',
  '  0  0 * * *',
  '0 0 * * 0-7',
  '*/5,7 * * * *',
  '1-10/3 * * * *',
  '0 0 1-31/2 * *',
  '0 0 L * *',
  '0 0 LW * *',
  '0 0 15W * *',
  '0 0 1,L * *',
  '0 0 * * 5L',
  '0 0 * * 1,5L',
  '0 0 * * 1#2',
  '0 0 * * MON#2',
  '0 0 * * 7#1',
  '0 0 29 2 *',
  '0 12 13 * 5',
  '0 0 * jan-mar *',
  '0 0 * * sun,7',
  '*/59 * * * *',
  '0 0 * * 1-5/2',
  '0 0 * * */2',
  '30 2 * * *',
  '45 * * * * *',
];

/** Refused by both. */
const INVALID = [
  '',
  'every hour',
  '* * * *',
  '* * * * * * *',
  '0 1 * * * * *',
  '@reboot',
  '5/20 * * * *',
  '0/5 * * * *',
  '0 0 * * 1/2',
  '60 * * * *',
  '0 24 * * *',
  '0 0 0 * *',
  '0 0 * 13 *',
  '0 0 * * 8',
  '0 0 * * 8L',
  '0 0 * * 1#6',
  '0 0 32W * *',
  '0 0 W * *',
  '*/0 * * * *',
  '0 0 * * funday',
  '0,,5 * * * *',
  '- * * * *',
  '*/ * * * *',
  '1- * * * *',
  '0 0 * * H',
  '0 0 1 1 * 2030',
];

/**
 * Where the two differ: node-cron alone accepts wrapping ranges, full names and `L-n`;
 * croner alone accepts `?` outside the day fields, `+` and days no month has. The admin UI
 * refuses all of them; the sidecar runs what node-cron accepts, without a catch-up where
 * croner cannot name the previous tick.
 */
const DIFFERENT: [string, 'node-cron' | 'croner'][] = [
  ['0 5-2 * * *', 'node-cron'],
  ['0 0 * dec-feb *', 'node-cron'],
  ['0 0 * * sat-mon', 'node-cron'],
  ['0 0 * * sunday', 'node-cron'],
  ['0 0 * january *', 'node-cron'],
  ['0 0 L-3 * *', 'node-cron'],
  ['? * * * *', 'croner'],
  ['0 0 * * +5', 'croner'],
  ['0 0 31 2 *', 'croner'],
  ['0 0 30 2 *', 'croner'],
];

function cronerAccepts(expression: string): boolean {
  try {
    new Cron(expression, { ...CRON_OPTIONS, paused: true });
    return true;
  } catch {
    return false;
  }
}

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
/** Ordinary days, both DST changes in Europe and in the US, a leap day, a year's end. */
const INSTANTS = [
  '2025-01-15T10:20:30Z',
  '2026-03-08T06:40:00Z',
  '2026-03-29T00:59:59Z',
  '2026-03-29T01:30:00Z',
  '2026-10-25T00:45:00Z',
  '2028-02-29T23:59:00Z',
  '2026-12-31T23:30:00.500Z',
];

const wallClocks = new Map<string, Intl.DateTimeFormat>();
function wallClock(timezone: string, date: Date): string {
  let format = wallClocks.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      dateStyle: 'short',
      timeStyle: 'medium',
      hourCycle: 'h23',
    });
    wallClocks.set(timezone, format);
  }
  return format.format(date);
}

/** Whether the wall-clock time of `date` also occurs half an hour or an hour away. */
function inRepeatedHour(timezone: string, date: Date): boolean {
  const wall = wallClock(timezone, date);
  return [-3_600_000, -1_800_000, 1_800_000, 3_600_000].some(
    (shift) => wallClock(timezone, new Date(date.getTime() + shift)) === wall,
  );
}

/** node-cron's own next `count` ticks from `from` (its walk reads the mocked clock). */
function nodeCronNext(expression: string, timezone: string, from: Date, count: number): string[] {
  mock.timers.enable({ apis: ['Date'], now: from.getTime() });
  try {
    const task = cron.createTask(expression, () => undefined, { timezone });
    try {
      return task.getNextRuns(count).map((date) => date.toISOString());
    } finally {
      void task.destroy();
    }
  } finally {
    mock.timers.reset();
  }
}

describe('croner and node-cron read schedules alike', () => {
  afterEach(() => mock.timers.reset());

  it('give the same verdict on every expression of the table', () => {
    for (const expression of VALID) {
      assert.equal(cron.validate(expression), true, `node-cron accepts ${expression}`);
      assert.equal(cronerAccepts(expression), true, `croner accepts ${expression}`);
      assert.equal(validSchedule(expression), true, expression);
    }
    for (const expression of INVALID) {
      assert.equal(cron.validate(expression), false, `node-cron refuses ${expression}`);
      assert.equal(cronerAccepts(expression), false, `croner refuses ${expression}`);
      assert.equal(validSchedule(expression), false, expression);
    }
    for (const [expression, onlyOne] of DIFFERENT) {
      assert.equal(
        cron.validate(expression),
        onlyOne === 'node-cron',
        `node-cron on ${expression}`,
      );
      assert.equal(cronerAccepts(expression), onlyOne === 'croner', `croner on ${expression}`);
      assert.equal(validSchedule(expression), onlyOne === 'node-cron', expression);
      if (onlyOne === 'node-cron') {
        assert.equal(previousTick(expression, new Date('2026-01-05T10:00:00Z')), null);
      }
    }
  });

  it('name the next ticks node-cron fires on, in every zone, across DST changes', () => {
    let compared = 0;
    let skipped = 0;
    for (const expression of VALID) {
      for (const timezone of ZONES) {
        for (const at of INSTANTS) {
          const from = new Date(at);
          const ours = nextTicks(expression, from, 3, { timezone }).map((d) => d.toISOString());
          const theirs = nodeCronNext(expression, timezone, from, 3);
          if ([at, ...ours, ...theirs].some((t) => inRepeatedHour(timezone, new Date(t)))) {
            skipped++;
            continue;
          }
          compared++;
          assert.deepEqual(ours, theirs, `${expression} in ${timezone} after ${at}`);
        }
      }
    }
    assert.ok(skipped < compared / 10, `${skipped} cases in a repeated hour, ${compared} compared`);
  });

  it('name as the previous tick the one after which node-cron fires next only past the moment', () => {
    for (const expression of VALID) {
      for (const timezone of ZONES) {
        for (const at of INSTANTS) {
          const before = new Date(at);
          const tick = previousTick(expression, before, { timezone, lookbackDays: 3000 });
          assert.ok(tick, `${expression} in ${timezone} before ${at}`);
          if (inRepeatedHour(timezone, tick) || inRepeatedHour(timezone, before)) continue;
          const label = `${expression} in ${timezone}: ${tick.toISOString()} before ${at}`;
          assert.ok(tick.getTime() <= before.getTime(), label);
          // node-cron, a second before the tick, fires next at the tick...
          const [fromJustBefore] = nodeCronNext(
            expression,
            timezone,
            new Date(tick.getTime() - 1000),
            1,
          );
          assert.equal(fromJustBefore, tick.toISOString(), label);
          // ...and, from the tick, only after the moment: no tick is skipped in between.
          const [fromTick] = nodeCronNext(expression, timezone, tick, 1);
          assert.ok(new Date(fromTick!).getTime() > before.getTime(), label);
        }
      }
    }
  });
});
