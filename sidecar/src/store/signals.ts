// Signals between the replicas of one store, in one process: the SQLite store (one sidecar)
// and the PostgreSQL store's fan-out to this process's listeners.
import type { SignalListener, SignalTopic } from './types.js';

export class LocalSignals {
  private readonly listeners = new Map<SignalTopic, Set<SignalListener>>();

  add(topic: SignalTopic, listener: SignalListener): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  topics(): SignalTopic[] {
    return [...this.listeners.keys()];
  }

  /** Delivers to every listener of `topic`; with `topic` null, `message` goes to all topics. */
  deliver(topic: SignalTopic | null, message: string | null): void {
    for (const [each, set] of this.listeners) {
      if (topic !== null && each !== topic) continue;
      for (const listener of set) {
        // A listener that throws must not keep the message from the others.
        try {
          listener(message);
        } catch {
          // ignored: listeners log their own failures
        }
      }
    }
  }
}
