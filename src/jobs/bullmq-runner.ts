// BullMQ over Redis (REDIS_URL, in the database number the URL names). One BullMQ queue per concern;
// a worker per queue dispatches by job name to the registered definition.
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { redisOptionsFromUrl, type RedisEndpoint } from '../lib/redis.js';
import { traceEnqueue, traceJob } from '../lib/tracing.js';
import { recordLostFailure, runAttempt } from './attempt.js';
import { DeferJob, PermanentJobError, type FailedJob, type JobDefinition, type JobApp } from './definition.js';
import { queueConcurrency, type QueueName } from './queues.js';
import { startRecovery } from './recovery.js';
import type { EnqueueOptions, JobRunner, QueueCounts } from './job-runner.js';

const DAY_S = 24 * 3600;

export class BullMqRunner implements JobRunner {
  readonly mode = 'bullmq' as const;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly byName: Map<string, JobDefinition>;
  private readonly connection: RedisEndpoint & { connectionName: string };
  private stopRecovery = () => {};

  constructor(
    private readonly app: JobApp,
    redisUrl: string,
    private readonly definitions: readonly JobDefinition<any>[],
  ) {
    this.connection = { ...redisOptionsFromUrl(redisUrl), connectionName: `aimychats:${process.pid}` };
    this.byName = new Map(definitions.map((d) => [`${d.queue}/${d.name}`, d as JobDefinition]));
  }

  private queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      const { attempts, backoffMs, prefix } = this.app.config.jobs;
      q = new Queue(name, {
        connection: this.connection,
        prefix,
        defaultJobOptions: {
          attempts,
          backoff: { type: 'exponential', delay: backoffMs },
          // Finished jobs are kept a while: a duplicate enqueue stays a no-op, and failures keep their reason.
          removeOnComplete: { age: DAY_S, count: 1000 },
          removeOnFail: { age: 7 * DAY_S, count: 5000 },
        },
      });
      q.on('error', (err) => this.app.log.warn({ err, queue: name }, 'queue connection error'));
      this.queues.set(name, q);
    }
    return q;
  }

  async enqueue<P>(def: JobDefinition<P>, payload: P, opts: EnqueueOptions = {}): Promise<void> {
    await traceEnqueue(def.queue, def.name, 1, 'bullmq', (carrier) =>
      this.queue(def.queue).add(def.name, payload, {
        jobId: def.jobId(payload),
        ...(opts.delayMs ? { delay: Math.round(opts.delayMs) } : {}),
        ...traceOpts(carrier),
      }),
    );
  }

  async enqueueMany<P>(def: JobDefinition<P>, payloads: readonly P[]): Promise<void> {
    if (!payloads.length) return;
    await traceEnqueue(def.queue, def.name, payloads.length, 'bullmq', (carrier) =>
      this.queue(def.queue).addBulk(
        payloads.map((data) => ({ name: def.name, data, opts: { jobId: def.jobId(data), ...traceOpts(carrier) } })),
      ),
    );
  }

  async startWorkers(): Promise<void> {
    const { concurrency, prefix } = this.app.config.jobs;
    const only = this.app.config.jobs.queues;
    for (const queueName of new Set(this.definitions.map((d) => d.queue).filter((q) => !only || only.includes(q)))) {
      const worker = new Worker(queueName, (job, token) => this.process(queueName, job, token), {
        connection: { ...this.connection, maxRetriesPerRequest: null },
        prefix,
        concurrency: queueConcurrency(this.app.config, queueName),
        // A job whose worker died is picked up again (twice at most) before it counts as failed.
        maxStalledCount: 2,
        lockDuration: this.app.config.jobs.lockMs,
        stalledInterval: this.app.config.jobs.lockMs,
      });
      worker.on('error', (err) => this.app.log.warn({ err, queue: queueName }, 'worker connection error'));
      worker.on('failed', (job, err) => {
        if (job?.finishedOn) this.app.log.error({ queue: queueName, jobId: job.id, reason: err.message }, 'job moved to failed');
      });
      await worker.waitUntilReady();
      this.workers.push(worker);
    }
    this.app.log.info({ mode: this.mode, queues: this.workers.map((w) => w.name), concurrency }, 'job workers started');
    this.stopRecovery = startRecovery(this.app, this.definitions, (def, payload) => this.ensure(def, payload));
  }

  private async process(queueName: QueueName, job: Job, token?: string): Promise<void> {
    const def = this.byName.get(`${queueName}/${job.name}`);
    if (!def) throw new UnrecoverableError(`No handler for job ${job.name} on queue ${queueName}`);
    const info = { jobId: job.id!, attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 };
    try {
      await traceJob(
        queueName,
        def.name,
        { ...info, carrier: carrierOf(job) },
        'bullmq',
        () => runAttempt(this.app, def, job.data, info),
        isDeferral,
      );
    } catch (err) {
      if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
      if (err instanceof DeferJob) {
        await job.moveToDelayed(Date.now() + err.delayMs, token);
        throw new DelayedError();
      }
      throw err;
    }
  }

  private async ensure(def: JobDefinition, payload: unknown): Promise<void> {
    const id = def.jobId(payload);
    const existing = await this.queue(def.queue).getJob(id);
    if (!existing) return this.enqueue(def, payload);
    // A job that stalled out (its workers died) fails without its handler hearing of it.
    if (await existing.isFailed()) await recordLostFailure(this.app, def, payload, id, existing.failedReason || 'job failed');
  }

  async failedJobs(queue: QueueName, limit = 50): Promise<FailedJob[]> {
    const jobs = await this.queue(queue).getFailed(0, limit - 1);
    return jobs.map((j) => ({
      id: j.id!,
      name: j.name,
      reason: j.failedReason,
      attempts: j.attemptsMade,
      failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
    }));
  }

  async counts(): Promise<QueueCounts> {
    const out: QueueCounts = {};
    await Promise.all(
      [...new Set(this.definitions.map((d) => d.queue))].map(async (name) => {
        const c = await this.queue(name).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
        out[name] = {
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
        };
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    this.stopRecovery();
    // Worker.close() waits for the jobs in progress to finish.
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
  }
}

/**
 * The trace context travels in BullMQ's own job option for it (`telemetry.metadata`, stored with the
 * job in Redis, kept across retries and delays), as the W3C headers in JSON — the format of BullMQ's
 * `bullmq-otel` integration. That integration itself is not used: its workers also trace every poll
 * for work and stalled-job check, a stream of root traces that say nothing about requests.
 */
function traceOpts(carrier: Record<string, string> | undefined): { telemetry?: { metadata: string } } {
  return carrier ? { telemetry: { metadata: JSON.stringify(carrier) } } : {};
}

function carrierOf(job: Job): Record<string, string> | undefined {
  const metadata = job.opts.telemetry?.metadata;
  if (!metadata) return undefined;
  try {
    const parsed = JSON.parse(metadata) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

/** A deferred job (DeferJob) is not a failed one. */
const isDeferral = (err: unknown) => err instanceof DeferJob;
