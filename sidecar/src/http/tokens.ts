// The SCIM tokens' HTTP API, called by the plugin (never browsers), behind SIDECAR_API_KEY:
//   POST /api/v1/tokens/revoked  { "id": "tok_…" }  the admin revoked this token: every
//                                replica refuses it from this answer on
import express from 'express';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { requireApiKey } from '../auth/api-key.js';
import type { ScimTokenCache } from '../auth/scim-tokens.js';
import type { Logger } from '../logger.js';

export interface TokenRoutesDeps {
  tokens: Pick<ScimTokenCache, 'revoke'>;
  apiKey: string | null;
  logger: Logger;
}

const revokedRequest = z
  .object({ id: z.string({ error: 'id is required' }).trim().min(1, 'id is required').max(64) })
  .strict();

export function tokensRouter(deps: TokenRoutesDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '4kb' }));
  router.use(requireApiKey(deps.apiKey));

  router.post('/revoked', async (req: Request, res: Response) => {
    const body = revokedRequest.safeParse(req.body ?? {});
    if (!body.success) {
      res.status(400).json({
        error: 'invalid_request',
        message: body.error.issues.map((issue) => issue.message).join('; '),
      });
      return;
    }
    try {
      await deps.tokens.revoke(body.data.id);
    } catch (error) {
      // Refused here already; the other replicas fall back to their short cache lifetime.
      deps.logger.warn(
        { err: error, token: body.data.id },
        'could not signal the revoked SCIM token to the other replicas',
      );
      res.status(502).json({
        error: 'store_unavailable',
        message: 'The token is refused here, but the other replicas could not be told',
      });
      return;
    }
    res.json({ revoked: body.data.id });
  });

  return router;
}
