/**
 * The WordPress side of the status: plugin, WordPress and PHP versions, and whether the
 * plugin's tables exist.
 */

/**
 * WordPress dependencies
 */
import { Card, CardBody, CardHeader, Notice } from '@wordpress/components';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import DetailList from '../detail-list';
import type { DetailItem } from '../detail-list/types';
import type { SystemCardProps } from './types';

/** Names of the plugin's tables as an admin reads them. */
function tableLabel(table: string): string {
  switch (table) {
    case 'outbox':
      return __('Change outbox table', 'usersync');
    case 'audit':
      return __('Audit log table', 'usersync');
    case 'groups':
      return __('Groups table', 'usersync');
    case 'groupMembers':
    case 'group_members':
      return __('Group members table', 'usersync');
    default:
      return table;
  }
}

export default function SystemCard({ status }: SystemCardProps) {
  const tables = Object.entries(status.tables);
  const missing = tables.filter(([, exists]) => !exists);
  const items: DetailItem[] = [
    { key: 'plugin', label: __('UserSync version', 'usersync'), value: status.plugin.version },
    {
      key: 'db',
      label: __('Database schema version', 'usersync'),
      value: status.plugin.dbVersion || __('Not installed', 'usersync'),
    },
    {
      key: 'wordpress',
      label: __('WordPress version', 'usersync'),
      value: status.wordpress.version,
    },
    { key: 'php', label: __('PHP version', 'usersync'), value: status.wordpress.php },
    {
      key: 'multisite',
      label: __('Multisite', 'usersync'),
      value: status.wordpress.multisite ? __('Yes', 'usersync') : __('No', 'usersync'),
    },
    ...tables.map(([table, exists]) => ({
      key: `table-${table}`,
      label: tableLabel(table),
      value: exists ? __('OK', 'usersync') : __('Missing', 'usersync'),
    })),
  ];

  return (
    <Card className="usersync-card">
      <CardHeader>
        <h2 className="usersync-card__title">{__('WordPress', 'usersync')}</h2>
      </CardHeader>
      <CardBody>
        {missing.length > 0 ? (
          <Notice status="warning" isDismissible={false}>
            {__(
              'Some of the tables UserSync needs are missing, so changes cannot be recorded. Deactivate and activate the plugin to create them; if they are still missing, check that the database user may create tables.',
              'usersync',
            )}
          </Notice>
        ) : null}
        <DetailList items={items} />
      </CardBody>
    </Card>
  );
}
