// The versioned REST API of the emulated org (`/services/data/vNN.0/…`): resources, limits,
// describe, records (create, retrieve, update, delete, upsert by external id), query and
// queryAll with query locators, and the replication resources (Get Updated / Get Deleted).
// Shapes and status codes follow the REST API Developer Guide; each rule cites its page.
import crypto from 'node:crypto';

import express from 'express';
import type { Request, Response, Router } from 'express';

import { countWrite, origin, recordErrors, recordFault, sfError } from './context.js';
import type { Context } from './context.js';
import { describeGlobal, describeObject } from './describe.js';
import { formatDatetime, normalizeId, parseDatetime, WriteError } from './org.js';
import type { StoredRecord } from './org.js';
import type { ObjectDef } from './objects.js';
import { attributes, output, runQuery, SoqlError } from './soql.js';
import { collectionsRouter } from './collections.js';

const DAY = 24 * 60 * 60 * 1000;

interface Cursor {
  rows: Record<string, unknown>[];
  batch: number;
  created: number;
}

/** A record with every field (or `fields`), as `GET /sobjects/{T}/{id}` answers it. */
export function fullRecord(
  ctx: Context,
  record: StoredRecord,
  version: string,
  fields?: string[],
): Record<string, unknown> {
  const object = ctx.org.object(record.type)!;
  const out: Record<string, unknown> = { attributes: attributes(record.type, record.id, version) };
  const chosen = fields?.length
    ? fields.map((name) => ctx.org.field(object, name)).filter((f) => f !== undefined)
    : object.fields;
  for (const f of chosen) out[f.name] = output(ctx.org, record, f);
  return out;
}

function badFields(ctx: Context, object: ObjectDef, fields: string[]): string[] {
  return fields.filter((name) => !ctx.org.field(object, name));
}

