// What one replica hears from the plugin and the others must hear too, when several share
// PostgreSQL: "the sources changed" (POST /api/v1/sources/reload) and "the change feed has
// news" (POST /api/v1/outbound/nudge) reach one replica; it passes them on over LISTEN/NOTIFY
// and every other replica acts as if the plugin had called it. One process (SQLite) needs no
// relay: the request already woke everything in it.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from './logger.js';
import type { Store } from './store/types.js';

export interface ReplicaRelayDeps {
  store: Pick<Store, 'kind' | 'signal' | 'onSignal'>;
  /** This replica's name in its messages (its own messages are not acted on twice). */
  self: string;
  logger: Logger;
  reloadSources?: () => Promise<unknown>;
  nudgeOutbound?: (reload: boolean) => void;
}

export class ReplicaRelay {
  private stops: (() => void)[] = [];

  constructor(private readonly deps: ReplicaRelayDeps) {}

  get shared(): boolean {
    return this.deps.store.kind === 'postgres';
  }

  /** Listens for what other replicas pass on; resolves once listening. */
  async listen(): Promise<void> {
    if (!this.shared) return;
    const { store, self, logger } = this.deps;
    this.stops.push(
      await store.onSignal('sources-reload', (from) => {
        // null: messages may have been missed while reconnecting; reloading is cheap.
        if (from === self || !this.deps.reloadSources) return;
        void this.deps
          .reloadSources()
          .catch((error: unknown) =>
            logger.warn({ err: error }, 'sources not reloaded after another replica was told'),
          );
      }),
      await store.onSignal('outbound-nudge', (message) => {
        if (!this.deps.nudgeOutbound) return;
        let from: unknown = null;
        let reload = false;
        if (message !== null) {
          try {
            ({ from, reload = false } = JSON.parse(message) as {
              from?: unknown;
              reload?: boolean;
            });
          } catch {
            return;
          }
        }
        if (from === self) return;
        this.deps.nudgeOutbound(reload === true);
      }),
    );
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Passes a reload on to the other replicas (best effort: they also reload every minute). */
  async reloaded(): Promise<void> {
    if (!this.shared) return;
    await this.deps.store
      .signal('sources-reload', this.deps.self)
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error }, 'could not tell the other replicas to reload'),
      );
  }

  /**
   * Middleware in front of the plugin's (authenticated, parsed) nudge: passes it on, then
   * lets the outbound route answer.
   */
  nudgeMiddleware() {
    return (req: Request, _res: Response, next: NextFunction) => {
      if (this.shared) {
        const reload = (req.body as { reload?: unknown } | undefined)?.reload === true;
        void this.deps.store
          .signal('outbound-nudge', JSON.stringify({ from: this.deps.self, reload }))
          .catch((error: unknown) =>
            this.deps.logger.warn(
              { err: error },
              'could not pass the nudge on to the other replicas',
            ),
          );
      }
      next();
    };
  }
}
