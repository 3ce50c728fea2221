// The HTTP face of the SCIM service provider (RFC 7644 §3): bearer authentication per
// token, a per-token rate limit, JSON bodies of the SCIM media types within size limits,
// and every answer — errors included — as application/scim+json. Protocol work happens
// in ScimService; this file only translates HTTP to calls and back.
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ScimTokenInfo, TokenVerifier } from '../auth/scim-tokens.js';
import type { Logger } from '../logger.js';
import { runBulk } from './bulk.js';
import { badRequest, ScimError, toScimErrorBody } from './errors.js';
import { etagMatches } from './etag.js';
import { parseListParams } from './list.js';
import { parseAttributeList } from './projection.js';
import type { Projection } from './projection.js';
import type { Repositories, ScimContext } from './repository.js';
import { GROUP_RESOURCE, RESOURCE_TYPES, SCHEMAS, USER_RESOURCE } from './schemas/definitions.js';
import {
  allResourceTypes,
  allSchemas,
  resourceTypeBody,
  schemaBody,
  serviceProviderConfig,
} from './schemas/discovery.js';
import type { ResourceTypeDef, ScimResource } from './schemas/model.js';
import { DEFAULT_LIMITS, ScimService } from './service.js';
import type { ServiceLimits } from './service.js';
import { listResponse } from './list.js';
import { assertDepth } from './validate.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json';

export interface RateLimit {
  requestsPerSecond: number;
  burst: number;
}

export interface ScimRouterOptions {
  tokens: TokenVerifier;
  repositories: Repositories;
  /** Sidecar base URL; the SCIM base is publicUrl + '/scim/v2'. */
  publicUrl: string;
  logger: Logger;
  rateLimit?: RateLimit;
  /**
   * Where the buckets live: by default in this process; a shared store makes replicas share
   * one allowance per token (see SharedTokenBuckets).
   */
  rateBuckets?: RateBuckets;
  limits?: Partial<ServiceLimits>;
  /** Largest JSON body outside /Bulk. */
  maxBodyBytes?: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { requestsPerSecond: 50, burst: 200 };

interface ScimLocals {
  token: ScimTokenInfo;
  ctx: ScimContext;
}

const locals = (res: Response) => res.locals as ScimLocals;

/** Writes a SCIM JSON answer. */
function send(res: Response, status: number, body?: unknown) {
  res.status(status);
  if (body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', `${SCIM_CONTENT_TYPE}; charset=utf-8`);
  // Written as is: no weak ETag of Express's on lists and errors (resources set their own).
  const text = JSON.stringify(body);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function sendError(res: Response, error: ScimError) {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  send(res, error.status, toScimErrorBody(error));
}

/** Takes one request from a token's bucket: 0 to go ahead, else the seconds to wait. */
export interface RateBuckets {
  take(key: string): number | Promise<number>;
}

/**
 * Token buckets in the shared store (PostgreSQL with several replicas): one atomic statement
 * per request, so three replicas let through one allowance, not three. When the store cannot
 * answer, this replica's own bucket decides (never an outage of SCIM for a rate limit).
 */
export class SharedTokenBuckets implements RateBuckets {
  private readonly local: TokenBuckets;
  constructor(
    private readonly store: {
      takeRateToken(key: string, limit: { perSecond: number; burst: number }): Promise<number>;
    },
    private readonly limit: RateLimit,
    private readonly logger?: Logger,
  ) {
    this.local = new TokenBuckets(limit);
  }

  async take(key: string): Promise<number> {
    try {
      return await this.store.takeRateToken(`scim:${key}`, {
        perSecond: this.limit.requestsPerSecond,
        burst: this.limit.burst,
      });
    } catch (error) {
      this.logger?.warn({ err: error }, 'shared SCIM rate limit unavailable: this replica decides');
      return this.local.take(key);
    }
  }
}

/** Per-token token bucket: `burst` requests at once, refilled at `requestsPerSecond`. */
export class TokenBuckets implements RateBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait, or 0 when the request may go ahead. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(
      this.limit.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.limit.requestsPerSecond,
    );
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.requestsPerSecond));
  }
}

function authenticate(tokens: TokenVerifier, baseUrl: string, logger: Logger): RequestHandler {
  const challenge = 'Bearer realm="UserSync SCIM"';
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      sendError(
        res,
        new ScimError(401, undefined, 'Authentication required: send the SCIM bearer token', {
          'WWW-Authenticate': challenge,
        }),
      );
      return;
    }
    let token: ScimTokenInfo | null;
    try {
      token = await tokens.verify(match[1]!);
    } catch (error) {
      logger.error({ err: error }, 'SCIM token verification failed');
      sendError(
        res,
        new ScimError(
          503,
          undefined,
          'Tokens cannot be verified right now: WordPress is unreachable',
          {
            'Retry-After': '5',
          },
        ),
      );
      return;
    }
    if (!token) {
      sendError(
        res,
        new ScimError(401, undefined, 'The bearer token is not valid (revoked or mistyped)', {
          'WWW-Authenticate': `${challenge}, error="invalid_token"`,
        }),
      );
      return;
    }
    locals(res).token = token;
    locals(res).ctx = { connection: token.connection, source: `scim:${token.name}`, baseUrl };
    next();
  };
}

