// The control API under `/_emulator` (test-only; not part of Salesforce): seed, read and
// change records as an admin or another integration would, merge and undelete, move the org
// clock (frozen clocks give same-second bursts that share one SystemModstamp), set the daily
// API allocation, inject faults, expire sessions, read request stats.
import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';

import { WriteError } from './org.js';
import type { SalesforceEmulator } from './index.js';
import type { Fault } from './context.js';
import type { SeedOptions } from './seed.js';

export function controlRouter(emulator: () => SalesforceEmulator): Router {
  const control = express.Router();
  control.use(express.json({ limit: '50mb' }));
  const writeOrigin = (req: Request) =>
    typeof req.query.client === 'string'
      ? { api: 'rest' as const, client: req.query.client, version: emulator().apiVersion }
      : { api: 'control' as const };

  // The emulated connected app's credentials, for the demo (an emulator secret, not a real one).
  control.get('/credentials', (_req, res) => {
    const e = emulator();
    res.json({
      loginUrl: e.loginUrl,
      clientId: e.clientId,
      clientSecret: e.clientSecret,
      username: e.username,
      privateKeyPem: e.privateKeyPem,
    });
  });
  control.get('/records/:type', (req, res) => {
    const e = emulator();
    const object = e.org.object(String(req.params.type));
    if (!object)
      return res.status(404).json({ error: `Unknown object ${String(req.params.type)}` });
    const all = req.query.all === 'true';
    const records = e.org.all(object.name).filter((r) => all || !r.values.IsDeleted);
    const perPage = Math.min(Math.max(Number(req.query.per_page ?? 20) || 20, 1), 2000);
    const page = Math.max(Number(req.query.page ?? 1) || 1, 1);
    const slice = records.slice((page - 1) * perPage, page * perPage);
    res.json({
      total: records.length,
      page,
      perPage,
      totalPages: Math.ceil(records.length / perPage),
      records: slice.map((r) => e.record(r.id)),
    });
  });
  control.get('/records/:type/:id', (req, res) => {
    const record = emulator().record(String(req.params.id));
    if (!record) return res.status(404).json({ error: 'No such record' });
    res.json(record);
  });
  control.post('/seed', (req, res) => {
    res.status(201).json(emulator().seed(req.body as SeedOptions));
  });
  control.post('/records/:type', (req, res) => {
    const id = emulator().create(
      String(req.params.type),
      req.body as Record<string, unknown>,
      writeOrigin(req),
    );
    res.status(201).json({ id });
  });
  control.patch('/records/:type/:id', (req, res) => {
    emulator().update(String(req.params.id), req.body as Record<string, unknown>, writeOrigin(req));
    res.status(204).end();
  });
  control.delete('/records/:type/:id', (req, res) => {
    emulator().delete(String(req.params.id), writeOrigin(req));
    res.status(204).end();
  });
  control.post('/records/:type/:id/undelete', (req, res) => {
    emulator().undelete(String(req.params.id));
    res.status(204).end();
  });
  control.post('/records/:type/:id/touch', (req, res) => {
    emulator().touch(String(req.params.id));
    res.status(204).end();
  });
  control.post('/records/:type/:id/purge', (req, res) => {
    emulator().org.purge(String(req.params.id));
    res.status(204).end();
  });
  control.post('/merge', (req, res) => {
    const body = req.body as { masterId?: string; ids?: string[] };
    emulator().merge(String(body.masterId ?? ''), body.ids ?? []);
    res.status(204).end();
  });
  control.get('/clock', (_req, res) => res.json(emulator().clock()));
  control.post('/clock', (req, res) => {
    const body = req.body as {
      now?: string | number;
      freeze?: boolean;
      advanceMs?: number;
      unfreeze?: boolean;
    };
    const e = emulator();
    if (body.now !== undefined) e.setClock(body.now, { freeze: body.freeze ?? false });
    else if (body.freeze) e.setClock(e.org.clock.now(), { freeze: true });
    if (body.advanceMs) e.advance(body.advanceMs);
    if (body.unfreeze) e.org.clock.unfreeze();
    res.json(e.clock());
  });
  control.get('/limits', (_req, res) => {
    const e = emulator();
    res.json({ dailyMax: e.limits.max, used: e.limits.used });
  });
  control.post('/limits', (req, res) => {
    const e = emulator();
    e.setLimit(req.body as { dailyMax?: number; used?: number });
    res.json({ dailyMax: e.limits.max, used: e.limits.used });
  });
  control.post('/faults', (req, res) => {
    emulator().fault(req.body as Fault);
    res.status(201).json({ faults: emulator().faults.length });
  });
  control.delete('/faults', (_req, res) => {
    emulator().clearFaults();
    res.status(204).end();
  });
  control.post('/expire-tokens', (_req, res) => {
    emulator().expireTokens();
    res.status(204).end();
  });
  control.post('/revoke-refresh-tokens', (_req, res) => {
    emulator().revokeRefreshTokens();
    res.status(204).end();
  });
  control.post('/delete-log/purge', (req, res) => {
    const before = (req.body as { before?: string }).before;
    emulator().org.deleteLogPurgedBefore = before ? Date.parse(before) : emulator().org.clock.now();
    res.status(204).end();
  });
  control.post('/cdc/gap', (req, res) => {
    const body = req.body as { entity?: string; changeType?: string; recordIds?: string[] };
    const replayId = emulator().emitGap(
      String(body.entity ?? 'Contact'),
      (body.changeType ?? 'GAP_OVERFLOW') as 'GAP_OVERFLOW',
      body.recordIds ?? [],
    );
    res.status(201).json({ replayId });
  });
  control.get('/stats', (_req, res) => res.json(emulator().stats));
  control.delete('/stats', (_req, res) => {
    emulator().resetStats();
    res.status(204).end();
  });
  control.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof WriteError) return res.status(400).json({ errors: error.errors });
    res.status(500).json({ error: error.message });
  });
  return control;
}
