/**
 * Internal dependencies
 */
import type { CreatedToken } from '../../api';

export interface NewTokenProps {
  /** The answer of the create call, the only one that holds the secret. */
  token: CreatedToken;
  /** SCIM base URL to show with it, or null when it is not known. */
  scimUrl: string | null;
  /** Hides the token for good. */
  onDone: () => void;
}