function rateLimit(buckets: RateBuckets): RequestHandler {
  return async (_req, res, next) => {
    const wait = await buckets.take(locals(res).token.id);
    if (wait > 0) {
      sendError(
        res,
        new ScimError(429, undefined, `Too many requests for this token; retry in ${wait} s`, {
          'Retry-After': String(wait),
        }),
      );
      return;
    }
    next();
  };
}

/** JSON body parser for the SCIM media types; anything else with a body is 415. */
function jsonBody(limit: number): RequestHandler {
  const parse = express.json({ limit, type: () => true, strict: true });
  return (req, res, next) => {
    if (!['POST', 'PUT', 'PATCH'].includes(req.method)) return next();
    const type = req.get('content-type');
    if (type) {
      const media = type.split(';')[0]!.trim().toLowerCase();
      if (media !== SCIM_CONTENT_TYPE && media !== 'application/json') {
        sendError(
          res,
          new ScimError(
            415,
            undefined,
            `Content-Type must be ${SCIM_CONTENT_TYPE} or application/json, not ${media}`,
          ),
        );
        return;
      }
    }
    parse(req, res, (error?: unknown) => {
      if (error) return next(error);
      try {
        assertDepth(req.body);
      } catch (depthError) {
        return next(depthError);
      }
      next();
    });
  };
}

function projectionOf(req: Request): Projection {
  const query = req.query as Record<string, unknown>;
  const single = (name: string) => {
    const value = query[name];
    if (Array.isArray(value))
      throw badRequest('invalidValue', `'${name}' was given more than once`);
    return value;
  };
  return {
    attributes: parseAttributeList(single('attributes'), 'attributes'),
    excludedAttributes: parseAttributeList(single('excludedAttributes'), 'excludedAttributes'),
  };
}

function ifMatchOf(req: Request): string | undefined {
  const value = req.get('if-match');
  return value && value.trim() !== '' ? value : undefined;
}

