// What a UserSync sidecar offers its peers next to SCIM, at /peer/v1, authenticated with the
// same bearer tokens (each token's connection names the peer):
//   GET  /peer/v1/clock?ids=45,46   when each attribute of these users last changed here,
//                                   leaving out the asking peer's own writes (two-way
//                                   conflicts: the later change wins)
//   POST /peer/v1/passwords         password hashes for users linked to the peer, applied only
//        { users: [{ id, hash }] }  when this site accepts them from that peer
// Only users linked to the asking peer's connection are answered about.
import express from 'express';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { ScimTokenInfo, TokenVerifier } from '../../auth/scim-tokens.js';
import type { Logger } from '../../logger.js';
import type { PluginFeed } from '../../wordpress/feed.js';
import { WordPressError } from '../../wordpress/client.js';
import type { PeerClient } from './client.js';

const passwordsBody = z
  .object({
    users: z
      .array(
        z
          .object({
            id: z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,18}$/)]),
            hash: z.string().min(1).max(400),
          })
          .strict(),
      )
      .min(1)
      .max(500),
  })
  .strict();

export interface CompanionDeps {
  tokens: TokenVerifier;
  feed: PluginFeed;
  logger: Logger;
}

export function peerCompanionRouter(deps: CompanionDeps): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '1mb', type: () => true }));
  router.use(async (req: Request, res: Response, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    let token: ScimTokenInfo | null = null;
    try {
      token = match ? await deps.tokens.verify(match[1]!) : null;
    } catch (error) {
      deps.logger.error({ err: error }, 'peer token verification failed');
      return fail(res, 503, 'unavailable', 'Tokens cannot be verified right now');
    }
    if (!token) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="UserSync peer"');
      return fail(res, 401, 'unauthorized', 'A valid bearer token of this site is required');
    }
    res.locals.token = token;
    next();
  });

  router.get('/clock', async (req: Request, res: Response) => {
    const token = res.locals.token as ScimTokenInfo;
    const raw = typeof req.query.ids === 'string' ? req.query.ids : '';
    const ids = raw
      .split(',')
      .map((id) => id.trim())
      .filter((id) => /^[1-9]\d{0,18}$/.test(id))
      .map(Number);
    if (ids.length === 0 || ids.length > 100)
      return fail(res, 400, 'invalid_request', 'ids must list 1 to 100 user ids');
    try {
      const users = await deps.feed.users(ids, token.connection);
      const linked = ids.filter((id) => users.get(id)?.linked);
      const clock = await deps.feed.clock(linked, token.connection);
      res.json({ clock: Object.fromEntries([...clock].map(([id, times]) => [String(id), times])) });
    } catch (error) {
      wordpressFailure(res, error, deps.logger);
    }
  });

  router.post('/passwords', async (req: Request, res: Response) => {
    const token = res.locals.token as ScimTokenInfo;
    const body = passwordsBody.safeParse(req.body);
    if (!body.success)
      return fail(res, 400, 'invalid_request', body.error.issues.map((i) => i.message).join('; '));
    try {
      const results = await deps.feed.acceptPasswordHashes(
        token.connection,
        body.data.users.map((user) => ({ id: Number(user.id), hash: user.hash })),
      );
      res.json({ results });
    } catch (error) {
      wordpressFailure(res, error, deps.logger);
    }
  });

  router.use((req, res) => fail(res, 404, 'not_found', `No peer route at ${req.path}`));
  return router;
}

/** Errors in the SCIM error shape, so a peer's SCIM client reads them like any other. */
function fail(res: Response, status: number, code: string, message: string) {
  res
    .status(status)
    .type('application/scim+json')
    .send(
      JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: String(status),
        scimType: code,
        detail: message,
      }),
    );
}

function wordpressFailure(res: Response, error: unknown, logger: Logger) {
  if (error instanceof WordPressError && error.status >= 400 && error.status < 500) {
    return fail(res, error.status, error.code, error.message);
  }
  logger.warn({ err: error }, 'peer route: WordPress failed');
  fail(res, 503, 'wordpress_unavailable', 'WordPress did not answer; try again later');
}

/** The calling side: a peer's companion routes, next to its SCIM base URL. */
export class CompanionClient {
  constructor(private readonly client: PeerClient) {}

  /** Per-attribute change times of the peer's users (by the peer's id). */
  async clock(remoteIds: string[]): Promise<Map<string, Record<string, string>>> {
    const { data } = await this.client.request<{ clock?: Record<string, Record<string, string>> }>({
      method: 'GET',
      path: '/clock',
      query: { ids: remoteIds.join(',') },
    });
    return new Map(Object.entries(data?.clock ?? {}));
  }

  /** Hands password hashes to the peer. */
  async sendPasswords(
    users: { id: string; hash: string }[],
  ): Promise<
    { id: number; ok: boolean; status?: string; error?: { code: string; message: string } }[]
  > {
    const { data } = await this.client.request<{
      results?: {
        id: number;
        ok: boolean;
        status?: string;
        error?: { code: string; message: string };
      }[];
    }>({ method: 'POST', path: '/passwords', body: { users } });
    return data?.results ?? [];
  }
}

/** The peer's companion base URL, from its SCIM base URL (…/scim/v2 → …/peer/v1). */
export function companionUrl(scimUrl: string): string | null {
  const base = scimUrl.replace(/\/+$/, '');
  return /\/scim\/v2$/i.test(base) ? base.replace(/\/scim\/v2$/i, '/peer/v1') : null;
}
