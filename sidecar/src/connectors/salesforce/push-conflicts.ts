// Two-way maps decide, per field, what a push writes over a record Salesforce may have changed
// since our last write. Three sets of values, by Salesforce field name:
//   ours      — what WordPress holds now (the fields this push would send);
//   confirmed — what Salesforce held after our last write (OutboundState.confirmed);
//   theirs    — what Salesforce holds now (read just before writing).
// A field Salesforce did not change since then is sent; one it changed to our value needs no
// write; one it changed to another value is a conflict, settled by the map's `conflict`
// policy: `wordpress-wins` sends ours, `salesforce-wins` keeps theirs (the pull brings it to
// WordPress), `last-writer-wins` compares WordPress's per-attribute change time with the
// record's LastModifiedDate (a side without a time loses to one with a time; equal times:
// WordPress, whose change this push is delivering).
import type { MappedValues } from '../../store/types.js';

export type ConflictPolicy = 'last-writer-wins' | 'wordpress-wins' | 'salesforce-wins';

export interface FieldVerdict {
  field: string;
  winner: 'wordpress' | 'salesforce';
  ours: string | null;
  theirs: string | null;
  ourTime: string | null;
  theirTime: string | null;
}

export interface PushPlan {
  /** Fields to write. */
  send: string[];
  /** Fields whose Salesforce value stays (now also what we hold as sent). */
  keep: Record<string, string | null>;
  verdicts: FieldVerdict[];
}

const at = (time: string | null | undefined) => {
  const ms = time ? Date.parse(time) : Number.NaN;
  return Number.isNaN(ms) ? null : ms;
};

export function planPush(input: {
  send: string[];
  ours: MappedValues;
  confirmed: MappedValues;
  theirs: MappedValues;
  policy: ConflictPolicy;
  /** When WordPress last changed what each field carries (its attributes' latest time). */
  ourTimes: Record<string, string | null>;
  /** The record's LastModifiedDate. */
  theirTime: string | null;
}): PushPlan {
  const plan: PushPlan = { send: [], keep: {}, verdicts: [] };
  for (const field of input.send) {
    const ours = input.ours[field] ?? null;
    if (!(field in input.theirs) || !(field in input.confirmed)) {
      plan.send.push(field);
      continue;
    }
    const theirs = input.theirs[field] ?? null;
    const confirmed = input.confirmed[field] ?? null;
    if (theirs === ours) {
      plan.keep[field] = theirs; // Already there.
      continue;
    }
    if (theirs === confirmed) {
      plan.send.push(field); // Only WordPress changed it.
      continue;
    }
    const ourTime = input.ourTimes[field] ?? null;
    let winner: FieldVerdict['winner'];
    if (input.policy === 'wordpress-wins') winner = 'wordpress';
    else if (input.policy === 'salesforce-wins') winner = 'salesforce';
    else {
      const mine = at(ourTime);
      const other = at(input.theirTime);
      winner = other !== null && (mine === null || other > mine) ? 'salesforce' : 'wordpress';
    }
    if (winner === 'wordpress') plan.send.push(field);
    else plan.keep[field] = theirs;
    plan.verdicts.push({ field, winner, ours, theirs, ourTime, theirTime: input.theirTime });
  }
  return plan;
}

/** What the audit log says of a verdict. */
export function describeVerdict(verdict: FieldVerdict, object: string): string {
  const quote = (value: string | null) => (value === null ? 'empty' : `"${value}"`);
  const policy =
    verdict.ourTime || verdict.theirTime
      ? ` (WordPress changed it ${verdict.ourTime ?? 'at an unknown time'}, Salesforce ${verdict.theirTime ?? 'at an unknown time'})`
      : '';
  return verdict.winner === 'wordpress'
    ? `${object}.${verdict.field} was changed on both sides: WordPress's ${quote(verdict.ours)} replaced Salesforce's ${quote(verdict.theirs)}${policy}`
    : `${object}.${verdict.field} was changed on both sides: Salesforce's ${quote(verdict.theirs)} was kept over WordPress's ${quote(verdict.ours)}${policy}`;
}
