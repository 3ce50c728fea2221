/**
 * Internal dependencies
 */
import type { Run } from '../../api';

export interface RunProgressProps {
  /** The run as last read. */
  run: Run;
  /** Asks the run to stop; rejects with an ApiError. */
  onCancel: () => Promise<void>;
}
