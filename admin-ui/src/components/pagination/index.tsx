/**
 * Page navigation in the manner of wp-admin list tables: the number of items, then first,
 * previous, "page x of y", next and last.
 */

/**
 * WordPress dependencies
 */
import { Button } from '@wordpress/components';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { PaginationProps } from './types';

export default function Pagination({
  page,
  totalPages,
  total,
  onChange,
  label,
  isBusy,
}: PaginationProps) {
  const go = (target: number) => {
    if (!isBusy && target >= 1 && target <= totalPages && target !== page) {
      onChange(target);
    }
  };
  const button = (label: string, symbol: string, target: number, disabled: boolean) => (
    <Button
      variant="secondary"
      className="usersync-pagination__button"
      label={label}
      showTooltip={false}
      aria-disabled={disabled || isBusy}
      onClick={() => {
        if (!disabled) {
          go(target);
        }
      }}
    >
      <span aria-hidden="true">{symbol}</span>
    </Button>
  );

  return (
    <nav className="usersync-pagination" aria-label={label}>
      <span className="usersync-pagination__total">
        {sprintf(
          /* translators: %s: number of entries. */
          _n('%s entry', '%s entries', total, 'usersync'),
          total.toLocaleString(),
        )}
      </span>
      {totalPages > 1 ? (
        <span className="usersync-pagination__links">
          {button(__('First page', 'usersync'), '«', 1, page <= 1)}
          {button(__('Previous page', 'usersync'), '‹', page - 1, page <= 1)}
          <span className="usersync-pagination__current" aria-live="polite">
            {sprintf(
              /* translators: 1: current page, 2: number of pages. */
              __('Page %1$d of %2$d', 'usersync'),
              page,
              totalPages,
            )}
          </span>
          {button(__('Next page', 'usersync'), '›', page + 1, page >= totalPages)}
          {button(__('Last page', 'usersync'), '»', totalPages, page >= totalPages)}
        </span>
      ) : null}
    </nav>
  );
}
