// Small helpers for integration tests against a stack.
import type { Credentials, Stack } from './stack/index.js';

/** The admin's Application Password (REST as the site administrator). */
export function asAdmin(stack: Stack): Credentials {
  return { user: stack.wordpress.adminUser, password: stack.wordpress.adminAppPassword };
}

/** The service user's Application Password (REST as the sidecar). */
export function asService(stack: Stack): Credentials {
  return { user: stack.wordpress.appUser, password: stack.wordpress.appPassword };
}

/** `${wordpress.url}/wp-json/${route}` */
export function restUrl(stack: Stack, route: string): string {
  return `${stack.wordpress.url}/wp-json/${route.replace(/^\//, '')}`;
}

/**
 * Runs `check` until it stops throwing (assertions inside it are the condition), or fails after
 * `timeoutMs` with the last error it threw.
 */
export async function eventually<T>(
  check: () => Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}: ${reason}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** What a SCIM request answered: its status, its JSON body (if any) and its text. */
export interface ScimAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests check answers field by field
  body: any;
  text: string;
  headers: Headers;
}

/**
 * A SCIM request to the stack's sidecar, with the stack's first SCIM token. A string body is
 * sent as it is (malformed JSON on purpose); `headers` add to or replace the defaults (an
 * IdP's user agent, If-Match, another token's Authorization). A body that is not JSON is
 * answered as `body: undefined` with its `text`.
 */
export async function scimRequest(
  stack: Stack,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ScimAnswer> {
  const response = await fetch(`${stack.sidecar.scimUrl}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.sidecar.scimToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, body: json, text, headers: response.headers };
}

/** Signs in through wp-login.php: the answer's status, its cookies (name=value) and page. */
export async function wpLogin(
  stack: Stack,
  login: string,
  password: string,
): Promise<{ status: number; cookies: string[]; text: string }> {
  const response = await fetch(`${stack.wordpress.url}/wp-login.php`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: 'wordpress_test_cookie=WP%20Cookie%20check',
    },
    body: new URLSearchParams({
      log: login,
      pwd: password,
      'wp-submit': 'Log In',
      testcookie: '1',
    }),
  });
  const text = await response.text();
  return {
    status: response.status,
    cookies: response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!),
    text,
  };
}
