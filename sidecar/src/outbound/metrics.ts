// Prometheus metrics of outbound delivery, registered on the sidecar's registry.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export interface OutboundMetrics {
  /** Changes handled per target and outcome (delivered, unchanged, skipped_origin, …). */
  changes: Counter<'target' | 'outcome'>;
  /** Requests sent to targets. */
  requests: Counter<'target'>;
  /** Outbox rows not yet handled per target. */
  lag: Gauge<'target'>;
  /** Time from the change in WordPress to its delivery. */
  delay: Histogram<'target'>;
}

const cache = new WeakMap<Registry, OutboundMetrics>();

export function outboundMetrics(registry: Registry): OutboundMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const metrics: OutboundMetrics = {
    changes: new Counter({
      name: 'usersync_outbound_changes_total',
      help: 'User changes handled by the outbound pipeline, per target and outcome',
      labelNames: ['target', 'outcome'],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'usersync_outbound_requests_total',
      help: 'Requests sent to outbound targets',
      labelNames: ['target'],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'usersync_outbound_lag',
      help: 'Outbox rows a target has not handled yet',
      labelNames: ['target'],
      registers: [registry],
    }),
    delay: new Histogram({
      name: 'usersync_outbound_delay_seconds',
      help: 'Time from a change in WordPress to its delivery to a target',
      labelNames: ['target'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
