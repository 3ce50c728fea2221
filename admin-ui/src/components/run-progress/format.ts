/**
 * Numbers of a run as people read them.
 */

/**
 * WordPress dependencies
 */
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { Run, RunState } from '../../api';

/** 75 → "1 min 15 s", 3725 → "1 h 2 min". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '—';
  }
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (hours > 0) {
    return sprintf(
      /* translators: 1: hours, 2: minutes. */
      __('%1$d h %2$d min', 'usersync'),
      hours,
      minutes,
    );
  }
  if (minutes > 0) {
    return sprintf(
      /* translators: 1: minutes, 2: seconds. */
      __('%1$d min %2$d s', 'usersync'),
      minutes,
      rest,
    );
  }
  return sprintf(
    /* translators: %d: seconds. */
    __('%d s', 'usersync'),
    rest,
  );
}

/** Users per second, or a dash before the first batch. */
export function formatRate(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate)) {
    return '—';
  }
  return sprintf(
    /* translators: %s: number of users per second. */
    __('%s users/s', 'usersync'),
    rate.toLocaleString(undefined, { maximumFractionDigits: 1 }),
  );
}

export function stateLabel(state: RunState): string {
  switch (state) {
    case 'queued':
      return __('Queued', 'usersync');
    case 'running':
      return __('Running', 'usersync');
    case 'succeeded':
      return __('Finished', 'usersync');
    case 'failed':
      return __('Failed', 'usersync');
    case 'cancelled':
      return __('Cancelled', 'usersync');
    case 'interrupted':
      return __('Interrupted (resumes on its own)', 'usersync');
    default:
      return state;
  }
}

export function isActive(run: Run): boolean {
  // An interrupted run is resumed by the sidecar: it is still going.
  return run.state === 'queued' || run.state === 'running' || run.state === 'interrupted';
}

/** Percentage done, or null while the total is unknown. */
export function percent(run: Run): number | null {
  if (run.state === 'succeeded') {
    return 100;
  }
  if (!run.total) {
    return null;
  }
  return Math.min(100, Math.floor((run.processed / run.total) * 100));
}

/** The page address listing the audit entries of a run (only its failures with `failures`). */
export function auditHref(runId: string, failures = false): string {
  const url = new URL(window.location.href);
  const page = url.searchParams.get('page') ?? 'usersync';
  url.search = '';
  url.searchParams.set('page', page);
  url.searchParams.set('tab', 'audit');
  url.searchParams.set('run', runId);
  if (failures) {
    url.searchParams.set('result', 'failure');
  }
  return url.toString();
}

/**
 * How a run ended, in words and a tone: a run that finished with failed users is not shown
 * as a plain success.
 */
export function runOutcome(run: Run): {
  label: string;
  tone: 'success' | 'warning' | 'failure' | 'neutral';
} {
  if (run.state === 'succeeded' && run.counts.failed > 0) {
    return {
      label: sprintf(
        /* translators: %d: number of users that failed. */
        _n('Finished with %d failure', 'Finished with %d failures', run.counts.failed, 'usersync'),
        run.counts.failed,
      ),
      tone: 'warning',
    };
  }
  const tone =
    run.state === 'succeeded' ? 'success' : run.state === 'failed' ? 'failure' : 'neutral';
  return { label: stateLabel(run.state), tone };
}
