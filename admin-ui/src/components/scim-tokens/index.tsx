/**
 * SCIM tokens: list, create (shown once), revoke. Holds the state; the pieces it renders
 * only display it.
 */

/**
 * WordPress dependencies
 */
import { Card, CardBody, CardHeader, Notice } from '@wordpress/components';
import { useEffect, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { ApiError, createToken, listTokens, revokeToken } from '../../api';
import type { CreatedToken, CreateTokenInput, Token } from '../../api';
import { useRequest } from '../../hooks/use-request';
import CreateTokenForm from '../create-token-form';
import ErrorNotice from '../error-notice';
import LoadingState from '../loading-state';
import NewToken from '../new-token';
import ScimUrlField from '../scim-url-field';
import TokenTable from '../token-table';
import type { ScimTokensProps } from './types';

/** The listed part of a created token: the secret must not stay in the list's state. */
function withoutSecret({
  id,
  name,
  connection,
  prefix,
  createdAt,
  lastUsedAt,
}: CreatedToken): Token {
  return { id, name, connection, prefix, createdAt, lastUsedAt };
}

export default function ScimTokens({ scimUrl: pageScimUrl }: ScimTokensProps) {
  const { data: tokens, error, reload, setData } = useRequest(listTokens);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revokedMessage, setRevokedMessage] = useState<string | null>(null);
  // A create answer may know the SCIM URL when the page did not; keep it after "Done".
  const [answerScimUrl, setAnswerScimUrl] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const scimUrl = answerScimUrl || pageScimUrl;

  // After a revoke the row, and the focus with it, is gone: bring focus back to the section.
  useEffect(() => {
    if (revokedMessage) {
      heading.current?.focus();
    }
  }, [revokedMessage]);

  const onCreate = async (input: CreateTokenInput) => {
    const token = await createToken(input);
    setRevokedMessage(null);
    setCreated(token);
    if (token.scimUrl) {
      setAnswerScimUrl(token.scimUrl);
    }
    setData((current) => [...(current ?? []), withoutSecret(token)]);
  };

  const remove = (token: Token) => {
    setData((current) => current?.filter((item) => item.id !== token.id));
    if (created?.id === token.id) {
      setCreated(null);
    }
  };

  const onRevoke = async (token: Token) => {
    try {
      await revokeToken(token.id);
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'usersync_token_not_found') {
        remove(token);
        setRevokedMessage(
          sprintf(
            /* translators: %s: token name. */
            __('Token “%s” had already been revoked.', 'usersync'),
            token.name,
          ),
        );
        return;
      }
      throw failure;
    }
    remove(token);
    setRevokedMessage(
      sprintf(
        /* translators: %s: token name. */
        __('Token “%s” revoked. Identity providers using it can no longer connect.', 'usersync'),
        token.name,
      ),
    );
  };

  let list;
  if (tokens) {
    list = <TokenTable tokens={tokens} onRevoke={onRevoke} />;
  } else if (error) {
    list = (
      <ErrorNotice
        title={__('The tokens could not be loaded.', 'usersync')}
        error={error}
        onRetry={reload}
      />
    );
  } else {
    list = <LoadingState label={__('Loading tokens…', 'usersync')} />;
  }

  return (
    <div className="usersync-scim-tokens">
      <Card className="usersync-card">
        <CardHeader>
          <h2 className="usersync-card__title" ref={heading} tabIndex={-1}>
            {__('SCIM tokens', 'usersync')}
          </h2>
        </CardHeader>
        <CardBody>
          <p>
            {__(
              'Identity providers push users to this site over SCIM 2.0. Each provider needs the SCIM base URL and a token of its own; revoke a token to cut its provider off.',
              'usersync',
            )}
          </p>
          {scimUrl ? (
            <ScimUrlField url={scimUrl} />
          ) : (
            <Notice status="warning" isDismissible={false}>
              {__(
                'The SCIM base URL is not known because the sidecar address (USERSYNC_SIDECAR_URL) is not set in wp-config.php. See the Overview tab.',
                'usersync',
              )}
            </Notice>
          )}
          {revokedMessage ? (
            <Notice status="success" onRemove={() => setRevokedMessage(null)}>
              {revokedMessage}
            </Notice>
          ) : null}
          {created ? (
            <NewToken token={created} scimUrl={scimUrl} onDone={() => setCreated(null)} />
          ) : null}
          {list}
        </CardBody>
      </Card>
      <Card className="usersync-card">
        <CardHeader>
          <h2 className="usersync-card__title">{__('Create a token', 'usersync')}</h2>
        </CardHeader>
        <CardBody>
          <CreateTokenForm onCreate={onCreate} />
        </CardBody>
      </Card>
    </div>
  );
}