export function createScimRouterWith(options: ScimRouterOptions): express.Router {
  const baseUrl = `${options.publicUrl.replace(/\/+$/, '')}/scim/v2`;
  const limits: ServiceLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const service = new ScimService(options.repositories, limits);
  const buckets = options.rateBuckets ?? new TokenBuckets(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const logger = options.logger;
  const router = express.Router({ caseSensitive: false, strict: false });

  router.use(authenticate(options.tokens, baseUrl, logger));
  router.use(rateLimit(buckets));
  router.use('/Bulk', jsonBody(limits.bulkMaxPayloadSize));
  router.use(jsonBody(options.maxBodyBytes ?? 1024 * 1024));

  const ctxOf = (res: Response) => locals(res).ctx;

  const sendResource = (
    res: Response,
    status: number,
    rt: ResourceTypeDef,
    resource: ScimResource,
    projection: Projection,
  ) => {
    const meta = resource.meta as Record<string, unknown> | undefined;
    if (typeof meta?.version === 'string') res.setHeader('ETag', meta.version);
    if (status === 201 && typeof meta?.location === 'string')
      res.setHeader('Location', meta.location);
    send(res, status, service.respond(rt, resource, projection));
  };

  // RFC 7644 §3.11: "/Me" is an alias of the authenticated subject, and a service provider
  // that has none for the request answers 501. A bearer token here authenticates an IdP
  // connection, never a person, so there is no subject to alias: 501 is the protocol's answer.
  router.all('/Me', () => {
    throw new ScimError(
      501,
      undefined,
      'This service provider has no /Me: a token authenticates an identity provider connection, not a user',
    );
  });

  // Discovery (RFC 7644 §4).
  router.get('/ServiceProviderConfig', (_req, res) => {
    send(
      res,
      200,
      serviceProviderConfig(baseUrl, {
        bulkMaxOperations: limits.bulkMaxOperations,
        bulkMaxPayloadSize: limits.bulkMaxPayloadSize,
        filterMaxResults: limits.maxResults,
      }),
    );
  });
  router.get('/ResourceTypes', (_req, res) => {
    const all = allResourceTypes(baseUrl);
    send(res, 200, listResponse(all.length, 1, all, all.length));
  });
  router.get('/ResourceTypes/:id', (req, res) => {
    const rt = RESOURCE_TYPES.find(
      (r) => r.name.toLowerCase() === String(req.params.id).toLowerCase(),
    );
    if (!rt) throw new ScimError(404, undefined, `Resource type ${req.params.id} not found`);
    send(res, 200, resourceTypeBody(rt, baseUrl));
  });
  router.get('/Schemas', (_req, res) => {
    const all = allSchemas(baseUrl);
    send(res, 200, listResponse(all.length, 1, all, all.length));
  });
  router.get('/Schemas/:id', (req, res) => {
    const schema = SCHEMAS.find((s) => s.id.toLowerCase() === String(req.params.id).toLowerCase());
    if (!schema) throw new ScimError(404, undefined, `Schema ${req.params.id} not found`);
    send(res, 200, schemaBody(schema, baseUrl));
  });

  router.post('/Bulk', async (req, res) => {
    send(res, 200, await runBulk(service, ctxOf(res), req.body));
  });

  router.post('/.search', async (req, res) => {
    const params = parseListParams(bodyObject(req.body), limits, true);
    send(res, 200, await service.searchAll(ctxOf(res), params));
  });

  for (const rt of [USER_RESOURCE, GROUP_RESOURCE]) {
    const base = rt.endpoint;
    router.get(base, async (req, res) => {
      const params = parseListParams(req.query as Record<string, unknown>, limits);
      send(res, 200, await service.list(ctxOf(res), rt, params));
    });
    router.post(`${base}/.search`, async (req, res) => {
      const params = parseListParams(bodyObject(req.body), limits, true);
      send(res, 200, await service.list(ctxOf(res), rt, params));
    });
    router.post(base, async (req, res) => {
      const projection = projectionOf(req);
      const created = await service.create(ctxOf(res), rt, req.body);
      logger.info(
        { connection: ctxOf(res).connection, resourceType: rt.name, id: created.id },
        'SCIM create',
      );
      sendResource(res, 201, rt, created, projection);
    });
    router.get(`${base}/:id`, async (req, res) => {
      const projection = projectionOf(req);
      const resource = await service.get(ctxOf(res), rt, String(req.params.id));
      const version = (resource.meta as Record<string, unknown> | undefined)?.version;
      const ifNoneMatch = req.get('if-none-match');
      if (ifNoneMatch && typeof version === 'string' && etagMatches(ifNoneMatch, version)) {
        res.setHeader('ETag', version);
        send(res, 304);
        return;
      }
      sendResource(res, 200, rt, resource, projection);
    });
    router.put(`${base}/:id`, async (req, res) => {
      const projection = projectionOf(req);
      const updated = await service.replace(
        ctxOf(res),
        rt,
        String(req.params.id),
        req.body,
        ifMatchOf(req),
      );
      sendResource(res, 200, rt, updated, projection);
    });
    router.patch(`${base}/:id`, async (req, res) => {
      const projection = projectionOf(req);
      const updated = await service.patch(
        ctxOf(res),
        rt,
        String(req.params.id),
        req.body,
        ifMatchOf(req),
      );
      sendResource(res, 200, rt, updated, projection);
    });
    router.delete(`${base}/:id`, async (req, res) => {
      await service.delete(ctxOf(res), rt, String(req.params.id), ifMatchOf(req));
      logger.info(
        { connection: ctxOf(res).connection, resourceType: rt.name, id: req.params.id },
        'SCIM delete',
      );
      send(res, 204);
    });
  }

  // Known paths with a method they do not take.
  const allowed: [RegExp, string][] = [
    [/^\/(Users|Groups)\/?$/i, 'GET, POST'],
    [/^\/(Users|Groups)\/\.search\/?$/i, 'POST'],
    [/^\/(Users|Groups)\/[^/]+\/?$/i, 'GET, PUT, PATCH, DELETE'],
    [/^\/(\.search|Bulk)\/?$/i, 'POST'],
    [/^\/(ServiceProviderConfig|ResourceTypes|Schemas)(\/[^/]+)?\/?$/i, 'GET'],
  ];
  router.use((req, res) => {
    const known = allowed.find(([pattern]) => pattern.test(req.path));
    if (known) {
      res.setHeader('Allow', known[1]);
      sendError(
        res,
        new ScimError(405, undefined, `${req.method} is not supported on ${req.path}`),
      );
      return;
    }
    sendError(res, new ScimError(404, undefined, `No SCIM endpoint at ${req.path}`));
  });

  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    const scimError = toScimError(error);
    if (scimError.status >= 500)
      logger.error({ err: error, method: req.method, path: req.path }, 'SCIM request failed');
    else
      logger.debug(
        { status: scimError.status, detail: scimError.detail, path: req.path },
        'SCIM client error',
      );
    sendError(res, scimError);
  });

  return router;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('invalidSyntax', 'The request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Any error → a SCIM error: body-parser failures by their type, the rest as 500. */
export function toScimError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  const parserError = error as { type?: string; status?: number; message?: string; limit?: number };
  switch (parserError?.type) {
    case 'entity.parse.failed':
      return badRequest(
        'invalidSyntax',
        `The request body is not valid JSON: ${parserError.message}`,
      );
    case 'entity.too.large':
      return new ScimError(
        413,
        undefined,
        `The request body is larger than ${parserError.limit} bytes`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ScimError(415, undefined, parserError.message ?? 'Unsupported body encoding');
    case 'request.aborted':
      return badRequest('invalidSyntax', 'The request body was cut short');
    default:
      break;
  }
  if (
    typeof parserError?.status === 'number' &&
    parserError.status >= 400 &&
    parserError.status < 500
  )
    return new ScimError(parserError.status, undefined, parserError.message ?? 'Bad request');
  return new ScimError(500, undefined, 'Internal error: the request could not be completed');
}
