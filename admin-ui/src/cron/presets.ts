/**
 * The schedule forms the Schedule tab offers — off, hourly, every few hours, daily at a
 * time, weekly on a day at a time, or any cron expression — and their cron expressions both
 * ways, with a sentence describing each.
 */

/**
 * WordPress dependencies
 */
import { __, _n, sprintf } from '@wordpress/i18n';

export type ScheduleMode = 'off' | 'hourly' | 'every-hours' | 'daily' | 'weekly' | 'custom';

/** What the form holds; only the fields of the chosen mode matter. */
export interface ScheduleForm {
  mode: ScheduleMode;
  /** Minute past the hour (hourly, every few hours). */
  minute: number;
  /** Hours between runs (every few hours): a divisor of 24. */
  interval: number;
  /** `HH:MM` (daily, weekly). */
  time: string;
  /** 0 (Sunday) to 6 (weekly). */
  weekday: number;
  /** The expression (custom). */
  expression: string;
}

/** Intervals that divide the day evenly, so runs keep the same times every day. */
export const INTERVALS = [2, 3, 4, 6, 8, 12];

export const DEFAULT_FORM: ScheduleForm = {
  mode: 'off',
  minute: 0,
  interval: 6,
  time: '02:00',
  weekday: 1,
  expression: '',
};

const pad = (n: number) => String(n).padStart(2, '0');

function splitTime(time: string): [number, number] | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!match) {
    return null;
  }
  const [hour, minute] = [Number(match[1]), Number(match[2])];
  return hour <= 23 && minute <= 59 ? [hour, minute] : null;
}

/** The expression a form stands for: null for off. */
export function toExpression(form: ScheduleForm): string | null {
  const time = splitTime(form.time) ?? [2, 0];
  switch (form.mode) {
    case 'off':
      return null;
    case 'hourly':
      return `${form.minute} * * * *`;
    case 'every-hours':
      return `${form.minute} */${form.interval} * * *`;
    case 'daily':
      return `${time[1]} ${time[0]} * * *`;
    case 'weekly':
      return `${time[1]} ${time[0]} * * ${form.weekday}`;
    case 'custom':
      return form.expression.trim();
  }
}

/** The form showing a stored expression: a preset when it is one, else custom. */
export function fromExpression(expression: string | null): ScheduleForm {
  if (expression === null || expression.trim() === '') {
    return { ...DEFAULT_FORM };
  }
  const text = expression.trim().replace(/\s+/g, ' ');
  const base = { ...DEFAULT_FORM, expression: text };
  const minute = '([0-5]?\\d)';
  const hour = '([01]?\\d|2[0-3])';
  let match = new RegExp(`^${minute} \\* \\* \\* \\*$`).exec(text);
  if (match) {
    return { ...base, mode: 'hourly', minute: Number(match[1]) };
  }
  match = new RegExp(`^${minute} \\*/(\\d+) \\* \\* \\*$`).exec(text);
  if (match && INTERVALS.includes(Number(match[2]))) {
    return { ...base, mode: 'every-hours', minute: Number(match[1]), interval: Number(match[2]) };
  }
  match = new RegExp(`^${minute} ${hour} \\* \\* \\*$`).exec(text);
  if (match) {
    return { ...base, mode: 'daily', time: `${pad(Number(match[2]))}:${pad(Number(match[1]))}` };
  }
  match = new RegExp(`^${minute} ${hour} \\* \\* ([0-6])$`).exec(text);
  if (match) {
    return {
      ...base,
      mode: 'weekly',
      time: `${pad(Number(match[2]))}:${pad(Number(match[1]))}`,
      weekday: Number(match[3]),
    };
  }
  return { ...base, mode: 'custom' };
}

/** Weekday names in the admin's language, Sunday first. */
export function weekdayName(day: number): string {
  return [
    __('Sunday', 'usersync'),
    __('Monday', 'usersync'),
    __('Tuesday', 'usersync'),
    __('Wednesday', 'usersync'),
    __('Thursday', 'usersync'),
    __('Friday', 'usersync'),
    __('Saturday', 'usersync'),
  ][day];
}

/** A sentence for the form, or null for custom expressions (their next runs say it). */
export function describe(form: ScheduleForm): string | null {
  switch (form.mode) {
    case 'off':
      return __('No scheduled runs: the source syncs only when you press Sync now.', 'usersync');
    case 'hourly':
      return sprintf(
        /* translators: %d: minute past the hour. */
        _n(
          'Every hour, %d minute past the hour.',
          'Every hour, %d minutes past the hour.',
          form.minute,
          'usersync',
        ),
        form.minute,
      );
    case 'every-hours':
      return sprintf(
        /* translators: 1: number of hours, 2: minute past the hour. */
        __('Every %1$d hours from midnight, %2$d minutes past the hour.', 'usersync'),
        form.interval,
        form.minute,
      );
    case 'daily':
      return sprintf(
        /* translators: %s: time of day, e.g. 02:30. */
        __('Every day at %s.', 'usersync'),
        form.time,
      );
    case 'weekly':
      return sprintf(
        /* translators: 1: weekday name, 2: time of day. */
        __('Every %1$s at %2$s.', 'usersync'),
        weekdayName(form.weekday),
        form.time,
      );
    case 'custom':
      return null;
  }
}

/** Problems with the preset fields, by field name. */
export function presetProblems(form: ScheduleForm): Record<string, string> {
  const problems: Record<string, string> = {};
  if (
    (form.mode === 'hourly' || form.mode === 'every-hours') &&
    !(Number.isInteger(form.minute) && form.minute >= 0 && form.minute <= 59)
  ) {
    problems.minute = __('Enter a minute from 0 to 59.', 'usersync');
  }
  if ((form.mode === 'daily' || form.mode === 'weekly') && !splitTime(form.time)) {
    problems.time = __('Enter a time as HH:MM, e.g. 02:30.', 'usersync');
  }
  return problems;
}

/**
 * A stored schedule in words for lists ("Every day at 02:30"), or null when it is a custom
 * expression that no preset says (the list then shows the expression itself).
 */
export function describeExpression(expression: string): string | null {
  const form = fromExpression(expression);
  const sentence = form.mode === 'custom' ? null : describe(form);
  return sentence === null ? null : sentence.replace(/\.$/, '');
}
