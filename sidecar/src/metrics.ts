// Prometheus metrics for operators: one registry per process, served at /metrics.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  wordpressRequests: Counter<'method' | 'outcome'>;
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
  };
}
