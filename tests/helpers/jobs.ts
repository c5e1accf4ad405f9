// Job settings for test servers, and polling with a deadline (never a fixed sleep as an assertion).
import { deleteKeys } from '../../src/lib/redis.js';

export const REDIS_BASE = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let seq = 0;
/** A BullMQ key prefix no other test file or run shares. */
export function uniquePrefix(label: string): string {
  return `t_${label}_${process.pid}_${Date.now().toString(36)}_${seq++}`;
}

/** BullMQ in Redis database `db`, workers in the server, quick retries. */
export function bullEnv(db: number, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: `${REDIS_BASE}/${db}`,
    QUEUE_PREFIX: prefix,
    JOB_ATTEMPTS: '3',
    JOB_BACKOFF_MS: '50',
    JOB_RECOVERY_INTERVAL_MS: '0',
    ...extra,
  };
}

/**
 * For tests about something else than summaries: jobs are queued in Redis under a private prefix
 * and never run, so conversations stay `processing` and responses are deterministic.
 */
export function parkedJobsEnv(db = 15): Record<string, string> {
  return { REDIS_URL: `${REDIS_BASE}/${db}`, QUEUE_PREFIX: uniquePrefix('parked'), RUN_WORKERS: 'false', JOB_RECOVERY_INTERVAL_MS: '0' };
}

/** Deletes every key under a prefix (afterAll). */
export async function dropPrefix(db: number, prefix: string): Promise<void> {
  await deleteKeys(`${REDIS_BASE}/${db}`, `${prefix}:*`);
}

/** Calls `probe` until `done` accepts its result or the deadline passes (then the last result is returned for the assertion). */
export async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await probe();
  }
  return value;
}
