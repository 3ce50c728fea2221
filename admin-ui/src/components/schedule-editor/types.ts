/**
 * Internal dependencies
 */
import type { Connection } from '../../api';

export interface ScheduleEditorProps {
  connection: Connection;
  /** Saves the expression (null: off); rejects with an ApiError naming `schedule`. */
  onSave: (schedule: string | null) => Promise<void>;
  /**
   * The site's time zone as WordPress gives it (`wp_timezone_string()`: an IANA name or an
   * offset such as `+02:00`); the preview shows the runs in it, as the sidecar fires them.
   * Unknown: the browser's zone.
   */
  siteTimeZone?: string;
  /** "Now", for the preview (tests pass a fixed one). */
  now?: () => Date;
}
