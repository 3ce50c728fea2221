/**
 * Internal dependencies
 */
import type { Token } from '../../api';

export interface TokenTableProps {
  /** Active tokens, in the order the plugin lists them. */
  tokens: Token[];
  /** Revokes one token; rejects with an ApiError. */
  onRevoke: (token: Token) => Promise<void>;
}
