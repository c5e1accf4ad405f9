// The job runner: BullMQ over Redis when REDIS_URL is set, otherwise the same handlers in-process
// (development mode: jobs live in memory and are recovered from the database after a restart).
import type { Logger } from '../lib/logger.js';
import { BullMqRunner } from './bullmq-runner.js';
import type { JobApp, JobDefinition } from './definition.js';
import { InProcessRunner } from './in-process-runner.js';
import type { EnqueueOptions, JobRunner } from './job-runner.js';

export type { EnqueueOptions, JobRunner, QueueCounts, QueueState } from './job-runner.js';

export function createJobRunner(app: JobApp, definitions: readonly JobDefinition<any>[]): JobRunner {
  return app.config.redisUrl ? new BullMqRunner(app, app.config.redisUrl, definitions) : new InProcessRunner(app, definitions);
}

const ENQUEUE_TIMEOUT_MS = 3_000;

/** What enqueueing on a request path uses of the application. */
interface Enqueuer {
  jobs: JobRunner;
  log: Logger;
}

/**
 * For request paths, after the transaction that created the work has committed: never fails the
 * request. If the queue is unreachable the work stays in the database (e.g. a `processing`
 * summary) and the workers' recovery enqueues it once Redis answers again.
 */
export async function enqueueAfterCommit<P>(app: Enqueuer, def: JobDefinition<P>, payload: P, opts?: EnqueueOptions): Promise<void> {
  await boundedEnqueue(app, def, def.jobId(payload), () => app.jobs.enqueue(def, payload, opts));
}

/** `enqueueAfterCommit` for several jobs of one definition, added together. */
export async function enqueueManyAfterCommit<P>(app: Enqueuer, def: JobDefinition<P>, payloads: readonly P[]): Promise<void> {
  if (!payloads.length) return;
  await boundedEnqueue(app, def, payloads.length === 1 ? def.jobId(payloads[0]) : `${payloads.length} jobs`, () =>
    app.jobs.enqueueMany(def, payloads),
  );
}

async function boundedEnqueue(app: Pick<Enqueuer, 'log'>, def: JobDefinition<any>, what: string, add: () => Promise<void>): Promise<void> {
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
