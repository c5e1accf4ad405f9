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
  /** Starts consuming every queue, and the periodic recovery of work left without a job. */
  startWorkers(): Promise<void>;
  /** Jobs that failed for good, newest first, with their reason. */
  failedJobs(queue: QueueName, limit?: number): Promise<FailedJob[]>;
  /** Stops taking jobs and waits for the running ones to finish. */
  close(): Promise<void>;
}

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
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      app.jobs.enqueue(def, payload, opts),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`enqueue timed out after ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    app.log.warn({ err, job: def.name, jobId: def.jobId(payload) }, 'could not enqueue; recovery will pick the work up');
  } finally {
    clearTimeout(timer);
  }
}
