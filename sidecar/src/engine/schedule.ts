// Cron schedules of sources: validation, the tick a scheduled run belongs to (so every
// replica names the same tick the same way), and the last tick before a moment — what
// start-up compares with the last run to catch up a run missed while the sidecar was down.
// Schedules tick in the site's time zone (setScheduleTimeZone), not the process's, so every
// replica fires `0 2 * * *` at the same instant whatever its TZ.
//
// node-cron fires the runs; croner, with the options the admin UI uses too (CRON_OPTIONS),
// reads the expression for next and previous ticks, so the screen that previews a schedule
// and the process that runs it read it by one set of rules
// (test/engine/schedule-node-cron.test.ts holds the two to the same verdicts and ticks).
// The admin UI offers only expressions both accept. One stored before that which node-cron
// alone reads (a range wrapping past midnight, a weekday's full name) still runs; it just
// has no catch-up at start, as croner cannot name its previous tick.
import { Cron } from 'croner';
import type { CronOptions } from 'croner';
import cron from 'node-cron';
import { CRON_OPTIONS as SHARED_CRON_OPTIONS } from '../provisioning/index.js';
import type { ScheduledTask } from 'node-cron';

/** How croner reads an expression as node-cron does (provisioning's, shared with the UI). */
export const CRON_OPTIONS = SHARED_CRON_OPTIONS satisfies CronOptions;

/** The site's time zone as node-cron takes it (undefined: the process's own). */
let siteTimeZone: string | undefined;
const running = new Set<() => void>();

/**
 * A WordPress time zone (wp_timezone_string(): an IANA name, `UTC`, or an offset such as
 * `+02:00`) as an IANA name; undefined when none fits (a half-hour offset on Node 20).
 */
export function cronTimeZone(zone: string | null | undefined): string | undefined {
  if (!zone) return undefined;
  const offset = /^([+-])(\d{2}):00$/.exec(zone);
  // Etc/GMT names count the other way: UTC+02:00 is Etc/GMT-2.
  const name = offset
    ? Number(offset[2]) === 0
      ? 'UTC'
      : `Etc/GMT${offset[1] === '+' ? '-' : '+'}${Number(offset[2])}`
    : zone;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return name;
  } catch {
    return undefined;
  }
}

/**
 * Sets the site's time zone; running schedules move to it. A zone with no IANA name is UTC,
 * the same on every replica. Whether it changed.
 */
export function setScheduleTimeZone(zone: string | null | undefined): boolean {
  const next = cronTimeZone(zone) ?? (zone ? 'UTC' : undefined);
  if (next === siteTimeZone) return false;
  siteTimeZone = next;
  for (const restart of running) restart();
  return true;
}

/** The expression read by croner (never started), or null when it refuses it. */
function reader(expression: string, timezone: string | undefined): Cron | null {
  try {
    return new Cron(expression, { ...CRON_OPTIONS, timezone, paused: true });
  } catch {
    return null;
  }
}

/** Whether node-cron, which fires it, accepts it. */
export function validSchedule(expression: string): boolean {
  return cron.validate(expression);
}

/** The schedule tick `date` belongs to: the expression and the tick time (to the second). */
export function scheduleSlot(expression: string, date: Date): string {
  const tick = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return `${expression}@${tick.toISOString()}`;
}

/** How many candidates to look at before giving up (a tick per day in a DST gap is skipped). */
const CANDIDATES = 8;

/**
 * The latest tick at or before `before`, looking back at most `lookbackDays` (null if none,
 * or if croner cannot read the expression). A time that the clock skips (02:30 on the night summer time starts) is no tick, as
 * node-cron does not fire then.
 */
export function previousTick(
  expression: string,
  before: Date,
  options: { lookbackDays?: number; timezone?: string } = {},
): Date | null {
  const job = reader(expression, options.timezone ?? siteTimeZone);
  const limit = before.getTime() - (options.lookbackDays ?? 35) * 86_400_000;
  // croner looks strictly before its reference: one millisecond on includes `before` itself.
  let reference = new Date(before.getTime() + 1);
  for (let tries = 0; job && tries < CANDIDATES; tries++) {
    const [tick] = job.previousRuns(1, reference);
    if (!tick || tick.getTime() < limit) return null;
    if (job.match(tick)) return tick;
    reference = tick;
  }
  return null;
}

/** The next `count` ticks after `after` (fewer when it stops firing), as previousTick sees them. */
export function nextTicks(
  expression: string,
  after: Date,
  count: number,
  options: { timezone?: string } = {},
): Date[] {
  const job = reader(expression, options.timezone ?? siteTimeZone);
  const ticks: Date[] = [];
  let from: Date | null = after;
  for (let tries = 0; job && from && ticks.length < count && tries < count + CANDIDATES; tries++) {
    from = job.nextRun(from);
    if (from && job.match(from)) ticks.push(from);
  }
  return ticks;
}

/** Calls `onTick` with each tick's time, in the site's time zone; `stop()` ends it. */
export function startSchedule(
  expression: string,
  name: string,
  onTick: (tick: Date) => void,
): { stop(): void; nextTick(): Date | null } {
  const start = (): ScheduledTask =>
    cron.schedule(expression, (context) => onTick(context.date), {
      name,
      timezone: siteTimeZone,
      // A tick is claimed in the store and the run goes on in the background: never overlapping.
      noOverlap: false,
      suppressMissedWarning: true,
    });
  let task = start();
  const restart = () => {
    void task.destroy();
    task = start();
  };
  running.add(restart);
  return {
    stop: () => {
      running.delete(restart);
      void task.destroy();
    },
    nextTick: () => task.getNextRun(),
  };
}