export function versionRouter(ctx: Context): Router {
  const router = express.Router({ mergeParams: true });
  const json = express.json({ limit: '50mb' });
  const cursors = new Map<string, Cursor>();
  const v = (req: Request) => String(req.params.version);

  const requireObject = (req: Request, res: Response): ObjectDef | null => {
    const object = ctx.org.object(String(req.params.type));
    if (!object) {
      // REST API Developer Guide, "Status Codes and Error Responses": 404 for a resource that
      // does not exist; the message is the one orgs send for an unknown sObject.
      sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
      return null;
    }
    return object;
  };

  // "Resources by Version": the resource map of one version.
  router.get('/', (req, res) => {
    const base = `/services/data/v${v(req)}`;
    res.json(
      Object.fromEntries(
        ['sobjects', 'query', 'queryAll', 'limits', 'composite', 'jobs', 'search', 'tooling'].map(
          (name) => [name, `${base}/${name}`],
        ),
      ),
    );
  });

  router.get('/limits', (_req, res) => res.json(ctx.limits.body()));

  router.get('/sobjects', (req, res) => res.json(describeGlobal(ctx.org.objectList(), v(req))));

  router.use('/composite/sobjects', collectionsRouter(ctx));

  // "sObject Describe": If-Modified-Since answers 304 Not Modified when the object's
  // metadata has not changed since then ("Status Codes and Error Responses": 304).
  router.get('/sobjects/:type/describe', (req, res) => {
    const object = requireObject(req, res);
    if (!object) return;
    const since = Date.parse(String(req.headers['if-modified-since'] ?? ''));
    if (!Number.isNaN(since) && ctx.org.schemaModified <= since) return res.status(304).end();
    res.setHeader('Last-Modified', new Date(ctx.org.schemaModified).toUTCString());
    res.json(describeObject(object, ctx.org.objectList(), v(req)));
  });

  // "sObject Basic Information".
  router.get('/sobjects/:type', (req, res) => {
    const object = requireObject(req, res);
    if (!object) return;
    const all = describeGlobal([object], v(req)).sobjects[0];
    const recent = ctx.org
      .all(object.name)
      .filter((r) => !r.values.IsDeleted)
      .slice(-5)
      .map((r) => ({
        attributes: attributes(r.type, r.id, v(req)),
        Id: r.id,
        ...(r.values.Name !== undefined ? { Name: r.values.Name } : {}),
      }));
    res.json({ objectDescribe: all, recentItems: recent });
  });

  // "sObject Get Updated" / "sObject Get Deleted" (replication): seconds are truncated, the
  // start must precede the end, updated covers 30 days and deleted 15 ("Results are returned
  // for no more than 15 days previous to the day the call is executed (or earlier if an
  // administrator has purged the Recycle Bin)"); over 600,000 ids → EXCEEDED_ID_LIMIT.
  const replication = (kind: 'updated' | 'deleted') => (req: Request, res: Response) => {
    const object = requireObject(req, res);
    if (!object) return;
    const q = req.query as Record<string, string | undefined>;
    const start = parseDatetime(q.start ?? '');
    const end = parseDatetime(q.end ?? '');
    if (Number.isNaN(start) || Number.isNaN(end)) {
      return sfError(
        res,
        400,
        'INVALID_REPLICATION_DATE',
        'start and end must be valid dateTime values',
      );
    }
    const minute = (ms: number) => Math.floor(ms / 60000) * 60000;
    const now = ctx.org.clock.now();
    const from = minute(start);
    const to = minute(Math.min(end, now));
    // The window must be longer than a minute (checked before seconds are truncated).
    if (end - start <= 60000 || to <= from) {
      return sfError(
        res,
        400,
        'INVALID_REPLICATION_DATE',
        'startDate must be at least one minute greater than endDate',
      );
    }
    const days = kind === 'updated' ? 30 : 15;
    if (from < now - days * DAY) {
      return sfError(
        res,
        400,
        'INVALID_REPLICATION_DATE',
        `startDate cannot be more than ${days} days ago`,
      );
    }
    const records = ctx.org.all(object.name);
    if (kind === 'updated') {
      const ids = records
        .filter((r) => !r.values.IsDeleted)
        .filter((r) => {
          const stamp = Number(r.values.SystemModstamp);
          return stamp >= from && stamp < to;
        })
        .map((r) => r.id);
      if (ids.length > 600_000) return sfError(res, 400, 'EXCEEDED_ID_LIMIT', 'too many ids');
      return res.json({ ids, latestDateCovered: formatDatetime(to) });
    }
    const earliest = minute(Math.max(now - days * DAY, ctx.org.deleteLogPurgedBefore));
    const deletedRecords = records
      .map((r) => ({ r, at: ctx.org.deletedAt(r) }))
      .filter(
        ({ r, at }) =>
          r.values.IsDeleted && at !== undefined && at >= from && at < to && at >= earliest,
      )
      .map(({ r, at }) => ({ id: r.id, deletedDate: formatDatetime(at!) }));
    if (deletedRecords.length > 600_000)
      return sfError(res, 400, 'EXCEEDED_ID_LIMIT', 'too many ids');
    res.json({
      deletedRecords,
      earliestDateAvailable: formatDatetime(earliest),
      latestDateCovered: formatDatetime(to),
    });
  };
  router.get('/sobjects/:type/updated', replication('updated'));
  router.get('/sobjects/:type/deleted', replication('deleted'));

  const create = (req: Request, res: Response, object: ObjectDef) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return sfError(res, 400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
    }
    if (req.params.field === undefined && Object.keys(body).some((k) => k.toLowerCase() === 'id')) {
      return sfError(res, 400, 'INVALID_FIELD', 'cannot specify Id in an insert call', ['Id']);
    }
    const fault = recordFault(ctx, req);
    if (fault) return recordErrors(res, 400, [fault]);
    try {
      const write = ctx.org.prepareCreate(object.name, body, origin(req, v(req)));
      write.commit();
      countWrite(ctx, req);
      res.status(201).json({ id: write.id, success: true, errors: [] });
    } catch (error) {
      if (error instanceof WriteError) return recordErrors(res, 400, error.errors);
      throw error;
    }
  };

  // "sObject Create": POST /sobjects/{T} → 201 {id, success, errors}; POST /sobjects/{T}/Id
  // (upsert by Id without one, API 37.0+) creates as well.
  router.post('/sobjects/:type', json, (req, res) => {
    const object = requireObject(req, res);
    if (object) create(req, res, object);
  });

  const retrieve = (
    req: Request,
    res: Response,
    record: StoredRecord | undefined,
    object: ObjectDef,
  ) => {
    if (!record || record.type !== object.name) {
      return sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    if (record.values.IsDeleted) return sfError(res, 404, 'ENTITY_IS_DELETED', 'entity is deleted');
    const fields = String(req.query.fields ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = badFields(ctx, object, fields);
    if (bad.length) {
      return sfError(
        res,
        400,
        'INVALID_FIELD',
        `No such column '${bad[0]}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    res.json(fullRecord(ctx, record, v(req), fields));
  };

  router.get('/sobjects/:type/:id', (req, res) => {
    const object = requireObject(req, res);
    if (!object) return;
    retrieve(req, res, ctx.org.get(String(req.params.id)), object);
  });

  const update = (req: Request, res: Response, object: ObjectDef, id: string) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return sfError(res, 400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
    }
    const record = ctx.org.get(id);
    if (!record || record.type !== object.name) {
      return sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    const fault = recordFault(ctx, req, record.id);
    if (fault) return recordErrors(res, 400, [fault]);
    try {
      ctx.org.prepareUpdate(object.name, record.id, body, origin(req, v(req))).commit();
      countWrite(ctx, req);
      res.status(204).end();
    } catch (error) {
      if (error instanceof WriteError) {
        const status = error.errors[0]?.statusCode === 'ENTITY_IS_DELETED' ? 404 : 400;
        return recordErrors(res, status, error.errors);
      }
      throw error;
    }
  };

  const methodNotAllowed = (req: Request, res: Response) =>
    // Observed on real orgs for an upsert URL with an empty value (`…/Email/`).
    sfError(
      res,
      405,
      'METHOD_NOT_ALLOWED',
      `HTTP Method '${req.method}' not allowed. Allowed are GET,HEAD,POST`,
    );

  // PATCH /sobjects/{T}/{id} updates (204). `…/{field}/` with an empty value is 405.
  router.patch('/sobjects/:type/:id', json, (req, res) => {
    const object = requireObject(req, res);
    if (!object) return;
    const id = String(req.params.id);
    if (!normalizeId(id) && ctx.org.field(object, id)) {
      return methodNotAllowed(req, res);
    }
    update(req, res, object, id);
  });

  router.delete('/sobjects/:type/:id', (req, res) => {
    const object = requireObject(req, res);
    if (!object) return;
    const id = String(req.params.id);
    if (!normalizeId(id) && ctx.org.field(object, id)) return methodNotAllowed(req, res);
    const record = ctx.org.get(id);
    if (!record || record.type !== object.name) {
      return sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    if (record.values.IsDeleted) return sfError(res, 404, 'ENTITY_IS_DELETED', 'entity is deleted');
    const fault = recordFault(ctx, req, record.id);
    if (fault) return recordErrors(res, 400, [fault]);
    ctx.org.prepareDelete(record.id, origin(req, v(req))).commit();
    countWrite(ctx, req);
    res.status(204).end();
  });

  /** The external-id (or idLookup) field of an upsert URL, or an answered error. */
  const upsertField = (req: Request, res: Response, object: ObjectDef) => {
    const f = ctx.org.field(object, String(req.params.field));
    if (!f || (!f.externalId && !f.idLookup)) {
      // Unconfirmed wording; 404 NOT_FOUND is what orgs answer for a field that is neither
      // an External ID nor an idLookup field.
      sfError(
        res,
        404,
        'NOT_FOUND',
        `Provided external ID field does not exist or is not accessible: ${String(req.params.field)}`,
      );
      return null;
    }
    return f;
  };

  const matches = (object: ObjectDef, field: string, value: string) => {
    const f = ctx.org.field(object, field)!;
    if (f.name === 'Id') {
      const record = ctx.org.get(value);
      return record && record.type === object.name && !record.values.IsDeleted ? [record] : [];
    }
    const wanted = f.caseSensitive ? value : value.toLowerCase();
    return ctx.org.all(object.name).filter((r) => {
      const have = r.values[f.name];
      if (r.values.IsDeleted || have === null || have === undefined) return false;
      return (f.caseSensitive ? String(have) : String(have).toLowerCase()) === wanted;
    });
  };

  router.post('/sobjects/:type/:field', json, (req, res) => {
    const object = requireObject(req, res);
    if (!object) return;
    if (String(req.params.field).toLowerCase() !== 'id') return methodNotAllowed(req, res);
    create(req, res, object);
  });

  router.get('/sobjects/:type/:field/:value', (req, res) => {
    const object = requireObject(req, res);
    if (!object) return;
    const f = upsertField(req, res, object);
    if (!f) return;
    const found = matches(object, f.name, String(req.params.value));
    if (found.length > 1) {
      return res.status(300).json(found.map((r) => attributes(r.type, r.id, v(req)).url));
    }
    retrieve(req, res, found[0], object);
  });

  // "Insert or Update (Upsert) a Record Using an External ID": no match → 201 `created: true`;
  // one match → 200 `created: false` (API 46.0 and later; 204 without a body before);
  // several → 300 with the matching records' URLs; `updateOnly=true` refuses a create.
  router.patch('/sobjects/:type/:field/:value', json, (req, res) => {
    const object = requireObject(req, res);
    if (!object) return;
    const f = upsertField(req, res, object);
    if (!f) return;
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return sfError(res, 400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
    }
    const value = String(req.params.value);
    const found = matches(object, f.name, value);
    if (found.length > 1) {
      return res.status(300).json(found.map((r) => attributes(r.type, r.id, v(req)).url));
    }
    const fault = recordFault(ctx, req, found[0]?.id);
    if (fault) return recordErrors(res, 400, [fault]);
    const input = { ...body };
    for (const key of Object.keys(input)) {
      if (key.toLowerCase() === 'id') {
        return sfError(
          res,
          400,
          'INVALID_FIELD',
          `Id field should not be specified in the sobject data.`,
        );
      }
    }
    try {
      const modern = Number(v(req)) >= 46;
      if (found[0]) {
        ctx.org.prepareUpdate(object.name, found[0].id, input, origin(req, v(req))).commit();
        countWrite(ctx, req);
        if (!modern) return res.status(204).end();
        return res.status(200).json({ id: found[0].id, success: true, errors: [], created: false });
      }
      if (req.query.updateOnly === 'true') {
        return sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
      }
      if (f.name !== 'Id') input[f.name] = value;
      const write = ctx.org.prepareCreate(object.name, input, origin(req, v(req)));
      write.commit();
      countWrite(ctx, req);
      res
        .status(201)
        .json({ id: write.id, success: true, errors: [], ...(modern ? { created: true } : {}) });
    } catch (error) {
      if (error instanceof WriteError) return recordErrors(res, 400, error.errors);
      throw error;
    }
  });

  // ---- Query ------------------------------------------------------------------------------
  // "Execute a SOQL Query" / "QueryAll": batches of up to 2,000 records (default and max;
  // `Sforce-Query-Options: batchSize=N`, 200–2,000, "not guaranteed"); `nextRecordsUrl`
  // continues the snapshot and names `query` even for a queryAll; locators last two days.
  const batchSize = (req: Request) => {
    const match = /batchSize=(\d+)/i.exec(String(req.headers['sforce-query-options'] ?? ''));
    if (!match) return 2000;
    return Math.min(2000, Math.max(200, Number(match[1])));
  };

  const page = (req: Request, res: Response, locator: string, cursor: Cursor, position: number) => {
    const records = cursor.rows.slice(position, position + cursor.batch);
    const next = position + records.length;
    const done = next >= cursor.rows.length;
    if (done) cursors.delete(locator);
    res.json({
      totalSize: cursor.rows.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v${v(req)}/query/${locator}-${next}` }),
      records,
    });
  };

  const query = (all: boolean) => (req: Request, res: Response) => {
    ctx.stats.queries++;
    const soql = String(req.query.q ?? '');
    if (!soql) return sfError(res, 400, 'MALFORMED_QUERY', 'Missing query parameter q');
    let result;
    try {
      result = runQuery(ctx.org, soql, all, v(req));
    } catch (error) {
      if (error instanceof SoqlError) return sfError(res, 400, error.errorCode, error.message);
      throw error;
    }
    if (result.records.length === 0) {
      return res.json({ totalSize: result.totalSize, done: true, records: [] });
    }
    const locator = `01g${crypto.randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 15)}`;
    const cursor = { rows: result.records, batch: batchSize(req), created: Date.now() };
    cursors.set(locator, cursor);
    page(req, res, locator, cursor, 0);
  };

  const more = (req: Request, res: Response) => {
    ctx.stats.queries++;
    const match = /^(01g[A-Za-z0-9]+)-(\d+)$/.exec(String(req.params.locator));
    const cursor = match ? cursors.get(match[1]!) : undefined;
    if (!match || !cursor || Date.now() - cursor.created > 2 * DAY) {
      return sfError(res, 400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    }
    page(req, res, match[1]!, cursor, Number(match[2]));
  };

  router.get('/query', query(false));
  router.get('/queryAll', query(true));
  router.get('/query/:locator', more);
  router.get('/queryAll/:locator', more);
  return router;
}
