// Collision recovery, one planner for SCIM writes and scheduled pulls: a create (or the
// update adopting an account for it) that WordPress refused because a login, an email or
// an external id is taken, the accounts the writer then found, and what to do next —
// update the account a replayed create made, adopt the person's existing account, try the
// next suffixed login (name-2 …), or give up with a reason. Pure: the writers look the
// accounts up and carry the step out.
//
// Identities are resolved in one order — the identity link, then the login, then the
// email — and a disagreement between them is never a merge or a rename:
// - the external id is already the connection's user: a replayed create;
// - the login names this person's account when it is the person's own identifier (the
//   userName itself, not a templated or suffixed login), or an account this connection
//   created for that identifier;
// - else the email names the person's account;
// - an account already linked to the connection is never taken over;
// - a login that belongs to someone else, with the email free, gets a suffix.
import { adoptionVerdict } from './adoption.js';
import type { AdoptionPolicy, AdoptionVerdict } from './adoption.js';
import { LOGIN_ATTEMPTS, loginCandidate, loginMatches } from './logins.js';

/** A WordPress account as the writer found it. */
export interface FoundAccount {
  id: number;
  login: string;
  /** Linked to the connection that provisions the person. */
  linked?: boolean;
  /** Its external id in that connection (null when it has none). */
  externalId: string | null;
  roles: string[];
  /** The userName the connection last sent for it (SCIM keeps the object it received). */
  sentUserName?: string | null;
}

/** The write WordPress refused. */
export interface RefusedWrite {
  /** The WordPress error code: usersync_login_exists, usersync_email_exists … */
  code: string;
  externalId: string | null;
  /** The person's own identifier at the source (the SCIM userName). */
  userName: string;
  /** The login the attribute map made; suffixes go on it. */
  plannedLogin: string;
  /** The login the write sent (undefined when it sent none). */
  login: string | undefined;
  email: string | undefined;
  /** Suffixed logins tried before this one (0: the planned login). */
  attempt: number;
  /** The write was the update adopting an existing account for a create. */
  adopting: boolean;
  /** WordPress's message, for a refusal that stands as it was. */
  reason?: string;
}

/** What the writer found after the refusal. */
export interface CollisionFacts {
  /** The connection's user with the write's external id. */
  linked: FoundAccount | null;
  /** The account holding the login the write sent. */
  loginHolder: FoundAccount | null;
  /** The account holding the write's email. */
  emailHolder: FoundAccount | null;
}

export interface RecoveryRules {
  /**
   * A create for an external id the connection already has: `update` it (a pull replaying
   * its own create after a crash) or `refuse` (a SCIM POST must answer 409).
   */
  replay: 'update' | 'refuse';
  /**
   * The policy, when the writer adopts by linking first (pulls): the planner applies the
   * adoption rule. Without it (SCIM) the adopting update carries the link, and the plugin
   * applies the same policy in the same write.
   */
  policy?: AdoptionPolicy;
}

export type RecoveryStep =
  | { step: 'update-linked'; account: FoundAccount }
  | { step: 'adopt'; account: FoundAccount; by: 'login' | 'email' }
  | { step: 'suffix'; login: string; attempt: number }
  | {
      step: 'refuse';
      /** The SCIM attribute whose uniqueness is at stake; null: the refusal as it was. */
      uniqueness: 'externalId' | 'userName' | 'email' | null;
      message: string;
    };

/** Whether a code is one a recovery may follow. */
export function isCollision(code: string): boolean {
  return (
    code === 'usersync_login_exists' ||
    code === 'usersync_email_exists' ||
    code === 'usersync_external_id_exists'
  );
}

/** Why an existing account of the person was not linked, by adoption verdict. */
const NOT_ADOPTED: Record<AdoptionVerdict, string> = {
  unmanaged: 'syncs may not change users they did not create (deprovisioning policy)',
  administrator: 'it is an administrator, which syncs may not change (deprovisioning policy)',
  linked: 'it is another user of this source',
  adopt: 'it could not be linked',
};

/**
 * Whether the holder of a login is the person the write's userName names: a planned login
 * that is the userName itself names them; a sanitized, templated or suffixed one does only
 * for the account this connection created for that userName.
 */
