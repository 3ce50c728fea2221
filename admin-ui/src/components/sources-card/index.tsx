/**
 * Sources on the Overview: each directory connection with its state, Sync now and the live
 * progress of its run; identity providers pushing over SCIM with the last time they did;
 * and the last runs.
 */

/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice } from '@wordpress/components';
import { useCallback, useEffect, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import {
  cancelRun,
  checkPhotos,
  getRun,
  isSalesforceConnection,
  listConnections,
  listRuns,
  listTokens,
  startRun,
  toApiError,
} from '../../api';
import type { Connection, Run, ApiError, SalesforceConnection } from '../../api';
import { useRequest } from '../../hooks/use-request';
import ErrorNotice from '../error-notice';
import FormattedDate from '../formatted-date';
import LoadingState from '../loading-state';
import RecentRuns from '../recent-runs';
import RunProgress from '../run-progress';
import { describeExpression } from '../../cron/presets';
import { isActive } from '../run-progress/format';
import type { SourcesCardProps } from './types';

const RECENT_RUNS = 10;

/** Whether a Salesforce connection holds the secrets its sign-in flow needs. */
function salesforceSecretsSet(connection: SalesforceConnection): boolean {
  switch (connection.flow) {
    case 'jwt':
      return connection.privateKey.set;
    case 'refresh_token':
      return connection.clientSecret.set && connection.refreshToken.set;
    default:
      return connection.clientSecret.set;
  }
}

export default function SourcesCard({ pollMs = 1000 }: SourcesCardProps) {
  const connections = useRequest(listConnections);
  const tokens = useRequest(listTokens);
  const runs = useRequest(() => listRuns(undefined, RECENT_RUNS));
  /** The run shown under each source: the one started here, or one found running. */
  const [current, setCurrent] = useState<Record<string, Run>>({});
  const [startErrors, setStartErrors] = useState<Record<string, ApiError>>({});
  const [starting, setStarting] = useState<Record<string, boolean>>({});
  const timers = useRef<Record<string, ReturnType<typeof setTimeout>>>({});
  const mounted = useRef(true);

  useEffect(
    () => () => {
      mounted.current = false;
      Object.values(timers.current).forEach(clearTimeout);
    },
    [],
  );

  const follow = useCallback(
    (run: Run) => {
      setCurrent((all) => ({ ...all, [run.source]: run }));
      clearTimeout(timers.current[run.source]);
      if (!isActive(run)) {
        runs.reload();
        return;
      }
      timers.current[run.source] = setTimeout(() => {
        getRun(run.id).then(
          (next) => {
            if (mounted.current) {
              follow(next);
            }
          },
          () => {
            // A missed reading (sidecar busy or restarting): try again.
            if (mounted.current) {
              follow(run);
            }
          },
        );
      }, pollMs);
    },
    // `runs.reload` is stable.
    [pollMs],
  );

  // Runs already going when the page opens are followed too.
  useEffect(() => {
    for (const run of runs.data ?? []) {
      if (isActive(run) && !current[run.source]) {
        follow(run);
      }
    }
  }, [runs.data]);

  const syncNow = async (connection: Connection, dryRun = false) => {
    if (starting[connection.slug]) {
      return;
    }
    setStarting((all) => ({ ...all, [connection.slug]: true }));
    setStartErrors((all) => {
      const rest = { ...all };
      delete rest[connection.slug];
      return rest;
    });
    try {
      follow(await startRun(connection.slug, dryRun ? { dryRun: true } : {}));
    } catch (failure) {
      const error = toApiError(failure);
      setStartErrors((all) => ({ ...all, [connection.slug]: error }));
    } finally {
      setStarting((all) => ({ ...all, [connection.slug]: false }));
    }
  };

  const [photoChecks, setPhotoChecks] = useState<
    Record<string, { busy: boolean; message?: string; error?: ApiError }>
  >({});
  const photos = async (connection: Connection) => {
    if (photoChecks[connection.slug]?.busy) {
      return;
    }
    setPhotoChecks((all) => ({ ...all, [connection.slug]: { busy: true } }));
    try {
      const found = await checkPhotos(connection.slug);
      const message = sprintf(
        /* translators: 1: users checked, 2: photos brought or replaced, 3: photos removed. */
        __('Photos checked: %1$d users, %2$d photos updated, %3$d removed.', 'usersync'),
        found.checked,
        found.updated,
        found.removed,
      );
      setPhotoChecks((all) => ({ ...all, [connection.slug]: { busy: false, message } }));
    } catch (failure) {
      const error = toApiError(failure);
      setPhotoChecks((all) => ({ ...all, [connection.slug]: { busy: false, error } }));
    }
  };

  const cancel = (run: Run) => async () => {
    const answer = await cancelRun(run.id).catch((failure: unknown) => {
      const error = toApiError(failure);
      // Finished meanwhile: nothing to cancel, the next reading shows how it ended.
      if (error.code === 'usersync_run_finished') {
        return null;
      }
      throw error;
    });
    if (answer) {
      follow(answer);
    }
  };

  const names = Object.fromEntries((connections.data ?? []).map((c) => [c.slug, c.name]));
  const lastRun = (slug: string) => (runs.data ?? []).find((run) => run.source === slug);

  let directory;
  if (!connections.data) {
    directory = connections.error ? (
      <ErrorNotice
        title={__('The connections could not be loaded.', 'usersync')}
        error={connections.error}
        onRetry={connections.reload}
      />
    ) : (
      <LoadingState label={__('Loading sources…', 'usersync')} />
    );
  } else if (connections.data.length === 0) {
    directory = (
      <p className="usersync-empty">
        {__(
          'No directory to pull from. Add Microsoft Entra ID or Azure AD B2C on the Connections tab to sync it here with Sync now or a schedule.',
          'usersync',
        )}
      </p>
    );
  } else {
    directory = connections.data.map((connection) => {
      const run = current[connection.slug];
      const last = lastRun(connection.slug);
      const active = run ? isActive(run) : false;
      const salesforce = isSalesforceConnection(connection);
      const secretMissing = salesforce
        ? !salesforceSecretsSet(connection)
        : !connection.clientSecret.set;
      return (
        <section key={connection.slug} className="usersync-source" aria-label={connection.name}>
          <div className="usersync-source__head">
            <div>
              <h3>{connection.name}</h3>
              <p className="usersync-source__state">
                {[
                  salesforce
                    ? __('Salesforce', 'usersync')
                    : connection.b2c
                      ? __('Azure AD B2C', 'usersync')
                      : __('Microsoft Entra ID', 'usersync'),
                  connection.enabled
                    ? connection.schedule
                      ? (describeExpression(connection.schedule) ??
                        sprintf(
                          /* translators: %s: cron expression. */
                          __('scheduled (%s)', 'usersync'),
                          connection.schedule,
                        ))
                      : __('Sync now only', 'usersync')
                    : __('disabled', 'usersync'),
                  secretMissing
                    ? salesforce
                      ? __('secrets missing', 'usersync')
                      : __('no client secret', 'usersync')
                    : null,
                ]
                  .filter(Boolean)
                  .join(' · ')}
                {last && !run ? (
                  <>
                    {' · '}
                    {__('last run', 'usersync')}{' '}
                    <FormattedDate date={last.startedAt ?? last.createdAt} />
                  </>
                ) : null}
              </p>
            </div>
            <div className="usersync-source__actions">
              {connection.photos && !salesforce ? (
                <Button
                  variant="tertiary"
                  isBusy={photoChecks[connection.slug]?.busy}
                  aria-disabled={photoChecks[connection.slug]?.busy}
                  aria-label={sprintf(
                    /* translators: %s: connection name. */
                    __('Check photos now: %s', 'usersync'),
                    connection.name,
                  )}
                  onClick={() => void photos(connection)}
                >
                  {__('Check photos now', 'usersync')}
                </Button>
              ) : null}
              <Button
                variant="secondary"
                aria-disabled={starting[connection.slug] || active}
                aria-label={sprintf(
                  /* translators: %s: connection name. */
                  __('Dry run: %s', 'usersync'),
                  connection.name,
                )}
                onClick={() => {
                  if (!active) {
                    void syncNow(connection, true);
                  }
                }}
              >
                {__('Dry run', 'usersync')}
              </Button>
              <Button
                variant="primary"
                isBusy={starting[connection.slug]}
                aria-disabled={starting[connection.slug] || active}
                aria-label={sprintf(
                  /* translators: %s: connection name. */
                  __('Sync now: %s', 'usersync'),
                  connection.name,
                )}
                onClick={() => {
                  if (!active) {
                    void syncNow(connection);
                  }
                }}
              >
                {__('Sync now', 'usersync')}
              </Button>
            </div>
          </div>
          {photoChecks[connection.slug]?.message ? (
            <Notice status="success" isDismissible={false}>
              {photoChecks[connection.slug]?.message}
            </Notice>
          ) : null}
          {photoChecks[connection.slug]?.error ? (
            <ErrorNotice
              title={__('The photos could not be checked.', 'usersync')}
              error={photoChecks[connection.slug]!.error!}
            />
          ) : null}
          {startErrors[connection.slug] ? (
            <ErrorNotice
              title={__('The sync could not start.', 'usersync')}
              error={startErrors[connection.slug]}
            />
          ) : null}
          {run ? <RunProgress run={run} onCancel={cancel(run)} /> : null}
        </section>
      );
    });
  }

  const scimTokens = tokens.data ?? [];

  return (
    <Card className="usersync-card">
      <CardHeader>
        <h2 className="usersync-card__title">{__('Sources', 'usersync')}</h2>
      </CardHeader>
      <CardBody>
        {directory}
        <h3>{__('Identity providers pushing over SCIM', 'usersync')}</h3>
        {tokens.error ? (
          <ErrorNotice
            title={__('The SCIM tokens could not be loaded.', 'usersync')}
            error={tokens.error}
          />
        ) : scimTokens.length === 0 ? (
          <p className="usersync-empty">
            {tokens.data
              ? __('None: create a SCIM token on the Connections tab.', 'usersync')
              : null}
          </p>
        ) : (
          <ul className="usersync-scim-sources">
            {scimTokens.map((token) => (
              <li key={token.id}>
                <strong>{token.name}</strong> <code>{token.connection}</code>{' '}
                {token.lastUsedAt ? (
                  <>
                    {__('last request', 'usersync')} <FormattedDate date={token.lastUsedAt} />
                  </>
                ) : (
                  __('never used yet', 'usersync')
                )}
              </li>
            ))}
          </ul>
        )}
        <h3>{__('Last runs', 'usersync')}</h3>
        {runs.data ? (
          <RecentRuns runs={runs.data} names={names} />
        ) : runs.error ? (
          <ErrorNotice
            title={__('The runs could not be loaded.', 'usersync')}
            error={runs.error}
            onRetry={runs.reload}
          />
        ) : (
          <LoadingState label={__('Loading runs…', 'usersync')} />
        )}
      </CardBody>
    </Card>
  );
}
