/**
 * The date filters: calendar days in the admin's time zone, turned into the UTC instants the
 * plugin filters by (from the start of the first day to the end of the last).
 */

/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local midnight of a `YYYY-MM-DD` day, or null when it is not a real day. */
export function localMidnight(day: string): Date | null {
  const match = DAY.exec(day);
  if (!match) {
    return null;
  }
  const [year, month, date] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const midnight = new Date(year, month, date);
  return midnight.getFullYear() === year &&
    midnight.getMonth() === month &&
    midnight.getDate() === date
    ? midnight
    : null;
}

export interface DateRange {
  after?: string;
  before?: string;
  errors: Record<string, string>;
}

/** The UTC bounds of a from–to range of days, with errors by field. */
export function dateRange(from: string, to: string): DateRange {
  const range: DateRange = { errors: {} };
  const start = from ? localMidnight(from) : null;
  const end = to ? localMidnight(to) : null;
  if (from && !start) {
    range.errors.from = __('Enter a date as YYYY-MM-DD.', 'usersync');
  }
  if (to && !end) {
    range.errors.to = __('Enter a date as YYYY-MM-DD.', 'usersync');
  }
  if (start) {
    range.after = start.toISOString();
  }
  if (end) {
    const next = new Date(end.getFullYear(), end.getMonth(), end.getDate() + 1);
    range.before = next.toISOString();
  }
  if (start && end && start > end) {
    range.errors.to = __('The last day must not be before the first.', 'usersync');
  }
  return range;
}
