// Bulk API 2.0 ingest jobs (Bulk API 2.0 and Bulk API Developer Guide, "Ingest": create job,
// upload job data, close or abort, get job info, results, delete). A job is created Open,
// takes CSV uploads (`PUT …/batches`, 201), is closed with `{"state":"UploadComplete"}` and then
// moves InProgress → JobComplete (or Failed when the CSV cannot be read, e.g. an unknown
// column: "InvalidBatch : Field name not found : …"). Results are CSV: successfulResults
// (`sf__Id`, `sf__Created`, the uploaded columns), failedResults (`sf__Id`, `sf__Error`, the
// uploaded columns), unprocessedrecords. Empty CSV fields leave a field unchanged; `#N/A` sets
// it to null ("Preparing CSV Files"). Jobs can be deleted once closed, aborted or done.
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import express from 'express';
import type { Request, Response, Router } from 'express';

import { callClient, recordFault, sfError } from './context.js';
import type { Context } from './context.js';
import { formatDatetime, USER_ID, WriteError } from './org.js';
import type { PreparedWrite, RecordError, WriteOrigin } from './org.js';

type Operation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';
type State = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

const DELIMITERS: Record<string, string> = {
  COMMA: ',',
  TAB: '\t',
  PIPE: '|',
  SEMICOLON: ';',
  CARET: '^',
  BACKQUOTE: '`',
};

interface Job {
  id: string;
  operation: Operation;
  object: string;
  externalIdFieldName?: string;
  lineEnding: 'LF' | 'CRLF';
  columnDelimiter: string;
  state: State;
  createdDate: number;
  systemModstamp: number;
  version: string;
  origin: WriteOrigin;
  uploads: string[];
  errorMessage?: string;
  processed: number;
  failed: number;
  started?: number;
  finished?: number;
  columns: string[];
  successful: Record<string, string>[];
  failedRows: Record<string, string>[];
  unprocessed: Record<string, string>[];
}

