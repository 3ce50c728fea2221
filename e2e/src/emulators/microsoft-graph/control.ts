// The control API under `/_emulator` (JSON), for tests and the demo — not part of Graph, and
// neither counted nor faulted: the tenant's state, reset, users (list with ids, UPNs and names,
// paged; create, read, update, disable, delete to the recycle bin or for good, restore, set or
// remove the photo), groups (create, rename, add or remove members, delete), registered apps,
// faults (throttling with Retry-After, errors, slowness, dropped connections), expiring delta
// tokens, and request counts. Errors use the Graph error format.
import express from 'express';
import type { NextFunction, Request, Response } from 'express';

import { DirectoryError } from './directory.js';
import type { EmulatedUser, GraphProps } from './directory.js';
import { graphError } from './http.js';
import { solidPng } from './seed.js';
import { addFault, clearFaults, clearStats, expireDeltaTokens, resetState } from './state.js';
import type { App, EmulatorState, Fault, ResetOptions } from './state.js';

export function controlRouter(state: EmulatorState): express.Router {
  const { apps, faults, stats } = state;
  const control = express.Router();
  control.use(express.json({ limit: '10mb' }));
  control.get('/state', (_req, res) => {
    const { directory } = state;
    res.json({
      tenantId: state.tenantId,
      domain: directory.domain,
      b2c: directory.b2c,
      seed: state.seed,
      users: directory.userCount,
      groups: [...directory.groups.values()].filter((g) => !g.deleted).length,
      seq: directory.seq,
      stats,
    });
  });
  control.post('/reset', (req, res) => {
    resetState(state, req.body as ResetOptions);
    res.json({ users: state.directory.userCount });
  });
  // Which ids there are, to PATCH or DELETE one: `?page=1&per_page=20` (at most 200), an optional
  // `search` in the UPN, mail or display name; users in the recycle bin are marked, purged
  // ones left out. `next` is the path of the following page.
  control.get('/users', (req, res) => {
    const number = (value: unknown, fallback: number) => {
      const parsed = typeof value === 'string' ? Number(value) : NaN;
      return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
    };
    const perPage = Math.min(number(req.query.per_page, 20), 200);
    const page = number(req.query.page, 1);
    const search = typeof req.query.search === 'string' ? req.query.search.toLowerCase() : '';
    const found: EmulatedUser[] = [];
    for (const id of state.directory.userOrder) {
      const user = state.directory.users.get(id);
      if (!user || user.deleted === 'hard') continue;
      const text = [user.props.userPrincipalName, user.props.mail, user.props.displayName]
        .filter((v): v is string => typeof v === 'string')
        .join(' ')
        .toLowerCase();
      if (!search || text.includes(search)) found.push(user);
    }
    const totalPages = Math.max(1, Math.ceil(found.length / perPage));
    const query = (n: number) =>
      `/_emulator/users?${new URLSearchParams({
        page: String(n),
        per_page: String(perPage),
        ...(search ? { search } : {}),
      }).toString()}`;
    res.json({
      total: found.length,
      page,
      perPage,
      totalPages,
      next: page < totalPages ? query(page + 1) : null,
      users: found.slice((page - 1) * perPage, page * perPage).map((user) => ({
        id: user.id,
        userPrincipalName: user.props.userPrincipalName ?? null,
        displayName: user.props.displayName ?? null,
        mail: user.props.mail ?? null,
        accountEnabled: user.props.accountEnabled ?? null,
        inRecycleBin: user.deleted === 'soft',
      })),
    });
  });
  control.post('/users', (req, res) => {
    const user = state.directory.createUser(req.body as GraphProps);
    res.status(201).json({ ...user.props, id: user.id });
  });
  control.get('/users/:id', (req, res) => {
    const user = state.directory.users.get(req.params.id);
    if (!user) return graphError(res, 404, 'Request_ResourceNotFound', 'No such user');
    res.json({
      ...user.props,
      id: user.id,
      deleted: user.deleted,
      photo: user.photo?.etag ?? null,
    });
  });
  control.patch('/users/:id', (req, res) => {
    const user = state.directory.updateUser(req.params.id, req.body as GraphProps);
    res.json({ ...user.props, id: user.id });
  });
  control.delete('/users/:id', (req, res) => {
    state.directory.deleteUser(req.params.id, req.query.permanent === 'true');
    res.status(204).end();
  });
  control.post('/users/:id/restore', (req, res) => {
    const user = state.directory.restoreUser(req.params.id);
    res.json({ ...user.props, id: user.id });
  });
  control.put('/users/:id/photo', express.raw({ type: () => true, limit: '10mb' }), (req, res) => {
    const data = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : null;
    state.directory.setPhoto(
      req.params.id,
      data
        ? { contentType: req.headers['content-type'] ?? 'image/jpeg', data }
        : solidPng(state.seed, Date.now(), Math.random()),
    );
    res.json({ etag: state.directory.user(req.params.id).photo?.etag });
  });
  control.delete('/users/:id/photo', (req, res) => {
    state.directory.setPhoto(req.params.id, null);
    res.status(204).end();
  });
  control.post('/groups', (req, res) => {
    const body = req.body as { displayName?: string; members?: string[] };
    if (!body.displayName)
      return graphError(res, 400, 'Request_BadRequest', 'displayName is required');
    const group = state.directory.createGroup(body.displayName, body.members ?? []);
    res
      .status(201)
      .json({ id: group.id, displayName: group.displayName, members: [...group.members] });
  });
  control.patch('/groups/:id', (req, res) => {
    const group = state.directory.updateGroup(
      req.params.id,
      req.body as { displayName?: string; add?: string[]; remove?: string[] },
    );
    res.json({ id: group.id, displayName: group.displayName, members: [...group.members] });
  });
  control.delete('/groups/:id', (req, res) => {
    state.directory.deleteGroup(req.params.id);
    res.status(204).end();
  });
  control.post('/apps', (req, res) => {
    const body = req.body as Partial<App>;
    if (!body.clientId || !body.clientSecret) {
      return graphError(res, 400, 'Request_BadRequest', 'clientId and clientSecret are required');
    }
    const registered = {
      clientId: body.clientId,
      clientSecret: body.clientSecret,
      roles: body.roles ?? [],
    };
    apps.set(registered.clientId, registered);
    res.status(201).json(registered);
  });
  control.post('/faults', (req, res) => {
    addFault(state, req.body as Fault);
    res.status(201).json({ faults: faults.length });
  });
  control.delete('/faults', (_req, res) => {
    clearFaults(state);
    res.status(204).end();
  });
  control.post('/expire-delta-tokens', (_req, res) => {
    expireDeltaTokens(state);
    res.status(204).end();
  });
  control.get('/stats', (_req, res) => res.json(stats));
  control.delete('/stats', (_req, res) => {
    clearStats(state);
    res.status(204).end();
  });
  control.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof DirectoryError)
      return graphError(res, error.status, error.code, error.message, error.extra);
    graphError(res, 500, 'generalException', error.message);
  });
  return control;
}
