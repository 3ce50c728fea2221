/**
 * Schedule tab: when each pull connection runs on its own. SCIM identity providers and
 * WordPress peers push their changes as they happen and need no schedule.
 */

/**
 * WordPress dependencies
 */
import { Card, CardBody, CardHeader } from '@wordpress/components';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { getConfig, listConnections, updateConnection } from '../../api';
import ErrorNotice from '../../components/error-notice';
import LoadingState from '../../components/loading-state';
import ScheduleEditor from '../../components/schedule-editor';
import { useRequest } from '../../hooks/use-request';

export default function Schedule() {
  const { data: connections, error, reload, setData } = useRequest(listConnections);
  // The site's time zone, which schedules follow; without it the preview uses the browser's.
  const config = useRequest(getConfig);
  const zoneSettled = config.data !== undefined || config.error !== null;

  let body;
  if (!connections || !zoneSettled) {
    body = error ? (
      <ErrorNotice
        title={__('The connections could not be loaded.', 'usersync')}
        error={error}
        onRetry={reload}
      />
    ) : (
      <LoadingState label={__('Loading connections…', 'usersync')} />
    );
  } else if (connections.length === 0) {
    body = (
      <p className="usersync-empty">
        {__(
          'Nothing to schedule yet. Schedules apply to directories UserSync pulls from, such as Microsoft Entra ID: add one on the Connections tab. Identity providers using SCIM and WordPress peers send their changes as they happen.',
          'usersync',
        )}
      </p>
    );
  } else {
    body = connections.map((connection) => (
      <ScheduleEditor
        key={connection.slug}
        connection={connection}
        siteTimeZone={config.data?.siteTimeZone}
        onSave={async (schedule) => {
          const saved = await updateConnection(connection.slug, { schedule });
          setData((current) => current?.map((item) => (item.slug === saved.slug ? saved : item)));
        }}
      />
    ));
  }

  return (
    <Card className="usersync-card">
      <CardHeader>
        <h2 className="usersync-card__title">{__('Schedule', 'usersync')}</h2>
      </CardHeader>
      <CardBody>
        <p>
          {__(
            'A scheduled run brings only what changed since the last run (Azure AD B2C reads everything and writes only the differences). Sync now on the Overview tab runs at once, whatever the schedule.',
            'usersync',
          )}
        </p>
        {body}
      </CardBody>
    </Card>
  );
}
