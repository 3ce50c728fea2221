export interface PaginationProps {
  /** 1-based current page. */
  page: number;
  totalPages: number;
  /** Number of entries over all pages. */
  total: number;
  onChange: (page: number) => void;
  /** Accessible name of the navigation landmark (two lists on one page need two names). */
  label: string;
  /** True while a page is loading: the buttons stay focusable but do nothing. */
  isBusy?: boolean;
}
