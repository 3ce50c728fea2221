// `POST /v1.0/$batch`, after "Combine multiple HTTP requests using JSON batching": up to 20
// requests in one POST, each answered with its own id, status, headers and body. Each GET is
// served by the emulator's own routes (counted as `… (in $batch)`), so faults apply to it
// alone: a throttled sub-request is answered 429 with its Retry-After inside an otherwise
// successful batch.
import type { Request, Response } from 'express';

import { base, graphError, verify } from './http.js';
import type { EmulatorState } from './state.js';

export function batch(state: EmulatorState) {
  return async (req: Request, res: Response) => {
    const claims = verify(state.signingKey, req.headers.authorization);
    if (typeof claims === 'string')
      return graphError(res, 401, 'InvalidAuthenticationToken', claims);
    const requests = (req.body as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) {
      return graphError(res, 400, 'BadRequest', 'The batch has no requests.');
    }
    if (requests.length > 20) {
      return graphError(
        res,
        400,
        'BadRequest',
        'The number of requests in the batch exceeds the limit of 20.',
      );
    }
    const responses = await Promise.all(
      (requests as { id?: unknown; method?: unknown; url?: unknown }[]).map(async (item) => {
        const id = String(item.id ?? '');
        if (item.method !== 'GET' || typeof item.url !== 'string' || !item.url.startsWith('/')) {
          return {
            id,
            status: 400,
            body: {
              error: {
                code: 'BadRequest',
                message: 'Only GET requests to relative URLs are emulated in a batch.',
              },
            },
          };
        }
        const answer = await fetch(`${base(req)}/v1.0${item.url}`, {
          headers: {
            Authorization: String(req.headers.authorization),
            'x-emulator-batched': '1',
          },
        });
        const headers: Record<string, string> = {};
        const retryAfter = answer.headers.get('retry-after');
        if (retryAfter) headers['Retry-After'] = retryAfter;
        headers['Content-Type'] = answer.headers.get('content-type') ?? 'application/json';
        const text = await answer.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        return { id, status: answer.status, headers, body };
      }),
    );
    res.json({ responses });
  };
}
