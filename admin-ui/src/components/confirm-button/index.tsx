/**
 * A destructive button that asks first, in a dialog that shows the failure if it fails.
 */

/**
 * WordPress dependencies
 */
import { Button, Flex, FlexItem, Modal } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { toApiError } from '../../api';
import type { ApiError } from '../../api';
import ErrorNotice from '../error-notice';
import type { ConfirmButtonProps } from './types';

export default function ConfirmButton({
  label,
  ariaLabel,
  title,
  message,
  confirmLabel,
  onConfirm,
}: ConfirmButtonProps) {
  const [isOpen, setIsOpen] = useState(false);
  const [isWorking, setIsWorking] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const close = () => {
    if (!isWorking) {
      setIsOpen(false);
      setError(null);
    }
  };

  const confirm = async () => {
    if (isWorking) {
      return;
    }
    setIsWorking(true);
    setError(null);
    try {
      await onConfirm();
      setIsWorking(false);
      setIsOpen(false);
    } catch (failure) {
      setError(toApiError(failure));
      setIsWorking(false);
    }
  };

  return (
    <>
      <Button
        variant="secondary"
        isDestructive
        aria-label={ariaLabel}
        onClick={() => setIsOpen(true)}
      >
        {label}
      </Button>
      {isOpen ? (
        <Modal title={title} onRequestClose={close} className="usersync-confirm-modal">
          <p>{message}</p>
          {error ? <ErrorNotice error={error} /> : null}
          <Flex justify="flex-end">
            <FlexItem>
              <Button variant="tertiary" onClick={close}>
                {__('Cancel', 'usersync')}
              </Button>
            </FlexItem>
            <FlexItem>
              <Button
                variant="primary"
                isDestructive
                isBusy={isWorking}
                aria-disabled={isWorking}
                onClick={confirm}
              >
                {confirmLabel}
              </Button>
            </FlexItem>
          </Flex>
        </Modal>
      ) : null}
    </>
  );
}
