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
