// Schedules tick in the site's time zone: the same instants whatever the process's TZ, the
// WordPress offset zones (+02:00) as IANA names, and running schedules moving with the site.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

import {
  cronTimeZone,
  previousTick,
  setScheduleTimeZone,
  startSchedule,
} from '../../src/engine/schedule.js';

const schedule = fileURLToPath(new URL('../../src/engine/schedule.ts', import.meta.url));

/** What a sidecar with this process TZ computes for a site in Europe/Berlin. */
function ticksUnder(tz: string): { winter: string; summer: string; next: string } {
  const code = `
    import { previousTick, setScheduleTimeZone, startSchedule } from ${JSON.stringify(schedule)};
    setScheduleTimeZone('Europe/Berlin');
    const handle = startSchedule('0 2 * * *', 'tz-test', () => undefined);
    console.log(JSON.stringify({
      winter: previousTick('0 2 * * *', new Date('2026-01-15T12:00:00Z')).toISOString(),
      summer: previousTick('0 2 * * *', new Date('2026-07-15T12:00:00Z')).toISOString(),
      next: handle.nextTick().toISOString(),
    }));
    handle.stop();`;
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', code],
    { env: { ...process.env, TZ: tz }, encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe("schedules in the site's time zone", () => {
  after(() => setScheduleTimeZone(undefined));

  it('gives the same instants under TZ=UTC and TZ=Europe/Berlin (and elsewhere)', () => {
    const utc = ticksUnder('UTC');
    assert.deepEqual(ticksUnder('Europe/Berlin'), utc);
    assert.deepEqual(ticksUnder('America/New_York'), utc);
    // 02:00 in Berlin: 01:00Z in winter, 00:00Z in summer.
    assert.equal(utc.winter, '2026-01-15T01:00:00.000Z');
    assert.equal(utc.summer, '2026-07-15T00:00:00.000Z');
    assert.match(utc.next, /T0[01]:00:00\.000Z$/);
  });

  it('names WordPress offset zones as IANA zones; one without a name is UTC', () => {
    assert.equal(cronTimeZone('Europe/Berlin'), 'Europe/Berlin');
    assert.equal(cronTimeZone('UTC'), 'UTC');
    assert.equal(cronTimeZone('+02:00'), 'Etc/GMT-2');
    assert.equal(cronTimeZone('-05:00'), 'Etc/GMT+5');
    assert.equal(cronTimeZone('+00:00'), 'UTC');
    assert.equal(cronTimeZone('+05:30'), undefined);
    assert.equal(cronTimeZone(''), undefined);
    setScheduleTimeZone('+05:30');
    assert.equal(
      previousTick('0 2 * * *', new Date('2026-01-15T12:00:00Z'))?.toISOString(),
      '2026-01-15T02:00:00.000Z',
    );
    setScheduleTimeZone('+02:00');
    assert.equal(
      previousTick('0 2 * * *', new Date('2026-01-15T12:00:00Z'))?.toISOString(),
      '2026-01-15T00:00:00.000Z',
    );
  });

  it('moves running schedules when the site changes its time zone', () => {
    setScheduleTimeZone('UTC');
    const handle = startSchedule('0 2 * * *', 'tz-move', () => undefined);
    try {
      assert.equal(handle.nextTick()?.getUTCHours(), 2);
      assert.equal(setScheduleTimeZone('Asia/Tokyo'), true);
      // 02:00 in Tokyo is 17:00Z.
      assert.equal(handle.nextTick()?.getUTCHours(), 17);
      assert.equal(setScheduleTimeZone('Asia/Tokyo'), false);
    } finally {
      handle.stop();
    }
  });
});
