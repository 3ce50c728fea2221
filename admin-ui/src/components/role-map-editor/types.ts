/**
 * Internal dependencies
 */
import type { Role, RoleMap } from '../../api';

export interface RoleMapEditorProps {
  /** The role map being edited. */
  roleMap: RoleMap;
  /** The site's roles. */
  roles: Role[];
  /** Replaces the role map. */
  onChange: (roleMap: RoleMap) => void;
  /** Errors by field path (`roleMap[rules][0][role]`, `roleMap[defaultRole]`). */
  errors: Record<string, string>;
  /** Called with a field's path when the admin edits it. */
  onEdit: (path: string) => void;
}
