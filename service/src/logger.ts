// Logging that never carries message text or tokens: request logging is replaced by one line per
// request (method, route pattern, status, time), bodies and headers are never serialised, and
// known secret-bearing keys are redacted as a second line of defence.
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'req.headers',
  'headers',
  'body',
  '*.body',
  'req.body',
  'token',
  '*.token',
  'publicKey',
  '*.publicKey',
  'password',
  '*.password',
  'endpointArn',
  '*.endpointArn',
];

/** Errors are logged by type and code only: pg and JSON-parse messages can quote input values. */
export function safeError(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; code?: string; statusCode?: number; stack?: string };
  return { type: e?.name, code: e?.code, statusCode: e?.statusCode };
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: safeError, error: safeError, req: () => undefined, res: () => undefined },
    base: { service: 'hipaa-messaging' },
  };
}

export function createLogger(level: string, stream?: DestinationStream): Logger {
  return stream ? pino(loggerOptions(level), stream) : pino(loggerOptions(level));
}
