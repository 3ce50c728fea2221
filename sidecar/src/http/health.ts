// GET /healthz: is this sidecar able to do its job? Checks its store and its WordPress
// connection (the plugin's status route as the service user) and answers 200 or 503.
// Anyone may ask whether it is ok (load balancers, probes); only a caller with the API key
// (the plugin's status page, operators) learns versions, the WordPress URL and the reasons.
import type { Request, Response } from 'express';
import { apiKeyMatcher } from '../auth/api-key.js';
import type { Store } from '../store/index.js';
import { WordPressError } from '../wordpress/client.js';
import { WordPressPlugin } from '../wordpress/plugin.js';
import type { WordPressTransport } from '../wordpress/plugin.js';

export interface HealthDeps {
  store: Store;
  wordpress: WordPressTransport;
  version: string;
  /** SIDECAR_API_KEY: the details are shown only to requests that carry it. */
  apiKey?: string | null;
}

export function healthHandler(deps: HealthDeps) {
  const trusted = apiKeyMatcher(deps.apiKey ?? null);
  return async (req: Request, res: Response) => {
    const [store, wordpress] = await Promise.all([deps.store.health(), checkWordPress(deps)]);
    const ok = store.ok && wordpress.ok;
    res.setHeader('Cache-Control', 'no-store');
    if (!trusted(req)) {
      res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable' });
      return;
    }
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      version: deps.version,
      store,
      wordpress,
    });
  };
}

async function checkWordPress(deps: HealthDeps) {
  const started = Date.now();
  try {
    const status = await new WordPressPlugin(deps.wordpress).status(5_000);
    return {
      ok: true,
      url: deps.wordpress.baseUrl,
      latencyMs: Date.now() - started,
      pluginVersion: status.plugin?.version ?? null,
      wordpressVersion: status.wordpress?.version ?? null,
    };
  } catch (error) {
    const e = error as Error;
    return {
      ok: false,
      url: deps.wordpress.baseUrl,
      latencyMs: Date.now() - started,
      error: e instanceof WordPressError ? `${e.code}: ${e.message}` : e.message,
    };
  }
}
