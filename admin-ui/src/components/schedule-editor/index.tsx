/**
 * The schedule of one connection: off, a preset (hourly, every few hours, daily at a time,
 * weekly) or any cron expression, checked as it is typed, with the next runs it gives.
 */

/**
 * External dependencies
 */
import type { FormEvent } from 'react';

/**
 * WordPress dependencies
 */
import { Button, Notice, SelectControl, TextControl } from '@wordpress/components';
import { useMemo, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldErrors, toApiError } from '../../api';
import type { ApiError } from '../../api';
import { cronError, nextRuns, scheduleTimeZone } from '../../cron/read';
import {
  INTERVALS,
  describe,
  fromExpression,
  presetProblems,
  toExpression,
  weekdayName,
} from '../../cron/presets';
import type { ScheduleForm, ScheduleMode } from '../../cron/presets';
import ErrorNotice from '../error-notice';
import { fieldState } from '../field-state';
import { formatDate } from '../formatted-date';
import type { ScheduleEditorProps } from './types';

const PREVIEW_RUNS = 5;

/** The browser's time zone, for when the site's is not known. */
function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch {
    return '';
  }
}

/** What the preview's times are in: the site's zone (which the sidecar follows) or the browser's. */
function previewHeading(siteZone: string | undefined, zone: string): string {
  if (siteZone) {
    return sprintf(
      /* translators: %s: time zone name, e.g. Europe/Paris. */
      __('Next runs (in the site’s time zone, %s, which the sidecar follows):', 'usersync'),
      siteZone,
    );
  }
  return zone
    ? sprintf(
        /* translators: %s: time zone name, e.g. Europe/Paris. */
        __('Next runs (in your time zone, %s):', 'usersync'),
        zone,
      )
    : __('Next runs (in your time zone):', 'usersync');
}

