// A job is `{queue, name, zod payload, handler}`. The handler module is imported lazily, so that an
// API process that only enqueues never loads what the worker needs (summarizers, SDKs).
import type { z } from 'zod';
import type { Config } from '../config.js';
import type { Database } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import type { QueueName } from './queues.js';

/** What the runners themselves use of the application. */
export interface JobHost {
  config: Config;
  db: Database;
  log: Logger;
}

/**
 * The application job handlers receive. jobs/ sits below the modules and never imports app.ts:
 * app.ts declares this interface to be its App (declaration merging).
 */
export interface JobApp extends JobHost {}

export interface JobContext {
  app: JobApp;
  log: Logger;
  jobId: string;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
}

export interface JobHandler<P> {
  /** Must be idempotent: a job can run again after a crash or a duplicate enqueue. */
  run(payload: P, ctx: JobContext): Promise<void>;
  /** Called once when the job has failed for good (last attempt, or a PermanentJobError). */
  failed?(payload: P, reason: string, ctx: JobContext): Promise<void>;
}

export interface JobDefinition<P = unknown> {
  queue: QueueName;
  name: string;
  payload: z.ZodType<P>;
  /** Derived from the work, so a duplicate enqueue is a no-op. BullMQ forbids ':' in custom ids. */
  jobId(payload: P): string;
  handler(): Promise<JobHandler<P>>;
  /**
   * Payloads of work that should have a job but may not (the process stopped between commit and
   * enqueue, Redis was down, in-process jobs lost on restart) and older than `olderThanMs`. Workers
   * enqueue them again; the deterministic jobId makes that harmless.
   */
  recover?(app: JobApp, olderThanMs: number): Promise<P[]>;
}

export function defineJob<P>(def: JobDefinition<P>): JobDefinition<P> {
  // Loaded once per process: a dynamic import() runs the module resolver every time it is called
  // (under tsx, a round trip to the loader thread — measured as idle time between webhook attempts).
  let loaded: Promise<JobHandler<P>> | undefined;
  const handler = () =>
    (loaded ??= def.handler().catch((err: unknown) => {
      loaded = undefined; // a failed import is tried again by the next job
      throw err;
    }));
  return { ...def, handler };
}

/** A failure that retrying cannot fix (invalid payload, a 4xx from a provider). */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/**
 * Thrown by a handler that cannot start the work yet (e.g. its webhook endpoint already has as many
 * attempts in flight as it may): the same job runs again after `delayMs`, without using an attempt.
 */
export class DeferJob extends Error {
  constructor(readonly delayMs: number) {
    super(`deferred by ${delayMs} ms`);
    this.name = 'DeferJob';
  }
}

export interface FailedJob {
  id: string;
  name: string;
  reason: string;
  attempts: number;
  failedAt: Date | null;
}

export function failureReason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
