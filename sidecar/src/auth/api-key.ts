// The sidecar's own API key (SIDECAR_API_KEY): the shared secret of the plugin's calls to
// /api/v1 and of the health details. Compared as SHA-256 digests in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether a request carries `Authorization: Bearer <apiKey>`. With no key configured (only
 * allowed on loopback) nothing matches, so callers decide what "no key" opens.
 */
export function apiKeyMatcher(apiKey: string | null): (req: Request) => boolean {
  const expected = apiKey ? digest(apiKey) : null;
  return (req) => {
    if (!expected) return false;
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    return match !== null && timingSafeEqual(digest(match[1]!.trim()), expected);
  };
}

/**
 * Middleware that answers 401 unless the request carries the API key. With no key configured
 * the routes stay open: the sidecar then listens on loopback only and warns at start-up.
 */
export function requireApiKey(apiKey: string | null) {
  const matches = apiKeyMatcher(apiKey);
  return (req: Request, res: Response, next: NextFunction) => {
    if (!apiKey || matches(req)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(401).json({ error: 'unauthorized', message: 'A valid sidecar API key is required' });
  };
}
