// An outbound target for tests: records what it was asked to deliver, fails as scripted, and
// can be held at a gate before delivering or pushing.
import { DeliveryError } from '../../src/outbound/types.js';
import type {
  DeliveryResult,
  OutboundTarget,
  OutboxChange,
  PushContext,
  PushProgress,
  UserChange,
} from '../../src/outbound/types.js';

/** A target that records what it was asked to deliver and fails as scripted. */
export class ScriptedTarget implements OutboundTarget {
  readonly kind = 'scripted';
  delivered: UserChange[] = [];
  /** userId → failures still to give (transient or permanent). */
  failures = new Map<number, { left: number; transient: boolean }>();
  covered: (change: OutboxChange) => boolean = () => true;
  pushes = 0;
  pushGate: Promise<void> = Promise.resolve();
  /** Awaited before each delivery is made (a replica stalled mid-delivery). */
  deliverGate: Promise<void> = Promise.resolve();
  constructor(readonly slug: string) {}

  describe() {
    return { slug: this.slug, name: this.slug, kind: this.kind, endpoint: null, twoWay: false };
  }

  covers(change: OutboxChange) {
    return this.covered(change);
  }

  async deliver(changes: UserChange[]): Promise<Map<number, DeliveryResult>> {
    await this.deliverGate;
    const results = new Map<number, DeliveryResult>();
    for (const change of changes) {
      const failure = this.failures.get(change.userId);
      if (failure && failure.left > 0) {
        failure.left--;
        results.set(change.userId, {
          ok: false,
          error: new DeliveryError(
            failure.transient ? 'peer down' : 'refused',
            failure.transient ? 'peer_unreachable' : 'invalidValue',
            failure.transient,
          ),
        });
        continue;
      }
      this.delivered.push(change);
      results.set(change.userId, {
        ok: true,
        outcome: { userId: change.userId, status: 'updated', requests: 1 },
      });
    }
    return results;
  }

  async fullPush(context: PushContext): Promise<PushProgress> {
    this.pushes++;
    await this.pushGate;
    const progress = { processed: 3, total: 3, created: 2, updated: 0, unchanged: 1, failed: 0 };
    await context.onProgress(progress);
    return progress;
  }
}
