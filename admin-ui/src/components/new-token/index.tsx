/**
 * Shows a token right after it was created: the only time WordPress has it in clear.
 * Takes keyboard focus so the admin lands on it.
 */

/**
 * WordPress dependencies
 */
import {
  Button,
  Card,
  CardBody,
  CardFooter,
  CardHeader,
  Notice,
  TextControl,
} from '@wordpress/components';
import { useEffect, useRef } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import CopyButton from '../copy-button';
import ScimUrlField from '../scim-url-field';
import type { NewTokenProps } from './types';

export default function NewToken({ token, scimUrl, onDone }: NewTokenProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const headingId = `usersync-new-token-${token.id}`;

  useEffect(() => {
    heading.current?.focus();
  }, [token.id]);

  return (
    <Card className="usersync-card usersync-new-token" role="region" aria-labelledby={headingId}>
      <CardHeader>
        <h3 className="usersync-card__title" id={headingId} ref={heading} tabIndex={-1}>
          {sprintf(
            /* translators: %s: name of the token that was just created. */
            __('Token “%s” created', 'usersync'),
            token.name,
          )}
        </h3>
      </CardHeader>
      <CardBody>
        <Notice status="warning" isDismissible={false}>
          {__(
            'Copy the token now: it will not be shown again. WordPress keeps only a fingerprint of it. If it gets lost, create a new token and revoke this one.',
            'usersync',
          )}
        </Notice>
        <div className="usersync-secret-field">
          <TextControl
            className="usersync-secret-field__input usersync-secret-field__input--token"
            label={__('SCIM token', 'usersync')}
            value={token.token}
            readOnly
            onChange={() => undefined}
            onFocus={(event) => event.currentTarget.select()}
          />
          <CopyButton text={token.token} label={__('Copy token', 'usersync')} />
        </div>
        {scimUrl ? (
          <ScimUrlField url={scimUrl} />
        ) : (
          <Notice status="warning" isDismissible={false}>
            {__(
              'The SCIM base URL is not known because the sidecar address (USERSYNC_SIDECAR_URL) is not set. Identity providers need it together with the token.',
              'usersync',
            )}
          </Notice>
        )}
        <p>
          {sprintf(
            /* translators: %s: connection slug, e.g. entra-production. */
            __('Users this token creates are linked to the connection “%s”.', 'usersync'),
            token.connection,
          )}
        </p>
      </CardBody>
      <CardFooter>
        <Button variant="primary" onClick={onDone}>
          {__('Done, hide the token', 'usersync')}
        </Button>
      </CardFooter>
    </Card>
  );
}
