// The token endpoint `POST /{tenant}/oauth2/v2.0/token` of "Microsoft identity platform and
// the OAuth 2.0 client credentials flow": a registered app's id and secret and a
// `{resource}/.default` scope give a Bearer access token carrying the app's `roles`; a refusal
// is the flow's error body (`error`, `error_description` starting with the AADSTS code,
// `error_codes`, trace and correlation ids) with the codes of "Microsoft Entra authentication
// and authorization error codes".
import crypto from 'node:crypto';

import type { Request, Response } from 'express';

import { sign } from './http.js';
import type { EmulatorState } from './state.js';

export function tokenEndpoint(state: EmulatorState) {
  const { tenantId, signingKey, tokenLifetime, apps } = state;
  return (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const tenant = String(req.params.tenant);
    const fail = (status: number, error: string, code: number, description: string) => {
      const traceId = crypto.randomUUID();
      res.status(status).json({
        error,
        error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${crypto.randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
        error_codes: [code],
        timestamp: new Date().toISOString(),
        trace_id: traceId,
        correlation_id: crypto.randomUUID(),
      });
    };
    if (tenant !== tenantId && tenant.toLowerCase() !== state.directory.domain) {
      return fail(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    if (body.grant_type !== 'client_credentials') {
      return fail(
        400,
        'unsupported_grant_type',
        70003,
        'The app requested an unsupported grant type.',
      );
    }
    const registered = body.client_id ? apps.get(body.client_id) : undefined;
    if (!registered) {
      return fail(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${body.client_id ?? ''}' was not found in the directory '${tenant}'.`,
      );
    }
    if (!body.client_secret) {
      return fail(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    if (body.client_secret !== registered.clientSecret) {
      return fail(
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      );
    }
    if (!body.scope?.endsWith('/.default')) {
      return fail(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${body.scope ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`,
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const token = sign(signingKey, {
      aud: body.scope.slice(0, -'/.default'.length),
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + tokenLifetime,
      appid: registered.clientId,
      tid: tenantId,
      roles: registered.roles,
    });
    res.json({
      token_type: 'Bearer',
      expires_in: tokenLifetime,
      ext_expires_in: tokenLifetime,
      access_token: token,
    });
  };
}
