import { type Logger, pino } from 'pino';

export type { Logger };

/** One JSON line per event of interest. Secrets are redacted wherever they might appear. */
export function createLogger(service: string, level: string): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['authorization', 'headers.authorization', 'req.headers.authorization', '*.password', 'password'],
      censor: '[redacted]',
    },
  });
}
