// The emulated tenant: users, groups, memberships and photos, with a change log that gives
// delta queries their meaning. Every change takes the next sequence number; a delta token is
// "everything after sequence N", so a user changed twice in a window is reported once, in its
// latest state, exactly like Graph collapses changes.
import crypto from 'node:crypto';

export type GraphProps = Record<string, unknown>;

export interface Photo {
  contentType: string;
  data: Buffer;
  etag: string;
}

export interface EmulatedUser {
  id: string;
  props: GraphProps;
  /** null while it exists; soft = in the recycle bin (restorable); hard = gone for good. */
  deleted: null | 'soft' | 'hard';
  changedSeq: number;
  photo: Photo | null;
}

export interface EmulatedGroup {
  id: string;
  displayName: string;
  members: Set<string>;
  deleted: boolean;
  changedSeq: number;
  /** Membership changes: who was added or removed at which sequence number. */
  memberLog: { seq: number; userId: string; added: boolean }[];
}

/** Properties Graph returns for a user when no `$select` is given. */
export const DEFAULT_USER_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

export class DirectoryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** A Location header (path) and the nested innerError code to answer with. */
    readonly extra: { location?: string; innerCode?: string } = {},
  ) {
    super(message);
  }
}

export class Directory {
  seq = 0;
  readonly users = new Map<string, EmulatedUser>();
  /** Creation order; deleted users stay (as tombstones) so positions never shift. */
  readonly userOrder: string[] = [];
  /** One entry per user change, in sequence order. */
  readonly userLog: { seq: number; id: string }[] = [];
  readonly groups = new Map<string, EmulatedGroup>();
  readonly groupOrder: string[] = [];
  readonly groupLog: { seq: number; id: string }[] = [];
  /** Lowercase userPrincipalName → id of the live user holding it. */
  private readonly upns = new Map<string, string>();

  constructor(
    /** The tenant's initial domain, e.g. `contoso.onmicrosoft.com`. */
    readonly domain: string,
    /** A B2C tenant: no delta query. */
    readonly b2c: boolean,
  ) {}

  /** Live (not deleted) users. */
  get userCount(): number {
    let count = 0;
    for (const user of this.users.values()) if (!user.deleted) count++;
    return count;
  }

  createUser(props: GraphProps, id: string = crypto.randomUUID()): EmulatedUser {
    if (this.users.has(id))
      throw new DirectoryError(400, 'Request_BadRequest', `User ${id} exists`);
    const upn = props.userPrincipalName;
    if (typeof upn !== 'string' || !upn.includes('@')) {
      throw new DirectoryError(
        400,
        'Request_BadRequest',
        'Property userPrincipalName is required and must contain @.',
      );
    }
    this.claimUpn(upn, id);
    const user: EmulatedUser = {
      id,
      props: {
        accountEnabled: true,
        createdDateTime: new Date().toISOString(),
        ...props,
        id,
      },
      deleted: null,
      changedSeq: 0,
      photo: null,
    };
    this.users.set(id, user);
    this.userOrder.push(id);
    this.touchUser(user);
    return user;
  }

  private claimUpn(upn: string, id: string): void {
    const holder = this.upns.get(upn.toLowerCase());
    if (holder !== undefined && holder !== id) {
      throw new DirectoryError(
        400,
        'Request_BadRequest',
        'Another object with the same value for property userPrincipalName already exists.',
      );
    }
    this.upns.set(upn.toLowerCase(), id);
  }

