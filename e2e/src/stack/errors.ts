// Errors of the test stack.
import { tailFile } from './process.js';

/**
 * A start failure. Its message ends with the last lines of the logs of the process that failed,
 * so the reason is visible where the error is printed.
 */
export class StartError extends Error {
  override name = 'StartError';
  constructor(
    readonly component: string,
    message: string,
    readonly logPaths: string[] = [],
  ) {
    super(withLogTails(message, logPaths));
  }
}

export function withLogTails(message: string, logPaths: string[], lines = 30): string {
  const parts = [message];
  for (const logPath of logPaths) {
    // PHP 8.2 reports deprecations in WordPress 6.1's own code on every request; skip them.
    const tail = tailFile(logPath, lines, (line) => !/PHP Deprecated:/.test(line));
    if (tail) parts.push(`--- last lines of ${logPath} ---\n${tail}\n--- end of log ---`);
  }
  return parts.join('\n');
}
