/**
 * The next times a parsed cron schedule fires, in the browser's time zone. Every field must
 * match (also day of month and day of week together, as the sidecar's scheduler does). The
 * walk skips whole days, hours and minutes that cannot match, so even a yearly schedule is
 * found in a few thousand steps.
 */

/**
 * Internal dependencies
 */
import type { CronSchedule } from './parse';

/** How far ahead to look before concluding the schedule never fires (e.g. 31 February). */
const HORIZON_YEARS = 5;

function dayMatches(schedule: CronSchedule, date: Date): boolean {
  return (
    schedule.month.has(date.getMonth() + 1) &&
    schedule.dayOfMonth.has(date.getDate()) &&
    schedule.dayOfWeek.has(date.getDay())
  );
}

/** The first time strictly after `after` that matches, or null within the horizon. */
export function nextRun(schedule: CronSchedule, after: Date): Date | null {
  const limit = new Date(after);
  limit.setFullYear(limit.getFullYear() + HORIZON_YEARS);
  const t = new Date(after.getTime());
  t.setMilliseconds(0);
  t.setSeconds(t.getSeconds() + 1);

  while (t <= limit) {
    if (!dayMatches(schedule, t)) {
      t.setDate(t.getDate() + 1);
      t.setHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hour.has(t.getHours())) {
      t.setHours(t.getHours() + 1, 0, 0, 0);
      continue;
    }
    if (!schedule.minute.has(t.getMinutes())) {
      t.setMinutes(t.getMinutes() + 1, 0, 0);
      continue;
    }
    if (!schedule.second.has(t.getSeconds())) {
      t.setSeconds(t.getSeconds() + 1, 0);
      continue;
    }
    return new Date(t.getTime());
  }
  return null;
}

/** The next `count` times after `after` (fewer when the schedule stops firing). */
export function nextRuns(schedule: CronSchedule, after: Date, count: number): Date[] {
  const runs: Date[] = [];
  let from = after;
  while (runs.length < count) {
    const next = nextRun(schedule, from);
    if (!next) {
      break;
    }
    runs.push(next);
    from = next;
  }
  return runs;
}
