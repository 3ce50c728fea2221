/**
 * The labels of a list of connections (Microsoft Entra ID, Salesforce): its items' Edit and
 * Delete buttons and the deletion's confirmation; each list says what deleting does.
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ConnectionListProps } from './types';

export function editConnectionLabel(name: string): string {
  return sprintf(
    /* translators: %s: connection name. */
    __('Edit connection “%s”', 'usersync'),
    name,
  );
}

/** Deleting a connection: what it does (`message`) and the deletion itself. */
export function connectionRemoval<Item>(
  message: string,
  onConfirm: (item: Item) => Promise<string>,
): ConnectionListProps<Item>['remove'] {
  return {
    label: __('Delete', 'usersync'),
    ariaLabel: (name) =>
      sprintf(
        /* translators: %s: connection name. */
        __('Delete connection “%s”', 'usersync'),
        name,
      ),
    title: (name) =>
      sprintf(
        /* translators: %s: connection name. */
        __('Delete the connection “%s”?', 'usersync'),
        name,
      ),
    message,
    confirmLabel: __('Delete connection', 'usersync'),
    onConfirm,
  };
}
