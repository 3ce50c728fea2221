/**
 * Microsoft Entra ID and Azure AD B2C connections: listed with their settings, added,
 * edited, tested and deleted. Test connection signs in and reads as a run would.
 */

/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import {
  createConnection,
  deleteConnection,
  listConnections,
  testConnection,
  toApiError,
  updateConnection,
} from '../../api';
import type { ApiError, Connection, ConnectionInput, ConnectionTest } from '../../api';
import { useRequest } from '../../hooks/use-request';
import ConfirmButton from '../confirm-button';
import ConnectionTestResult from '../connection-test-result';
import DetailList from '../detail-list';
import ErrorNotice from '../error-notice';
import GraphConnectionForm from '../graph-connection-form';
import LoadingState from '../loading-state';
import type { GraphConnectionsProps } from './types';

function cloudLabel(cloud: Connection['cloud']): string {
  switch (cloud) {
    case 'usgov':
      return __('US Government', 'usersync');
    case 'china':
      return __('China (21Vianet)', 'usersync');
    default:
      return __('Global', 'usersync');
  }
}

interface TestState {
  isTesting: boolean;
  result?: ConnectionTest;
  error?: ApiError;
}

export default function GraphConnections({ scheduleHref }: GraphConnectionsProps) {
  const { data: connections, error, reload, setData } = useRequest(listConnections);
  const [editing, setEditing] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, TestState>>({});
  const [message, setMessage] = useState<string | null>(null);

  const replace = (saved: Connection) =>
    setData((current) => {
      const list = current ?? [];
      return list.some((item) => item.slug === saved.slug)
        ? list.map((item) => (item.slug === saved.slug ? saved : item))
        : [...list, saved];
    });

  const onCreate = async (input: ConnectionInput) => {
    const saved = await createConnection(input);
    replace(saved);
    setEditing(null);
    setMessage(
      sprintf(
        /* translators: %s: connection name. */
        __(
          'Connection “%s” added. Test it, then press Sync now on the Overview tab or set a schedule.',
          'usersync',
        ),
        saved.name,
      ),
    );
  };

  const onUpdate = (slug: string) => async (input: ConnectionInput) => {
    const saved = await updateConnection(slug, input);
    replace(saved);
    setEditing(null);
    setMessage(
      sprintf(
        /* translators: %s: connection name. */
        __('Connection “%s” saved.', 'usersync'),
        saved.name,
      ),
    );
  };

  const onTest = async (slug: string) => {
    setTests((current) => ({ ...current, [slug]: { isTesting: true } }));
    try {
      const result = await testConnection(slug);
      setTests((current) => ({ ...current, [slug]: { isTesting: false, result } }));
    } catch (failure) {
      setTests((current) => ({
        ...current,
        [slug]: { isTesting: false, error: toApiError(failure) },
      }));
    }
  };

  const onDelete = (connection: Connection) => async () => {
    await deleteConnection(connection.slug);
    setData((current) => current?.filter((item) => item.slug !== connection.slug));
    setMessage(
      sprintf(
        /* translators: %s: connection name. */
        __('Connection “%s” deleted. The users it brought stay in WordPress.', 'usersync'),
        connection.name,
      ),
    );
  };

  let body;
  if (!connections) {
    body = error ? (
      <ErrorNotice
        title={__('The connections could not be loaded.', 'usersync')}
        error={error}
        onRetry={reload}
      />
    ) : (
      <LoadingState label={__('Loading connections…', 'usersync')} />
    );
  } else {
    body = (
      <>
        {connections.length === 0 && editing !== 'new' ? (
          <p className="usersync-empty">
            {__(
              'No directory connected yet. Add one to pull users from Microsoft Entra ID (Azure AD) or Azure AD B2C through Microsoft Graph, on a schedule or with Sync now. You need an app registration with the application permissions User.Read.All and GroupMember.Read.All (admin consent granted) and a client secret.',
              'usersync',
            )}
          </p>
        ) : null}
        {connections.map((connection) => {
          const test = tests[connection.slug];
          return (
            <section
              key={connection.slug}
              className="usersync-connection"
              aria-label={connection.name}
            >
              <h3>
                {connection.name}{' '}
                <span className="usersync-connection__kind">
                  {connection.b2c
                    ? __('Azure AD B2C', 'usersync')
                    : __('Microsoft Entra ID', 'usersync')}
                </span>
              </h3>
              {editing === connection.slug ? (
                <GraphConnectionForm
                  connection={connection}
                  onSave={onUpdate(connection.slug)}
                  onCancel={() => setEditing(null)}
                />
              ) : (
                <>
                  <DetailList
                    items={[
                      {
                        key: 'slug',
                        label: __('Connection slug', 'usersync'),
                        value: <code>{connection.slug}</code>,
                      },
                      {
                        key: 'tenant',
                        label: __('Tenant ID', 'usersync'),
                        value: <code>{connection.tenantId}</code>,
                      },
                      {
                        key: 'client',
                        label: __('Client ID', 'usersync'),
                        value: <code>{connection.clientId}</code>,
                      },
                      {
                        key: 'secret',
                        label: __('Client secret', 'usersync'),
                        value: connection.clientSecret.set
                          ? __('Set', 'usersync')
                          : __('Not set', 'usersync'),
                      },
                      {
                        key: 'cloud',
                        label: __('Cloud', 'usersync'),
                        value: cloudLabel(connection.cloud),
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
                        key: 'photos',
                        label: __('Profile photos', 'usersync'),
                        value: connection.photos ? __('Yes', 'usersync') : __('No', 'usersync'),
                      },
                    ]}
                  />
                  <div className="usersync-form-actions">
                    <Button
                      variant="secondary"
                      isBusy={test?.isTesting}
                      aria-disabled={test?.isTesting}
                      aria-label={sprintf(
                        /* translators: %s: connection name. */
                        __('Test connection “%s”', 'usersync'),
                        connection.name,
                      )}
                      onClick={() => {
                        if (!test?.isTesting) {
                          void onTest(connection.slug);
                        }
                      }}
                    >
                      {__('Test connection', 'usersync')}
                    </Button>
                    <Button
                      variant="secondary"
                      aria-label={sprintf(
                        /* translators: %s: connection name. */
                        __('Edit connection “%s”', 'usersync'),
                        connection.name,
                      )}
                      onClick={() => setEditing(connection.slug)}
                    >
                      {__('Edit', 'usersync')}
                    </Button>
                    <ConfirmButton
                      label={__('Delete', 'usersync')}
                      ariaLabel={sprintf(
                        /* translators: %s: connection name. */
                        __('Delete connection “%s”', 'usersync'),
                        connection.name,
                      )}
                      title={sprintf(
                        /* translators: %s: connection name. */
                        __('Delete the connection “%s”?', 'usersync'),
                        connection.name,
                      )}
                      message={__(
                        'Its schedule stops and its secret is deleted. The users it brought stay in WordPress, still linked to it: a connection added again with the same slug takes them back.',
                        'usersync',
                      )}
                      confirmLabel={__('Delete connection', 'usersync')}
                      onConfirm={onDelete(connection)}
                    />
                  </div>
                  {test?.isTesting ? (
                    <LoadingState label={__('Testing the connection…', 'usersync')} />
                  ) : null}
                  {test?.result ? <ConnectionTestResult result={test.result} /> : null}
                  {test?.error ? (
                    <ErrorNotice
                      title={__('The test could not run.', 'usersync')}
                      error={test.error}
                    />
                  ) : null}
                </>
              )}
            </section>
          );
        })}
        {editing === 'new' ? (
          <section className="usersync-connection" aria-label={__('New connection', 'usersync')}>
            <h3>{__('New Microsoft Entra ID / Azure AD B2C connection', 'usersync')}</h3>
            <GraphConnectionForm onSave={onCreate} onCancel={() => setEditing(null)} />
          </section>
        ) : (
          <Button
            variant="secondary"
            onClick={() => {
              setMessage(null);
              setEditing('new');
            }}
          >
            {__('Add a Microsoft Entra ID connection', 'usersync')}
          </Button>
        )}
      </>
    );
  }

  return (
    <Card className="usersync-card">
      <CardHeader>
        <h2 className="usersync-card__title">
          {__('Microsoft Entra ID and Azure AD B2C', 'usersync')}
        </h2>
      </CardHeader>
      <CardBody>
        {message ? (
          <Notice status="success" onRemove={() => setMessage(null)}>
            {message}
          </Notice>
        ) : null}
        {body}
      </CardBody>
    </Card>
  );
}
