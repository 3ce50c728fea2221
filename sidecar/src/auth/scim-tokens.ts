// Verifies SCIM bearer tokens. WordPress stores only SHA-256 hashes of the tokens the admin
// created; the sidecar caches that list, compares hashes in constant time, refreshes the
// cache on a short TTL and, rate-limited, on an unknown token (so a new token works at once).
// A revocation takes effect at once: the plugin tells one replica (`revoke`), which drops the
// token and signals every replica through the store; the TTL is only the fallback for a
// signal that never came. Usage is reported back in batches.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Store } from '../store/types.js';
import { WordPressPlugin } from '../wordpress/plugin.js';
import type { WordPressTransport } from '../wordpress/plugin.js';
import type { StoredToken } from '../wordpress/types.js';

export interface ScimTokenInfo {
  id: string;
  /** The name the admin gave the token, e.g. "Entra production". */
  name: string;
  /** The connection slug the token belongs to: the namespace of identity links. */
  connection: string;
}

export interface TokenVerifier {
  verify(token: string): Promise<ScimTokenInfo | null>;
}

export interface ScimTokenCacheOptions {
  ttlMs?: number;
  /** Least time between two refreshes caused by unknown tokens. */
  missRefreshMs?: number;
  usageFlushMs?: number;
  logger?: Logger;
  /** The store whose signals carry revocations to (and from) the other replicas. */
  signals?: Pick<Store, 'signal' | 'onSignal'>;
}

export const sha256Hex = (value: string) =>
  createHash('sha256').update(value, 'utf8').digest('hex');

export class ScimTokenCache implements TokenVerifier {
  private tokens: StoredToken[] = [];
  private loadedAt = 0;
  private lastMissRefresh = 0;
  private loading: Promise<void> | null = null;
  private readonly used = new Set<string>();
  /** Revoked token ids, by when: a list fetched before that moment may still hold them. */
  private readonly revoked = new Map<string, number>();
  private stopListening: (() => void) | null = null;
  /** Lists asked for before this moment may miss revocations a lost signal carried. */
  private staleBefore = 0;
  private usageTimer: NodeJS.Timeout | null = null;
  private readonly ttlMs: number;
  private readonly missRefreshMs: number;
  private readonly wordpress: WordPressPlugin;

  constructor(
    wordpress: WordPressTransport | WordPressPlugin,
    private readonly options: ScimTokenCacheOptions = {},
  ) {
    this.wordpress =
      wordpress instanceof WordPressPlugin ? wordpress : new WordPressPlugin(wordpress);
    this.ttlMs = options.ttlMs ?? 5_000;
    this.missRefreshMs = options.missRefreshMs ?? 250;
    if (options.usageFlushMs !== 0) {
      this.usageTimer = setInterval(() => void this.flushUsage(), options.usageFlushMs ?? 10_000);
      this.usageTimer.unref();
    }
  }

  async verify(token: string): Promise<ScimTokenInfo | null> {
    if (!token) return null;
    const now = Date.now();
    if (now - this.loadedAt > this.ttlMs) await this.refresh();
    let found = this.match(token);
    if (!found && now - this.lastMissRefresh >= this.missRefreshMs) {
      this.lastMissRefresh = now;
      await this.refresh();
      found = this.match(token);
    }
    if (found) this.used.add(found.id);
    return found ? { id: found.id, name: found.name, connection: found.connection } : null;
  }

  /**
   * Listens for revocations signalled by other replicas (and for "you may have missed some",
   * which empties the cache). Call once at start-up.
   */
  async listen(): Promise<void> {
    if (!this.options.signals || this.stopListening) return;
    this.stopListening = await this.options.signals.onSignal('scim-token-revoked', (id) => {
      if (id === null) {
        this.staleBefore = Date.now();
        this.loadedAt = 0;
      } else this.forget(id);
    });
  }

  /**
   * The plugin revoked a token: refuse it from now on here, and on every replica sharing the
   * store. Resolves once the other replicas have been signalled.
   */
  async revoke(id: string): Promise<void> {
    this.forget(id);
    await this.options.signals?.signal('scim-token-revoked', id);
  }

  /** Reports which tokens were used since the last flush (shown as "last used" in wp-admin). */
  async flushUsage(): Promise<void> {
    if (this.used.size === 0) return;
    const ids = [...this.used];
    this.used.clear();
    try {
      await this.wordpress.tokensUsed(ids);
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'could not report SCIM token usage');
    }
  }

  close(): void {
    if (this.usageTimer) clearInterval(this.usageTimer);
    this.stopListening?.();
    this.stopListening = null;
  }

  private forget(id: string): void {
    this.revoked.set(id, Date.now());
    this.tokens = this.tokens.filter((token) => token.id !== id);
    this.used.delete(id);
  }

  private match(token: string): StoredToken | undefined {
    const presented = Buffer.from(sha256Hex(token), 'hex');
    let found: StoredToken | undefined;
    // Compare against every token so the time taken does not depend on which one matched.
    for (const candidate of this.tokens) {
      const stored = Buffer.from(candidate.hash, 'hex');
      if (stored.length === presented.length && timingSafeEqual(stored, presented))
        found = candidate;
    }
    return found;
  }

  private refresh(): Promise<void> {
    const started = Date.now();
    this.loading ??= this.wordpress
      .tokens()
      .then((tokens) => {
        // A list asked for after a revocation no longer holds the token; one asked for
        // before it (still in flight when the revocation came) may, and must not revive it.
        for (const [id, at] of this.revoked) if (at < started) this.revoked.delete(id);
        this.tokens = tokens.filter((token) => !this.revoked.has(token.id));
        // Asked for before a lost signal: good for this request, not for the next ones.
        this.loadedAt = started < this.staleBefore ? 0 : Date.now();
        // A list this fresh already knows every token; an unknown one need not refetch it.
        this.lastMissRefresh = this.loadedAt;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }
}
