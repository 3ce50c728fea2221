/**
 * Cron expressions read as the sidecar reads them: by croner, with the options the sidecar
 * uses (`CRON_OPTIONS` of sidecar/src/provisioning/schedule.ts), refusing what node-cron, which
 * fires the runs, refuses too. What is here besides croner is presentation: which field an
 * error is in, said in the admin's language, and the site's time zone as croner takes it.
 */

/**
 * External dependencies
 */
import { Cron } from 'croner';

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { CRON_OPTIONS } from '@usersync/provisioning';

/** The characters node-cron takes (croner takes a few more, such as `+`). */
const ALLOWED = /^[a-zA-Z0-9\-*/,#? ]+$/;

type CronField = 'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek';

const BOUNDS: Record<CronField, [number, number]> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  dayOfWeek: [0, 7],
};

function fieldName(field: CronField): string {
  switch (field) {
    case 'second':
      return __('seconds', 'usersync');
    case 'minute':
      return __('minute', 'usersync');
    case 'hour':
      return __('hour', 'usersync');
    case 'dayOfMonth':
      return __('day of the month', 'usersync');
    case 'month':
      return __('month', 'usersync');
    case 'dayOfWeek':
      return __('day of the week', 'usersync');
  }
}

/** croner's reading of the expression, or null when it refuses it. */
function read(expression: string, timezone?: string): Cron | null {
  try {
    return new Cron(expression, { ...CRON_OPTIONS, timezone, paused: true });
  } catch {
    return null;
  }
}

/** What is wrong with one field, said for the admin. */
function fieldError(text: string, field: CronField): string {
  const [min, max] = BOUNDS[field];
  for (const part of text.split(',')) {
    if (/^\d+$/.test(part) && (Number(part) < min || Number(part) > max)) {
      return sprintf(
        /* translators: 1: field name, 2: lowest value, 3: highest value, 4: the value given. */
        __('The %1$s must be from %2$d to %3$d, not %4$d.', 'usersync'),
        fieldName(field),
        min,
        max,
        Number(part),
      );
    }
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range && Number(range[1]) > Number(range[2])) {
      return sprintf(
        /* translators: 1: the range, 2: field name. */
        __('The range “%1$s” of the %2$s runs backwards.', 'usersync'),
        part,
        fieldName(field),
      );
    }
  }
  return sprintf(
    /* translators: 1: the field as typed, 2: field name. */
    __('“%1$s” is not a valid %2$s.', 'usersync'),
    text,
    fieldName(field),
  );
}

/** Whether one field passes on its own: the others set to `*`, and `?` in day fields only. */
function fieldAccepted(parts: string[], index: number, field: CronField): boolean {
  const text = parts[index];
  const anyDay = text === '?' && (field === 'dayOfMonth' || field === 'dayOfWeek');
  if (!ALLOWED.test(text) || (text.includes('?') && !anyDay)) {
    return false;
  }
  const probe = parts.map((part, i) => (i === index ? part : '*'));
  return read(probe.join(' ')) !== null;
}

/** Why the sidecar would refuse the expression, or null when it runs it. */
export function cronError(expression: string): string | null {
  const text = expression.trim();
  if (text === '') {
    return __('Enter a cron expression.', 'usersync');
  }
  const parts = text.split(/\s+/);
  if (!text.startsWith('@') && parts.length !== 5 && parts.length !== 6) {
    return sprintf(
      /* translators: %d: number of fields found. */
      __(
        'A cron expression has 5 fields (minute hour day month weekday), e.g. “30 2 * * *”; this one has %d.',
        'usersync',
      ),
      parts.length,
    );
  }
  if (!text.startsWith('@')) {
    const fields: CronField[] =
      parts.length === 6
        ? ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek']
        : ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'];
    for (const [index, field] of fields.entries()) {
      if (!fieldAccepted(parts, index, field)) {
        return fieldError(parts[index], field);
      }
    }
  }
  const job = read(text);
  if (!job) {
    return __('This is not a cron expression the sidecar can run.', 'usersync');
  }
  if (job.nextRun() === null) {
    return __('This expression never fires: no month has that day.', 'usersync');
  }
  return null;
}

/**
 * A WordPress time zone (an IANA name, `UTC`, or an offset such as `+02:00`) as the sidecar
 * schedules in it: the IANA name, `Etc/GMT-2` for `+02:00`, and UTC for one with no name.
 * Undefined (the browser's own) when none is given.
 */
export function scheduleTimeZone(zone: string | null | undefined): string | undefined {
  if (!zone) {
    return undefined;
  }
  const offset = /^([+-])(\d{2}):00$/.exec(zone);
  // Etc/GMT names count the other way: UTC+02:00 is Etc/GMT-2.
  let name = zone;
  if (offset) {
    name =
      Number(offset[2]) === 0
        ? 'UTC'
        : `Etc/GMT${offset[1] === '+' ? '-' : '+'}${Number(offset[2])}`;
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return name;
  } catch {
    return 'UTC';
  }
}

/**
 * The next `count` times the expression fires after `after`, in `timeZone` (an IANA name; the
 * browser's when undefined): none for an expression the sidecar refuses. A time the clock
 * skips (02:30 on the night summer time starts) is left out, as the sidecar does not fire then.
 */
export function nextRuns(
  expression: string,
  after: Date,
  count: number,
  timeZone?: string,
): Date[] {
  const job = cronError(expression) === null ? read(expression.trim(), timeZone) : null;
  const runs: Date[] = [];
  let from: Date | null = after;
  // A skipped time is one a day at most: a few more tries than runs always suffice.
  for (let tries = 0; job && from && runs.length < count && tries < count + 8; tries++) {
    from = job.nextRun(from);
    if (from && job.match(from)) {
      runs.push(from);
    }
  }
  return runs;
}
