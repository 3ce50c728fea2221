/**
 * Internal dependencies
 */
import type { ApiError } from '../../api';

export interface SaveBarProps {
  /** Text of the submit button, e.g. "Save attribute mapping". */
  label: string;
  /** True while the save request is in flight. */
  isSaving: boolean;
  /** True after a successful save, until the next edit. */
  saved: boolean;
  /** Whether there are edits not saved yet. */
  isDirty: boolean;
  /** Problems the form shows next to its fields (client checks and the plugin's answer). */
  problemCount: number;
  /** Whether the admin tried to save: only then is the count of problems announced. */
  attempted: boolean;
  /** A failure that concerns no single field. */
  error: ApiError | null;
}
