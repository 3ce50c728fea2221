// Starts the sidecar: configuration, store, WordPress client, HTTP server; stops cleanly on
// SIGTERM/SIGINT (server closed, store closed, exit 0).
import type { Server } from 'node:http';
import { createApp } from './app.js';
import { ScimTokenCache } from './auth/scim-tokens.js';
import { ConfigError, loadConfig } from './config.js';
import { PluginGateway, SyncEngine } from './engine/index.js';
import { cronTimeZone, setScheduleTimeZone } from './engine/schedule.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createOutbound, loadOutboundSettings } from './outbound/index.js';
import { createScimRouter } from './scim/index.js';
import { ReplicaRelay } from './replicas.js';
import { openStore } from './store/index.js';
import { version } from './version.js';
import { WordPressClient } from './wordpress/client.js';
import { WordPressPlugin } from './wordpress/plugin.js';

async function main(): Promise<void> {
  let config;
  let outboundSettings;
  try {
    config = loadConfig();
    outboundSettings = loadOutboundSettings();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`usersync-sidecar: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // Last guard: a promise nobody awaited must not take every run and SCIM request down with
  // the process (Node's default); it is logged as the bug it is.
  process.on('unhandledRejection', (reason: unknown) => {
    logger.error({ err: reason }, 'unhandled promise rejection (the sidecar keeps running)');
  });
  if (!config.apiKey) {
    // Only allowed on loopback (loadConfig refuses it elsewhere), and still worth a warning.
    logger.warn(
      { host: config.http.host },
      'SIDECAR_API_KEY is not set: anything on this machine can start syncs and reload sources through /api/v1; set it (and USERSYNC_SIDECAR_KEY in wp-config.php) to the same secret',
    );
  }
  const metrics = createMetrics();
  const wordpress = new WordPressClient({
    baseUrl: config.wordpress.url,
    user: config.wordpress.user,
    appPassword: config.wordpress.appPassword,
    timeoutMs: config.wordpress.timeoutMs,
    retries: config.wordpress.retries,
    logger,
  });
  // Every call of a plugin route goes through this one typed client.
  const plugin = new WordPressPlugin(wordpress);
  const store = await openStore(config.store);
  const tokens = new ScimTokenCache(plugin, { logger, signals: store });
  // Revocations made through another replica reach this one at once.
  await tokens.listen();

  const scim = createScimRouter({
    tokens,
    wordpress: plugin,
    publicUrl: config.http.publicUrl,
    logger,
    rateLimit: config.scimRateLimit,
    // Replicas on one PostgreSQL share each token's allowance; one process keeps its own.
    sharedStore: store.kind === 'postgres' ? store : undefined,
  });
  const engine = new SyncEngine({
    store,
    wordpress: new PluginGateway(plugin),
    logger,
    registry: metrics.registry,
    patienceMs: config.runPatienceMs,
    heartbeatMs: config.runs.heartbeatMs,
    staleMs: config.runs.staleMs,
    resumeBackoff: { baseMs: config.runs.resumeBaseMs, maxMs: 15 * 60_000 },
  });
  const outbound = createOutbound({
    wordpress: plugin,
    store,
    logger,
    metrics,
    tokens,
    apiKey: config.apiKey,
    settings: outboundSettings,
  });
  // Reloads and nudges the plugin sends to one replica reach the others over LISTEN/NOTIFY.
  const replicas = new ReplicaRelay({
    store,
    self: engine.owner,
    logger,
    reloadSources: () => {
      outbound.pipeline.nudge(true); // Connections name push targets too.
      return engine.reloadSources();
    },
    nudgeOutbound: (reload) => outbound.pipeline.nudge(reload),
  });
  await replicas.listen();
  const app = createApp({
    store,
    wordpress,
    logger,
    metrics,
    version,
    scim,
    tokens,
    engine,
    apiKey: config.apiKey,
    outbound,
    replicas,
  });
  const server: Server = app.listen(config.http.port, config.http.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  logger.info(
    {
      url: `http://${config.http.host}:${port}`,
      store: store.kind,
      wordpress: config.wordpress.url,
      version,
    },
    'listening',
  );
  // Schedules tick in the site's time zone (the same instant on every replica), read from
  // WordPress before they start and every minute after.
  let seenZone: string | undefined;
  const followZone = async () => {
    const zone = (await plugin.config()).siteTimeZone;
    setScheduleTimeZone(zone);
    if (zone === seenZone) return;
    seenZone = zone;
    if (zone && !cronTimeZone(zone))
      logger.warn({ timeZone: zone }, 'the site time zone has no IANA name: schedules use UTC');
    else logger.info({ timeZone: zone }, 'schedules follow the site time zone');
  };
  const zoneFailed = (error: unknown) =>
    logger.warn({ err: error }, 'could not read the site time zone');
  await followZone().catch(zoneFailed);
  const zoneTimer = setInterval(() => void followZone().catch(zoneFailed), 60_000);
  zoneTimer.unref();
  // Sources, schedules and the catch-up of runs missed while the sidecar was down.
  await engine.start();
  // Changes made while the sidecar was down are delivered now, from each target's cursor.
  await outbound.pipeline.start();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    server.close();
    server.closeIdleConnections();
    clearInterval(zoneTimer);
    // Runs stop between batches; the next start resumes them from their saved cursors.
    replicas.close();
    await engine.stop();
    await outbound.pipeline.stop();
    await tokens.flushUsage();
    tokens.close();
    await store.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `usersync-sidecar: failed to start: ${(error as Error).stack ?? String(error)}\n`,
  );
  process.exit(1);
});
