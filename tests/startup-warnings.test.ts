// `npm start` as operators run it (a child process, its JSON log on stderr): NODE_ENV=production
// without REDIS_URL starts, and says clearly that background jobs run in-process (docs/operations.md).
import { afterAll, describe, expect, inject, it } from 'vitest';
import { IN_PROCESS_JOBS_WARNING } from '../src/jobs/production-warning.js';
import { AUTOVACUUM_OFF_WARNING } from '../src/lib/database-warnings.js';
import { openPostgres } from '../src/lib/db.js';
import { createLogger } from '../src/lib/logger.js';
import { killAll, startApi, stopProcess } from './helpers/processes.js';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';

const parked = parkedJobsEnv();
afterAll(async () => {
  await killAll();
  await dropPrefix(15, parked.QUEUE_PREFIX);
});

const WARN = 40; // pino's level number for warn

describe('start-up warning about in-process jobs', () => {
  it('NODE_ENV=production without REDIS_URL: one warning before "listening", naming REDIS_URL', async () => {
    const api = await startApi({ DATABASE_URL: inject('databaseUrl'), NODE_ENV: 'production' });
    const logs = api.logs();
    const warning = logs.filter((l) => l.level === WARN && l.msg === IN_PROCESS_JOBS_WARNING);
    expect(warning).toHaveLength(1);
    expect(warning[0].jobs).toBe('in-process');
    expect(warning[0].msg).toMatch(/REDIS_URL/);
    expect(logs.findIndex((l) => l.msg === IN_PROCESS_JOBS_WARNING)).toBeLessThan(logs.findIndex((l) => l.msg === 'listening'));
    expect(logs.find((l) => l.msg === 'listening')?.jobs).toBe('in-process');
    await stopProcess(api);
  }, 120_000);

  it('no such warning with REDIS_URL in production, nor without it in development', async () => {
    const [withRedis, development] = await Promise.all([
      startApi({ DATABASE_URL: inject('databaseUrl'), NODE_ENV: 'production', ...parked }),
      startApi({ DATABASE_URL: inject('databaseUrl'), NODE_ENV: 'development' }),
    ]);
    for (const api of [withRedis, development]) {
      expect(api.logs().some((l) => l.msg === 'listening')).toBe(true);
      expect(api.logs().filter((l) => l.msg === IN_PROCESS_JOBS_WARNING)).toEqual([]);
    }
    expect(withRedis.logs().find((l) => l.msg === 'listening')?.jobs).toBe('bullmq');
    await Promise.all([stopProcess(withRedis), stopProcess(development)]);
  }, 180_000);
});

describe('start-up warning about autovacuum', () => {
  it('PostgreSQL\'s autovacuum off: one warning before "listening" (whatever NODE_ENV); none when it is on', async () => {
    const db = openPostgres(inject('databaseUrl'), 1, createLogger('silent'));
    const [{ autovacuum }] = await db.query<{ autovacuum: string }>(`SELECT current_setting('autovacuum') AS autovacuum`);
    await db.close();
    const api = await startApi({ DATABASE_URL: inject('databaseUrl'), NODE_ENV: 'development' });
    const logs = api.logs();
    const warned = logs.filter((l) => l.level === WARN && l.msg === AUTOVACUUM_OFF_WARNING);
    // This machine's server decides which branch runs (CI's has autovacuum off); both are asserted exactly.
    expect(warned).toHaveLength(autovacuum === 'off' ? 1 : 0);
    if (warned.length) {
      expect(warned[0].autovacuum).toBe('off');
      expect(logs.findIndex((l) => l.msg === AUTOVACUUM_OFF_WARNING)).toBeLessThan(logs.findIndex((l) => l.msg === 'listening'));
    }
    await stopProcess(api);
  }, 120_000);
});
