/**
 * The app's only door to the plugin's REST API. Components call these functions and never
 * `apiFetch` directly, so every answer is typed and every failure is an ApiError.
 */
export { ApiError, toApiError } from './errors';
export { getStatus } from './status';
export { createToken, listTokens, revokeToken } from './tokens';
export type {
  CreatedToken,
  CreateTokenInput,
  RevokedToken,
  SidecarHealth,
  SidecarStatus,
  Status,
  Token,
} from './types';
