/**
 * Failed records tab: what syncs could not write and what could not be delivered to peers
 * and Salesforce connections, each with its reason and a Retry.
 */

/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { getConfig, listConnections } from '../../api';
import ErrorNotice from '../../components/error-notice';
import FailedRecords from '../../components/failed-records';
import LoadingState from '../../components/loading-state';
import { useRequest } from '../../hooks/use-request';

async function load() {
  const [connections, config] = await Promise.all([listConnections(), getConfig()]);
  return {
    sources: connections.map(({ slug, name }) => ({ slug, name })),
    // Changes go to peer sites and to connections that receive pushes (Salesforce).
    peerNames: Object.fromEntries([
      ...(config.peers ?? []).map((peer) => [peer.slug, peer.name]),
      ...connections
        .filter((connection) => connection.type === 'salesforce')
        .map(({ slug, name }) => [slug, name]),
    ]),
  };
}

export default function FailedRecordsTab() {
  const { data, error, reload } = useRequest(load);
  if (error) {
    return (
      <ErrorNotice
        error={error}
        title={__('The connections could not be loaded.', 'usersync')}
        onRetry={reload}
      />
    );
  }
  if (!data) return <LoadingState label={__('Loading…', 'usersync')} />;
  return <FailedRecords sources={data.sources} peerNames={data.peerNames} />;
}
