/**
 * "Revoke" with a confirmation dialog: revoking cuts an identity provider off at once.
 */

/**
 * WordPress dependencies
 */
import { Button, Flex, FlexItem, Modal } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { toApiError } from '../../api';
import type { ApiError } from '../../api';
import ErrorNotice from '../error-notice';
import type { RevokeTokenButtonProps } from './types';

export default function RevokeTokenButton({ token, onRevoke }: RevokeTokenButtonProps) {
  const [isOpen, setIsOpen] = useState(false);
  const [isRevoking, setIsRevoking] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const close = () => {
    if (!isRevoking) {
      setIsOpen(false);
      setError(null);
    }
  };

  const confirm = async () => {
    if (isRevoking) {
      return;
    }
    setIsRevoking(true);
    setError(null);
    try {
      await onRevoke(token);
      // On success the row, and this button with it, goes away.
    } catch (failure) {
      setError(toApiError(failure));
      setIsRevoking(false);
    }
  };

  return (
    <>
      <Button
        variant="secondary"
        isDestructive
        aria-label={sprintf(
          /* translators: %s: token name. */
          __('Revoke token “%s”', 'usersync'),
          token.name,
        )}
        onClick={() => setIsOpen(true)}
      >
        {__('Revoke', 'usersync')}
      </Button>
      {isOpen ? (
        <Modal
          title={__('Revoke this token?', 'usersync')}
          onRequestClose={close}
          className="usersync-revoke-modal"
        >
          <p>
            {sprintf(
              /* translators: 1: token name, 2: first characters of the token. */
              __(
                'Identity providers that use “%1$s” (%2$s…) will be refused from now on. This cannot be undone: to connect them again, create a new token.',
                'usersync',
              ),
              token.name,
              token.prefix,
            )}
          </p>
          {error ? (
            <ErrorNotice title={__('The token was not revoked.', 'usersync')} error={error} />
          ) : null}
          <Flex justify="flex-end">
            <FlexItem>
              <Button variant="tertiary" onClick={close} aria-disabled={isRevoking}>
                {__('Cancel', 'usersync')}
              </Button>
            </FlexItem>
            <FlexItem>
              <Button
                variant="primary"
                isDestructive
                isBusy={isRevoking}
                aria-disabled={isRevoking}
                onClick={confirm}
              >
                {__('Revoke token', 'usersync')}
              </Button>
            </FlexItem>
          </Flex>
        </Modal>
      ) : null}
    </>
  );
}
