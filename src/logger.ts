/**
 * pino logger: JSON lines in production (and whenever stdout is not a TTY), pretty on a developer's TTY.
 */
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

export function createLogger(
  config: Pick<Config, 'logLevel' | 'isProduction'>,
  pretty = process.stdout.isTTY,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: 'starchart' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['*.password', '*.secret', '*.privateKey', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  };
  if (pretty && !config.isProduction) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, ignore: 'pid,hostname,service' },
      },
    });
  }
  return pino(options);
}
