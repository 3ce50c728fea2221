// Plan step of a run, pure: what one source user (mapped, with the roles its groups give)
// becomes against the sync state of its last apply — nothing, an update of the linked user,
// or a create — and the deprovisioning of a user gone from the source. The run applies what
// is planned here and saves `next` as the sync state once WordPress accepted it.
import type { CanonicalUser, SourcePhoto } from '../connectors/types.js';
import type { RunChange, SyncState, SyncStateInput } from '../store/types.js';
import { changedFields, readPath, sameRoles } from './mapping.js';
import type { MappedUser } from './mapping.js';
import type { UserOperation, WpUserInput } from './types.js';

/** One user write a page plans, with what the run records when it is applied. */
export interface PlannedOp {
  op: UserOperation;
  externalId: string;
  login: string | null;
  /** The state to save when the operation succeeds. */
  next: SyncStateInput | null;
  /** Drop the state instead (user deleted from WordPress). */
  forget?: boolean;
  mapped?: MappedUser;
  /** Already a fallback attempt: no further fallback. */
  retried?: boolean;
  /**
   * Logins a create tried before this one (the planned login, login-2 …): the planned login
   * belongs to someone else. Counted apart from `retried`, which guards the one-off fallbacks.
   */
  loginAttempt?: number;
  /** The person's own identifier at the source (its userName), for the recovery planner. */
  userName?: string;
  /** The update adopting an existing account for a create. */
  adopting?: boolean;
  /** WordPress accepted the operation. */
  applied?: boolean;
  /**
   * A create whose answer never reached the sidecar (lost, or the process stopped), sent again
   * as an update of the user it made: nobody counted that creation, so this one does.
   */
  replayedCreate?: boolean;
  change: RunChange;
  /** A changed profile photo to send once the user write succeeded. */
  photo?: PhotoJob;
}

export interface PhotoJob {
  externalId: string;
  wpUserId: number | null;
  /** The new picture, or null to remove the avatar. */
  photo: SourcePhoto | null;
  version: string | null;
}

export type UserPlan =
  /** Nothing to write (a changed photo may still be sent). */
  | { kind: 'unchanged'; photo?: PhotoJob }
  /**
   * Nothing written: disabled at the source and never created (accounts are not created
   * disabled), or a write the source may not make (`withheld`: its `writes`).
   */
  | { kind: 'skipped'; withheld?: 'create' | 'update' }
  | { kind: 'write'; item: PlannedOp };

export interface PlanContext {
  /** Profile photos are synced for this source. */
  photos: boolean;
  /** The full listing under way, recorded as where the user was last seen. */
  scanId: string | null;
  /** What the source may write (its connector's `writes`); absent: creates and updates. */
  writes?: { create: boolean; update: boolean };
}

