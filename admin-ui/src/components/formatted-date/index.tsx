/**
 * A date and time in the admin's language, with the exact ISO value kept in `dateTime`.
 */

/**
 * Internal dependencies
 */
import type { FormattedDateProps } from './types';

/**
 * Formats an ISO-8601 value in the page's language, in `timeZone` (an IANA name) or the
 * browser's; an unreadable value is shown as is.
 */
export function formatDate(date: string, timeZone?: string): string {
  const parsed = new Date(date);
  if (Number.isNaN(parsed.getTime())) {
    return date;
  }
  const locale = document.documentElement.lang || undefined;
  try {
    return new Intl.DateTimeFormat(locale, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone,
    }).format(parsed);
  } catch {
    // An unknown language tag: fall back to the browser's language.
    return new Intl.DateTimeFormat(undefined, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone,
    }).format(parsed);
  }
}

export default function FormattedDate({ date }: FormattedDateProps) {
  return (
    <time dateTime={date} title={date}>
      {formatDate(date)}
    </time>
  );
}
