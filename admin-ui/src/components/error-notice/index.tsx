/**
 * An error notice for a failed REST call: what failed, the server's message and its code.
 */

/**
 * WordPress dependencies
 */
import { Button, Notice } from '@wordpress/components';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ErrorNoticeProps } from './types';

export default function ErrorNotice({ error, title, onRetry }: ErrorNoticeProps) {
  return (
    <Notice status="error" isDismissible={false} className="usersync-error-notice">
      <p>
        {title ? <strong>{title} </strong> : null}
        {error.message}
      </p>
      {error.code !== 'unknown_error' ? (
        <p className="usersync-error-notice__code">
          {sprintf(
            /* translators: %s: machine-readable error code, e.g. usersync_token_not_found. */
            __('Error code: %s', 'usersync'),
            error.code,
          )}
        </p>
      ) : null}
      {onRetry ? (
        <p>
          <Button variant="secondary" onClick={onRetry}>
            {__('Try again', 'usersync')}
          </Button>
        </p>
      ) : null}
    </Notice>
  );
}