export default function ScheduleEditor({
  connection,
  onSave,
  siteTimeZone,
  now = () => new Date(),
}: ScheduleEditorProps) {
  const [form, setForm] = useState<ScheduleForm>(() => fromExpression(connection.schedule));
  const [serverError, setServerError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [isSaving, setIsSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [attempted, setAttempted] = useState(false);
  const id = `usersync-schedule-${connection.slug}`;

  const expression = toExpression(form);
  const error = expression === null ? null : cronError(expression);
  const problems = presetProblems(form);
  if (form.mode === 'custom' && error) {
    problems.expression = error;
  }
  // The site's zone as the sidecar schedules in it; the browser's when it is not known.
  const timeZone = scheduleTimeZone(siteTimeZone);
  const isValid = Object.keys(problems).length === 0;
  const isDirty = expression !== (connection.schedule?.trim().replace(/\s+/g, ' ') ?? null);

  const runs = useMemo(
    () => (expression === null ? [] : nextRuns(expression, now(), PREVIEW_RUNS, timeZone)),
    // `now` changes identity on every render of the caller; the expression and zone decide.
    [expression, timeZone],
  );

  const update = (next: Partial<ScheduleForm>) => {
    setForm((current) => ({ ...current, ...next }));
    setServerError(null);
    setSaved(false);
  };

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setAttempted(true);
    if (isSaving || !isValid) {
      return;
    }
    setIsSaving(true);
    setSaveError(null);
    try {
      await onSave(expression);
      setSaved(true);
      setAttempted(false);
    } catch (failure) {
      const error = toApiError(failure);
      const fields = fieldErrors(error);
      if (fields.schedule) {
        setServerError(fields.schedule);
      } else {
        setSaveError(error);
      }
    } finally {
      setIsSaving(false);
    }
  };

  const modes: { value: ScheduleMode; label: string }[] = [
    { value: 'off', label: __('Off — Sync now only', 'usersync') },
    { value: 'hourly', label: __('Every hour', 'usersync') },
    { value: 'every-hours', label: __('Every few hours', 'usersync') },
    { value: 'daily', label: __('Every day at…', 'usersync') },
    { value: 'weekly', label: __('Every week on…', 'usersync') },
    { value: 'custom', label: __('Custom cron expression', 'usersync') },
  ];
  const description = describe(form);
  const zone = timeZone ?? browserTimeZone();

  return (
    <form
      className="usersync-schedule"
      onSubmit={onSubmit}
      noValidate
      aria-labelledby={`${id}-title`}
    >
      <h3 id={`${id}-title`}>{connection.name}</h3>
      {!connection.enabled ? (
        <Notice status="warning" isDismissible={false}>
          {__(
            'This connection is disabled: its schedule does not run until it is enabled again on the Connections tab.',
            'usersync',
          )}
        </Notice>
      ) : null}
      <div className="usersync-schedule__fields">
        <SelectControl
          label={__('Runs', 'usersync')}
          value={form.mode}
          options={modes}
          onChange={(mode: string) => update({ mode: mode as ScheduleMode })}
        />
        {form.mode === 'every-hours' ? (
          <SelectControl
            label={__('Every', 'usersync')}
            value={String(form.interval)}
            options={INTERVALS.map((hours) => ({
              value: String(hours),
              label: sprintf(
                /* translators: %d: number of hours. */
                __('%d hours', 'usersync'),
                hours,
              ),
            }))}
            onChange={(value: string) => update({ interval: Number(value) })}
          />
        ) : null}
        {form.mode === 'hourly' || form.mode === 'every-hours' ? (
          <TextControl
            {...fieldState(problems.minute, undefined, 'usersync-schedule__minute')}
            label={__('Minutes past the hour', 'usersync')}
            type="number"
            min={0}
            max={59}
            value={Number.isNaN(form.minute) ? '' : String(form.minute)}
            onChange={(value) =>
              update({ minute: value.trim() === '' ? Number.NaN : Number(value) })
            }
          />
        ) : null}
        {form.mode === 'weekly' ? (
          <SelectControl
            label={__('Day', 'usersync')}
            value={String(form.weekday)}
            options={[1, 2, 3, 4, 5, 6, 0].map((day) => ({
              value: String(day),
              label: weekdayName(day),
            }))}
            onChange={(value: string) => update({ weekday: Number(value) })}
          />
        ) : null}
        {form.mode === 'daily' || form.mode === 'weekly' ? (
          <TextControl
            {...fieldState(problems.time, undefined, 'usersync-schedule__time')}
            label={__('Time', 'usersync')}
            type="time"
            value={form.time}
            onChange={(time) => update({ time })}
          />
        ) : null}
        {form.mode === 'custom' ? (
          <TextControl
            {...fieldState(
              problems.expression || serverError || undefined,
              __(
                'Minute, hour, day of month, month, day of week — e.g. “*/30 8-18 * * 1-5” (every 30 minutes, 8:00 to 18:59, Monday to Friday).',
                'usersync',
              ),
              'usersync-schedule__expression',
            )}
            label={__('Cron expression', 'usersync')}
            value={form.expression}
            autoComplete="off"
            spellCheck={false}
            onChange={(value) => update({ expression: value })}
          />
        ) : null}
      </div>
      <div className="usersync-schedule__preview" aria-live="polite">
        {description ? <p>{description}</p> : null}
        {expression !== null && isValid && runs.length > 0 ? (
          <>
            <p>{previewHeading(timeZone, zone)}</p>
            <ol className="usersync-schedule__runs">
              {runs.map((run) => (
                <li key={run.getTime()}>
                  <time dateTime={run.toISOString()}>
                    {formatDate(run.toISOString(), timeZone)}
                  </time>
                </li>
              ))}
            </ol>
            <p className="usersync-schedule__expression-used">
              {__('Cron expression:', 'usersync')} <code>{expression}</code>
            </p>
          </>
        ) : null}
      </div>
      {form.mode !== 'custom' && serverError ? (
        <p className="usersync-inline-error">{serverError}</p>
      ) : null}
      {saveError ? (
        <ErrorNotice title={__('The schedule could not be saved.', 'usersync')} error={saveError} />
      ) : null}
      <div className="usersync-form-actions" role="status">
        {attempted && !isValid ? (
          <span className="usersync-inline-error">
            {__('Nothing was saved: fix the schedule first.', 'usersync')}
          </span>
        ) : null}
        {saved && !isDirty ? (
          <span className="usersync-saved">{__('Schedule saved.', 'usersync')}</span>
        ) : null}
      </div>
      <Button
        variant="primary"
        type="submit"
        isBusy={isSaving}
        aria-disabled={isSaving}
        aria-label={sprintf(
          /* translators: %s: connection name. */
          __('Save the schedule of “%s”', 'usersync'),
          connection.name,
        )}
      >
        {__('Save schedule', 'usersync')}
      </Button>
    </form>
  );
}