export function loginNamesPerson(write: RefusedWrite, holder: FoundAccount): boolean {
  if (write.attempt === 0 && write.plannedLogin.toLowerCase() === write.userName.toLowerCase())
    return true;
  if (!holder.linked) return false;
  const sent = holder.sentUserName;
  return (
    typeof sent === 'string' &&
    sent.toLowerCase() === write.userName.toLowerCase() &&
    loginMatches(write.plannedLogin, holder.login)
  );
}

/** The next step after a refused create (or adopting update). */
export function planRecovery(
  write: RefusedWrite,
  facts: CollisionFacts,
  rules: RecoveryRules,
): RecoveryStep {
  const refused = (message: string): RecoveryStep => ({
    step: 'refuse',
    uniqueness: null,
    message,
  });
  const tried = Array.from({ length: write.attempt + 1 }, (_, n) =>
    loginCandidate(write.plannedLogin, n),
  );
  const loginTaken = write.code === 'usersync_login_exists' && write.login !== undefined;
  const suffix = (): RecoveryStep | null =>
    loginTaken && write.attempt + 1 < LOGIN_ATTEMPTS
      ? {
          step: 'suffix',
          login: loginCandidate(write.plannedLogin, write.attempt + 1),
          attempt: write.attempt + 1,
        }
      : null;
  const exhausted = () =>
    refused(
      `The logins ${tried.map((login) => `"${login}"`).join(', ')} all belong to other WordPress users.`,
    );
  const { loginHolder, emailHolder } = facts;

  if (write.adopting) {
    // The adopted account takes the planned login, which someone else holds.
    if (!loginTaken || (loginHolder && loginNamesPerson(write, loginHolder)))
      return refused(write.reason ?? `WordPress refused the write (${write.code}).`);
    return suffix() ?? exhausted();
  }

  if (facts.linked) {
    if (rules.replay === 'update') return { step: 'update-linked', account: facts.linked };
    return {
      step: 'refuse',
      uniqueness: 'externalId',
      message: `The external id "${write.externalId}" is already a user of this connection.`,
    };
  }

  let person: { account: FoundAccount; by: 'login' | 'email' } | null = null;
  if (loginHolder && loginNamesPerson(write, loginHolder)) {
    // Already the connection's user for this userName: a create sent again.
    if (loginHolder.linked)
      return refused(`The WordPress user "${loginHolder.login}" is already a user of this source.`);
    person = { account: loginHolder, by: 'login' };
  }
  if (emailHolder && emailHolder.id !== person?.account.id) {
    if (person)
      return {
        step: 'refuse',
        uniqueness: 'email',
        message:
          `The email "${write.email}" belongs to the WordPress user "${emailHolder.login}" and ` +
          `the login "${write.login}" to another user; no second account is made for this person.`,
      };
    // Created by this connection for this userName under a suffixed login: sent again.
    const sent = emailHolder.sentUserName;
    if (
      emailHolder.linked &&
      typeof sent === 'string' &&
      sent.toLowerCase() === write.userName.toLowerCase()
    )
      return refused(`The WordPress user "${emailHolder.login}" is already a user of this source.`);
    person = { account: emailHolder, by: 'email' };
  }
  if (!person)
    return (
      suffix() ??
      (loginTaken
        ? exhausted()
        : refused(write.reason ?? `WordPress refused the write (${write.code}).`))
    );
  if (person.account.linked) {
    const what = person.by === 'login' ? `login "${write.login}"` : `email "${write.email}"`;
    return {
      step: 'refuse',
      uniqueness: person.by === 'login' ? 'userName' : 'email',
      message:
        `The ${what} belongs to the WordPress user "${person.account.login}", another user ` +
        `of this source; no second account is made for this person.`,
    };
  }
  if (rules.policy) {
    const verdict = adoptionVerdict(person.account, write.externalId, rules.policy);
    if (verdict !== 'adopt') {
      const both =
        person.by === 'login' ||
        person.account.login.toLowerCase() === (write.login ?? '').toLowerCase();
      const what = person.by === 'email' && both ? 'login and email' : person.by;
      return {
        step: 'refuse',
        uniqueness: person.by === 'login' ? 'userName' : 'email',
        message: `The WordPress user "${person.account.login}" has this person's ${what}, but ${NOT_ADOPTED[verdict]}.`,
      };
    }
  }
  return { step: 'adopt', account: person.account, by: person.by };
}
