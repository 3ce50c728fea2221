// Cron schedules of sources (node-cron): validation, the tick a scheduled run belongs to (so
// every replica names the same tick the same way), and the last tick before a moment — what
// start-up compares with the last run to catch up a run missed while the sidecar was down.
// Schedules tick in the site's time zone (setScheduleTimeZone), not the process's, so every
// replica fires `0 2 * * *` at the same instant whatever its TZ.
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';

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

export function validSchedule(expression: string): boolean {
  return cron.validate(expression);
}

/** The schedule tick `date` belongs to: the expression and the tick time (to the second). */
export function scheduleSlot(expression: string, date: Date): string {
  const tick = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return `${expression}@${tick.toISOString()}`;
}

/**
 * The latest tick at or before `before`, looking back at most `lookbackDays` (null if none).
 * Walks back minute by minute; cheap enough for the once-per-start check it serves.
 */
export function previousTick(
  expression: string,
  before: Date,
  options: { lookbackDays?: number; timezone?: string } = {},
): Date | null {
  const task = cron.createTask(expression, () => undefined, {
    timezone: options.timezone ?? siteTimeZone,
  });
  try {
    const seconds = [...cron.parse(expression).second].sort((a, b) => b - a);
    const limit = (options.lookbackDays ?? 35) * 24 * 60;
    const minute = new Date(before);
    minute.setSeconds(0, 0);
    for (let step = 0; step <= limit; step++) {
      for (const second of seconds) {
        const candidate = new Date(minute.getTime() + second * 1000);
        if (candidate.getTime() <= before.getTime() && task.match(candidate)) return candidate;
      }
      minute.setTime(minute.getTime() - 60_000);
    }
    return null;
  } finally {
    void task.destroy();
  }
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
