// Injected faults, as every emulator takes them: which one fires for a request (by path and
// method, on the next `count` matching requests or every `every`-th one), and what firing
// does — only slow the request, drop the connection, or answer an error in the vendor's own
// shape (the emulator's `answer`).
import type { NextFunction, Request } from 'express';

export interface FaultRule {
  status?: number;
  match?: string;
  method?: string;
  count?: number;
  every?: number;
  delayMs?: number;
  drop?: boolean;
  /** Matching requests seen so far. */
  seen: number;
}

/** The first fault that fires for this request (counting it as seen by each that matches). */
export function firingFault<F extends FaultRule>(faults: F[], req: Request): F | null {
  for (const fault of faults) {
    if (fault.match && !req.path.includes(fault.match)) continue;
    if (fault.method && fault.method.toUpperCase() !== req.method) continue;
    fault.seen++;
    let fire: boolean;
    if (fault.every) fire = fault.seen % fault.every === 0;
    else if (fault.count !== undefined) fire = fault.count-- > 0;
    else fire = true;
    if (fire) return fault;
  }
  return null;
}

/** Carries a fault out: a delay only (then the route answers), a dropped connection, or `answer`. */
export function applyFault(
  fault: FaultRule,
  req: Request,
  next: NextFunction,
  answer: (status: number) => void,
): void {
  if (!fault.status && !fault.drop) {
    setTimeout(next, fault.delayMs ?? 0);
    return;
  }
  const act = () => (fault.drop ? req.socket.destroy() : answer(fault.status ?? 500));
  if (fault.delayMs) setTimeout(act, fault.delayMs);
  else act();
}
