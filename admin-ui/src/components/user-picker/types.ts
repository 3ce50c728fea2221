/**
 * Internal dependencies
 */
import type { UserSummary } from '../../api';

export interface UserPickerProps {
  /** Visible label. */
  label: string;
  /** Help text, replaced by `error` when there is one. */
  help?: string;
  /** The chosen user's id, or null. */
  value: number | null;
  onChange: (id: number | null) => void;
  /** Why the choice is refused. */
  error?: string;
  /** Searches users (login, email, name, or an id); defaults to the plugin's users route. */
  search?: (term: string) => Promise<UserSummary[]>;
  /** Loads the chosen user to show its name; defaults to the plugin's users route. */
  load?: (id: number) => Promise<UserSummary | null>;
}
