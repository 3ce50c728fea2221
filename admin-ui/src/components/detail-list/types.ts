/**
 * External dependencies
 */
import type { ReactNode } from 'react';

export interface DetailItem {
  /** Stable React key. */
  key: string;
  /** The term, e.g. "PHP version". */
  label: string;
  /** What to show for it. */
  value: ReactNode;
}

export interface DetailListProps {
  items: DetailItem[];
}
