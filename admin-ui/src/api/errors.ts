/**
 * One error type for every failed call, whatever `@wordpress/api-fetch` rejected with
 * (a `WP_Error` body, a network failure, a response that is not JSON).
 */

/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

/** A failed REST call. */
export class ApiError extends Error {
  /** The `WP_Error` code, e.g. `usersync_token_name_taken`, or `fetch_error` when offline. */
  readonly code: string;
  /** HTTP status, when the server answered. */
  readonly status: number | null;
  /** Messages per request parameter (`rest_invalid_param`) or per field. */
  readonly params: Record<string, string>;

  constructor(
    message: string,
    code: string,
    status: number | null = null,
    params: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.params = params;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Reads `data.params` of a WP_Error: an object of messages, or a list of missing names. */
function readParams(params: unknown): Record<string, string> {
  if (Array.isArray(params)) {
    return Object.fromEntries(
      params
        .filter((name): name is string => typeof name === 'string')
        .map((name) => [name, __('This field is required.', 'usersync')]),
    );
  }
  if (isRecord(params)) {
    return Object.fromEntries(
      Object.entries(params)
        .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
        .map(([name, message]) => [name, message]),
    );
  }
  return {};
}

/**
 * Turns whatever a call rejected with into an ApiError with a message fit to show.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) {
    return error;
  }
  if (isRecord(error) && typeof error.message === 'string' && error.message !== '') {
    const code = typeof error.code === 'string' ? error.code : 'unknown_error';
    const data = isRecord(error.data) ? error.data : {};
    const status = typeof data.status === 'number' ? data.status : null;
    const params = readParams(data.params);
    // Some routes name the one field at fault as `data.field`.
    if (typeof data.field === 'string' && !(data.field in params)) {
      params[data.field] = error.message;
    }
    return new ApiError(error.message, code, status, params);
  }
  return new ApiError(
    __(
      'Something went wrong and WordPress gave no reason. Reload the page and try again.',
      'usersync',
    ),
    'unknown_error',
  );
}

/**
 * The field errors of a failed save, keyed by the field's path as the plugin names it:
 * `attributeMap[3][target]`, `roleMap[defaultRole]`, `deprovision[graceDays]`.
 *
 * The plugin's own checks key `params` by that path already; WordPress's schema validation
 * (`rest_invalid_param`) keys them by the top-level parameter and starts the message with
 * the path (`deprovision[graceDays] must be between 0 …`), which is read from there.
 */
export function fieldErrors(error: ApiError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [param, message] of Object.entries(error.params)) {
    const path = /^([A-Za-z]+(?:\[[A-Za-z0-9_]+\])+)/.exec(message);
    const key = path && path[1].startsWith(`${param}[`) ? path[1] : param;
    errors[key] = message;
  }
  return errors;
}
