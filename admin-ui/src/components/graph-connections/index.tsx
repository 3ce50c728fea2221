/**
 * Microsoft Entra ID and Azure AD B2C connections: listed with their settings, added,
 * edited, tested and deleted. Test connection signs in and reads as a run would.
 */

/**
 * WordPress dependencies
 */
import { Button } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import {
  createConnection,
  deleteConnection,
  isSalesforceConnection,
  listConnections,
  testConnection,
  toApiError,
  updateConnection,
} from '../../api';
import type { ApiError, Connection, ConnectionTest } from '../../api';
import { useRequest } from '../../hooks/use-request';
import ConnectionList from '../connection-list';
import { connectionRemoval, editConnectionLabel } from '../connection-list/labels';
import ConnectionTestResult from '../connection-test-result';
import ErrorNotice from '../error-notice';
import GraphConnectionForm from '../graph-connection-form';
import LoadingState from '../loading-state';
import UserPreview from '../user-preview';
import type { GraphConnectionsProps } from './types';

function cloudLabel(cloud: Connection['cloud']): string {
  switch (cloud) {
    case 'usgov':
      return __('US Government', 'usersync');
    case 'usgovdod':
      return __('US Government DoD', 'usersync');
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
  // Salesforce connections share the list; they have a card of their own.
  const {
    data: connections,
    error,
    reload,
    setData,
  } = useRequest(async () =>
    (await listConnections()).filter((connection) => !isSalesforceConnection(connection)),
  );
  const [tests, setTests] = useState<Record<string, TestState>>({});

  const replace = (saved: Connection) =>
    setData((current) => {
      const list = current ?? [];
      return list.some((item) => item.slug === saved.slug)
        ? list.map((item) => (item.slug === saved.slug ? saved : item))
        : [...list, saved];
    });

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

  const onDelete = async (connection: Connection) => {
    await deleteConnection(connection.slug);
    setData((current) => current?.filter((item) => item.slug !== connection.slug));
    return sprintf(
      /* translators: %s: connection name. */
      __('Connection “%s” deleted. The users it brought stay in WordPress.', 'usersync'),
      connection.name,
    );
  };

  return (
    <ConnectionList<Connection>
      title={__('Microsoft Entra ID and Azure AD B2C', 'usersync')}
      items={connections}
      loadError={error}
      onRetry={reload}
      loadingLabel={__('Loading connections…', 'usersync')}
      loadErrorTitle={__('The connections could not be loaded.', 'usersync')}
      emptyText={__(
        'No directory connected yet. Add one to pull users from Microsoft Entra ID (Azure AD) or Azure AD B2C through Microsoft Graph, on a schedule or with Sync now. You need an app registration with the application permissions User.Read.All and GroupMember.Read.All (admin consent granted) and a client secret.',
        'usersync',
      )}
      keyOf={(connection) => connection.slug}
      nameOf={(connection) => connection.name}
      kindOf={(connection) =>
        connection.b2c ? __('Azure AD B2C', 'usersync') : __('Microsoft Entra ID', 'usersync')
      }
      details={(connection) => [
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
          value: connection.clientSecret.set ? __('Set', 'usersync') : __('Not set', 'usersync'),
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
      renderForm={(connection, { onSaved, onCancel }) => (
        <GraphConnectionForm
          connection={connection}
          onSave={async (input) => {
            if (connection) {
              const saved = await updateConnection(connection.slug, input);
              replace(saved);
              onSaved(
                sprintf(
                  /* translators: %s: connection name. */
                  __('Connection “%s” saved.', 'usersync'),
                  saved.name,
                ),
              );
            } else {
              const saved = await createConnection(input);
              replace(saved);
              onSaved(
                sprintf(
                  /* translators: %s: connection name. */
                  __(
                    'Connection “%s” added. Test it, then press Sync now on the Overview tab or set a schedule.',
                    'usersync',
                  ),
                  saved.name,
                ),
              );
            }
          }}
          onCancel={onCancel}
        />
      )}
      renderActions={(connection) => {
        const test = tests[connection.slug];
        return (
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
        );
      }}
      renderAfterActions={(connection) => {
        const test = tests[connection.slug];
        return (
          <>
            {test?.isTesting ? (
              <LoadingState label={__('Testing the connection…', 'usersync')} />
            ) : null}
            {test?.result ? <ConnectionTestResult result={test.result} /> : null}
            {test?.error ? (
              <ErrorNotice title={__('The test could not run.', 'usersync')} error={test.error} />
            ) : null}
            <UserPreview source={connection.slug} sourceName={connection.name} />
          </>
        );
      }}
      editLabel={editConnectionLabel}
      remove={connectionRemoval(
        __(
          'Its schedule stops and its secret is deleted. The users it brought stay in WordPress, still linked to it: a connection added again with the same slug takes them back.',
          'usersync',
        ),
        onDelete,
      )}
      newLabel={__('New connection', 'usersync')}
      newHeading={__('New Microsoft Entra ID / Azure AD B2C connection', 'usersync')}
      addLabel={__('Add a Microsoft Entra ID connection', 'usersync')}
    />
  );
}
