// Merges a page of outbox rows into one change per user, in the order users first appear.
// Targets bring each user's current state over, so merging rows loses nothing; it only saves
// requests when a user changes several times in a burst (or is created then edited).
import type { OutboxChange, UserChange } from './types.js';

export function coalesce(changes: OutboxChange[]): UserChange[] {
  const byUser = new Map<number, UserChange>();
  for (const change of changes) {
    let merged = byUser.get(change.userId);
    if (!merged) {
      merged = {
        userId: change.userId,
        ids: [],
        actions: [],
        changed: [],
        origins: [],
        firstAt: change.createdAt,
      };
      byUser.set(change.userId, merged);
    }
    merged.ids.push(change.id);
    if (!merged.actions.includes(change.action)) merged.actions.push(change.action);
    for (const name of change.changed)
      if (!merged.changed.includes(name)) merged.changed.push(name);
    if (!merged.origins.includes(change.origin)) merged.origins.push(change.origin);
  }
  return [...byUser.values()];
}

/** The action that names a merged change in the audit log and dead letters. */
export function mainAction(change: UserChange): string {
  for (const action of ['delete', 'create', 'disable', 'enable'] as const) {
    if (change.actions.includes(action)) return action;
  }
  return change.actions.length === 1 && change.actions[0] === 'password' ? 'password' : 'update';
}
