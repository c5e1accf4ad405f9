// A worker process killed in the middle of a summary job: the job runs again on another worker and the
// conversation still ends `completed` (issue 3, faults).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from './helpers/fake-openai.js';
import { bullEnv, dropPrefix, eventually, uniquePrefix } from './helpers/jobs.js';
import { newAccount, startTestServer } from './helpers/server.js';
import { inject } from 'vitest';

const REDIS_DB = 3;
const ROOT = path.resolve(import.meta.dirname, '..');
const prefix = uniquePrefix('crash');
const children: ChildProcess[] = [];

function startWorker(env: Record<string, string>) {
  // One process (node --import tsx), not the tsx CLI, which runs the worker in a child of its own: the
  // kill must reach the process that holds the job.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: process.env.DEBUG_CRASH ? 'debug' : 'warn',
      DATABASE_URL: inject('databaseUrl'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d) => process.env.DEBUG_CRASH && process.stderr.write(d));
  child.stdout!.on('data', (d) => process.env.DEBUG_CRASH && process.stderr.write(d));
  children.push(child);
  return { child, exited: new Promise<unknown>((resolve) => child.once('exit', resolve)) };
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await dropPrefix(REDIS_DB, prefix);
});

describe('a worker killed mid-job', () => {
  it('has its job run again elsewhere; the conversation still ends completed', async () => {
    const fake = await startFakeOpenAi();
    const env = bullEnv(REDIS_DB, prefix, {
      RUN_WORKERS: 'false',
      SUMMARY_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_MODEL: 'test-model',
      JOB_LOCK_MS: '1000',
    });
    const api = await startTestServer(env);
    try {
      const { client } = await newAccount(api);
      const script = `crash${Date.now()}`;
      // The first provider call never answers (the worker is killed while waiting); the next one succeeds.
      const conv = (
        await client.post('/v1/conversations', { title: 'Crash', content: `Tom: hello [[script:${script}:hang,ok]]\nAnna: hi` })
      ).body;

      const first = startWorker(env);
      const started = await eventually(
        async () => fake.requestsFor(script).length,
        (n) => n >= 1,
        60_000,
      );
      expect(started).toBeGreaterThanOrEqual(1);
      first.child.kill('SIGKILL');
      await first.exited;

      const second = startWorker(env);
      const done = await eventually(
        () => client.get(`/v1/conversations/${conv.id}`),
        (r) => r.body.status !== 'processing',
        60_000,
      );
      expect(done.body.status).toBe('completed');
      expect(done.body.summary).not.toBeNull();
      expect(fake.requestsFor(script).length).toBeGreaterThanOrEqual(2);
      second.child.kill('SIGTERM');
      await second.exited;
    } finally {
      await api.stop();
      await fake.close();
    }
  }, 150_000);
});