/** What one mapped source user becomes, given the state of its last apply. */
export function planUser(
  user: CanonicalUser,
  mapped: MappedUser,
  state: SyncState | undefined,
  roles: string[] | null,
  context: PlanContext,
): UserPlan {
  const photoVersion = user.photo?.version ?? null;
  const linked = state && state.wpUserId !== null && state.status !== 'failed' ? state : null;
  const photoJob = (appliedVersion: string | null): PhotoJob | undefined =>
    context.photos && photoVersion !== appliedVersion
      ? {
          externalId: user.externalId,
          wpUserId: linked?.wpUserId ?? null,
          photo: user.photo ?? null,
          version: photoVersion,
        }
      : undefined;

  if (linked) {
    const photo = photoJob(linked.photoVersion);
    if (linked.hash === mapped.hash && sameRoles(linked.roles, roles)) {
      return { kind: 'unchanged', photo };
    }
    // The source may not update WordPress users: the linked user stays as it is.
    if (context.writes && !context.writes.update) return { kind: 'skipped', withheld: 'update' };
    const fields: WpUserInput = { ...mapped.fields };
    if (roles) fields.roles = roles;
    // The link exists: resending the external id would only make WordPress look it up.
    delete fields.externalId;
    // A login is decided when the user is created; updates never rename it.
    delete fields.login;
    const wasOff = linked.status === 'deprovisioned' || linked.status === 'disabled';
    const action = mapped.fields.active ? (wasOff ? 'reactivate' : 'update') : 'disable';
    return {
      kind: 'write',
      item: {
        op: { ref: '', action: 'update', id: linked.wpUserId!, user: fields },
        externalId: user.externalId,
        login: mapped.fields.login,
        mapped,
        photo,
        next: {
          externalId: user.externalId,
          wpUserId: linked.wpUserId,
          hash: mapped.hash,
          roles,
          photoVersion: linked.photoVersion,
          status: mapped.fields.active ? 'active' : 'disabled',
          error: null,
          seenScan: context.scanId,
        },
        change: {
          action,
          externalId: user.externalId,
          login: mapped.fields.login,
          wpUserId: linked.wpUserId,
          fields: linked.hash === mapped.hash ? ['roles'] : undefined,
        },
      },
    };
  }

  if (!mapped.fields.active) return { kind: 'skipped' };
  // The source may not create WordPress users: a person with no linked user gets none.
  if (context.writes && !context.writes.create) return { kind: 'skipped', withheld: 'create' };
  const fields: WpUserInput = { ...mapped.fields };
  if (roles) fields.roles = roles;
  return {
    kind: 'write',
    item: {
      op: { ref: '', action: 'create', user: fields },
      externalId: user.externalId,
      login: mapped.fields.login,
      userName: readPath(user.attributes, 'userName') ?? undefined,
      mapped,
      photo: photoJob(null),
      next: {
        externalId: user.externalId,
        wpUserId: null,
        hash: mapped.hash,
        roles,
        photoVersion: null,
        status: 'active',
        error: null,
        seenScan: context.scanId,
      },
      change: {
        action: 'create',
        externalId: user.externalId,
        login: mapped.fields.login,
        wpUserId: null,
        fields: changedFields(null, { ...mapped.fields }).filter((f) => f !== 'externalId'),
      },
    },
  };
}

/**
 * Deprovisioning (or deleting) a linked user gone from the source; `purge` when the source's
 * removal policy says delete (the user is deleted whatever the site's deprovisioning action).
 */
export function deprovisionOp(
  state: SyncState,
  action: 'delete' | 'deprovision',
  purge = false,
): PlannedOp {
  return {
    op: {
      ref: '',
      action,
      id: state.wpUserId!,
      ...(purge && action === 'delete' ? { purge } : {}),
    },
    externalId: state.externalId,
    login: null,
    next:
      action === 'delete'
        ? null
        : {
            externalId: state.externalId,
            wpUserId: state.wpUserId,
            hash: null,
            roles: null,
            photoVersion: state.photoVersion,
            status: 'deprovisioned',
            error: null,
          },
    forget: action === 'delete',
    change: {
      action: action === 'delete' ? 'delete' : 'deprovision',
      externalId: state.externalId,
      login: null,
      wpUserId: state.wpUserId,
    },
  };
}

/** A stored state as the input that saves it again. */
export function stateInput(state: SyncState): SyncStateInput {
  return {
    externalId: state.externalId,
    wpUserId: state.wpUserId,
    hash: state.hash,
    roles: state.roles,
    photoVersion: state.photoVersion,
    status: state.status,
    error: state.error,
  };
}

/** The state of a user that could not be applied. */
export function failedState(
  externalId: string,
  state: SyncState | undefined | null,
  error: string,
  scanId: string | null,
  wpUserId: number | null = state?.wpUserId ?? null,
): SyncStateInput {
  return {
    externalId,
    wpUserId,
    hash: null,
    roles: state?.roles ?? null,
    photoVersion: state?.photoVersion ?? null,
    // A failed user keeps its link, if it had one, so the next run updates rather than creates.
    status: wpUserId !== null ? 'active' : 'failed',
    error,
    seenScan: scanId,
  };
}

/** What a dry run reports for a planned operation. */
export function dryRunStatus(item: PlannedOp): string {
  switch (item.op.action) {
    case 'create':
      return 'created';
    case 'delete':
      return 'deleted';
    case 'deprovision':
      return 'disabled';
    default:
      return item.change.action === 'disable' ? 'disabled' : 'updated';
  }
}
