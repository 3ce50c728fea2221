/**
 * Failed records: what syncs from a source could not write (audit entries with the result
 * failure) and what could not be delivered to a peer (dead letters), each with its reason and
 * a Retry — an inbound failure is synced again from its source, a dead letter delivered again.
 */

/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, SelectControl } from '@wordpress/components';
import { useCallback, useEffect, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import {
  ApiError,
  getRun,
  listDeadLetters,
  listSyncFailures,
  refreshUsers,
  retryDeadLetter,
  toApiError,
} from '../../api';
import type { AuditEntry, AuditPage, DeadLetter, RefreshSummary } from '../../api';
import ErrorNotice from '../error-notice';
import FormattedDate from '../formatted-date';
import LoadingState from '../loading-state';
import Pagination from '../pagination';
import type { FailedRecordsProps, RetryState } from './types';

export const PER_PAGE = 20;

/** The external id a sync names in its failure message (`… (external id X)`). */
export function externalIdOf(entry: AuditEntry): string | null {
  const match = /\(external id ([^)]+)\)\s*$/.exec(entry.error ?? '');
  return match ? match[1]! : null;
}

/** The connection of a failure: the entry's own, or the one the admin narrowed to. */
function connectionOf(entry: AuditEntry, selected: string): string | null {
  if (entry.connection) return entry.connection;
  if (entry.source.startsWith('connection:')) return entry.source.slice('connection:'.length);
  return selected || null;
}

/**
 * Who a failure is about: the WordPress user, or — when WordPress never got them (a refused
 * create) — their id in the source, from the failure's message or its run's failures.
 */
async function personOf(entry: AuditEntry): Promise<{ userId: number } | { externalId: string }> {
  if (entry.userId !== null) return { userId: entry.userId };
  const named = externalIdOf(entry);
  if (named) return { externalId: named };
  const run = entry.runId ? await getRun(entry.runId) : null;
  const failure = run?.details?.failures.find((f) => f.login === entry.userLogin);
  if (!failure) {
    throw new ApiError(
      __('The source’s id of this person is no longer known; run a full sync instead.', 'usersync'),
      'usersync_person_unknown',
    );
  }
  return { externalId: failure.externalId };
}

/** Whether a Retry can find the person (see personOf). */
function canFind(entry: AuditEntry): boolean {
  return entry.userId !== null || externalIdOf(entry) !== null || entry.runId !== null;
}

function summaryState(summary: RefreshSummary): RetryState {
  const result = summary.results[0];
  const message = result?.message ?? '';
  if (summary.failed > 0) return { status: 'error', message };
  if (summary.skipped > 0) return { status: 'warning', message };
  return { status: 'success', message: message || __('Synced again.', 'usersync') };
}

function RetryResult({ state }: { state: RetryState | undefined }) {
  if (!state) return null;
  if (state.status === 'pending') return <LoadingState label={__('Retrying…', 'usersync')} />;
  return (
    <p className={`usersync-result is-${state.status}`} role="status">
      {state.message}
    </p>
  );
}

/** A row's Retry button; `once`: disabled after a success too (a delivered change). */
function RetryButton({
  state,
  label,
  once = false,
  onRetry,
}: {
  state: RetryState | undefined;
  label: string;
  once?: boolean;
  onRetry: () => void;
}) {
  return (
    <>
      <Button
        variant="secondary"
        size="compact"
        onClick={onRetry}
        disabled={state?.status === 'pending' || (once && state?.status === 'success')}
        accessibleWhenDisabled
        label={label}
      >
        {__('Retry', 'usersync')}
      </Button>
      <RetryResult state={state} />
    </>
  );
}