export function bulk2Router(ctx: Context, processDelayMs = 50): Router {
  const router = express.Router({ mergeParams: true });
  const jobs = new Map<string, Job>();
  let counter = 0;
  const v = (req: Request) => String(req.params.version);

  const info = (job: Job) => ({
    id: job.id,
    operation: job.operation,
    object: job.object,
    createdById: USER_ID,
    createdDate: formatDatetime(job.createdDate),
    systemModstamp: formatDatetime(job.systemModstamp),
    state: job.state,
    ...(job.externalIdFieldName ? { externalIdFieldName: job.externalIdFieldName } : {}),
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: Number(job.version),
    jobType: 'V2Ingest',
    contentUrl: `services/data/v${job.version}/jobs/ingest/${job.id}/batches`,
    lineEnding: job.lineEnding,
    columnDelimiter: Object.entries(DELIMITERS).find(([, d]) => d === job.columnDelimiter)![0],
  });
  const fullInfo = (job: Job) => ({
    ...info(job),
    retries: 0,
    totalProcessingTime: job.finished && job.started ? job.finished - job.started : 0,
    apiActiveProcessingTime: job.finished && job.started ? job.finished - job.started : 0,
    apexProcessingTime: 0,
    numberRecordsProcessed: job.processed,
    numberRecordsFailed: job.failed,
    ...(job.errorMessage ? { errorMessage: job.errorMessage } : {}),
  });

  const find = (req: Request, res: Response): Job | null => {
    const job = jobs.get(String(req.params.id));
    if (!job) {
      sfError(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
      return null;
    }
    return job;
  };

  router.post('/', express.json(), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const operation = String(body.operation ?? '') as Operation;
    if (!['insert', 'update', 'upsert', 'delete', 'hardDelete'].includes(operation)) {
      return sfError(res, 400, 'INVALIDJOB', `InvalidJob : Invalid operation: ${operation}`);
    }
    const object = ctx.org.object(String(body.object ?? ''));
    if (!object) {
      return sfError(
        res,
        400,
        'INVALIDENTITY',
        `Entity '${String(body.object ?? '')}' is not supported by the Bulk API.`,
      );
    }
    let externalIdFieldName: string | undefined;
    if (operation === 'upsert') {
      const f = ctx.org.field(object, String(body.externalIdFieldName ?? ''));
      if (!f || (!f.externalId && !f.idLookup)) {
        return sfError(
          res,
          400,
          'INVALIDJOB',
          `InvalidJob : Field name provided, ${String(body.externalIdFieldName ?? '')} is not an External ID or indexed field for ${object.name}`,
        );
      }
      externalIdFieldName = f.name;
    }
    if (body.contentType !== undefined && body.contentType !== 'CSV') {
      return sfError(res, 400, 'INVALIDJOB', 'InvalidJob : contentType must be CSV');
    }
    const delimiter = DELIMITERS[String(body.columnDelimiter ?? 'COMMA')];
    if (!delimiter) return sfError(res, 400, 'INVALIDJOB', 'InvalidJob : Invalid columnDelimiter');
    const lineEnding = body.lineEnding === 'CRLF' ? 'CRLF' : 'LF';
    const now = ctx.org.clock.now();
    counter++;
    const id = `7505g${String(counter).padStart(10, '0')}AAA`;
    const job: Job = {
      id,
      operation,
      object: object.name,
      externalIdFieldName,
      lineEnding,
      columnDelimiter: delimiter,
      state: 'Open',
      createdDate: now,
      systemModstamp: now,
      version: v(req),
      origin: { api: 'bulkapi', client: callClient(req), version: v(req) },
      uploads: [],
      processed: 0,
      failed: 0,
      columns: [],
      successful: [],
      failedRows: [],
      unprocessed: [],
    };
    jobs.set(id, job);
    res.status(200).json(info(job));
  });

  router.get('/', (_req, res) => {
    res.json({ done: true, records: [...jobs.values()].map(info), nextRecordsUrl: null });
  });

  router.put('/:id/batches', express.text({ type: () => true, limit: '150mb' }), (req, res) => {
    const job = find(req, res);
    if (!job) return;
    if (job.state !== 'Open') {
      return sfError(res, 409, 'INVALIDJOBSTATE', `Job is not in Open state: ${job.state}`);
    }
    if (job.uploads.length > 0) {
      // "A job can contain only one upload of data" (Upload Job Data).
      return sfError(res, 409, 'INVALIDJOBSTATE', 'Only one upload of data is allowed per job');
    }
    job.uploads.push(typeof req.body === 'string' ? req.body : '');
    res.status(201).end();
  });

  router.patch('/:id', express.json(), (req, res) => {
    const job = find(req, res);
    if (!job) return;
    const state = (req.body as { state?: string } | undefined)?.state;
    if (state === 'Aborted') {
      if (!['Open', 'UploadComplete'].includes(job.state)) {
        return sfError(res, 409, 'INVALIDJOBSTATE', `Job cannot be aborted in state ${job.state}`);
      }
      job.state = 'Aborted';
      job.systemModstamp = ctx.org.clock.now();
      return res.json(info(job));
    }
    if (state !== 'UploadComplete') {
      return sfError(res, 400, 'INVALIDJOBSTATE', `Invalid state: ${String(state)}`);
    }
    if (job.state !== 'Open') {
      return sfError(res, 409, 'INVALIDJOBSTATE', `Job is not in Open state: ${job.state}`);
    }
    job.state = 'UploadComplete';
    job.systemModstamp = ctx.org.clock.now();
    setTimeout(() => run(ctx, req, job), processDelayMs).unref();
    res.json(info(job));
  });

  router.get('/:id', (req, res) => {
    const job = find(req, res);
    if (job) res.json(fullInfo(job));
  });

  router.delete('/:id', (req, res) => {
    const job = find(req, res);
    if (!job) return;
    if (['Open', 'InProgress'].includes(job.state)) {
      return sfError(res, 409, 'INVALIDJOBSTATE', `Job cannot be deleted in state ${job.state}`);
    }
    jobs.delete(job.id);
    res.status(204).end();
  });

  const csv = (res: Response, columns: string[], rows: Record<string, string>[]) => {
    res.type('text/csv').send(stringify(rows, { header: true, columns }));
  };
  router.get('/:id/successfulResults', (req, res) => {
    const job = find(req, res);
    if (job) csv(res, ['sf__Id', 'sf__Created', ...job.columns], job.successful);
  });
  router.get('/:id/failedResults', (req, res) => {
    const job = find(req, res);
    if (job) csv(res, ['sf__Id', 'sf__Error', ...job.columns], job.failedRows);
  });
  router.get('/:id/unprocessedrecords', (req, res) => {
    const job = find(req, res);
    if (job) csv(res, job.columns, job.unprocessed);
  });
  return router;
}

