// Cron schedules of sources (node-cron): validation, the tick a scheduled run belongs to (so
// every replica names the same tick the same way), and the last tick before a moment — what
// start-up compares with the last run to catch up a run missed while the sidecar was down.
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';

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
  const task = cron.createTask(expression, () => undefined, { timezone: options.timezone });
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

/** Calls `onTick` with each tick's time; `stop()` ends it. */
export function startSchedule(
  expression: string,
  name: string,
  onTick: (tick: Date) => void,
): { stop(): void } {
  const task: ScheduledTask = cron.schedule(expression, (context) => onTick(context.date), {
    name,
    // A tick is claimed in the store and the run goes on in the background: never overlapping.
    noOverlap: false,
    suppressMissedWarning: true,
  });
  return {
    stop: () => {
      void task.destroy();
    },
  };
}
