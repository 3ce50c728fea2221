/**
 * Internal dependencies
 */
import type { Connection } from '../../api';

export interface ScheduleEditorProps {
  connection: Connection;
  /** Saves the expression (null: off); rejects with an ApiError naming `schedule`. */
  onSave: (schedule: string | null) => Promise<void>;
  /** "Now", for the preview (tests pass a fixed one). */
  now?: () => Date;
}
