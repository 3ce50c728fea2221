/**
 * Reading a source path from a SCIM user and making a WordPress login, exactly as the
 * sidecar does when it maps one: this is the sidecar's own provisioning code, bundled.
 */

/**
 * External dependencies
 */
import { planLogin, readAttribute } from '@usersync/provisioning';

/** The value of a source path as a string, or undefined when the user has none. */
export function readSource(user: Record<string, unknown>, path: string): string | undefined {
  return readAttribute(user, path);
}

/**
 * The login WordPress gets for a userName: what `sanitize_user( $name, true )` leaves
 * unchanged, at most 60 characters (a longer one ends in a short hash). Null when nothing
 * is left of it (the sidecar then makes one up from a hash).
 */
export function sanitizeLogin(userName: string): string | null {
  const planned = planLogin(userName);
  return planned.how === 'generated' ? null : planned.login;
}
