/**
 * Salesforce connections: listed with how they sign in, the object WordPress users sync
 * with, whether WordPress changes are pushed and how the last run went; added, edited,
 * tested, synced (or dry-run) and deleted. Test connection, Sync now and runs are the same
 * routes Microsoft Graph connections use; a run started here is followed on the card (its
 * progress, then what it did).
 */

/**
 * WordPress dependencies
 */
import { Button, Notice } from '@wordpress/components';
import { useEffect, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import {
  cancelRun,
  createSalesforceConnection,
  deleteConnection,
  getRun,
  listRuns,
  listSalesforceConnections,
  startRun,
  testConnection,
  toApiError,
  updateSalesforceConnection,
} from '../../api';
import type { ApiError, ConnectionTest, Run, SalesforceConnection } from '../../api';
import { useRequest } from '../../hooks/use-request';
import ConnectionList from '../connection-list';
import { connectionRemoval, editConnectionLabel } from '../connection-list/labels';
import ConnectionTestResult from '../connection-test-result';
import ErrorNotice from '../error-notice';
import FormattedDate from '../formatted-date';
import LoadingState from '../loading-state';
import RunProgress from '../run-progress';
import { isActive } from '../run-progress/format';
import SalesforceConnectionForm from '../salesforce-connection-form';
import type { SalesforceConnectionsProps } from './types';

function flowLabel(flow: SalesforceConnection['flow']): string {
  switch (flow) {
    case 'jwt':
      return __('JWT bearer', 'usersync');
    case 'refresh_token':
      return __('Refresh token', 'usersync');
    default:
      return __('Client credentials', 'usersync');
  }
}

function runStateLabel(run: Run): string {
  const states: Record<string, string> = {
    queued: __('queued', 'usersync'),
    running: __('running', 'usersync'),
    succeeded: __('succeeded', 'usersync'),
    failed: __('failed', 'usersync'),
    cancelled: __('cancelled', 'usersync'),
    interrupted: __('interrupted', 'usersync'),
  };
  const state = states[run.state] ?? run.state;
  return run.dryRun
    ? sprintf(
        /* translators: %s: run state, e.g. succeeded. */
        __('Dry run %s', 'usersync'),
        state,
      )
    : state.charAt(0).toUpperCase() + state.slice(1);
}

interface ActionState {
  busy?: 'test' | 'sync' | 'dry';
  test?: ConnectionTest;
  run?: Run;
  error?: { title: string; error: ApiError };
}

export default function SalesforceConnections({
  scheduleHref,
  pollMs = 1000,
}: SalesforceConnectionsProps) {
  const { data: connections, error, reload, setData } = useRequest(listSalesforceConnections);
  const runs = useRequest(() => listRuns(undefined, 50));
  const [actions, setActions] = useState<Record<string, ActionState>>({});
  const timers = useRef<Record<string, ReturnType<typeof setTimeout>>>({});
  const mounted = useRef(true);

  useEffect(
    () => () => {
      mounted.current = false;
      Object.values(timers.current).forEach(clearTimeout);
    },
    [],
  );

  /** Shows a run started here on its card, read again until it ends. */
  const follow = (slug: string, run: Run) => {
    setActions((all) => ({ ...all, [slug]: { ...all[slug], run } }));
    clearTimeout(timers.current[slug]);
    if (!isActive(run)) {
      runs.reload();
      return;
    }
    timers.current[slug] = setTimeout(() => {
      getRun(run.id).then(
        (next) => mounted.current && follow(slug, next),
        // A missed reading (sidecar busy or restarting): try again.
        () => mounted.current && follow(slug, run),
      );
    }, pollMs);
  };

  const replace = (saved: SalesforceConnection) =>
    setData((current) => {
      const list = current ?? [];
      return list.some((item) => item.slug === saved.slug)
        ? list.map((item) => (item.slug === saved.slug ? saved : item))
        : [...list, saved];
    });

  const act = async (
    slug: string,
    busy: NonNullable<ActionState['busy']>,
    work: () => Promise<Partial<ActionState>>,
    failureTitle: string,
  ) => {
    if (actions[slug]?.busy) {
      return;
    }
    setActions((all) => ({ ...all, [slug]: { busy } }));
    try {
      const done = await work();
      setActions((all) => ({ ...all, [slug]: done }));
      if (done.run) follow(slug, done.run);
    } catch (failure) {
      setActions((all) => ({
        ...all,
        [slug]: { error: { title: failureTitle, error: toApiError(failure) } },
      }));
    }
  };

  const lastRun = (slug: string): Run | undefined =>
    actions[slug]?.run ?? (runs.data ?? []).find((run) => run.source === slug);

  return (
    <ConnectionList<SalesforceConnection>
      title={__('Salesforce', 'usersync')}
      items={connections}
      loadError={error}
      onRetry={reload}
      loadingLabel={__('Loading Salesforce connections…', 'usersync')}
      loadErrorTitle={__('The Salesforce connections could not be loaded.', 'usersync')}
      emptyText={__(
        'No Salesforce org connected yet. Add one to sync WordPress users with Salesforce contacts, leads or accounts — field by field, in the directions you choose. You need a connected app with the OAuth scope "api" and either client credentials (with a run-as user), a certificate for the JWT bearer flow, or a refresh token.',
        'usersync',
      )}
      keyOf={(connection) => connection.slug}
      nameOf={(connection) => connection.name}
      kindOf={() => __('Salesforce', 'usersync')}
      details={(connection) => {
        const map = connection.objectMaps[0];
        const run = lastRun(connection.slug);
        return [
          {
            key: 'slug',
            label: __('Connection slug', 'usersync'),
            value: <code>{connection.slug}</code>,
          },
          {
            key: 'login',
            label: __('Login URL', 'usersync'),
            value: <code>{connection.loginUrl}</code>,
          },
          {
            key: 'flow',
            label: __('Sign-in flow', 'usersync'),
            value: flowLabel(connection.flow),
          },
          {
            key: 'object',
            label: __('Object', 'usersync'),
            value: map ? (
              <>
                <code>{map.sfObject}</code>{' '}
                {sprintf(
                  /* translators: %d: number of mapped fields. */
                  __('(%d fields mapped)', 'usersync'),
                  map.fields.length,
                )}
              </>
            ) : (
              __('None', 'usersync')
            ),
          },
          {
            key: 'push',
            label: __('Push to Salesforce', 'usersync'),
            value: connection.push ? __('On', 'usersync') : __('Off', 'usersync'),
          },
          {
            key: 'schedule',
            label: __('Schedule', 'usersync'),
            value: (
              <>
                {connection.schedule ? (
                  <code>{connection.schedule}</code>
                ) : (
                  __('Sync now only', 'usersync')
                )}
                {connection.enabled ? null : ` — ${__('disabled', 'usersync')}`}
                {scheduleHref ? (
                  <>
                    {' '}
                    <a href={scheduleHref}>{__('Change', 'usersync')}</a>
                  </>
                ) : null}
              </>
            ),
          },
          {
            key: 'run',
            label: __('Last run', 'usersync'),
            value: run ? (
              <>
                {runStateLabel(run)} <FormattedDate date={run.startedAt ?? run.createdAt} />
                {run.error ? ` — ${run.error}` : null}
              </>
            ) : runs.error ? (
              __('Unknown (the sidecar could not be asked)', 'usersync')
            ) : (
              __('None yet', 'usersync')
            ),
          },
        ];
      }}
      renderForm={(connection, { onSaved, onCancel }) => (
        <SalesforceConnectionForm
          connection={connection}
          onSave={async (input) => {
            const saved = connection
              ? await updateSalesforceConnection(connection.slug, input)
              : await createSalesforceConnection(input);
            replace(saved);
            onSaved(
              connection
                ? sprintf(
                    /* translators: %s: connection name. */
                    __('Connection “%s” saved.', 'usersync'),
                    saved.name,
                  )
                : sprintf(
                    /* translators: %s: connection name. */
                    __(
                      'Connection “%s” added. Test it, edit it to pick fields from your org, then press Sync now or set a schedule.',
                      'usersync',
                    ),
                    saved.name,
                  ),
            );
          }}
          onCancel={onCancel}
        />
      )}
      renderActions={(connection) => {
        const state = actions[connection.slug];
        const button = (
          busy: NonNullable<ActionState['busy']>,
          text: string,
          ariaLabel: string,
          work: () => Promise<Partial<ActionState>>,
          failureTitle: string,
          variant: 'primary' | 'secondary' = 'secondary',
        ) => (
          <Button
            key={busy}
            variant={variant}
            isBusy={state?.busy === busy}
            aria-disabled={state?.busy !== undefined}
            aria-label={ariaLabel}
            onClick={() => void act(connection.slug, busy, work, failureTitle)}
          >
            {text}
          </Button>
        );
        return (
          <>
            {button(
              'test',
              __('Test connection', 'usersync'),
              sprintf(
                /* translators: %s: connection name. */
                __('Test connection “%s”', 'usersync'),
                connection.name,
              ),
              async () => ({ test: await testConnection(connection.slug) }),
              __('The test could not run.', 'usersync'),
            )}
            {button(
              'dry',
              __('Dry run', 'usersync'),
              sprintf(
                /* translators: %s: connection name. */
                __('Dry run: %s', 'usersync'),
                connection.name,
              ),
              async () => ({ run: await startRun(connection.slug, { dryRun: true }) }),
              __('The dry run could not start.', 'usersync'),
            )}
            {button(
              'sync',
              __('Sync now', 'usersync'),
              sprintf(
                /* translators: %s: connection name. */
                __('Sync now: %s', 'usersync'),
                connection.name,
              ),
              async () => ({ run: await startRun(connection.slug) }),
              __('The sync could not start.', 'usersync'),
              'primary',
            )}
          </>
        );
      }}
      renderAfterActions={(connection) => {
        const state = actions[connection.slug];
        return (
          <>
            {state?.busy === 'test' ? (
              <LoadingState label={__('Testing the connection…', 'usersync')} />
            ) : null}
            {state?.test ? <ConnectionTestResult result={state.test} /> : null}
            {state?.run?.joined ? (
              <Notice status="info" isDismissible={false}>
                {__('A run was already going; this is its progress.', 'usersync')}
              </Notice>
            ) : null}
            {state?.run ? (
              <RunProgress
                run={state.run}
                onCancel={async () => {
                  const run = state.run!;
                  const answer = await cancelRun(run.id).catch((failure: unknown) => {
                    const failed = toApiError(failure);
                    // Finished meanwhile: the next reading shows how it ended.
                    if (failed.code === 'usersync_run_finished') return null;
                    throw failed;
                  });
                  if (answer) follow(connection.slug, answer);
                }}
              />
            ) : null}
            {state?.error ? (
              <ErrorNotice title={state.error.title} error={state.error.error} />
            ) : null}
          </>
        );
      }}
      editLabel={editConnectionLabel}
      remove={connectionRemoval(
        __(
          'Its schedule stops, nothing more is pushed to Salesforce and its secrets are deleted. Users and Salesforce records stay as they are, still linked: a connection added again with the same slug takes them back.',
          'usersync',
        ),
        async (connection) => {
          await deleteConnection(connection.slug);
          setData((current) => current?.filter((item) => item.slug !== connection.slug));
          return sprintf(
            /* translators: %s: connection name. */
            __('Connection “%s” deleted.', 'usersync'),
            connection.name,
          );
        },
      )}
      newLabel={__('New Salesforce connection', 'usersync')}
      newHeading={__('New Salesforce connection', 'usersync')}
      addLabel={__('Add a Salesforce connection', 'usersync')}
    />
  );
}
