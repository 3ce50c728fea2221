// WordPress logins made from a source's values, one rule for SCIM, pulls, peer pushes and
// the admin's Preview: what `sanitize_user( $login, true )` leaves unchanged (accents
// transliterated, anything but a-z A-Z 0-9 space _ . - @ dropped, spaces collapsed), at most
// 60 characters — a longer one keeps its start and ends in a short hash of the whole, so two
// long UPNs never meet — and name-2, name-3 … when another account holds it. A login is
// decided once, when the user is created; updates never send one.

/** WordPress's limit on the length of a login. */
export const WP_MAX_LOGIN = 60;

/** How many logins a create tries (name, name-2 … name-5) before it fails. */
export const LOGIN_ATTEMPTS = 5;

/** Length of the hash that ends a shortened login. */
const HASH_LENGTH = 8;

// Letters NFKD does not decompose, as WordPress's remove_accents() writes them.
const LETTERS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  Æ: 'AE',
  ø: 'o',
  Ø: 'O',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'TH',
  ł: 'l',
  Ł: 'L',
  œ: 'oe',
  Œ: 'OE',
  ŋ: 'n',
  Ŋ: 'N',
  ħ: 'h',
  Ħ: 'H',
  ı: 'i',
  ĸ: 'k',
  ŀ: 'l',
  Ŀ: 'L',
  ſ: 's',
  ŧ: 't',
  Ŧ: 'T',
};
const LETTER_PATTERN = new RegExp(`[${Object.keys(LETTERS).join('')}]`, 'g');

/**
 * A short stable hash (cyrb53, 53 bits) in base 36: the same everywhere the rule runs,
 * including the browser, which has no synchronous crypto digest.
 */
export function shortHash(value: string, length = HASH_LENGTH): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return hash.toString(36).padStart(11, '0').slice(-length);
}

/** PHP's sanitize_user( $name, true ) with remove_accents(), without the length limit. */
export function cleanLogin(value: string): string {
  return value
    .replace(/<[^>]*>/g, '')
    .replace(LETTER_PATTERN, (letter) => LETTERS[letter] ?? '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/%[a-fA-F0-9]{2}/g, '')
    .replace(/&.+?;/g, '')
    .replace(/[^a-z0-9 _.\-@]/gi, '')
    .trim()
    .replace(/\s+/g, ' ');
}

/** `login` with `suffix`, within 60 characters: a longer one is cut and ends in its hash. */
function fit(login: string, suffix: string): string {
  if (login.length + suffix.length <= WP_MAX_LOGIN) return login + suffix;
  const head = login.slice(0, WP_MAX_LOGIN - suffix.length - HASH_LENGTH - 1).trimEnd();
  return `${head}-${shortHash(login)}${suffix}`;
}

/** What the login rule made of a value, and why it differs from it. */
export interface PlannedLogin {
  login: string;
  /**
   * - `kept`: the value is a WordPress login as it is;
   * - `cleaned`: characters transliterated or dropped;
   * - `shortened`: longer than 60 characters, cut and ended with a hash;
   * - `generated`: nothing usable was left, so the login is made from a hash.
   */
  how: 'kept' | 'cleaned' | 'shortened' | 'generated';
}

/** The WordPress login a value makes. */
export function planLogin(value: string): PlannedLogin {
  const clean = cleanLogin(value);
  if (clean === '') return { login: `user-${shortHash(value)}`, how: 'generated' };
  const login = fit(clean, '');
  if (login !== clean) return { login, how: 'shortened' };
  return { login, how: login === value ? 'kept' : 'cleaned' };
}

/** The login a value makes (see planLogin). */
export function sanitizeLogin(value: string): string {
  return planLogin(value).login;
}

/** The login to try after `attempt` collisions: name, name-2, name-3 … within 60 chars. */
export function loginCandidate(base: string, attempt: number): string {
  return attempt === 0 ? base : fit(base, `-${attempt + 1}`);
}

/** Whether a WordPress login is the one a value makes (with or without a suffix). */
export function loginMatches(value: string, login: string): boolean {
  const actual = login.toLowerCase();
  const bases = [sanitizeLogin(value)];
  // Logins made before long ones ended in a hash: the first 60 characters.
  const legacy = cleanLogin(value).slice(0, WP_MAX_LOGIN).trim();
  if (legacy !== '' && legacy !== bases[0]) bases.push(legacy);
  for (const base of bases) {
    if (actual === base.toLowerCase()) return true;
    const match = /-(\d+)$/.exec(actual);
    if (!match) continue;
    const n = Number(match[1]);
    if (n >= 2 && n < 1000 && loginCandidate(base, n - 1).toLowerCase() === actual) return true;
  }
  return false;
}
