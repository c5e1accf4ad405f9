// Development mode (no REDIS_URL): the registered handlers run in this process, with BullMQ's
// semantics — deterministic job ids (a duplicate is a no-op while the job is kept), attempts with
// exponential backoff, failed jobs kept with their reason. Jobs live in memory; work interrupted by
// a restart is found again by the definitions' `recover` when workers start.
import { traceCarrier, traceJob } from '../lib/tracing.js';
import { backoffDelay, recordLostFailure, runAttempt } from './attempt.js';
import { DeferJob, failureReason, PermanentJobError, type FailedJob, type JobDefinition, type JobApp } from './definition.js';
import { queueConcurrency, type QueueName } from './queues.js';
import { startRecovery } from './recovery.js';
import type { EnqueueOptions, JobRunner, QueueCounts } from './job-runner.js';

type State = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

interface Task {
  def: JobDefinition;
  id: string;
  payload: unknown;
  attempt: number;
  /** The trace context of the enqueue (lib/tracing.ts), when tracing is on. */
  carrier?: Record<string, string>;
}

/** How many finished jobs are remembered (for duplicate detection and `failedJobs`), like BullMQ's removeOn*. */
const KEEP_FINISHED = 1000;

export class InProcessRunner implements JobRunner {
  readonly mode = 'in-process' as const;
  private readonly states = new Map<string, State>();
  private readonly finished: string[] = [];
  private readonly failed: (FailedJob & { queue: QueueName })[] = [];
  /** Waiting tasks per queue, each queue with its own concurrency (queues.ts). */
  private readonly waiting = new Map<QueueName, Task[]>();
  private readonly activeCount = new Map<QueueName, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private started = false;
  private closed = false;
  private stopRecovery = () => {};

  constructor(
    private readonly app: JobApp,
    private readonly definitions: readonly JobDefinition<any>[],
  ) {}

  private key(def: JobDefinition, id: string): string {
    return `${def.queue}/${id}`;
  }

  async enqueue<P>(def: JobDefinition<P>, payload: P, opts: EnqueueOptions = {}): Promise<void> {
    if (this.closed) throw new Error('job runner is closed');
    const id = def.jobId(payload);
    const key = this.key(def as JobDefinition, id);
    if (this.states.has(key)) return;
    // Payloads cross a process boundary with BullMQ; keep the same JSON round trip here. The job's run
    // continues the enqueuer's trace.
    const task: Task = { def: def as JobDefinition, id, payload: JSON.parse(JSON.stringify(payload)), attempt: 1, carrier: traceCarrier() };
    if (opts.delayMs && opts.delayMs > 0) {
      this.states.set(key, 'delayed');
      this.later(key, task, opts.delayMs);
      return;
    }
    this.states.set(key, 'waiting');
    this.push(task);
  }

  async enqueueMany<P>(def: JobDefinition<P>, payloads: readonly P[]): Promise<void> {
    for (const payload of payloads) await this.enqueue(def, payload);
  }

  private push(task: Task): void {
    const list = this.waiting.get(task.def.queue) ?? [];
    list.push(task);
    this.waiting.set(task.def.queue, list);
    this.pump();
  }

  private later(key: string, task: Task, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.states.set(key, 'waiting');
      this.push(task);
    }, delayMs);
    this.timers.add(timer);
  }

  async startWorkers(): Promise<void> {
    if (!this.app.config.jobs.runWorkers) {
      this.app.log.warn('RUN_WORKERS=false has no effect without REDIS_URL: jobs run in-process');
    }
    this.started = true;
    this.app.log.info({ mode: this.mode }, 'job workers started (development mode: jobs in memory)');
    this.pump();
    this.stopRecovery = startRecovery(this.app, this.definitions, (def, payload) => this.ensure(def, payload));
  }

  private async ensure(def: JobDefinition, payload: unknown): Promise<void> {
    const state = this.states.get(this.key(def, def.jobId(payload)));
    if (state === 'failed') await recordLostFailure(this.app, def, payload, def.jobId(payload), 'job failed');
    else if (!state) await this.enqueue(def, payload);
  }

  async failedJobs(queue: QueueName, limit = 50): Promise<FailedJob[]> {
    return this.failed
      .filter((f) => f.queue === queue)
      .slice(-limit)
      .reverse()
      .map(({ queue: _q, ...f }) => f);
  }

  async counts(): Promise<QueueCounts> {
    const out: QueueCounts = {};
    for (const d of this.definitions) out[d.queue] ??= { waiting: 0, active: 0, delayed: 0, failed: 0 };
    for (const [key, state] of this.states) {
      const counts = out[key.slice(0, key.indexOf('/')) as QueueName];
      if (counts && state !== 'completed') counts[state] += 1;
    }
    return out;
  }

  private pump(): void {
    if (!this.started || this.closed) return;
    for (const [queue, list] of this.waiting) {
      const concurrency = queueConcurrency(this.app.config, queue);
      while (list.length && (this.activeCount.get(queue) ?? 0) < concurrency) {
        const task = list.shift()!;
        this.activeCount.set(queue, (this.activeCount.get(queue) ?? 0) + 1);
        const p = this.run(task).finally(() => {
          this.running.delete(p);
          this.activeCount.set(queue, (this.activeCount.get(queue) ?? 1) - 1);
          this.pump();
        });
        this.running.add(p);
      }
    }
  }

  private async run(task: Task): Promise<void> {
    const key = this.key(task.def, task.id);
    const maxAttempts = this.app.config.jobs.attempts;
    this.states.set(key, 'active');
    try {
      const info = { jobId: task.id, attempt: task.attempt, maxAttempts };
      await traceJob(
        task.def.queue,
        task.def.name,
        { ...info, carrier: task.carrier },
        'in-process',
        () => runAttempt(this.app, task.def, task.payload, info),
        (e) => e instanceof DeferJob,
      );
      this.finish(key, 'completed');
    } catch (err) {
      if (err instanceof DeferJob && !this.closed) {
        this.states.set(key, 'delayed');
        this.later(key, task, err.delayMs);
        return;
      }
      if (err instanceof PermanentJobError || task.attempt >= maxAttempts) {
        this.finish(key, 'failed');
        this.failed.push({
          queue: task.def.queue,
          id: task.id,
          name: task.def.name,
          reason: failureReason(err),
          attempts: task.attempt,
          failedAt: new Date(),
        });
        if (this.failed.length > KEEP_FINISHED) this.failed.shift();
        return;
      }
      // Shutting down: the work stays in the database and is recovered at the next start.
      if (this.closed) return;
      this.states.set(key, 'delayed');
      this.later(key, { ...task, attempt: task.attempt + 1 }, backoffDelay(this.app.config.jobs.backoffMs, task.attempt));
    }
  }

  private finish(key: string, state: 'completed' | 'failed'): void {
    this.states.set(key, state);
    this.finished.push(key);
    if (this.finished.length > KEEP_FINISHED) this.states.delete(this.finished.shift()!);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopRecovery();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
