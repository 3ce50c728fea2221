// How a schedule's cron expression is read, the same in the sidecar (which fires the runs
// with node-cron and computes next and previous ticks with croner) and in the admin UI (which
// validates it and shows the next runs with croner).

/**
 * croner's options that read an expression as node-cron does: 5 fields, or 6 with seconds
 * first, and day of month AND day of week must both match.
 */
export const CRON_OPTIONS = {
  mode: '5-or-6-parts',
  domAndDow: true,
} as const;
