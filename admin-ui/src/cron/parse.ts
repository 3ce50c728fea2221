/**
 * Cron expressions as the sidecar's scheduler (node-cron) reads them: five fields
 * (minute hour day-of-month month day-of-week) or six with seconds first; `*`, lists
 * (`1,15`), ranges (`1-5`), steps (`*\/15`, `0-30/10`), month and weekday names (`jan`,
 * `mon`), 7 as Sunday, `?` for "any day", and the nicknames `@hourly`, `@daily`, ….
 * A field that would never match, or an unknown token, is an error naming the field.
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

export type CronField = 'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek';

/** The values each field allows, as sets. */
export interface CronSchedule {
  second: Set<number>;
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  /** 0 (Sunday) to 6. */
  dayOfWeek: Set<number>;
  /** Whether the day fields were left open (`*` or `?`). */
  anyDayOfMonth: boolean;
  anyDayOfWeek: boolean;
}

export type CronParse = { ok: true; schedule: CronSchedule } | { ok: false; error: string };

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

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

class FieldError extends Error {}

/** A number or a name in a field. */
function value(token: string, field: CronField): number {
  const lower = token.toLowerCase();
  if (field === 'month') {
    const index = MONTHS.findIndex((name) => lower === name || lower === longMonth(name));
    if (index !== -1) {
      return index + 1;
    }
  }
  if (field === 'dayOfWeek') {
    const index = WEEKDAYS.findIndex((name) => lower === name || lower === longWeekday(name));
    if (index !== -1) {
      return index;
    }
  }
  if (!/^\d+$/.test(token)) {
    throw new FieldError(
      sprintf(
        /* translators: 1: the token, 2: field name. */
        __('“%1$s” is not a valid %2$s.', 'usersync'),
        token,
        fieldName(field),
      ),
    );
  }
  const number = Number(token);
  const [min, max] = BOUNDS[field];
  if (number < min || number > max) {
    throw new FieldError(
      sprintf(
        /* translators: 1: field name, 2: lowest value, 3: highest value, 4: the value given. */
        __('The %1$s must be from %2$d to %3$d, not %4$d.', 'usersync'),
        fieldName(field),
        min,
        max,
        number,
      ),
    );
  }
  return number;
}

function longMonth(short: string): string {
  return (
    {
      jan: 'january',
      feb: 'february',
      mar: 'march',
      apr: 'april',
      jun: 'june',
      jul: 'july',
      aug: 'august',
      sep: 'september',
      oct: 'october',
      nov: 'november',
      dec: 'december',
    }[short] ?? short
  );
}

function longWeekday(short: string): string {
  return (
    {
      sun: 'sunday',
      mon: 'monday',
      tue: 'tuesday',
      wed: 'wednesday',
      thu: 'thursday',
      fri: 'friday',
      sat: 'saturday',
    }[short] ?? short
  );
}

/** The values one field allows. */
function parseField(text: string, field: CronField): Set<number> {
  const [min, max] = BOUNDS[field];
  const values = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') {
      throw new FieldError(
        sprintf(
          /* translators: %s: field name. */
          __('The %s has an empty item in its list.', 'usersync'),
          fieldName(field),
        ),
      );
    }
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) {
      throw new FieldError(
        sprintf(
          /* translators: %s: field name. */
          __('The %s has more than one “/”.', 'usersync'),
          fieldName(field),
        ),
      );
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new FieldError(
          sprintf(
            /* translators: %s: field name. */
            __('The step after “/” in the %s must be a whole number of 1 or more.', 'usersync'),
            fieldName(field),
          ),
        );
      }
      step = Number(stepText);
    }
    let start: number;
    let end: number;
    if (range === '*' || (range === '?' && (field === 'dayOfMonth' || field === 'dayOfWeek'))) {
      start = min;
      end = field === 'dayOfWeek' ? 6 : max;
    } else if (range.includes('-')) {
      const [from, to] = range.split('-');
      start = value(from, field);
      end = value(to, field);
      if (end < start) {
        throw new FieldError(
          sprintf(
            /* translators: 1: the range, 2: field name. */
            __('The range “%1$s” of the %2$s runs backwards.', 'usersync'),
            range,
            fieldName(field),
          ),
        );
      }
    } else {
      start = value(range, field);
      // `5/15` means from 5 to the end in steps of 15.
      end = stepText !== undefined ? max : start;
    }
    for (let n = start; n <= end; n += step) {
      values.add(field === 'dayOfWeek' && n === 7 ? 0 : n);
    }
  }
  return values;
}

/** Parses an expression; the error, when there is one, says what to fix. */
export function parseCron(expression: string): CronParse {
  const text = expression.trim();
  if (text === '') {
    return { ok: false, error: __('Enter a cron expression.', 'usersync') };
  }
  const expanded = NICKNAMES[text.toLowerCase()] ?? text;
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    return {
      ok: false,
      error: sprintf(
        /* translators: %d: number of fields found. */
        __(
          'A cron expression has 5 fields (minute hour day month weekday), e.g. “30 2 * * *”; this one has %d.',
          'usersync',
        ),
        parts.length,
      ),
    };
  }
  const fields: CronField[] =
    parts.length === 6
      ? ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek']
      : ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'];
  const sets: Partial<Record<CronField, Set<number>>> = { second: new Set([0]) };
  try {
    fields.forEach((field, index) => {
      sets[field] = parseField(parts[index], field);
    });
  } catch (error) {
    if (error instanceof FieldError) {
      return { ok: false, error: error.message };
    }
    throw error;
  }
  const dayOfMonthText = parts[fields.indexOf('dayOfMonth')];
  const dayOfWeekText = parts[fields.indexOf('dayOfWeek')];
  return {
    ok: true,
    schedule: {
      second: sets.second as Set<number>,
      minute: sets.minute as Set<number>,
      hour: sets.hour as Set<number>,
      dayOfMonth: sets.dayOfMonth as Set<number>,
      month: sets.month as Set<number>,
      dayOfWeek: sets.dayOfWeek as Set<number>,
      anyDayOfMonth: dayOfMonthText === '*' || dayOfMonthText === '?',
      anyDayOfWeek: dayOfWeekText === '*' || dayOfWeekText === '?',
    },
  };
}
