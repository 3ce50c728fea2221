/**
 * Internal dependencies
 */
import type { RoleUpdateMode, RuleConnection } from '../../api';

export interface RoleUpdateModesProps {
  /** Modes by connection slug; a connection without one replaces (the default). */
  modes: Record<string, RoleUpdateMode>;
  /** The connections whose syncs can change roles. */
  connections: RuleConnection[];
  /** Replaces the modes (a connection set back to `replace` is left out). */
  onChange: (modes: Record<string, RoleUpdateMode>) => void;
  /** Errors by field path (`roleMap[updateModes][<slug>]`). */
  errors?: Record<string, string>;
}
