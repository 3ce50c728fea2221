// Roles on a WordPress peer: each role travels as membership of a SCIM group named after it
// (`editor`, …) in this site's connection on the peer; the peer's role map decides what each
// group grants there. Group ids are looked up (or the group created) once and cached.
import type { PeerSettings } from '../../wordpress/types.js';
import { DeliveryError } from '../types.js';
import type { UserSnapshot } from '../../wordpress/types.js';
import { GROUP_SCHEMA } from '../../scim/schemas/definitions.js';
import type { ScimResource } from '../../scim/schemas/model.js';
import type { OutboundState } from '../../store/types.js';
import type { PeerClient } from './client.js';
import { PeerHttpError } from './client.js';
import { memberOf, PATCH_SCHEMA } from './mapper.js';

export class PeerRoleGroups {
  private readonly groups = new Map<string, string>();

  constructor(
    private readonly client: PeerClient,
    private readonly peer: PeerSettings,
    /** The peer's user, or null when it has none with that id. */
    private readonly readRemote: (remoteId: string) => Promise<ScimResource | null>,
  ) {}

  /**
   * Keeps the peer's role groups in line with the user's roles. A disabled user has no roles
   * here, but keeps its memberships there (the peer disables it; reactivation restores them).
   */
  async sync(
    snapshot: UserSnapshot,
    remoteId: string,
    state: OutboundState | null,
    remote: ScimResource | null,
    created: boolean,
  ): Promise<{ roles: string[] | null; changed: boolean }> {
    const previous = state?.roles ?? (remote ? memberOf(remote) : created ? [] : null);
    if (!this.peer.roles || !snapshot.active) return { roles: previous, changed: false };
    const wanted = [...new Set(snapshot.roles ?? [])].filter((role) => role !== 'usersync_service');
    const before = previous ?? (await this.remoteMemberships(remoteId));
    const add = wanted.filter((role) => !before.includes(role));
    const remove = before.filter((role) => !wanted.includes(role));
    for (const role of add) await this.changeMembership(role, { add: [remoteId] });
    for (const role of remove) await this.changeMembership(role, { remove: [remoteId] });
    return { roles: wanted, changed: add.length + remove.length > 0 };
  }

  private async remoteMemberships(remoteId: string): Promise<string[]> {
    const remote = await this.readRemote(remoteId);
    return remote ? memberOf(remote) : [];
  }

  /** The id of the group named after a role on the peer, created when missing. */
  private async groupId(role: string): Promise<string> {
    const cached = this.groups.get(role);
    if (cached) return cached;
    const filter = `displayName eq ${JSON.stringify(role)}`;
    const find = async () => {
      const { data } = await this.client.request<{ Resources?: ScimResource[] }>({
        method: 'GET',
        path: '/Groups',
        query: { filter, excludedAttributes: 'members' },
      });
      const found = data?.Resources?.[0];
      return found?.id !== undefined ? String(found.id) : null;
    };
    let id = await find();
    if (!id) {
      try {
        const { data } = await this.client.request<ScimResource>({
          method: 'POST',
          path: '/Groups',
          body: { schemas: [GROUP_SCHEMA], displayName: role, externalId: `role:${role}` },
        });
        id = data?.id !== undefined ? String(data.id) : null;
      } catch (error) {
        // Created meanwhile by another delivery: use that one.
        if (!(error instanceof PeerHttpError) || error.status !== 409) throw error;
      }
      id ??= await find();
      if (!id)
        throw new DeliveryError(
          `${this.peer.name} did not create the group "${role}"`,
          'peer_error',
          true,
        );
    }
    this.groups.set(role, id);
    return id;
  }

  async changeMembership(role: string, change: { add?: string[]; remove?: string[] }) {
    const operations: { op: string; path: string; value: { value: string }[] }[] = [];
    if (change.add?.length)
      operations.push({
        op: 'add',
        path: 'members',
        value: change.add.map((value) => ({ value })),
      });
    if (change.remove?.length)
      operations.push({
        op: 'remove',
        path: 'members',
        value: change.remove.map((value) => ({ value })),
      });
    if (operations.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      const id = await this.groupId(role);
      try {
        await this.client.request({
          method: 'PATCH',
          path: `/Groups/${encodeURIComponent(id)}`,
          body: { schemas: [PATCH_SCHEMA], Operations: operations },
        });
        return;
      } catch (error) {
        // The group was deleted on the peer: make it again.
        if (error instanceof PeerHttpError && error.status === 404 && attempt === 0) {
          this.groups.delete(role);
          continue;
        }
        throw error;
      }
    }
  }
}
