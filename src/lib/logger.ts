import pino, { type Logger } from 'pino';
import { traceLogFields, tracingEnabled } from './tracing.js';

export type { Logger };

// Credentials never reach the logs, wherever a logged object carries them (docs/oauth.md, safety).
const REDACTED = [
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.*.headers.authorization',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'client_secret',
  '*.client_secret',
  'code_verifier',
  '*.code_verifier',
];

/**
 * JSON logs on stderr, so that CLI commands keep stdout for their result. With tracing on (started
 * before the logger), each line inside a span carries its `traceId` and `spanId`.
 */
export function createLogger(level: string, name = 'aimychats'): Logger {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      redact: { paths: REDACTED, censor: '[redacted]' },
      ...(tracingEnabled() ? { mixin: traceLogFields } : {}),
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
