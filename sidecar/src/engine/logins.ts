// WordPress logins made from a source's values, shared by SCIM and scheduled pulls: what
// WordPress accepts as a login, and the suffixed logins (name-2, name-3 …) a person gets when
// the login the attribute map makes belongs to someone else. Pure, no I/O.
import { createHash } from 'node:crypto';

/** WordPress's limit on the length of a login. */
export const WP_MAX_LOGIN = 60;

/** How many logins a create tries (name, name-2 … name-5) before it fails. */
export const LOGIN_ATTEMPTS = 5;

/** PHP's sanitize_user( $name, true ), then WordPress's 60-character login limit. */
export function sanitizeLogin(userName: string): string {
  let login = userName
    .replace(/<[^>]*>/g, '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/%[a-fA-F0-9]{2}/g, '')
    .replace(/&.+?;/g, '')
    .replace(/[^a-z0-9 _.\-@]/gi, '')
    .trim()
    .replace(/\s+/g, ' ');
  if (login.length > WP_MAX_LOGIN) login = login.slice(0, WP_MAX_LOGIN).trim();
  if (login === '')
    login = `scim-${createHash('sha1').update(userName).digest('hex').slice(0, 12)}`;
  return login;
}

/** The login to try after `attempt` collisions: name, name-2, name-3 … within 60 chars. */
export function loginCandidate(base: string, attempt: number): string {
  if (attempt === 0) return base;
  const suffix = `-${attempt + 1}`;
  return base.slice(0, WP_MAX_LOGIN - suffix.length) + suffix;
}

/** Whether a WordPress login is the one derived from a userName (with or without a suffix). */
export function loginMatches(userName: string, login: string): boolean {
  const base = sanitizeLogin(userName).toLowerCase();
  const actual = login.toLowerCase();
  if (actual === base) return true;
  const match = /-(\d+)$/.exec(actual);
  if (!match) return false;
  const n = Number(match[1]);
  return n >= 2 && n < 1000 && loginCandidate(base, n - 1) === actual;
}
