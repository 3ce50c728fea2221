// sObject Collections (`/composite/sobjects`, REST API Developer Guide "sObject Collections"):
// create (POST), update (PATCH), upsert by external id (PATCH /{T}/{field}, API 46.0+),
// delete (DELETE ?ids=) and retrieve (GET ?ids=&fields=, or POST /{T} with a body, as jsforce
// sends it) of up to 200 records. Results are in request order; per-record errors carry
// `statusCode` (not `errorCode`), `message` and `fields`; failed records carry no `id`. With
// `allOrNone: true` one failure rolls back the call: every other record answers
// ALL_OR_NONE_OPERATION_ROLLED_BACK and nothing is committed. More than 200 records →
// 400 EXCEEDED_ID_LIMIT "record limit reached. cannot submit more than 200 records into this call".
import express from 'express';
import type { Request, Response, Router } from 'express';

import { countWrite, origin, recordFault, sfError } from './context.js';
import type { Context } from './context.js';
import { WriteError } from './org.js';
import type { Pending, PreparedWrite, RecordError } from './org.js';
import { fullRecord } from './rest.js';

const MAX = 200;

type Outcome = { write: PreparedWrite } | { errors: RecordError[] };

interface Result {
  id?: string;
  success: boolean;
  errors: RecordError[];
  created?: boolean;
}

const ROLLED_BACK: RecordError = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message:
    'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: [],
};

function tooMany(res: Response): void {
  sfError(
    res,
    400,
    'EXCEEDED_ID_LIMIT',
    'record limit reached. cannot submit more than 200 records into this call',
  );
}

/** Commits the prepared writes (or none, under allOrNone with a failure) and answers. */
function finish(
  ctx: Context,
  req: Request,
  res: Response,
  outcomes: Outcome[],
  allOrNone: boolean,
  upsert: boolean,
): void {
  const failed = outcomes.some((o) => 'errors' in o);
  const results: Result[] = outcomes.map((o) => {
    if ('errors' in o) return { success: false, errors: o.errors };
    if (allOrNone && failed) return { success: false, errors: [ROLLED_BACK] };
    return {
      id: o.write.id,
      success: true,
      errors: [],
      ...(upsert ? { created: o.write.created } : {}),
    };
  });
  if (!(allOrNone && failed)) {
    let written = 0;
    for (const o of outcomes) {
      if ('write' in o) {
        o.write.commit();
        written++;
      }
    }
    if (written) countWrite(ctx, req, written);
  }
  res.status(200).json(results);
}

function attempt(fn: () => PreparedWrite): Outcome {
  try {
    return { write: fn() };
  } catch (error) {
    if (error instanceof WriteError) return { errors: error.errors };
    throw error;
  }
}

interface Body {
  allOrNone?: unknown;
  records?: unknown;
}

function recordsOf(req: Request, res: Response): Record<string, unknown>[] | null {
  const body = req.body as Body | undefined;
  if (!body || !Array.isArray(body.records)) {
    sfError(res, 400, 'JSON_PARSER_ERROR', 'The request body must contain a records array');
    return null;
  }
  if (body.records.length > MAX) {
    tooMany(res);
    return null;
  }
  if (body.records.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) {
    sfError(res, 400, 'JSON_PARSER_ERROR', 'Each record must be a JSON object');
    return null;
  }
  return body.records as Record<string, unknown>[];
}

function typeOf(record: Record<string, unknown>): string | undefined {
  const attributes = record.attributes as { type?: unknown } | undefined;
  return typeof attributes?.type === 'string' ? attributes.type : undefined;
}

