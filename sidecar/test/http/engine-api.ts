// The sidecar app with a real engine over the Graph emulator (engine/harness.ts), listening on
// a free port: what the HTTP API tests call. `call` sends the API key unless told otherwise.
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { WordPressClient } from '../../src/wordpress/client.js';
import type { Harness, HarnessOptions } from '../engine/harness.js';
import { harness } from '../engine/harness.js';

export const API_KEY = 'a-sidecar-api-key-of-some-length';

export interface EngineApi {
  h: Harness;
  /** The API's base URL, `…/api/v1`. */
  base: string;
  /** A JSON request to `base + path`, with the API key (`key` null: none). */
  call(path: string, init?: RequestInit, key?: string | null): Promise<Response>;
  close(): Promise<void>;
}

export async function startEngineApi(options: HarnessOptions): Promise<EngineApi> {
  const h = await harness(options);
  const app = createApp({
    store: h.store,
    // The engine reaches WordPress through the harness; nothing calls this client.
    wordpress: new WordPressClient({ baseUrl: 'http://127.0.0.1:9', user: 'x', appPassword: 'y' }),
    logger: createLogger('silent'),
    metrics: createMetrics(),
    version: 'test',
    engine: h.engine,
    apiKey: API_KEY,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  return {
    h,
    base,
    call: (path, init = {}, key = API_KEY) =>
      fetch(`${base}${path}`, {
        ...init,
        headers: {
          'Content-Type': 'application/json',
          ...(key ? { Authorization: `Bearer ${key}` } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      }),
    close: async () => {
      server.close();
      await h.close();
    },
  };
}
