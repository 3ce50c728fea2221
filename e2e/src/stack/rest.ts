// A small client for a stack's HTTP APIs (WordPress REST, the sidecar, SCIM).

export interface Credentials {
  user: string;
  password: string;
}

export interface RequestOptions {
  method?: string;
  /** Basic authentication (WordPress Application Passwords). */
  basic?: Credentials;
  /** `Authorization: Bearer <token>` (SCIM, sidecar admin routes). */
  bearer?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: T;
  text: string;
}

export async function request<T = unknown>(
  url: string,
  options: RequestOptions = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.basic) {
    const pair = `${options.basic.user}:${options.basic.password}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  if (/json/.test(response.headers.get('content-type') ?? '') && text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON after all (e.g. a PHP notice before the body); keep the text.
    }
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}
