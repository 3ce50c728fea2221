/**
 * Internal dependencies
 */
import type { Token } from '../../api';

export interface RevokeTokenButtonProps {
  /** The token to revoke. */
  token: Token;
  /** Revokes it; rejects with an ApiError, shown in the confirmation dialog. */
  onRevoke: (token: Token) => Promise<void>;
}
