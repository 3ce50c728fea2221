// Structured JSON logs (pino): one line per event, fields not prose.
import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info'): Logger {
  return pino({
    level,
    base: { service: 'usersync-sidecar' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', '*.password', '*.appPassword', '*.token'],
      censor: '[redacted]',
    },
  });
}
