/**
 * What Test connection found: each check with its outcome, and the permissions to grant.
 */

/**
 * WordPress dependencies
 */
import { Notice } from '@wordpress/components';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ConnectionTestResultProps } from './types';

export default function ConnectionTestResult({ result }: ConnectionTestResultProps) {
  return (
    <div className="usersync-test-result" role="status">
      <Notice status={result.ok ? 'success' : 'error'} isDismissible={false}>
        {result.ok
          ? __('Connection works: every check passed.', 'usersync')
          : __('Connection test failed: see the checks below.', 'usersync')}
      </Notice>
      <ul className="usersync-checks">
        {result.checks.map((check) => (
          <li key={check.name} className={check.ok ? 'is-ok' : 'is-failed'}>
            <span className="usersync-checks__mark" aria-hidden="true">
              {check.ok ? '✓' : '✗'}
            </span>
            <strong>{check.name}</strong>
            {': '}
            <span className="screen-reader-text">
              {check.ok ? __('passed.', 'usersync') : __('failed.', 'usersync')}{' '}
            </span>
            {check.message}
          </li>
        ))}
      </ul>
      {result.missingPermissions.length > 0 ? (
        <p>
          {__(
            'Grant these Microsoft Graph application permissions to the app registration, then grant admin consent:',
            'usersync',
          )}{' '}
          {result.missingPermissions.map((permission, index) => (
            <span key={permission}>
              {index > 0 ? ', ' : ''}
              <code>{permission}</code>
            </span>
          ))}
        </p>
      ) : null}
    </div>
  );
}
