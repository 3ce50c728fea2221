// OAuth 2.0 of the emulated org (`/services/oauth2/*`), as Salesforce Help "OAuth Authorization
// Flows" describes it: the web server flow (authorize → code → token, PKCE optional), refresh
// token, client credentials, and the JWT bearer flow. Token answers carry `access_token`,
// `instance_url`, `id`, `token_type`, `issued_at`, `signature` and `scope`, and never
// `expires_in` ("the session timeout is set by the org or connected app policy"); the
// refresh token is issued only by the web server flow.
//
// - Client credentials: "the client credentials flow doesn't support calls to
//   login.salesforce.com or test.salesforce.com" — a request that reaches the host set as
//   `genericLoginHost` is answered `invalid_grant` "request not supported on this domain".
// - JWT bearer ("OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration"): RS256 signed
//   with the connected app's certificate; `iss` = consumer key, `sub` (or `prn`, which wins
//   when both are present) = username, `aud` = the login URL ("Audience validation failed"
//   otherwise), `exp` within 3 minutes ("expired authorization code" otherwise).
// - An expired or revoked token on any API call: 401
//   `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`.
import crypto from 'node:crypto';

import express from 'express';
import type { Request, Response, Router } from 'express';

import { ORG_ID, USER_ID } from './org.js';

export interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  username: string;
  /** PEM of the certificate's public key that verifies JWT assertions. */
  publicKeyPem: string;
  /** Host name (no port) treated as login.salesforce.com: client credentials refused there. */
  genericLoginHost?: string;
  /** Extra accepted JWT audiences besides the emulator's URL, login. and test.salesforce.com. */
  audiences?: string[];
  /** Seconds a session lasts without use (default 7200, the org default of two hours). */
  sessionSeconds: number;
  /** Callback URLs allowed in the web server flow (empty = any). */
  callbackUrls?: string[];
}

export interface Session {
  token: string;
  clientId: string;
  username: string;
  issuedAt: number;
  lastUsed: number;
  revoked: boolean;
}

export class Sessions {
  readonly byToken = new Map<string, Session>();
  readonly refreshTokens = new Map<
    string,
    { clientId: string; username: string; revoked: boolean }
  >();
  readonly codes = new Map<
    string,
    { clientId: string; redirectUri: string; challenge?: string; method?: string; expires: number }
  >();

  constructor(
    private readonly settings: OAuthSettings,
    private readonly now: () => number,
  ) {}

  issue(clientId: string, username: string): Session {
    const token = `${ORG_ID.slice(0, 15)}!${crypto.randomBytes(48).toString('base64url')}`;
    const session = {
      token,
      clientId,
      username,
      issuedAt: this.now(),
      lastUsed: this.now(),
      revoked: false,
    };
    this.byToken.set(token, session);
    return session;
  }

  /** The live session of an `Authorization: Bearer|OAuth <token>` header, or null. */
  check(authorization: string | undefined): Session | null {
    const match = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(authorization ?? '');
    const session = match ? this.byToken.get(match[1]!) : undefined;
    if (!session || session.revoked) return null;
    if (this.now() - session.lastUsed > this.settings.sessionSeconds * 1000) return null;
    session.lastUsed = this.now();
    return session;
  }

  /** Every access token issued so far stops working (sessions timed out or revoked). */
  expireAll(): void {
    for (const session of this.byToken.values()) session.revoked = true;
  }

  revokeRefreshTokens(): void {
    for (const entry of this.refreshTokens.values()) entry.revoked = true;
  }
}

