/**
 * The last runs of every source: when, how it was started, how it ended, what it did.
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { Run } from '../../api';
import FormattedDate from '../formatted-date';
import { auditHref, formatDuration, runOutcome } from '../run-progress/format';
import type { RecentRunsProps } from './types';

function triggerLabel(run: Run): string {
  const base =
    run.trigger === 'schedule'
      ? __('Schedule', 'usersync')
      : run.trigger === 'catch-up'
        ? __('Catch-up', 'usersync')
        : run.trigger === 'realtime-gap'
          ? __('Missed real-time changes', 'usersync')
          : __('Sync now', 'usersync');
  return run.dryRun ? `${base} (${__('dry run', 'usersync')})` : base;
}

function Outcome({ run }: { run: Run }) {
  const { tone, label } = runOutcome(run);
  return <span className={`usersync-result is-${tone}`}>{label}</span>;
}

export default function RecentRuns({ runs, names }: RecentRunsProps) {
  if (runs.length === 0) {
    return (
      <p className="usersync-empty">
        {__('No runs yet. Press Sync now on a source, or give it a schedule.', 'usersync')}
      </p>
    );
  }
  return (
    <div className="usersync-table-scroll">
      <table className="widefat striped usersync-runs-table">
        <caption className="screen-reader-text">{__('Last runs', 'usersync')}</caption>
        <thead>
          <tr>
            <th scope="col">{__('Source', 'usersync')}</th>
            <th scope="col">{__('Started', 'usersync')}</th>
            <th scope="col">{__('Result', 'usersync')}</th>
            <th scope="col" className="num">
              {__('Created', 'usersync')}
            </th>
            <th scope="col" className="num">
              {__('Updated', 'usersync')}
            </th>
            <th scope="col" className="num">
              {__('Disabled', 'usersync')}
            </th>
            <th scope="col" className="num">
              {__('Deleted', 'usersync')}
            </th>
            <th scope="col" className="num">
              {__('Failed', 'usersync')}
            </th>
            <th scope="col" className="num">
              {__('Unchanged', 'usersync')}
            </th>
            <th scope="col">
              <span className="screen-reader-text">{__('Audit entries', 'usersync')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} className={`usersync-run is-${run.state}`}>
              <th scope="row">
                {names[run.source] ?? run.source}
                <span className="usersync-runs-table__trigger">{triggerLabel(run)}</span>
              </th>
              <td>
                <FormattedDate date={run.startedAt ?? run.createdAt} />
                {run.elapsedSeconds !== null ? (
                  <span className="usersync-runs-table__duration">
                    {formatDuration(run.elapsedSeconds)}
                  </span>
                ) : null}
              </td>
              <td>
                <Outcome run={run} />
                {run.counts.failed > 0 ? (
                  <a className="usersync-runs-table__failures" href={auditHref(run.id, true)}>
                    {__('See the failures', 'usersync')}
                  </a>
                ) : null}
                {run.error ? <p className="usersync-audit-table__error">{run.error}</p> : null}
              </td>
              <td className="num">{run.counts.created}</td>
              <td className="num">{run.counts.updated}</td>
              <td className="num">{run.counts.disabled}</td>
              <td className="num">{run.counts.deleted}</td>
              <td className="num">{run.counts.failed}</td>
              <td className="num">{run.counts.unchanged}</td>
              <td>
                <a
                  href={auditHref(run.id)}
                  aria-label={sprintf(
                    /* translators: %s: run id. */
                    __('Audit entries of run %s', 'usersync'),
                    run.id,
                  )}
                >
                  {__('Audit entries', 'usersync')}
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
