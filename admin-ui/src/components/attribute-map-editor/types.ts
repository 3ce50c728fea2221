/**
 * Internal dependencies
 */
import type { AttributeMapping } from '../../api';

export interface AttributeMapEditorProps {
  /** The rows being edited. */
  rows: AttributeMapping[];
  /** Replaces the rows. */
  onChange: (rows: AttributeMapping[]) => void;
  /** Errors by field path (`attributeMap[2][target]`), already filtered to what is shown. */
  errors: Record<string, string>;
  /** Called with a field's path when the admin edits it (to clear its server error). */
  onEdit: (path: string) => void;
}
