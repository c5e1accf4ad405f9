// The job runner: BullMQ over Redis when REDIS_URL is set, otherwise the same handlers in-process
// (development mode: jobs live in memory and are recovered from the database after a restart).
import type { App } from '../app.js';
import { BullMqRunner } from './bullmq-runner.js';
import type { FailedJob, JobDefinition } from './definition.js';
import { InProcessRunner } from './in-process-runner.js';
import type { QueueName } from './queues.js';

export interface JobRunner {
  readonly mode: 'bullmq' | 'in-process';
  /** Adds the job unless one with the same jobId exists (then nothing happens); `delayMs` defers its start. */
  enqueue<P>(def: JobDefinition<P>, payload: P, opts?: EnqueueOptions): Promise<void>;
  /** Adds several jobs of one definition at once (one Redis round trip with BullMQ); duplicates are no-ops as with `enqueue`. */
  enqueueMany<P>(def: JobDefinition<P>, payloads: readonly P[]): Promise<void>;
  /** Starts consuming every queue, and the periodic recovery of work left without a job. */
  startWorkers(): Promise<void>;
  /** Jobs that failed for good, newest first, with their reason. */
  failedJobs(queue: QueueName, limit?: number): Promise<FailedJob[]>;
  /** Jobs per queue and state, for the queue-depth gauge (/metrics). */
  counts(): Promise<QueueCounts>;
  /** Stops taking jobs and waits for the running ones to finish. */
  close(): Promise<void>;
}

export type QueueState = 'waiting' | 'active' | 'delayed' | 'failed';
export type QueueCounts = Partial<Record<QueueName, Record<QueueState, number>>>;

export interface EnqueueOptions {
  delayMs?: number;
}

export function createJobRunner(app: App, definitions: readonly JobDefinition<any>[]): JobRunner {
  return app.config.redisUrl ? new BullMqRunner(app, app.config.redisUrl, definitions) : new InProcessRunner(app, definitions);
}

const ENQUEUE_TIMEOUT_MS = 3_000;

/**
 * For request paths, after the transaction that created the work has committed: never fails the
 * request. If the queue is unreachable the work stays in the database (e.g. a `processing`
 * summary) and the workers' recovery enqueues it once Redis answers again.
 */
export async function enqueueAfterCommit<P>(app: App, def: JobDefinition<P>, payload: P, opts?: EnqueueOptions): Promise<void> {
  await boundedEnqueue(app, def, def.jobId(payload), () => app.jobs.enqueue(def, payload, opts));
}

/** `enqueueAfterCommit` for several jobs of one definition, added together. */
export async function enqueueManyAfterCommit<P>(app: App, def: JobDefinition<P>, payloads: readonly P[]): Promise<void> {
  if (!payloads.length) return;
  await boundedEnqueue(app, def, payloads.length === 1 ? def.jobId(payloads[0]) : `${payloads.length} jobs`, () => app.jobs.enqueueMany(def, payloads));
}

async function boundedEnqueue(app: App, def: JobDefinition<any>, what: string, add: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      add(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`enqueue timed out after ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    app.log.warn({ err, job: def.name, jobId: what }, 'could not enqueue; recovery will pick the work up');
  } finally {
    clearTimeout(timer);
  }
}
