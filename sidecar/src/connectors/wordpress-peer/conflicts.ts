// Two-way sync decides, per attribute, what to write to the peer. Three sets of values:
//   ours  — what this site holds now;
//   sent  — what this site held after the last sync (what it last sent or accepted);
//   peer  — what the peer holds now, and `confirmed` — what it held after the last sync.
// An attribute only this site changed is sent; one only the peer changed is left alone (the
// peer's own pipeline brings it here); one both changed is a conflict: the later change wins,
// by the per-attribute change times of both sites (each leaving out the other's writes, so
// an echo never counts as a change). Equal times fall back to comparing the values, so both
// sites always reach the same verdict without talking to each other.
import type { MappedValues } from '../../store/types.js';

export interface UpdatePlan {
  /** Attributes to write to the peer. */
  send: string[];
  /** Attributes only the peer changed: keep the peer's value. */
  peerOnly: string[];
  /** Attributes both changed to different values. */
  conflicts: string[];
}

const value = (values: MappedValues | null, key: string) => values?.[key] ?? null;
const known = (values: MappedValues | null, key: string) => !!values && key in values;

export function planUpdate(input: {
  ours: MappedValues;
  sent: MappedValues | null;
  peer: MappedValues;
  confirmed: MappedValues | null;
}): UpdatePlan {
  const plan: UpdatePlan = { send: [], peerOnly: [], conflicts: [] };
  for (const key of Object.keys(input.ours)) {
    const mine = value(input.ours, key);
    const theirs = value(input.peer, key);
    if (mine === theirs) continue;
    const changedHere = !known(input.sent, key) || value(input.sent, key) !== mine;
    const changedThere = !known(input.confirmed, key) || value(input.confirmed, key) !== theirs;
    if (changedHere && changedThere) plan.conflicts.push(key);
    else if (changedThere) plan.peerOnly.push(key);
    else plan.send.push(key);
  }
  return plan;
}

export interface Verdict {
  attribute: string;
  winner: 'ours' | 'peer';
  ours: string | null;
  peer: string | null;
  ourTime: string | null;
  peerTime: string | null;
}

/**
 * The later change wins. A side without a recorded change of the attribute loses to one with
 * a time; equal (or both missing) times: the greater value wins, the same verdict on both
 * sites.
 */
export function resolveConflicts(
  attributes: string[],
  input: {
    ours: MappedValues;
    peer: MappedValues;
    ourClock: Record<string, string>;
    peerClock: Record<string, string>;
  },
): Verdict[] {
  return attributes.map((attribute) => {
    const ours = value(input.ours, attribute);
    const peer = value(input.peer, attribute);
    const ourTime = input.ourClock[attribute] ?? null;
    const peerTime = input.peerClock[attribute] ?? null;
    let oursWins: boolean;
    const a = timeKey(ourTime);
    const b = timeKey(peerTime);
    if (a !== null && b !== null && a !== b) {
      oursWins = a > b;
    } else if (a !== null && b === null) {
      oursWins = true;
    } else if (a === null && b !== null) {
      oursWins = false;
    } else {
      oursWins = (ours ?? '') > (peer ?? '');
    }
    return { attribute, winner: oursWins ? 'ours' : 'peer', ours, peer, ourTime, peerTime };
  });
}

/** Microseconds since the epoch of an ISO-8601 time (microsecond fractions kept). */
export function timeKey(time: string | null): number | null {
  if (!time) return null;
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) return null;
  const fraction = /\.(\d+)/.exec(time)?.[1] ?? '';
  const micro = Number(fraction.padEnd(6, '0').slice(3, 6));
  return ms * 1000 + micro;
}

/** The audit message of a verdict, naming the value that was (or will be) overwritten. */
export function describeVerdict(verdict: Verdict, peerName: string): string {
  const show = (v: string | null) => (v === null ? '(empty)' : JSON.stringify(v));
  const at = (t: string | null) => (t ? ` at ${t}` : '');
  if (verdict.winner === 'ours') {
    return `${verdict.attribute}: both sites changed it since the last sync; the later change wins. This site's ${show(verdict.ours)} (changed${at(verdict.ourTime)}) overwrote ${show(verdict.peer)} on ${peerName} (changed${at(verdict.peerTime)}).`;
  }
  return `${verdict.attribute}: both sites changed it since the last sync; the later change wins. ${peerName}'s ${show(verdict.peer)} (changed${at(verdict.peerTime)}) overwrites this site's ${show(verdict.ours)} (changed${at(verdict.ourTime)}).`;
}
