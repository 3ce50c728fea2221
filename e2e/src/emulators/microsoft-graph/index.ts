// A Microsoft Graph emulator for tests, benchmarks and the local demo: the token endpoint
// (client credentials, AADSTS errors), `/v1.0/users`, `/users/delta`, `/users/$count`,
// `/users/{id}`, `/users/{id}/memberOf`, `/users/{id}/photo` and `/photo/$value`, `/groups`,
// `/groups/delta` (with `members@delta`), `/groups/{id}/members` — following Microsoft's
// documented response shapes: `@odata.nextLink` / `@odata.deltaLink` paging with opaque
// `$skiptoken` / `$deltatoken`, `@removed` with reason `changed` (recycle bin) or `deleted`,
// `Prefer: odata.maxpagesize`, `$select`, `$top` ≤ 999, and errors as
// `{ "error": { "code", "message", "innerError" } }`. Application permissions are checked
// from the token's `roles` (403 `Authorization_RequestDenied`). A B2C tenant answers delta
// queries with 400, as the real service does.
//
// Where Microsoft's documentation allows Graph to be unkind, so is the emulator — always for
// what costs tests nothing (never-set properties omitted from delta items, 410 Gone for an
// expired delta token, no `$count` and no photos in B2C, `$top` refused on `/users/delta`), and
// with `strict: true` also for what makes pages unpredictable (empty pages that carry a
// nextLink, items repeated on the next page, changes out of order, page sizes the server
// picks). Each behaviour cites the documentation it follows where it is implemented; the
// strict choices are seeded, so a seed always gives the same pages.
//
// Tests drive it through a control API under `/_emulator` (or the returned object): list (with
// ids, UPNs and names, paged), create, update, disable, delete and restore users, change photos and groups, inject throttling (429 /
// 503 with Retry-After) and faults, expire delta tokens, read request counts.
//
// This file assembles the app; each part has its own file: state.ts (the tenant, apps,
// faults, counts), faults.ts (fault injection and counting), token.ts (the token endpoint),
// graph.ts (the Graph GET router) over users.ts and groups.ts, paging.ts (skip and delta
// tokens, pages), batch.ts (JSON batching), control.ts (`/_emulator`) and http.ts (errors,
// query options, access tokens, permissions).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import express from 'express';
import type { NextFunction, Request, Response } from 'express';

import { batch } from './batch.js';
import { controlRouter } from './control.js';
import type { Directory } from './directory.js';
import { faultsAndStats } from './faults.js';
import { graphGet } from './graph.js';
import { graphError } from './http.js';
import { seededId, seededUser } from './seed.js';
import type { SeedOptions } from './seed.js';
import { addFault, clearFaults, createState, expireDeltaTokens, resetState } from './state.js';
import type { App, Fault, GraphEmulatorOptions, Stats } from './state.js';
import { tokenEndpoint } from './token.js';

export { Directory, DirectoryError } from './directory.js';
export { SEEDED_GROUPS, seededId, seededUser, solidPng } from './seed.js';
export type { App, Fault, GraphEmulatorOptions } from './state.js';

export interface GraphEmulator {
  /** Base URL: both the authority URL and the Graph URL of the connector settings. */
  url: string;
  authorityUrl: string;
  graphUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  directory: Directory;
  apps: Map<string, App>;
  seed: string;
  /** Requests served per route (`GET /v1.0/users/delta`, …) and how many were faulted. */
  stats: Stats;
  addFault(fault: Fault): void;
  clearFaults(): void;
  /** Delta and skip tokens issued so far stop working (410 Gone, `resyncRequired`). */
  expireDeltaTokens(): void;
  /** Replaces the tenant with a freshly seeded one (and clears faults and counts). */
  reset(options?: SeedOptions & { b2c?: boolean; domain?: string }): void;
  close(): Promise<void>;
}

export async function startGraphEmulator(
  options: GraphEmulatorOptions = {},
): Promise<GraphEmulator> {
  const state = createState(options);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Faults and counting apply to everything but the control API.
  app.use(faultsAndStats(state));
  app.post(
    '/:tenant/oauth2/v2.0/token',
    express.urlencoded({ extended: false }),
    tokenEndpoint(state),
  );
  app.get(/^\/v1\.0\/.*/, graphGet(state));
  app.post('/v1.0/$batch', express.json({ limit: '4mb' }), batch(state));
  app.use('/_emulator', controlRouter(state));
  app.use((req: Request, res: Response) =>
    graphError(res, 404, 'UnknownError', `No route for ${req.method} ${req.path}`),
  );
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    graphError(res, 500, 'generalException', error.message);
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    listening.once('listening', () => resolve(listening));
    listening.once('error', reject);
  });
  server.keepAliveTimeout = 30_000;

  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const defaultRegistered = [...state.apps.values()][0]!;
  return {
    url,
    authorityUrl: url,
    graphUrl: url,
    tenantId: state.tenantId,
    clientId: defaultRegistered.clientId,
    clientSecret: defaultRegistered.clientSecret,
    get directory() {
      return state.directory;
    },
    apps: state.apps,
    get seed() {
      return state.seed;
    },
    stats: state.stats,
    addFault: (fault) => addFault(state, fault),
    clearFaults: () => clearFaults(state),
    expireDeltaTokens: () => expireDeltaTokens(state),
    reset: (reset) => resetState(state, reset),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Seeded ids, to address seeded users and groups in tests. */
export const seeded = {
  userId: (seed: string, index: number) => seededId(seed, 'user', index),
  groupId: (seed: string, index: number) => seededId(seed, 'group', index),
  user: seededUser,
};
