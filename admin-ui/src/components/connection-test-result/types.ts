/**
 * Internal dependencies
 */
import type { ConnectionTest } from '../../api';

export interface ConnectionTestResultProps {
  result: ConnectionTest;
}
