// The job layer itself, in both modes (BullMQ on a real Redis, and in-process), with a test job:
// duplicate enqueue is a no-op, retries back off exponentially, final failures are recorded with
// their reason and reported once to the handler, payloads are re-validated by the worker.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { DeferJob, defineJob, PermanentJobError } from '../src/jobs/definition.js';
import { createJobRunner, type JobRunner } from '../src/jobs/runner.js';
import { openPostgres } from '../src/lib/db.js';
import { createLogger } from '../src/lib/logger.js';
import { bullEnv, dropPrefix, eventually, uniquePrefix } from './helpers/jobs.js';

const REDIS_DB = 4;
const prefix = uniquePrefix('jobs');

type Mode = 'fine' | 'always' | 'permanent' | 'once' | 'defer';
const runs = new Map<string, number[]>();
const failures = new Map<string, string[]>();

const testJob = defineJob({
  queue: 'summaries',
  name: 'test.count',
  payload: z.object({ key: z.string(), mode: z.enum(['fine', 'always', 'permanent', 'once', 'defer']) }),
  jobId: (p) => `test.${p.key}`,
  handler: async () => ({
    async run(p: { key: string; mode: Mode }) {
      const times = [...(runs.get(p.key) ?? []), Date.now()];
      runs.set(p.key, times);
      if (p.mode === 'always') throw new Error(`boom ${p.key}`);
      if (p.mode === 'permanent') throw new PermanentJobError(`cannot ever work ${p.key}`);
      if (p.mode === 'once' && times.length === 1) throw new Error('transient');
      if (p.mode === 'defer' && times.length < 5) throw new DeferJob(50);
    },
    async failed(p: { key: string }, reason: string) {
      failures.set(p.key, [...(failures.get(p.key) ?? []), reason]);
    },
  }),
});

const db = openPostgres(inject('databaseUrl'), 2, createLogger('silent'));
afterAll(async () => {
  await db.close();
  await dropPrefix(REDIS_DB, prefix);
});

function appWith(env: Record<string, string>): App {
  const config = loadConfig({ DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'silent', NODE_ENV: 'test', ...env });
  return { config, db, log: createLogger('silent') } as App;
}

const modes = {
  bullmq: () => appWith(bullEnv(REDIS_DB, prefix, { JOB_BACKOFF_MS: '100' })),
  'in-process': () => appWith({ JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '100', JOB_RECOVERY_INTERVAL_MS: '0' }),
};

