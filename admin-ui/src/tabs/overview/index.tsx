/**
 * Overview tab: is everything in place, and what is syncing? The sources with Sync now and
 * live progress, the last runs, the sidecar's health, versions and tables, and the settings
 * file (export and import).
 */

/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { getStatus } from '../../api';
import ErrorNotice from '../../components/error-notice';
import LoadingState from '../../components/loading-state';
import SettingsTransfer from '../../components/settings-transfer';
import SidecarCard from '../../components/sidecar-card';
import SourcesCard from '../../components/sources-card';
import SystemCard from '../../components/system-card';
import { useRequest } from '../../hooks/use-request';

export default function Overview() {
  const { data: status, error, isLoading, reload } = useRequest(getStatus);

  if (!status) {
    if (error) {
      return (
        <ErrorNotice
          title={__('The status could not be loaded.', 'usersync')}
          error={error}
          onRetry={reload}
        />
      );
    }
    return <LoadingState label={__('Loading status…', 'usersync')} />;
  }

  return (
    <div className="usersync-overview">
      {error ? (
        <ErrorNotice title={__('The status could not be refreshed.', 'usersync')} error={error} />
      ) : null}
      <SourcesCard />
      <SidecarCard sidecar={status.sidecar} isChecking={isLoading} onCheckAgain={reload} />
      <SystemCard status={status} />
      <SettingsTransfer />
    </div>
  );
}