export const INVALID_SESSION = [
  { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' },
];

export function oauthRouter(
  settings: OAuthSettings,
  sessions: Sessions,
  baseUrl: (req: Request) => string,
): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false });
  const fail = (res: Response, status: number, error: string, description: string) =>
    res.status(status).json({ error, error_description: description });

  const answer = (req: Request, res: Response, session: Session, refreshToken?: string) => {
    const base = baseUrl(req);
    const id = `${base}/id/${ORG_ID}/${USER_ID}`;
    const issuedAt = String(session.issuedAt);
    const signature = crypto
      .createHmac('sha256', settings.clientSecret)
      .update(id + issuedAt)
      .digest('base64');
    res.json({
      access_token: session.token,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      signature,
      scope: 'api id refresh_token',
      instance_url: base,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    });
  };

  router.get('/authorize', (req: Request, res: Response) => {
    const q = req.query as Record<string, string | undefined>;
    if (q.response_type !== 'code') {
      return fail(res, 400, 'unsupported_response_type', 'response type not supported');
    }
    if (q.client_id !== settings.clientId) {
      return fail(res, 400, 'invalid_client_id', 'client identifier invalid');
    }
    const redirectUri = q.redirect_uri ?? '';
    if (
      !redirectUri ||
      (settings.callbackUrls?.length && !settings.callbackUrls.includes(redirectUri))
    ) {
      return fail(res, 400, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
    }
    // The emulated user has approved the app already: the consent page is skipped.
    const code = crypto.randomBytes(24).toString('base64url');
    sessions.codes.set(code, {
      clientId: settings.clientId,
      redirectUri,
      challenge: q.code_challenge,
      method: q.code_challenge_method,
      expires: Date.now() + 15 * 60 * 1000,
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    if (q.state) target.searchParams.set('state', q.state);
    res.redirect(302, target.toString());
  });

  router.post('/token', form, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const clientOk = () => {
      if (body.client_id !== settings.clientId) {
        fail(res, 400, 'invalid_client_id', 'client identifier invalid');
        return false;
      }
      if (body.client_secret !== settings.clientSecret) {
        fail(res, 400, 'invalid_client', 'invalid client credentials');
        return false;
      }
      return true;
    };
    switch (body.grant_type) {
      case 'client_credentials': {
        if (settings.genericLoginHost && host === settings.genericLoginHost) {
          return fail(res, 400, 'invalid_grant', 'request not supported on this domain');
        }
        if (!clientOk()) return;
        return answer(req, res, sessions.issue(settings.clientId, settings.username));
      }
      case 'urn:ietf:params:oauth:grant-type:jwt-bearer': {
        const claims = verifyAssertion(body.assertion ?? '', settings.publicKeyPem);
        if (!claims) return fail(res, 400, 'invalid_grant', 'invalid assertion');
        if (claims.iss !== settings.clientId) {
          return fail(res, 400, 'invalid_client_id', 'client identifier invalid');
        }
        const audiences = [
          baseUrl(req),
          'https://login.salesforce.com',
          'https://test.salesforce.com',
          ...(settings.audiences ?? []),
        ];
        const aud = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)];
        if (!aud.some((a) => audiences.includes(a.replace(/\/$/, '')))) {
          return fail(res, 400, 'invalid_grant', 'Audience validation failed');
        }
        const now = Math.floor(Date.now() / 1000);
        const exp = Number(claims.exp);
        if (!Number.isFinite(exp) || exp <= now || exp > now + 180 + 5) {
          return fail(res, 400, 'invalid_grant', 'expired authorization code');
        }
        const user = String(claims.prn ?? claims.sub ?? '');
        if (user !== settings.username) {
          return fail(res, 400, 'invalid_grant', "user hasn't approved this consumer");
        }
        return answer(req, res, sessions.issue(settings.clientId, user));
      }
      case 'authorization_code': {
        if (!clientOk()) return;
        const code = sessions.codes.get(body.code ?? '');
        sessions.codes.delete(body.code ?? '');
        if (!code || code.expires < Date.now()) {
          return fail(res, 400, 'invalid_grant', 'expired authorization code');
        }
        if (code.redirectUri !== body.redirect_uri) {
          return fail(res, 400, 'invalid_grant', 'redirect_uri must match configuration');
        }
        if (code.challenge) {
          const verifier = body.code_verifier ?? '';
          const computed =
            code.method === 'S256'
              ? crypto.createHash('sha256').update(verifier).digest('base64url')
              : verifier;
          if (computed !== code.challenge) {
            return fail(res, 400, 'invalid_grant', 'invalid code verifier');
          }
        }
        const refresh = crypto.randomBytes(32).toString('base64url');
        sessions.refreshTokens.set(refresh, {
          clientId: settings.clientId,
          username: settings.username,
          revoked: false,
        });
        return answer(req, res, sessions.issue(settings.clientId, settings.username), refresh);
      }
      case 'refresh_token': {
        if (body.client_id !== settings.clientId) {
          return fail(res, 400, 'invalid_client_id', 'client identifier invalid');
        }
        if (body.client_secret !== undefined && body.client_secret !== settings.clientSecret) {
          return fail(res, 400, 'invalid_client', 'invalid client credentials');
        }
        const entry = sessions.refreshTokens.get(body.refresh_token ?? '');
        if (!entry || entry.revoked) {
          return fail(res, 400, 'invalid_grant', 'expired access/refresh token');
        }
        return answer(req, res, sessions.issue(entry.clientId, entry.username));
      }
      default:
        return fail(res, 400, 'unsupported_grant_type', 'grant type not supported');
    }
  });

  router.post('/revoke', form, (req: Request, res: Response) => {
    const token = String((req.body as Record<string, string | undefined>)?.token ?? '');
    const session = sessions.byToken.get(token);
    const refresh = sessions.refreshTokens.get(token);
    if (!session && !refresh)
      return fail(res, 400, 'unsupported_token_type', 'this token type is not supported');
    if (session) session.revoked = true;
    if (refresh) refresh.revoked = true;
    res.status(200).end();
  });

  router.get('/userinfo', (req: Request, res: Response) => {
    const session = sessions.check(req.headers.authorization);
    if (!session) return res.status(403).type('text/plain').send('Bad_OAuth_Token');
    res.json({
      sub: `${baseUrl(req)}/id/${ORG_ID}/${USER_ID}`,
      user_id: USER_ID,
      organization_id: ORG_ID,
      preferred_username: session.username,
      email: session.username,
      name: 'Integration User',
    });
  });
  return router;
}

/** The claims of an RS256 JWT whose signature the key verifies, or null. */
function verifyAssertion(assertion: string, publicKeyPem: string): Record<string, unknown> | null {
  const parts = assertion.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as {
      alg?: string;
    };
    if (header.alg !== 'RS256') return null;
    const ok = crypto.verify(
      'RSA-SHA256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      publicKeyPem,
      Buffer.from(parts[2]!, 'base64url'),
    );
    if (!ok) return null;
    return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return null;
  }
}

/** Signs JWT bearer assertions for tests (RS256 with the given private key). */
export function signAssertion(claims: Record<string, unknown>, privateKeyPem: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = crypto
    .sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), privateKeyPem)
    .toString('base64url');
  return `${header}.${payload}.${signature}`;
}
