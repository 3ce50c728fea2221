/**
 * Internal dependencies
 */
import type { Run } from '../../api';

export interface RecentRunsProps {
  runs: Run[];
  /** Connection names by slug, to show names rather than slugs. */
  names: Record<string, string>;
}
