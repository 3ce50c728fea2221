/**
 * Internal dependencies
 */
import type { Role, RoleMap, RuleConnection } from '../../api';

export interface RoleMapEditorProps {
  /** The role map being edited. */
  roleMap: RoleMap;
  /** The site's roles. */
  roles: Role[];
  /** The connections a rule can be scoped to; a new rule starts with the first. */
  connections: RuleConnection[];
  /** Replaces the role map. */
  onChange: (roleMap: RoleMap) => void;
  /** Errors by field path (`roleMap[rules][0][role]`, `roleMap[defaultRole]`). */
  errors: Record<string, string>;
  /** Called with a field's path when the admin edits it. */
  onEdit: (path: string) => void;
}