function errorText(errors: RecordError[]): string {
  return errors.map((e) => `${e.statusCode}:${e.message}:${e.fields.join(',')} --`).join(' ');
}

/** Processes a closed job: every row is written on its own; failures do not stop the rest. */
function run(ctx: Context, req: Request, job: Job): void {
  if (job.state !== 'UploadComplete') return;
  job.state = 'InProgress';
  job.started = Date.now();
  const object = ctx.org.object(job.object)!;
  let rows: Record<string, string>[];
  try {
    rows = parse(job.uploads.join(''), {
      columns: true,
      delimiter: job.columnDelimiter,
      skip_empty_lines: true,
      bom: true,
    }) as Record<string, string>[];
  } catch (error) {
    job.state = 'Failed';
    job.errorMessage = `InvalidBatch : ${(error as Error).message}`;
    job.finished = Date.now();
    return;
  }
  job.columns = rows[0] ? Object.keys(rows[0]) : [];
  const unknown = job.columns.find((c) => !ctx.org.field(object, c));
  if (unknown) {
    job.state = 'Failed';
    job.errorMessage = `InvalidBatch : Field name not found : ${unknown}`;
    job.unprocessed = rows;
    job.finished = Date.now();
    return;
  }
  ctx.limits.bulkBatchesUsed += Math.max(1, Math.ceil(rows.length / 10_000));
  let written = 0;
  for (const row of rows) {
    const input: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) {
      if (value === '') continue;
      input[ctx.org.field(object, key)!.name] = value === '#N/A' ? null : value;
    }
    const id = typeof input.Id === 'string' ? input.Id : '';
    delete input.Id;
    let write: PreparedWrite;
    try {
      const fault = recordFault(ctx, req, id || undefined);
      if (fault) throw new WriteError([fault]);
      if (job.operation === 'insert') {
        write = ctx.org.prepareCreate(object.name, input, job.origin);
      } else if (job.operation === 'update') {
        write = ctx.org.prepareUpdate(object.name, id, input, job.origin);
      } else if (job.operation === 'delete' || job.operation === 'hardDelete') {
        write = ctx.org.prepareDelete(id, job.origin);
      } else {
        const field = job.externalIdFieldName!;
        const value = input[field];
        if (value === undefined || value === null) {
          throw new WriteError([
            { statusCode: 'MISSING_ARGUMENT', message: `${field} not specified`, fields: [field] },
          ]);
        }
        const wanted = String(value).toLowerCase();
        const found = ctx.org
          .all(object.name)
          .filter(
            (r) =>
              !r.values.IsDeleted &&
              r.values[field] !== null &&
              String(r.values[field]).toLowerCase() === wanted,
          );
        if (found.length > 1) {
          throw new WriteError([
            {
              statusCode: 'DUPLICATE_EXTERNAL_ID',
              message: `${field}: more than one record found for external id field: [${found.map((r) => r.id).join(', ')}]`,
              fields: [field],
            },
          ]);
        }
        if (found[0]) {
          const rest = { ...input };
          delete rest[field];
          write = ctx.org.prepareUpdate(object.name, found[0].id, rest, job.origin);
        } else {
          write = ctx.org.prepareCreate(object.name, input, job.origin);
        }
      }
      write.commit();
      if (job.operation === 'hardDelete') ctx.org.purge(write.id);
      written++;
      job.successful.push({ sf__Id: write.id, sf__Created: String(write.created), ...row });
    } catch (error) {
      if (!(error instanceof WriteError)) throw error;
      job.failed++;
      job.failedRows.push({ sf__Id: id, sf__Error: errorText(error.errors), ...row });
    }
    job.processed++;
  }
  if (written) {
    const client = job.origin.client ?? '(none)';
    ctx.stats.writeClients[client] = (ctx.stats.writeClients[client] ?? 0) + written;
  }
  job.state = 'JobComplete';
  job.finished = Date.now();
  job.systemModstamp = ctx.org.clock.now();
}
