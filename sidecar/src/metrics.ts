// Prometheus metrics for operators: one registry per process, served at /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { apiUsageByConnection } from './connectors/salesforce/usage.js';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  wordpressRequests: Counter<'method' | 'outcome'>;
  salesforceApiUsage: Gauge<'connection'>;
  salesforceApiMax: Gauge<'connection'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'usersync-sidecar' });
  collectDefaultMetrics({ register: registry, prefix: 'usersync_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'usersync_http_requests_total',
      help: 'HTTP requests served by the sidecar',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'usersync_http_request_duration_seconds',
      help: 'Time to answer HTTP requests',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    wordpressRequests: new Counter({
      name: 'usersync_wordpress_requests_total',
      help: 'Requests made to the WordPress REST API',
      labelNames: ['method', 'outcome'],
      registers: [registry],
    }),
    // The last `Sforce-Limit-Info: api-usage=N/M` each Salesforce connection received.
    salesforceApiUsage: new Gauge({
      name: 'usersync_salesforce_api_usage',
      help: 'API requests the Salesforce org has used in the last 24 hours, as its last answer said',
      labelNames: ['connection'],
      registers: [registry],
      collect() {
        for (const [connection, usage] of apiUsageByConnection()) {
          this.set({ connection }, usage.used);
        }
      },
    }),
    salesforceApiMax: new Gauge({
      name: 'usersync_salesforce_api_max',
      help: 'API requests the Salesforce org may make in 24 hours, as its last answer said',
      labelNames: ['connection'],
      registers: [registry],
      collect() {
        for (const [connection, usage] of apiUsageByConnection()) {
          this.set({ connection }, usage.max);
        }
      },
    }),
  };
}
