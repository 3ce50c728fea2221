// Verifies SCIM bearer tokens. WordPress stores only SHA-256 hashes of the tokens the admin
// created; the sidecar caches that list, compares hashes in constant time, refreshes the
// cache on a short TTL (5 s: a revoked token stops working within it) and, rate-limited,
// on an unknown token (so a new token works at once). Usage is reported back in batches.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { WordPressClient } from '../wordpress/client.js';

export interface ScimTokenInfo {
  id: string;
  /** The name the admin gave the token, e.g. "Entra production". */
  name: string;
  /** The connection slug the token belongs to: the namespace of identity links. */
  connection: string;
}

interface StoredToken extends ScimTokenInfo {
  hash: string;
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
}

export const sha256Hex = (value: string) =>
  createHash('sha256').update(value, 'utf8').digest('hex');

export class ScimTokenCache implements TokenVerifier {
  private tokens: StoredToken[] = [];
  private loadedAt = 0;
  private lastMissRefresh = 0;
  private loading: Promise<void> | null = null;
  private readonly used = new Set<string>();
  private usageTimer: NodeJS.Timeout | null = null;
  private readonly ttlMs: number;
  private readonly missRefreshMs: number;

  constructor(
    private readonly wordpress: WordPressClient,
    private readonly options: ScimTokenCacheOptions = {},
  ) {
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

  /** Reports which tokens were used since the last flush (shown as "last used" in wp-admin). */
  async flushUsage(): Promise<void> {
    if (this.used.size === 0) return;
    const ids = [...this.used];
    this.used.clear();
    try {
      await this.wordpress.post('/usersync/v1/sidecar/tokens/used', { ids }, { retry: true });
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'could not report SCIM token usage');
    }
  }

  close(): void {
    if (this.usageTimer) clearInterval(this.usageTimer);
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
    this.loading ??= this.wordpress
      .get<StoredToken[]>('/usersync/v1/sidecar/tokens')
      .then((response) => {
        this.tokens = Array.isArray(response.data) ? response.data : [];
        this.loadedAt = Date.now();
        // A list this fresh already knows every token; an unknown one need not refetch it.
        this.lastMissRefresh = this.loadedAt;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }
}
