// Adoption: a source provisions a person who already has a WordPress account (same login
// or email) that the source's connection did not create. Whether that account may become
// the source's user is one rule for scheduled pulls and SCIM alike, decided here without
// I/O; the callers find the account and link it.

/** The parts of the deprovisioning policy the rule reads. */
export interface AdoptionPolicy {
  /** Syncs may change (and so adopt) WordPress users they did not create. */
  touchUnlinked: boolean;
  /** Syncs may change administrators. */
  touchAdministrators: boolean;
}

/** The parts of an existing WordPress user the rule reads. */
export interface AdoptionCandidate {
  /** Linked to the connection that provisions the person. */
  linked?: boolean;
  /** Its external id in that connection ('' or null when linked without one). */
  externalId: string | null;
  roles: string[];
}

/**
 * - `adopt`: link the user to the connection and apply the source's attributes to it.
 * - `unmanaged`: not linked, and the policy keeps syncs away from users they did not create.
 * - `administrator`: an administrator, and the policy keeps syncs away from administrators.
 * - `linked`: already the connection's user for another external id (or without one): a
 *   different identity at the source, a real conflict.
 */
export type AdoptionVerdict = 'adopt' | 'unmanaged' | 'administrator' | 'linked';

/** May `existing` become the connection's user for `externalId`? */
export function adoptionVerdict(
  existing: AdoptionCandidate,
  externalId: string | null | undefined,
  policy: AdoptionPolicy,
): AdoptionVerdict {
  if (existing.linked) {
    // Only the same non-empty external id names the same identity at the source.
    if (!externalId || existing.externalId !== externalId) return 'linked';
  } else if (!policy.touchUnlinked) {
    return 'unmanaged';
  }
  if (existing.roles.includes('administrator') && !policy.touchAdministrators)
    return 'administrator';
  return 'adopt';
}
