import pino, { type Logger } from 'pino';
import { traceLogFields, tracingEnabled } from './tracing.js';

export type { Logger };

/**
 * JSON logs on stderr, so that CLI commands keep stdout for their result. With tracing on (started
 * before the logger), each line inside a span carries its `traceId` and `spanId`.
 */
export function createLogger(level: string, name = 'aimychats'): Logger {
  return pino({ name, level, base: { pid: process.pid }, ...(tracingEnabled() ? { mixin: traceLogFields } : {}) }, pino.destination({ fd: 2, sync: true }));
}