describe.each(Object.keys(modes) as (keyof typeof modes)[])('%s runner', (mode) => {
  let runner: JobRunner;
  const key = (k: string) => `${mode}-${k}-${Date.now()}`;
  beforeAll(async () => {
    const app = modes[mode]();
    runner = createJobRunner(app, [testJob]);
    expect(runner.mode).toBe(mode);
    await runner.startWorkers();
  });
  afterAll(() => runner?.close());

  it('runs a job once however often it is enqueued', async () => {
    const k = key('dup');
    await Promise.all([1, 2, 3].map(() => runner.enqueue(testJob, { key: k, mode: 'fine' })));
    await eventually(
      async () => runs.get(k)?.length ?? 0,
      (n) => n >= 1,
    );
    await runner.enqueue(testJob, { key: k, mode: 'fine' }); // after completion too
    // A second run would be visible as soon as the first; give the queue a moment to show one.
    const other = key('dup-marker');
    await runner.enqueue(testJob, { key: other, mode: 'fine' });
    await eventually(
      async () => runs.get(other)?.length ?? 0,
      (n) => n >= 1,
    );
    expect(runs.get(k)).toHaveLength(1);
  });

  it('retries with exponential backoff, then records the failure with its reason', async () => {
    const k = key('always');
    await runner.enqueue(testJob, { key: k, mode: 'always' });
    const failed = await eventually(
      () => runner.failedJobs('summaries'),
      (f) => f.some((j) => j.id === `test.${k}`),
    );
    expect(failed.find((j) => j.id === `test.${k}`)).toMatchObject({ name: 'test.count', reason: `boom ${k}`, attempts: 3 });
    const t = runs.get(k)!;
    expect(t).toHaveLength(3);
    expect(t[1] - t[0]).toBeGreaterThanOrEqual(95); // 100 ms
    expect(t[2] - t[1]).toBeGreaterThanOrEqual(195); // 200 ms
    expect(failures.get(k)).toEqual([`boom ${k}`]);
  });

  it('does not retry a permanent error', async () => {
    const k = key('permanent');
    await runner.enqueue(testJob, { key: k, mode: 'permanent' });
    await eventually(
      async () => failures.get(k),
      (f) => !!f,
    );
    expect(failures.get(k)).toEqual([`cannot ever work ${k}`]);
    expect(runs.get(k)).toHaveLength(1);
  });

  it('succeeds on a retry after a transient error, without reporting a failure', async () => {
    const k = key('once');
    await runner.enqueue(testJob, { key: k, mode: 'once' });
    await eventually(
      async () => runs.get(k)?.length ?? 0,
      (n) => n >= 2,
    );
    const marker = key('once-marker');
    await runner.enqueue(testJob, { key: marker, mode: 'fine' });
    await eventually(
      async () => runs.get(marker)?.length ?? 0,
      (n) => n >= 1,
    );
    expect(runs.get(k)).toHaveLength(2);
    expect(failures.get(k)).toBeUndefined();
  });

  it('runs a deferred job again later without using up its attempts', async () => {
    const k = key('defer');
    await runner.enqueue(testJob, { key: k, mode: 'defer' }); // defers four times, with 3 attempts allowed
    await eventually(
      async () => runs.get(k)?.length ?? 0,
      (n) => n >= 5,
    );
    const marker = key('defer-marker');
    await runner.enqueue(testJob, { key: marker, mode: 'fine' });
    await eventually(
      async () => runs.get(marker)?.length ?? 0,
      (n) => n >= 1,
    );
    const t = runs.get(k)!;
    expect(t).toHaveLength(5);
    expect(t[1] - t[0]).toBeGreaterThanOrEqual(45);
    expect(failures.get(k)).toBeUndefined();
    expect((await runner.failedJobs('summaries')).some((j) => j.id === `test.${k}`)).toBe(false);
  });

  it('re-validates the payload in the worker and fails a bad one without running it', async () => {
    const k = key('bad');
    await runner.enqueue(testJob, { key: k, mode: 'sometimes' } as never);
    const failed = await eventually(
      () => runner.failedJobs('summaries'),
      (f) => f.some((j) => j.id === `test.${k}`),
    );
    expect(failed.find((j) => j.id === `test.${k}`)!.reason).toMatch(/^Invalid payload: .*mode/);
    expect(runs.get(k)).toBeUndefined();
  });
});

describe('WORKER_QUEUES', () => {
  const ranOn: string[] = [];
  const whereJob = defineJob({
    queue: 'summaries',
    name: 'test.where',
    payload: z.object({ key: z.string() }),
    jobId: (p) => `where.${p.key}`,
    handler: async () => ({
      async run(_p: { key: string }, ctx) {
        ranOn.push(String(ctx.app.config.jobs.queues));
      },
    }),
  });

  it('makes a worker consume only the queues it names', async () => {
    const pfx = uniquePrefix('jobs-queues');
    const webhooksOnly = createJobRunner(
      appWith(bullEnv(REDIS_DB, pfx, { WORKER_QUEUES: 'webhooks,webhook-deliveries', JOB_RECOVERY_INTERVAL_MS: '0' })),
      [whereJob],
    );
    const summariesOnly = createJobRunner(appWith(bullEnv(REDIS_DB, pfx, { WORKER_QUEUES: 'summaries', JOB_RECOVERY_INTERVAL_MS: '0' })), [
      whereJob,
    ]);
    try {
      await webhooksOnly.startWorkers();
      await summariesOnly.startWorkers();
      for (let i = 0; i < 6; i++) await webhooksOnly.enqueue(whereJob, { key: `${pfx}-${i}` });
      await eventually(
        async () => ranOn.length,
        (n) => n >= 6,
      );
      expect(new Set(ranOn)).toEqual(new Set(['summaries']));
    } finally {
      await webhooksOnly.close();
      await summariesOnly.close();
      await dropPrefix(REDIS_DB, pfx);
    }
  });

  it('refuses a queue name that does not exist', () => {
    expect(() => loadConfig({ WORKER_QUEUES: 'summaries,nope' })).toThrow(/WORKER_QUEUES/);
  });
});
