// The service's one logger. Every line goes through pino, so `--log-format
// json` gives log shippers one JSON object a line and `text` gives people the
// same events on one readable line each. Writes are synchronous: a line about
// a failure must be on stderr before the process may exit.
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { EventLog } from './event-log.ts';

export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];


// Field names that could carry a credential, should one ever be attached to
// an event by mistake; pino replaces their values before anything is written.
const REDACTED = ['authorization', 'token', 'password', 'secret', '*.authorization', '*.token', 'headers.*'];

export function createLogger(format: LogFormat, destination?: DestinationStream | NodeJS.WritableStream): Logger {
  const options: pino.LoggerOptions = {
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED, censor: '[redacted]' },
  };
  if (format === 'json') return pino(options, destination ?? pino.destination({ fd: 2, sync: true }));
  const stream = pretty({
    destination: destination ?? 2,
    sync: true,
    colorize: false,
    singleLine: true,
    translateTime: "UTC:yyyy-mm-dd'T'HH:MM:ss.l'Z'",
  });
  return pino(options, stream);
}

/**
 * The plain `log(line)` the rest of the service takes, as lines of `logger`:
 * info, or error/warn for lines that say so first (staging damage does).
 */
export function lineLog(logger: EventLog): (line: string) => void {
  return (line) => {
    if (line.startsWith('ERROR ')) logger.error({}, line);
    else if (line.startsWith('WARN ')) logger.warn({}, line);
    else logger.info({}, line);
  };
}
