/**
 * External dependencies
 */
import type { ReactNode } from 'react';

/**
 * Internal dependencies
 */
import type { ApiError } from '../../api';
import type { DetailItem } from '../detail-list/types';

/** What the form of an item is given to end the editing. */
export interface ConnectionFormDone {
  /** After a save: closes the form and shows `message`. */
  onSaved: (message: string) => void;
  onCancel: () => void;
}

export interface ConnectionListProps<Item> {
  /** Title of the card. */
  title: string;
  /** The items; undefined while loading or when loading failed. */
  items: Item[] | undefined;
  /** Why loading failed. */
  loadError: ApiError | null;
  onRetry: () => void;
  loadingLabel: string;
  loadErrorTitle: string;
  /** Shown above the items. */
  intro?: ReactNode;
  /** Shown when there is no item (and none is being added). */
  emptyText: string;
  /** The slug that names an item. */
  keyOf: (item: Item) => string;
  nameOf: (item: Item) => string;
  /** What kind of item it is, shown beside its name. */
  kindOf?: (item: Item) => string;
  /** What is shown of an item that is not being edited. */
  details: (item: Item) => DetailItem[];
  /** The form that edits an item, or adds one when `item` is undefined. */
  renderForm: (item: Item | undefined, done: ConnectionFormDone) => ReactNode;
  /** Buttons before Edit (e.g. Test connection). */
  renderActions?: (item: Item) => ReactNode;
  /** Shown under the buttons (e.g. a test's result). */
  renderAfterActions?: (item: Item) => ReactNode;
  /** Accessible name of an item's Edit button. */
  editLabel: (name: string) => string;
  remove: {
    /** Text of the button. */
    label: string;
    /** Accessible name of an item's button. */
    ariaLabel: (name: string) => string;
    /** Title of the confirmation dialog. */
    title: (name: string) => string;
    /** What removing does, in the dialog. */
    message: string;
    confirmLabel: string;
    /** Removes; resolves with the message to show; rejects with an ApiError. */
    onConfirm: (item: Item) => Promise<string>;
  };
  /** Accessible name of the region of a new item's form. */
  newLabel: string;
  /** Heading of a new item's form. */
  newHeading: string;
  /** Text of the button that opens a new item's form. */
  addLabel: string;
}
