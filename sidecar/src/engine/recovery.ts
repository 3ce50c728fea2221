// Collision recovery in a scheduled pull: a create (or the update adopting an account for
// one) that WordPress refused because a login, an email or an external id is taken. The
// accounts involved are looked up here, provisioning/recovery.ts decides — as it does for
// SCIM writes — and the planned operation is changed to carry the decision out.
import { planRecovery } from '../provisioning/index.js';
import type { PlannedOp, RunDeps } from './run.js';
import type { OperationError, WpUserSnapshot } from './types.js';

/**
 * Looks up the accounts a collided create (or adopting update) involves, asks the
 * recovery planner what to do, and does it: `retry` with the changed operation, else the
 * failure message.
 */
export async function recoverCollision(
  item: PlannedOp,
  error: OperationError,
  deps: Pick<RunDeps, 'wordpress' | 'source' | 'config'>,
): Promise<'retry' | string> {
  const { wordpress, source, config } = deps;
  const user = item.op.user ?? {};
  const adopting = !!item.adopting;
  const linked = adopting ? null : await wordpress.findLinkedUser(source.slug, item.externalId);
  // WordPress checks the login before the email: an email collision means the login is free.
  const loginHolder =
    !linked && error.code === 'usersync_login_exists' && user.login
      ? await wordpress.findUser(source.slug, { login: user.login })
      : null;
  const emailHolder =
    !linked && !adopting && user.email
      ? await wordpress.findUser(source.slug, { email: user.email })
      : null;
  const step = planRecovery(
    {
      code: error.code,
      externalId: item.externalId,
      userName: item.userName ?? '',
      plannedLogin: item.mapped?.fields.login ?? user.login ?? '',
      login: user.login,
      email: user.email,
      attempt: item.loginAttempt ?? 0,
      adopting,
      reason: error.message,
    },
    { linked, loginHolder, emailHolder },
    // A pull replays its own create after a crash; it links before it updates.
    { replay: 'update', policy: config.deprovision },
  );
  switch (step.step) {
    case 'update-linked':
      updateInstead(item, step.account as WpUserSnapshot);
      return 'retry';
    case 'suffix':
      item.op = { ...item.op, ref: '', user: { ...user, login: step.login } };
      item.loginAttempt = step.attempt;
      item.login = step.login;
      item.change.login = step.login;
      return 'retry';
    case 'adopt': {
      const [link] = await wordpress.link(source.slug, [
        { userId: step.account.id, externalId: item.externalId },
      ]);
      if (!link) return `The WordPress user "${step.account.login}" could not be linked.`;
      // The update that follows applies the source's attributes, the planned login too.
      item.op = { ref: '', action: 'update', id: step.account.id, user: item.op.user };
      item.retried = true;
      item.adopting = true;
      item.loginAttempt = 0;
      item.change.action = 'update';
      item.change.wpUserId = step.account.id;
      return 'retry';
    }
    default:
      return step.message;
  }
}

/**
 * Turns a create into an update of the user already linked to its external id. Its login
 * was decided when it was created (perhaps suffixed): the planned login is not sent.
 */
function updateInstead(item: PlannedOp, existing: WpUserSnapshot): void {
  const user = { ...item.op.user };
  delete user.login;
  // The link exists: resending the external id would only make WordPress look it up.
  delete user.externalId;
  item.op = { ref: '', action: 'update', id: existing.id, user };
  item.retried = true;
  item.replayedCreate = true;
  item.change.wpUserId = existing.id;
  item.change.login = existing.login;
  item.login = existing.login;
}
