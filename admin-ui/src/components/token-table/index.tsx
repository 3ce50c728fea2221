/**
 * The active SCIM tokens, one row each, or what a token is for when there is none yet.
 */

/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import FormattedDate from '../formatted-date';
import RevokeTokenButton from '../revoke-token-button';
import type { TokenTableProps } from './types';

export default function TokenTable({ tokens, onRevoke }: TokenTableProps) {
  if (tokens.length === 0) {
    return (
      <div className="usersync-empty">
        <p>
          <strong>{__('No SCIM tokens yet.', 'usersync')}</strong>
        </p>
        <p>
          {__(
            'A SCIM token lets an identity provider such as Microsoft Entra ID, Okta or another WordPress site create, update and deactivate users here. Create one token for each identity provider below, then enter it with the SCIM base URL in that provider.',
            'usersync',
          )}
        </p>
      </div>
    );
  }

  return (
    <table className="widefat striped usersync-token-table">
      <caption className="screen-reader-text">{__('Active SCIM tokens', 'usersync')}</caption>
      <thead>
        <tr>
          <th scope="col">{__('Name', 'usersync')}</th>
          <th scope="col">{__('Connection', 'usersync')}</th>
          <th scope="col">{__('Token', 'usersync')}</th>
          <th scope="col">{__('Created', 'usersync')}</th>
          <th scope="col">{__('Last used', 'usersync')}</th>
          <th scope="col">
            <span className="screen-reader-text">{__('Actions', 'usersync')}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((token) => (
          <tr key={token.id}>
            <th scope="row">{token.name}</th>
            <td>{token.connection ? <code>{token.connection}</code> : '—'}</td>
            <td>
              <code>{`${token.prefix}…`}</code>
            </td>
            <td>
              <FormattedDate date={token.createdAt} />
            </td>
            <td>
              {token.lastUsedAt ? (
                <FormattedDate date={token.lastUsedAt} />
              ) : (
                __('Never', 'usersync')
              )}
            </td>
            <td className="usersync-token-table__actions">
              <RevokeTokenButton token={token} onRevoke={onRevoke} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
