// Group changes of a page, stored as the role map's input: groups saved (or deleted) with
// their members. An incremental page also names the users whose roles may change with them
// (members added or removed, members of a renamed or deleted group); a full listing rebuilds
// every membership and re-plans everyone anyway.
import type { GroupChange } from '../connectors/types.js';
import type { Store } from '../store/types.js';

export async function applyGroupChanges(
  groups: GroupChange[],
  options: {
    store: Store;
    source: string;
    full: boolean;
    /** The full listing under way, recorded as where the groups were last seen. */
    scanId: string | null;
    /** Collects the users whose roles may have changed. */
    affected: Set<string>;
  },
): Promise<void> {
  const { store, source: slug, full, affected } = options;
  const touch = (ids: Iterable<string>) => {
    if (!full) for (const id of ids) affected.add(id);
  };
  for (const group of groups) {
    if (group.displayName === null) {
      if (!full) touch(await store.groupMembers(slug, [group.externalId]));
      await store.deleteGroups(slug, [group.externalId]);
      continue;
    }
    // A rename can change every member's roles.
    if (!full) touch(await store.groupMembers(slug, [group.externalId]));
    await store.saveGroups(
      slug,
      [{ externalId: group.externalId, displayName: group.displayName }],
      options.scanId ?? undefined,
    );
    if (!group.members) continue;
    if ('all' in group.members) {
      await store.setGroupMembers(slug, group.externalId, { all: group.members.all });
      touch(group.members.all);
    } else {
      await store.setGroupMembers(slug, group.externalId, {
        add: group.members.added,
        remove: group.members.removed,
      });
      touch(group.members.added);
      touch(group.members.removed);
    }
  }
}
