/**
 * One page of audit entries: when, who, what, from where, which fields, and how it ended.
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { AuditEntry } from '../../api';
import FormattedDate from '../formatted-date';
import type { AuditTableProps } from './types';

/** A result as the admin reads it. */
export function resultLabel(result: string): string {
  switch (result) {
    case 'success':
      return __('Success', 'usersync');
    case 'failure':
      return __('Failed', 'usersync');
    case 'skipped':
      return __('Skipped', 'usersync');
    default:
      return result;
  }
}

/** An action as the admin reads it. */
export function actionLabel(action: string): string {
  const labels: Record<string, string> = {
    create: __('Create', 'usersync'),
    update: __('Update', 'usersync'),
    disable: __('Disable', 'usersync'),
    enable: __('Enable', 'usersync'),
    delete: __('Delete', 'usersync'),
    password: __('Password', 'usersync'),
    token_create: __('Token created', 'usersync'),
    token_revoke: __('Token revoked', 'usersync'),
    config_update: __('Settings changed', 'usersync'),
    group_create: __('Group created', 'usersync'),
    group_update: __('Group updated', 'usersync'),
    group_delete: __('Group deleted', 'usersync'),
    run_start: __('Sync started', 'usersync'),
    run_dry: __('Dry run started', 'usersync'),
    run_cancel: __('Run cancelled', 'usersync'),
    photos_check: __('Photos checked', 'usersync'),
    connection_create: __('Connection added', 'usersync'),
    connection_update: __('Connection changed', 'usersync'),
    connection_delete: __('Connection deleted', 'usersync'),
  };
  return labels[action] ?? action;
}

function user(entry: AuditEntry) {
  if (!entry.userLogin && entry.userId === null) {
    return '—';
  }
  const name = entry.userLogin || `#${entry.userId}`;
  // A user entry links to the profile (a deleted user's page answers that it is gone).
  return entry.userId !== null && entry.userId > 0 ? (
    <a href={`user-edit.php?user_id=${entry.userId}`}>{name}</a>
  ) : (
    name
  );
}

/** A source as the admin reads it; the stored key stays visible as its tooltip. */
export function sourceLabel(entry: AuditEntry): string {
  const [kind, ...rest] = entry.source.split(':');
  const name = rest.join(':');
  switch (kind) {
    case 'scim':
      return sprintf(
        /* translators: %s: SCIM token name. */
        __('SCIM token %s', 'usersync'),
        name,
      );
    case 'peer':
      return sprintf(
        /* translators: %s: peer site name. */
        __('Peer site %s', 'usersync'),
        name,
      );
    case 'connection':
      return sprintf(
        /* translators: %s: connection slug. */
        __('Connection %s', 'usersync'),
        name,
      );
    case 'run':
      return entry.connection
        ? sprintf(
            /* translators: 1: connection slug, 2: first characters of the run id. */
            __('Sync of %1$s (run %2$s)', 'usersync'),
            entry.connection,
            name.slice(0, 8),
          )
        : sprintf(
            /* translators: %s: first characters of the run id. */
            __('Sync run %s', 'usersync'),
            name.slice(0, 8),
          );
    default:
      return entry.source;
  }
}

export default function AuditTable({ entries }: AuditTableProps) {
  return (
    // Narrow screens scroll the table sideways rather than breaking words letter by letter.
    <div className="usersync-table-scroll">
      <table className="widefat striped usersync-audit-table">
        <caption className="screen-reader-text">{__('Audit log entries', 'usersync')}</caption>
        <thead>
          <tr>
            <th scope="col">{__('Time', 'usersync')}</th>
            <th scope="col">{__('User', 'usersync')}</th>
            <th scope="col">{__('Action', 'usersync')}</th>
            <th scope="col">{__('Source', 'usersync')}</th>
            <th scope="col">{__('Fields changed', 'usersync')}</th>
            <th scope="col">{__('Result', 'usersync')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id} className={`usersync-audit-row is-${entry.result}`}>
              <td>
                <FormattedDate date={entry.createdAt} />
              </td>
              <th scope="row">{user(entry)}</th>
              <td>{actionLabel(entry.action)}</td>
              <td className="usersync-audit-table__source">
                <span title={entry.source}>{sourceLabel(entry)}</span>
                {entry.actor && entry.actor !== 'sidecar' ? (
                  <span className="usersync-audit-table__actor">
                    {' '}
                    {__('by', 'usersync')} {entry.actor}
                  </span>
                ) : null}
              </td>
              <td className="usersync-audit-table__fields">
                {entry.fields.length ? entry.fields.join(', ') : '—'}
              </td>
              <td>
                <span className={`usersync-result is-${entry.result}`}>
                  {resultLabel(entry.result)}
                </span>
                {entry.error ? <p className="usersync-audit-table__error">{entry.error}</p> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
