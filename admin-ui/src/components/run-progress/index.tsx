/**
 * A run in progress: a bar with processed/total, the rate and the time elapsed, and
 * Cancel; once finished, what it did, with a link to its audit entries.
 */

/**
 * WordPress dependencies
 */
import { Button, Notice } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { toApiError } from '../../api';
import type { ApiError, RunChange, RunCounts } from '../../api';
import ErrorNotice from '../error-notice';
import { auditHref, formatDuration, formatRate, isActive, percent } from './format';
import type { RunProgressProps } from './types';

export function countsText(counts: RunCounts): string {
  return sprintf(
    /* translators: 1: created, 2: updated, 3: unchanged, 4: disabled, 5: deleted, 6: failed (numbers of users). */
    __(
      '%1$d created, %2$d updated, %3$d unchanged, %4$d disabled, %5$d deleted, %6$d failed',
      'usersync',
    ),
    counts.created,
    counts.updated,
    counts.unchanged,
    counts.disabled,
    counts.deleted,
    counts.failed,
  );
}

/** How many of a dry run's changes its summary lists. */
const DRY_RUN_SAMPLE = 10;

function changeText(change: RunChange): string {
  const who = change.login ?? change.externalId;
  const fields = change.fields?.length ? ` (${change.fields.join(', ')})` : '';
  switch (change.action) {
    case 'create':
      /* translators: %s: login or source id of a user. */
      return sprintf(__('Create %s', 'usersync'), who);
    case 'update':
      /* translators: 1: login of a user, 2: the fields that would change, in parentheses. */
      return sprintf(__('Update %1$s%2$s', 'usersync'), who, fields);
    case 'disable':
    case 'deprovision':
      /* translators: %s: login of a user. */
      return sprintf(__('Disable %s', 'usersync'), who);
    case 'reactivate':
      /* translators: %s: login of a user. */
      return sprintf(__('Re-enable %s', 'usersync'), who);
    default:
      /* translators: %s: login of a user. */
      return sprintf(__('Delete %s', 'usersync'), who);
  }
}

/** What a dry run would change: the first few users, by what would happen to them. */
function DryRunSample({ changes }: { changes: RunChange[] }) {
  if (changes.length === 0) return null;
  const shown = changes.slice(0, DRY_RUN_SAMPLE);
  return (
    <div className="usersync-dry-run-sample">
      <p>
        {changes.length > shown.length
          ? sprintf(
              /* translators: %d: number of users listed. */
              __('What would change (the first %d):', 'usersync'),
              shown.length,
            )
          : __('What would change:', 'usersync')}
      </p>
      <ul aria-label={__('What the dry run would change', 'usersync')}>
        {shown.map((change) => (
          <li key={`${change.action}:${change.externalId}`}>{changeText(change)}</li>
        ))}
      </ul>
    </div>
  );
}

/** Users the connection's pulls may not create or update, counted among the unchanged. */
function Withheld({ withheld }: { withheld?: { create: number; update: number } }) {
  if (!withheld || withheld.create + withheld.update === 0) return null;
  return (
    <p>
      {sprintf(
        /* translators: 1: people not created, 2: users not updated. */
        __(
          'Left alone by the connection’s operations: %1$d not created (pulls may not create users), %2$d not updated (pulls may not update users).',
          'usersync',
        ),
        withheld.create,
        withheld.update,
      )}
    </p>
  );
}

