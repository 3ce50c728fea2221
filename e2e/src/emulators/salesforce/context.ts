// What every handler of the emulated org shares: the org, the error envelope, the write origin
// of a request and per-record fault injection.
import type { Request, Response } from 'express';

import type { Org, RecordError, WriteOrigin } from './org.js';
import type { Limits } from './limits.js';

export interface Fault {
  /** HTTP status to answer (403 REQUEST_LIMIT_EXCEEDED, 503 SERVER_UNAVAILABLE, 500 …). */
  status?: number;
  /** Error code and message of the answer (defaults follow the status). */
  errorCode?: string;
  message?: string;
  /** Per-record error instead of an HTTP answer, e.g. `UNABLE_TO_LOCK_ROW`. */
  recordError?: string;
  /** Only requests whose path contains this. */
  match?: string;
  /** Only requests with this method. */
  method?: string;
  /** Fire on the next `count` matching requests (records, for recordError), then stop. */
  count?: number;
  /** Fire on every `every`-th matching request (record). */
  every?: number;
  /** Delay before answering (ms). */
  delayMs?: number;
  /** Close the connection instead of answering. */
  drop?: boolean;
}

export interface ActiveFault extends Fault {
  seen: number;
}

export interface Stats {
  /** Requests per route (`GET /query`, `PATCH /composite/sobjects/{T}/{field}` …). */
  requests: Record<string, number>;
  faulted: number;
  total: number;
  /** query + queryAll + query locator calls. */
  queries: number;
  /** Calls that write (POST/PATCH/PUT/DELETE on records, collections, Bulk 2.0 jobs). */
  writes: number;
  /** Records written per `Sforce-Call-Options` client id (`(none)` without the header). */
  writeClients: Record<string, number>;
}

export function newStats(): Stats {
  return { requests: {}, faulted: 0, total: 0, queries: 0, writes: 0, writeClients: {} };
}

export interface Context {
  org: Org;
  limits: Limits;
  faults: ActiveFault[];
  stats: Stats;
}

/** The REST API error envelope: an array of `{message, errorCode, fields?}`. */
export function sfError(
  res: Response,
  status: number,
  errorCode: string,
  message: string,
  fields?: string[],
): void {
  res.status(status).json([{ message, errorCode, ...(fields ? { fields } : {}) }]);
}

/** A per-record error as top-level REST errors (`errorCode` instead of `statusCode`). */
export function recordErrors(res: Response, status: number, errors: RecordError[]): void {
  res
    .status(status)
    .json(errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })));
}

/** `client=` of Sforce-Call-Options (REST API Developer Guide, "Call Options Header"). */
export function callClient(req: Request): string | undefined {
  const header = String(req.headers['sforce-call-options'] ?? '');
  const match = /(?:^|[,;\s])client=([^,;\s]+)/i.exec(header);
  return match ? match[1] : undefined;
}

export function origin(req: Request, version: string): WriteOrigin {
  return { api: 'rest', client: callClient(req), version };
}

/** Counts a written record for its writer's client id. */
export function countWrite(ctx: Context, req: Request, records = 1): void {
  const client = callClient(req) ?? '(none)';
  ctx.stats.writeClients[client] = (ctx.stats.writeClients[client] ?? 0) + records;
}

/** A per-record fault due for this record of the request, if any. */
export function recordFault(ctx: Context, req: Request, id?: string): RecordError | null {
  for (const fault of ctx.faults) {
    if (!fault.recordError) continue;
    if (fault.match && !req.originalUrl.split('?')[0]!.includes(fault.match)) continue;
    if (fault.method && fault.method.toUpperCase() !== req.method) continue;
    fault.seen++;
    let fire: boolean;
    if (fault.every) fire = fault.seen % fault.every === 0;
    else if (fault.count !== undefined) fire = fault.count-- > 0;
    else fire = true;
    if (!fire) continue;
    ctx.stats.faulted++;
    const code = fault.recordError;
    return {
      statusCode: code,
      message:
        fault.message ??
        (code === 'UNABLE_TO_LOCK_ROW'
          ? `unable to obtain exclusive access to this record or 1 records: ${id ?? ''}`.trim()
          : code),
      fields: [],
    };
  }
  return null;
}
