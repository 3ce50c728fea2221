/**
 * Internal dependencies
 */
import type { AuditEntry } from '../../api';

export interface AuditTableProps {
  entries: AuditEntry[];
}