export default function RunProgress({ run, onCancel }: RunProgressProps) {
  const [isCancelling, setIsCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<ApiError | null>(null);
  const active = isActive(run);
  const done = percent(run);
  const label = sprintf(
    /* translators: %s: connection slug. */
    __('Progress of the run of %s', 'usersync'),
    run.source,
  );

  const cancel = async () => {
    if (isCancelling) {
      return;
    }
    setIsCancelling(true);
    setCancelError(null);
    try {
      await onCancel();
    } catch (failure) {
      setCancelError(toApiError(failure));
      setIsCancelling(false);
    }
  };

  let summary;
  if (!active) {
    summary = run.total
      ? sprintf(
          /* translators: 1: users processed, 2: users in the run. */
          __('%1$s of %2$s users processed', 'usersync'),
          run.processed.toLocaleString(),
          run.total.toLocaleString(),
        )
      : sprintf(
          /* translators: %s: users processed. */
          _n('%s user processed', '%s users processed', run.processed, 'usersync'),
          run.processed.toLocaleString(),
        );
  } else if (run.state === 'queued') {
    summary = __('Waiting to start…', 'usersync');
  } else if (run.state === 'interrupted') {
    summary = sprintf(
      /* translators: %s: users processed. */
      __('Interrupted after %s users; the sync resumes on its own', 'usersync'),
      run.processed.toLocaleString(),
    );
  } else if (run.total) {
    summary = sprintf(
      /* translators: 1: users processed, 2: users in the run, 3: percentage. */
      __('%1$s of %2$s users (%3$d%%)', 'usersync'),
      run.processed.toLocaleString(),
      run.total.toLocaleString(),
      done ?? 0,
    );
  } else {
    summary = sprintf(
      /* translators: %s: users processed. */
      __('%s users so far', 'usersync'),
      run.processed.toLocaleString(),
    );
  }

  return (
    <div className="usersync-run-progress">
      <div className="usersync-run-progress__bar">
        {done === null ? (
          <progress aria-label={label} />
        ) : (
          <progress aria-label={label} max={100} value={done} />
        )}
      </div>
      <p className="usersync-run-progress__numbers">
        <span>{summary}</span>
        <span>
          {__('Rate:', 'usersync')} {formatRate(run.rate)}
        </span>
        <span>
          {__('Elapsed:', 'usersync')} {formatDuration(run.elapsedSeconds)}
        </span>
      </p>
      {active && (run.details?.waiting || run.state === 'interrupted') ? (
        <p className="usersync-run-progress__waiting" role="status">
          {run.details?.waiting?.message ?? run.error}
        </p>
      ) : null}
      {active ? (
        <>
          <Button
            variant="secondary"
            isDestructive
            isBusy={isCancelling || run.cancelRequested}
            aria-disabled={isCancelling || run.cancelRequested}
            onClick={cancel}
          >
            {run.cancelRequested || isCancelling
              ? __('Cancelling…', 'usersync')
              : __('Cancel', 'usersync')}
          </Button>
          {cancelError ? (
            <ErrorNotice
              title={__('The run could not be cancelled.', 'usersync')}
              error={cancelError}
            />
          ) : null}
        </>
      ) : (
        <Notice
          status={
            run.state === 'succeeded' && run.counts.failed === 0
              ? 'success'
              : run.state === 'failed'
                ? 'error'
                : 'warning'
          }
          isDismissible={false}
        >
          <p>
            <strong>
              {run.state === 'succeeded'
                ? run.dryRun
                  ? __('Dry run finished (nothing was written):', 'usersync')
                  : run.counts.failed > 0
                    ? __('Sync finished with failures:', 'usersync')
                    : __('Sync finished:', 'usersync')
                : run.state === 'cancelled'
                  ? __('Sync cancelled:', 'usersync')
                  : __('Sync failed:', 'usersync')}
            </strong>{' '}
            {countsText(run.counts)}.{run.error ? ` ${run.error}` : ''}
          </p>
          <Withheld withheld={run.details?.withheld} />
          {run.dryRun && run.state === 'succeeded' ? (
            <DryRunSample changes={run.details?.changes ?? []} />
          ) : null}
          <p>
            {run.counts.failed > 0 ? (
              <>
                <a href={auditHref(run.id, true)}>
                  {sprintf(
                    /* translators: %d: number of users that failed. */
                    _n(
                      'See the %d failure and why',
                      'See the %d failures and why',
                      run.counts.failed,
                      'usersync',
                    ),
                    run.counts.failed,
                  )}
                </a>
                {' · '}
              </>
            ) : null}
            <a href={auditHref(run.id)}>
              {__('See this run’s entries in the audit log', 'usersync')}
            </a>
          </p>
        </Notice>
      )}
    </div>
  );
}
