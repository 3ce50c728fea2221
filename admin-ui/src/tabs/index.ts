/**
 * The tabs of the settings page, in order. A tab is one folder here; add it to this list.
 */

/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import AttributeMapping from './attribute-mapping';
import AuditLog from './audit-log';
import Connections from './connections';
import Deprovisioning from './deprovisioning';
import FailedRecords from './failed-records';
import Overview from './overview';
import RoleMapping from './role-mapping';
import Schedule from './schedule';
import type { AppTab } from './types';

/** Returns the tabs with their titles in the admin's language. */
export function getTabs(): AppTab[] {
  return [
    { name: 'overview', title: __('Overview', 'usersync'), Component: Overview },
    { name: 'connections', title: __('Connections', 'usersync'), Component: Connections },
    {
      name: 'attribute-mapping',
      title: __('Attribute mapping', 'usersync'),
      Component: AttributeMapping,
    },
    { name: 'role-mapping', title: __('Role mapping', 'usersync'), Component: RoleMapping },
    {
      name: 'deprovisioning',
      title: __('Deprovisioning', 'usersync'),
      Component: Deprovisioning,
    },
    { name: 'schedule', title: __('Schedule', 'usersync'), Component: Schedule },
    { name: 'audit', title: __('Audit log', 'usersync'), Component: AuditLog },
    {
      name: 'failed-records',
      title: __('Failed records', 'usersync'),
      Component: FailedRecords,
    },
  ];
}