/** A table of failures: its caption (for screen readers), column headings and rows. */
function FailureTable({
  caption,
  columns,
  children,
}: {
  caption: string;
  columns: { label: string; numeric?: boolean }[];
  children: React.ReactNode;
}) {
  return (
    <div className="usersync-table-scroll">
      <table className="widefat striped">
        <caption className="screen-reader-text">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.label} scope="col" className={column.numeric ? 'num' : undefined}>
                {column.label}
              </th>
            ))}
            <th scope="col">
              <span className="screen-reader-text">{__('Retry', 'usersync')}</span>
            </th>
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

function InboundFailures({ sources }: Pick<FailedRecordsProps, 'sources'>) {
  const [connection, setConnection] = useState(sources[0]?.slug ?? '');
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<AuditPage | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [retries, setRetries] = useState<Record<number, RetryState>>({});

  useEffect(() => {
    let current = true;
    setError(null);
    listSyncFailures(connection, page, PER_PAGE).then(
      (answer) => current && setResult(answer),
      (failure: unknown) => current && setError(toApiError(failure)),
    );
    return () => {
      current = false;
    };
  }, [connection, page, attempt]);

  const retry = useCallback(
    (entry: AuditEntry) => {
      const slug = connectionOf(entry, connection);
      setRetries((all) => ({ ...all, [entry.id]: { status: 'pending', message: '' } }));
      personOf(entry)
        .then((person) =>
          'userId' in person
            ? refreshUsers({ users: [person.userId], ...(slug ? { connection: slug } : {}) })
            : refreshUsers({ externalIds: [person.externalId], connection: slug ?? '' }),
        )
        .then(
          (summary) => setRetries((all) => ({ ...all, [entry.id]: summaryState(summary) })),
          (failure: unknown) =>
            setRetries((all) => ({
              ...all,
              [entry.id]: { status: 'error', message: toApiError(failure).message },
            })),
        );
    },
    [connection],
  );

  return (
    <Card className="usersync-failed-records__inbound">
      <CardHeader>
        <h2>{__('From sources', 'usersync')}</h2>
      </CardHeader>
      <CardBody>
        <SelectControl
          __next40pxDefaultSize
          __nextHasNoMarginBottom
          label={__('Source', 'usersync')}
          value={connection}
          options={[
            ...sources.map((source) => ({ value: source.slug, label: source.name })),
            { value: '', label: __('Every run', 'usersync') },
          ]}
          onChange={(value) => {
            setConnection(value);
            setPage(1);
          }}
        />
        {error ? (
          <ErrorNotice
            error={error}
            title={__('The failures could not be loaded.', 'usersync')}
            onRetry={() => setAttempt((n) => n + 1)}
          />
        ) : null}
        {!result && !error ? <LoadingState label={__('Loading failures…', 'usersync')} /> : null}
        {result && result.entries.length === 0 ? (
          <p className="usersync-empty">{__('No failed records.', 'usersync')}</p>
        ) : null}
        {result && result.entries.length > 0 ? (
          <FailureTable
            caption={__('Records a sync could not write', 'usersync')}
            columns={[
              { label: __('When', 'usersync') },
              { label: __('User', 'usersync') },
              { label: __('Action', 'usersync') },
              { label: __('Reason', 'usersync') },
            ]}
          >
            {result.entries.map((entry) => {
              const slug = connectionOf(entry, connection);
              const canRetry = slug !== null && canFind(entry);
              const state = retries[entry.id];
              return (
                <tr key={entry.id}>
                  <td>
                    <FormattedDate date={entry.createdAt} />
                  </td>
                  <th scope="row">{entry.userLogin}</th>
                  <td>{entry.action}</td>
                  <td>{entry.error ?? __('(no reason given)', 'usersync')}</td>
                  <td>
                    {canRetry ? (
                      <RetryButton
                        state={state}
                        onRetry={() => retry(entry)}
                        label={sprintf(
                          /* translators: %s: user login or external id. */
                          __('Retry %s', 'usersync'),
                          entry.userLogin,
                        )}
                      />
                    ) : (
                      <>
                        <span className="description">
                          {__('Choose its source to retry', 'usersync')}
                        </span>
                        <RetryResult state={state} />
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </FailureTable>
        ) : null}
        {result && result.totalPages > 1 ? (
          <Pagination
            page={page}
            totalPages={result.totalPages}
            total={result.total}
            onChange={setPage}
            label={__('Pages of failed records', 'usersync')}
          />
        ) : null}
      </CardBody>
    </Card>
  );
}

function DeadLetters({ peerNames }: Pick<FailedRecordsProps, 'peerNames'>) {
  const [letters, setLetters] = useState<DeadLetter[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [retries, setRetries] = useState<Record<number, RetryState>>({});

  useEffect(() => {
    let current = true;
    setError(null);
    listDeadLetters().then(
      (answer) => current && setLetters(answer),
      (failure: unknown) => current && setError(toApiError(failure)),
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  const retry = (letter: DeadLetter) => {
    setRetries((all) => ({ ...all, [letter.id]: { status: 'pending', message: '' } }));
    retryDeadLetter(letter.id).then(
      (answer) =>
        setRetries((all) => ({
          ...all,
          [letter.id]: answer.resolved
            ? { status: 'success', message: __('Delivered.', 'usersync') }
            : answer.error
              ? { status: 'error', message: answer.error }
              : { status: 'warning', message: __('Queued: it is delivered shortly.', 'usersync') },
        })),
      (failure: unknown) =>
        setRetries((all) => ({
          ...all,
          [letter.id]: { status: 'error', message: toApiError(failure).message },
        })),
    );
  };

  return (
    <Card className="usersync-failed-records__outbound">
      <CardHeader>
        <h2>{__('Undelivered changes', 'usersync')}</h2>
      </CardHeader>
      <CardBody>
        {error ? (
          <ErrorNotice
            error={error}
            title={__('The undelivered changes could not be loaded.', 'usersync')}
            onRetry={() => setAttempt((n) => n + 1)}
          />
        ) : null}
        {!letters && !error ? (
          <LoadingState label={__('Loading undelivered changes…', 'usersync')} />
        ) : null}
        {letters && letters.length === 0 ? (
          <p className="usersync-empty">{__('Every change was delivered.', 'usersync')}</p>
        ) : null}
        {letters && letters.length > 0 ? (
          <FailureTable
            caption={__('Changes that could not be delivered', 'usersync')}
            columns={[
              { label: __('When', 'usersync') },
              { label: __('User ID', 'usersync') },
              { label: __('Target', 'usersync') },
              { label: __('Action', 'usersync') },
              { label: __('Reason', 'usersync') },
              { label: __('Attempts', 'usersync'), numeric: true },
            ]}
          >
            {letters.map((letter) => (
              <tr key={letter.id}>
                <td>
                  <FormattedDate date={letter.createdAt} />
                </td>
                <th scope="row">{letter.userId}</th>
                <td>{peerNames?.[letter.target] ?? letter.target}</td>
                <td>{letter.action}</td>
                <td>
                  {letter.message} <code>{letter.code}</code>
                </td>
                <td className="num">{letter.attempts}</td>
                <td>
                  <RetryButton
                    state={retries[letter.id]}
                    once
                    onRetry={() => retry(letter)}
                    label={sprintf(
                      /* translators: 1: user id, 2: target name (a peer site or a connection). */
                      __('Retry user %1$d to %2$s', 'usersync'),
                      letter.userId,
                      peerNames?.[letter.target] ?? letter.target,
                    )}
                  />
                </td>
              </tr>
            ))}
          </FailureTable>
        ) : null}
      </CardBody>
    </Card>
  );
}

export default function FailedRecords({ sources, peerNames }: FailedRecordsProps) {
  return (
    <div className="usersync-failed-records">
      <InboundFailures sources={sources} />
      <DeadLetters peerNames={peerNames} />
    </div>
  );
}
