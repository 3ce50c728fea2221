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
 * Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` with
 * the last value it saw described by `describe`.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(
        `timed out after ${options.timeoutMs ?? 10_000} ms waiting for ${options.what}${reason}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
