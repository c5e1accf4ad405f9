// What a job runner offers; runner.ts picks the implementation. A leaf, so that both runners can
// implement it without importing runner.ts.
import type { FailedJob, JobDefinition } from './definition.js';
import type { QueueName } from './queues.config.js';

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
