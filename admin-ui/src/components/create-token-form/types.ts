/**
 * Internal dependencies
 */
import type { CreateTokenInput } from '../../api';

export interface CreateTokenFormProps {
  /**
   * Creates the token. Rejects with an ApiError, which the form shows next to the field it
   * concerns (for example a name already in use) or above the button.
   */
  onCreate: (input: CreateTokenInput) => Promise<void>;
}

/** Fields of the form that can carry an error. */
export type TokenField = 'name' | 'connection';

export type FieldErrors = Partial<Record<TokenField, string>>;