  user(id: string, options: { includeSoftDeleted?: boolean } = {}): EmulatedUser {
    const user = this.users.get(id);
    if (!user || user.deleted === 'hard' || (user.deleted && !options.includeSoftDeleted)) {
      throw new DirectoryError(
        404,
        'Request_ResourceNotFound',
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    return user;
  }

  /** Sets properties (null removes one, as Graph's PATCH does). */
  updateUser(id: string, props: GraphProps): EmulatedUser {
    const user = this.user(id);
    const upn = props.userPrincipalName;
    if (typeof upn === 'string' && upn !== user.props.userPrincipalName) {
      this.claimUpn(upn, id);
      this.upns.delete(String(user.props.userPrincipalName).toLowerCase());
    }
    for (const [key, value] of Object.entries(props)) {
      if (key === 'id') continue;
      if (value === null || value === undefined) delete user.props[key];
      else user.props[key] = value;
    }
    this.touchUser(user);
    return user;
  }

  /** Soft delete (recycle bin, `@removed: changed`) or permanent (`@removed: deleted`). */
  deleteUser(id: string, permanent = false): void {
    const user = this.users.get(id);
    if (!user || user.deleted === 'hard' || (user.deleted === 'soft' && !permanent)) {
      throw new DirectoryError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist.`);
    }
    user.deleted = permanent ? 'hard' : 'soft';
    this.upns.delete(String(user.props.userPrincipalName).toLowerCase());
    // Deleted users leave every group.
    for (const group of this.groups.values()) {
      if (!group.deleted && group.members.has(id)) this.changeMembers(group, [], [id]);
    }
    this.touchUser(user);
  }

  /** Restores a soft-deleted user from the recycle bin. */
  restoreUser(id: string): EmulatedUser {
    const user = this.users.get(id);
    if (!user || user.deleted !== 'soft') {
      throw new DirectoryError(404, 'Request_ResourceNotFound', `Deleted item '${id}' not found.`);
    }
    this.claimUpn(String(user.props.userPrincipalName), id);
    user.deleted = null;
    this.touchUser(user);
    return user;
  }

  /** Changes a photo. Graph does not report photo changes in user delta; neither do we. */
  setPhoto(id: string, photo: { contentType: string; data: Buffer } | null): void {
    const user = this.user(id);
    user.photo = photo
      ? {
          ...photo,
          etag: `W/"${crypto.createHash('sha256').update(photo.data).digest('hex').slice(0, 32)}"`,
        }
      : null;
  }

  createGroup(
    displayName: string,
    members: string[] = [],
    id: string = crypto.randomUUID(),
  ): EmulatedGroup {
    const group: EmulatedGroup = {
      id,
      displayName,
      members: new Set(),
      deleted: false,
      changedSeq: 0,
      memberLog: [],
    };
    this.groups.set(id, group);
    this.groupOrder.push(id);
    for (const member of members) this.user(member);
    this.changeMembers(group, members, []);
    this.touchGroup(group);
    return group;
  }

  group(id: string): EmulatedGroup {
    const group = this.groups.get(id);
    if (!group || group.deleted) {
      throw new DirectoryError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist.`);
    }
    return group;
  }

  updateGroup(id: string, change: { displayName?: string; add?: string[]; remove?: string[] }) {
    const group = this.group(id);
    if (change.displayName !== undefined) group.displayName = change.displayName;
    for (const member of change.add ?? []) this.user(member);
    this.changeMembers(group, change.add ?? [], change.remove ?? []);
    this.touchGroup(group);
    return group;
  }

  deleteGroup(id: string): void {
    const group = this.group(id);
    group.deleted = true;
    this.touchGroup(group);
  }

  private changeMembers(group: EmulatedGroup, add: string[], remove: string[]): void {
    for (const userId of add) {
      if (group.members.has(userId)) continue;
      group.members.add(userId);
      group.memberLog.push({ seq: ++this.seq, userId, added: true });
    }
    for (const userId of remove) {
      if (!group.members.delete(userId)) continue;
      group.memberLog.push({ seq: ++this.seq, userId, added: false });
    }
    if (add.length > 0 || remove.length > 0) this.touchGroup(group);
  }

  private touchUser(user: EmulatedUser): void {
    user.changedSeq = ++this.seq;
    this.userLog.push({ seq: user.changedSeq, id: user.id });
  }

  private touchGroup(group: EmulatedGroup): void {
    group.changedSeq = ++this.seq;
    this.groupLog.push({ seq: group.changedSeq, id: group.id });
  }

  /** Groups a user belongs to. */
  groupsOf(userId: string): EmulatedGroup[] {
    return [...this.groups.values()].filter((g) => !g.deleted && g.members.has(userId));
  }

  /** The first log index whose sequence number is above `seq` (binary search). */
  static firstAfter(log: { seq: number }[], seq: number): number {
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (log[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A user resource as Graph returns it: `id` plus the selected properties that are set. */
export function project(
  user: EmulatedUser,
  select: string[] | null,
  /** Delta items: leave out properties that were never set (lists answer them as null). */
  omitUnset = false,
): GraphProps {
  const fields = select ?? DEFAULT_USER_PROPERTIES;
  const out: GraphProps = { id: user.id };
  for (const field of fields) {
    if (field === 'id') continue;
    const value = user.props[field];
    // users: delta — "If the property has never been set before it will not be included in
    // the response at all"; a property set to null is included as null. Lists send null.
    if (value === undefined && omitUnset) continue;
    out[field] = value === undefined ? null : value;
  }
  if (!select) {
    // The default set always carries businessPhones as an array.
    out.businessPhones ??= [];
  }
  return out;
}
