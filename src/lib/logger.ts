import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stderr, so that CLI commands keep stdout for their result. */
export function createLogger(level: string, name = 'aimychats'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}