export function collectionsRouter(ctx: Context): Router {
  const router = express.Router({ mergeParams: true });
  const json = express.json({ limit: '50mb' });
  const v = (req: Request) => String(req.params.version);

  router.post('/', json, (req, res) => {
    const records = recordsOf(req, res);
    if (!records) return;
    const pending: Pending = new Map();
    const outcomes = records.map((record) =>
      attempt(() => {
        const type = typeOf(record);
        if (!type) {
          throw new WriteError([
            { statusCode: 'INVALID_TYPE', message: 'No attributes.type on the record', fields: [] },
          ]);
        }
        const fault = recordFault(ctx, req);
        if (fault) throw new WriteError([fault]);
        if (record.id !== undefined || record.Id !== undefined) {
          throw new WriteError([
            {
              statusCode: 'INVALID_FIELD',
              message: 'cannot specify Id in an insert call',
              fields: ['Id'],
            },
          ]);
        }
        return ctx.org.prepareCreate(type, record, origin(req, v(req)), pending);
      }),
    );
    finish(ctx, req, res, outcomes, Boolean((req.body as Body).allOrNone), false);
  });

  router.patch('/', json, (req, res) => {
    const records = recordsOf(req, res);
    if (!records) return;
    const pending: Pending = new Map();
    const outcomes = records.map((record) =>
      attempt(() => {
        const id = record.id ?? record.Id;
        if (typeof id !== 'string' || !id) {
          throw new WriteError([
            {
              statusCode: 'MISSING_ARGUMENT',
              message: 'Id not specified in an update call',
              fields: [],
            },
          ]);
        }
        const fault = recordFault(ctx, req, id);
        if (fault) throw new WriteError([fault]);
        const input = { ...record };
        delete input.id;
        delete input.Id;
        return ctx.org.prepareUpdate(
          typeOf(record) ?? null,
          id,
          input,
          origin(req, v(req)),
          pending,
        );
      }),
    );
    finish(ctx, req, res, outcomes, Boolean((req.body as Body).allOrNone), false);
  });

  router.delete('/', (req, res) => {
    const ids = String(req.query.ids ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!ids.length) return sfError(res, 400, 'MISSING_ARGUMENT', 'ids is required');
    if (ids.length > MAX) return tooMany(res);
    const seen = new Set<string>();
    const outcomes = ids.map((id) =>
      attempt(() => {
        const fault = recordFault(ctx, req, id);
        if (fault) throw new WriteError([fault]);
        const write = ctx.org.prepareDelete(id, origin(req, v(req)));
        if (seen.has(write.id)) {
          throw new WriteError([
            { statusCode: 'DUPLICATE_ID', message: 'duplicate id in list', fields: [] },
          ]);
        }
        seen.add(write.id);
        return write;
      }),
    );
    finish(ctx, req, res, outcomes, req.query.allOrNone === 'true', false);
  });

  const retrieve = (req: Request, res: Response, ids: string[], fields: string[]) => {
    const object = ctx.org.object(String(req.params.type));
    if (!object) return sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
    if (!ids.length || !fields.length) {
      return sfError(res, 400, 'MISSING_ARGUMENT', 'ids and fields are required');
    }
    if (ids.length > 2000) return tooMany(res);
    const bad = fields.find((f) => !ctx.org.field(object, f));
    if (bad) {
      return sfError(
        res,
        400,
        'INVALID_FIELD',
        `No such column '${bad}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    res.json(
      ids.map((id) => {
        const record = ctx.org.get(id);
        if (!record || record.type !== object.name || record.values.IsDeleted) return null;
        return fullRecord(ctx, record, v(req), fields);
      }),
    );
  };
  const list = (value: unknown) =>
    (Array.isArray(value) ? value.map(String) : String(value ?? '').split(','))
      .map((s) => s.trim())
      .filter(Boolean);

  router.get('/:type', (req, res) =>
    retrieve(req, res, list(req.query.ids), list(req.query.fields)),
  );
  router.post('/:type', json, (req, res) => {
    const body = (req.body ?? {}) as { ids?: unknown; fields?: unknown };
    retrieve(req, res, list(body.ids), list(body.fields));
  });

  router.patch('/:type/:field', json, (req, res) => {
    const object = ctx.org.object(String(req.params.type));
    if (!object) return sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
    const f = ctx.org.field(object, String(req.params.field));
    if (!f || (!f.externalId && !f.idLookup)) {
      return sfError(
        res,
        400,
        'INVALID_FIELD',
        `Field name provided, ${String(req.params.field)} is not an External ID or indexed field for ${object.name}`,
      );
    }
    const records = recordsOf(req, res);
    if (!records) return;
    const pending: Pending = new Map();
    const outcomes = records.map((record) =>
      attempt(() => {
        const type = typeOf(record);
        if (type && type.toLowerCase() !== object.name.toLowerCase()) {
          throw new WriteError([
            {
              statusCode: 'INVALID_FIELD',
              message: `sObject type ${type} does not match ${object.name}`,
              fields: [],
            },
          ]);
        }
        const key = Object.entries(record).find(([k]) => k.toLowerCase() === f.name.toLowerCase());
        const value = key?.[1];
        if (value === undefined || value === null || value === '') {
          throw new WriteError([
            {
              statusCode: 'MISSING_ARGUMENT',
              message: `${f.name} not specified`,
              fields: [f.name],
            },
          ]);
        }
        const wanted = f.caseSensitive ? String(value) : String(value).toLowerCase();
        const found = ctx.org.all(object.name).filter((r) => {
          const have = r.values[f.name];
          if (r.values.IsDeleted || have === null || have === undefined) return false;
          return (f.caseSensitive ? String(have) : String(have).toLowerCase()) === wanted;
        });
        if (found.length > 1) {
          throw new WriteError([
            {
              statusCode: 'DUPLICATE_EXTERNAL_ID',
              message: `${f.name}: more than one record found for external id field: [${found.map((r) => r.id).join(', ')}]`,
              fields: [f.name],
            },
          ]);
        }
        const fault = recordFault(ctx, req, found[0]?.id);
        if (fault) throw new WriteError([fault]);
        if (found[0]) {
          const input = { ...record };
          delete input[key![0]];
          return ctx.org.prepareUpdate(
            object.name,
            found[0].id,
            input,
            origin(req, v(req)),
            pending,
          );
        }
        return ctx.org.prepareCreate(object.name, record, origin(req, v(req)), pending);
      }),
    );
    finish(ctx, req, res, outcomes, Boolean((req.body as Body).allOrNone), true);
  });
  return router;
}
