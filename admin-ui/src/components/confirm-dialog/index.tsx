/**
 * Asks before a save does something that cannot be undone, or changes people: a modal with
 * what will happen, Cancel and the confirming button.
 */

/**
 * WordPress dependencies
 */
import { Button, Flex, FlexItem, Modal } from '@wordpress/components';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ConfirmDialogProps } from './types';

export default function ConfirmDialog({
  title,
  children,
  confirmLabel,
  isDestructive = false,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  return (
    <Modal title={title} onRequestClose={onCancel} className="usersync-confirm-modal">
      {children}
      <Flex justify="flex-end">
        <FlexItem>
          <Button variant="tertiary" onClick={onCancel}>
            {__('Cancel', 'usersync')}
          </Button>
        </FlexItem>
        <FlexItem>
          <Button variant="primary" isDestructive={isDestructive} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </FlexItem>
      </Flex>
    </Modal>
  );
}
