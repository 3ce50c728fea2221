// The last API usage each Salesforce connection reported (`Sforce-Limit-Info`), for the
// Prometheus gauges of metrics.ts: every client of a connection (its pulls, its pushes, the
// admin's describe calls) reports here under the connection's slug.
import type { ApiUsage } from './client.js';

const latest = new Map<string, ApiUsage>();

export function recordApiUsage(connection: string, usage: ApiUsage): void {
  latest.set(connection, usage);
}

/** The last usage of every connection that reported one. */
export function apiUsageByConnection(): ReadonlyMap<string, ApiUsage> {
  return latest;
}

/** Forgets a connection (deleted, or between tests). */
export function forgetApiUsage(connection?: string): void {
  if (connection === undefined) latest.clear();
  else latest.delete(connection);
}
