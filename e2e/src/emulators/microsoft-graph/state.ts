// The Graph emulator's shared state: the tenant (its directory, seed and B2C flag), the
// registered applications, the injected faults, the request counts, the paging-token
// generation and the key access tokens are signed with. Every route reads it here, at the
// time of the request, so a reset is seen by all of them at once. The operations the tests
// drive (faults, expiring delta tokens, reset) live here too, shared by the returned object
// and the `/_emulator` control API.
import crypto from 'node:crypto';

import { Directory } from './directory.js';
import { seedDirectory } from './seed.js';
import type { SeedOptions } from './seed.js';

export interface App {
  clientId: string;
  clientSecret: string;
  /** Application permissions granted (and consented), e.g. `User.Read.All`. */
  roles: string[];
}

export interface Fault {
  /** HTTP status to answer, e.g. 429, 503, 500; without one, `delayMs` only slows the request. */
  status?: number;
  /** Seconds in the Retry-After header. */
  retryAfter?: number;
  /** Only requests whose path contains this. */
  match?: string;
  /** Fire on the next `count` matching requests, then stop. */
  count?: number;
  /** Fire on every `every`-th matching request. */
  every?: number;
  /** Delay before answering (ms), to simulate slowness. */
  delayMs?: number;
  /** Close the connection instead of answering. */
  drop?: boolean;
}

export interface GraphEmulatorOptions extends SeedOptions {
  port?: number;
  host?: string;
  tenantId?: string;
  /** The tenant's initial domain (default `contoso.onmicrosoft.com`, B2C `contosob2c…`). */
  domain?: string;
  b2c?: boolean;
  /** Registered applications (default one with User.Read.All, GroupMember.Read.All, ProfilePhoto.Read.All). */
  apps?: App[];
  /** Lifetime of access tokens in seconds (default 3599). */
  tokenLifetime?: number;
  /**
   * Page like Microsoft says Graph may: empty pages with a nextLink, items repeated across
   * pages, shuffled changes, server-chosen page sizes (default false).
   */
  strict?: boolean;
}

/** What `reset` may change: a new seed, tenant kind or domain (and the seeding options). */
export type ResetOptions = SeedOptions & { b2c?: boolean; domain?: string };

/** Requests served per route (`GET /v1.0/users/delta`, …) and how many were faulted. */
export interface Stats {
  requests: Record<string, number>;
  faulted: number;
  total: number;
}

export interface EmulatorState {
  readonly options: GraphEmulatorOptions;
  readonly tenantId: string;
  readonly signingKey: Buffer;
  readonly tokenLifetime: number;
  readonly strict: boolean;
  seed: string;
  b2c: boolean;
  directory: Directory;
  readonly apps: Map<string, App>;
  readonly faults: (Fault & { seen: number })[];
  readonly stats: Stats;
  /** Paging-token generation: expiring delta tokens starts a new one and refuses older tokens. */
  generation: number;
}

const DEFAULT_APP: App = {
  clientId: '5b1f7e2c-3d4a-4f6b-8c9d-0e1f2a3b4c5d',
  clientSecret: 'emulator-secret-value',
  roles: ['User.Read.All', 'GroupMember.Read.All', 'ProfilePhoto.Read.All'],
};

function domainFor(options: GraphEmulatorOptions, isB2c: boolean): string {
  return options.domain ?? (isB2c ? 'contosob2c.onmicrosoft.com' : 'contoso.onmicrosoft.com');
}

/** A freshly seeded tenant with the registered applications, no faults and no counts. */
export function createState(options: GraphEmulatorOptions): EmulatorState {
  const b2c = options.b2c ?? false;
  const directory = new Directory(domainFor(options, b2c), b2c);
  seedDirectory(directory, options);
  const apps = new Map<string, App>();
  for (const app of options.apps ?? [DEFAULT_APP]) apps.set(app.clientId, app);
  return {
    options,
    tenantId: options.tenantId ?? '8f3c1a52-6a4e-4c7b-9d0e-2b6f1e5a7c90',
    signingKey: crypto.randomBytes(32),
    tokenLifetime: options.tokenLifetime ?? 3599,
    strict: options.strict ?? false,
    seed: options.seed ?? 'usersync',
    b2c,
    directory,
    apps,
    faults: [],
    stats: { requests: {}, faulted: 0, total: 0 },
    generation: 0,
  };
}

export function addFault(state: EmulatorState, fault: Fault): void {
  state.faults.push({ ...fault, seen: 0 });
}

export function clearFaults(state: EmulatorState): void {
  state.faults.length = 0;
}

/** Delta and skip tokens issued so far stop working (410 Gone, `resyncRequired`). */
export function expireDeltaTokens(state: EmulatorState): void {
  state.generation++;
}

export function clearStats(state: EmulatorState): void {
  state.stats.requests = {};
  state.stats.faulted = 0;
  state.stats.total = 0;
}

/** Replaces the tenant with a freshly seeded one (and clears faults and counts). */
export function resetState(state: EmulatorState, reset: ResetOptions = {}): void {
  state.seed = reset.seed ?? state.seed;
  state.b2c = reset.b2c ?? state.b2c;
  state.directory = new Directory(reset.domain ?? domainFor(state.options, state.b2c), state.b2c);
  seedDirectory(state.directory, { ...state.options, ...reset, seed: state.seed });
  clearFaults(state);
  state.generation++;
  clearStats(state);
}
