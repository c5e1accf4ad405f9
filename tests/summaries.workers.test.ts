// Jobs outside the API process: `npm run worker` processes (several at once) while the API runs with
// RUN_WORKERS=false; an older content version's job loses to the newer one; and work whose job was
// lost (Redis down at request time, in-process jobs lost on restart) is recovered.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPostgres } from '../src/lib/db.js';
import { createLogger } from '../src/lib/logger.js';
import { applyMigrations } from '../src/lib/migrate.js';
import { SUPERSEDED } from '../src/modules/summaries/generate-summary.js';
import { bullEnv, dropPrefix, eventually, uniquePrefix } from './helpers/jobs.js';
import { client as clientFor, newAccount, startTestServer, type Client, type TestServer } from './helpers/server.js';

const REDIS_DB = 2;
const ROOT = path.resolve(import.meta.dirname, '..');
const children: ChildProcess[] = [];
const prefixes: string[] = [];

function startWorker(env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null>; log: () => string } {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/worker.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, log: () => output };
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const p of prefixes) await dropPrefix(REDIS_DB, p);
});

async function finished(c: Client, id: string, timeoutMs = 20_000) {
  return (
    await eventually(
      () => c.get(`/v1/conversations/${id}`),
      (r) => r.body.status !== 'processing',
      timeoutMs,
    )
  ).body;
}

const CHAT = 'Tom: Can you send the pricing sheet?\nAnna: Sure, I will send it tomorrow.';

describe('separate worker processes (npm run worker)', () => {
  const prefix = uniquePrefix('workers');
  prefixes.push(prefix);
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer(bullEnv(REDIS_DB, prefix, { RUN_WORKERS: 'false' }));
  });
  afterAll(() => api?.stop());

  it('queues jobs while no worker runs; two workers then process them, and an older version never wins', async () => {
    const { client } = await newAccount(api);
    const stale = (await client.post('/v1/conversations', { title: 'Pricing', content: CHAT })).body;
    // Content changes before any worker ran: version 1's job must not produce the conversation's summary.
    const patched = await client.patch(`/v1/conversations/${stale.id}`, {
      content: 'Maria: The Lisbon shipment is late again.\nJoao: I will call the carrier today.',
    });
    expect(patched.body.status).toBe('processing');
    const others = await Promise.all([1, 2, 3, 4].map((i) => client.post('/v1/conversations', { title: `Call ${i}`, content: CHAT })));
    expect((await client.get(`/v1/conversations/${stale.id}`)).body.status).toBe('processing');

    const env = { DATABASE_URL: inject('databaseUrl'), ...bullEnv(REDIS_DB, prefix) };
    const workers = [startWorker(env), startWorker(env)];

    const done = await finished(client, stale.id);
    expect(done.status).toBe('completed');
    expect(done.summary.content).toMatch(/Maria|Joao/);
    // The two workers may take version 1's job after version 2's finished: wait for both to settle.
    const history = (
      await eventually(
        () => client.get(`/v1/conversations/${stale.id}/summaries`),
        (r) => r.body.data.every((s: { status: string }) => s.status !== 'processing'),
        20_000,
      )
    ).body.data;
    expect(history.map((s: { status: string }) => s.status)).toEqual(['completed', 'failed']);
    expect(history[1].error).toBe(SUPERSEDED);
    for (const o of others) expect((await finished(client, o.body.id)).status).toBe('completed');

    // Graceful stop: SIGTERM, in-flight jobs finish, exit code 0.
    for (const w of workers) w.child.kill('SIGTERM');
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes, workers.map((w) => w.log()).join('\n')).toEqual([0, 0]);
    expect(workers[0].log()).toContain('job workers started');
  }, 60_000);

  it('refuses to start without REDIS_URL', async () => {
    const w = startWorker({ DATABASE_URL: inject('databaseUrl') });
    expect(await w.exited).toBe(1);
    expect(w.log()).toMatch(/REDIS_URL: is required/);
  }, 30_000);
});

describe('recovery of work whose job was lost', () => {
  // Recovery looks at every account's summaries, so it runs against a database of its own: it must
  // not pick up the work of other test files.
  const admin = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
  const name = `aimychats_test_recovery_${process.pid}_${Date.now()}`;
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const servers: TestServer[] = [];

  beforeAll(async () => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    const db = openPostgres(databaseUrl, 2, createLogger('silent'));
    await applyMigrations(db, createLogger('silent'));
    await db.close();
  });
  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => {});
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });

  it('answers the create while Redis is unreachable; the job runs once workers recover it', async () => {
    // Nothing listens on port 1: enqueueing times out, the request still succeeds (201).
    const down = await startTestServer({
      DATABASE_URL: databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:1/5',
      RUN_WORKERS: 'false',
      JOB_RECOVERY_INTERVAL_MS: '0',
    });
    servers.push(down);
    const { client } = await newAccount(down);
    const res = await client.post('/v1/conversations', { title: 'Pricing', content: CHAT });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('processing');

    const prefix = uniquePrefix('recovery');
    prefixes.push(prefix);
    const up = await startTestServer({ DATABASE_URL: databaseUrl, ...bullEnv(REDIS_DB, prefix, { JOB_RECOVERY_INTERVAL_MS: '300' }) });
    servers.push(up);
    expect((await finished(client, res.body.id)).status).toBe('completed');
  }, 30_000);

  it('in development mode, runs again after a restart the jobs that were lost with the process', async () => {
    // Jobs parked in a queue no one reads stand for in-memory jobs lost with a stopped process.
    const prefix = uniquePrefix('lost');
    prefixes.push(prefix);
    const before = await startTestServer({ DATABASE_URL: databaseUrl, ...bullEnv(REDIS_DB, prefix, { RUN_WORKERS: 'false' }) });
    servers.push(before);
    const account = await newAccount(before);
    const res = await account.client.post('/v1/conversations', { title: 'Pricing', content: CHAT });
    await before.stop();

    const after = await startTestServer({ DATABASE_URL: databaseUrl, JOB_RECOVERY_INTERVAL_MS: '300' });
    servers.push(after);
    expect(after.running.app.jobs.mode).toBe('in-process');
    expect((await finished(clientFor(after.url, account.api_key), res.body.id)).status).toBe('completed');
  }, 30_000);
});
