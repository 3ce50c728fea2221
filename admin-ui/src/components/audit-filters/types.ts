/**
 * Internal dependencies
 */
import type { AuditFacets } from '../../api';

/** The filters as the form holds them; dates are `YYYY-MM-DD` in the admin's time zone. */
export interface AuditFilterValues {
  source: string;
  action: string;
  result: string;
  user: string;
  search: string;
  from: string;
  to: string;
  /** A run id, set by the "see this run's entries" links. */
  run: string;
}

export interface AuditFiltersProps {
  /** The filters in force. */
  value: AuditFilterValues;
  /** Values found in the log, to offer in the lists (undefined while loading). */
  facets: AuditFacets | undefined;
  /** Applies new filters. */
  onApply: (value: AuditFilterValues) => void;
  /** The plugin's refusal of a filter, by field (`from`, `to`). */
  errors: Record<string, string>;
}
