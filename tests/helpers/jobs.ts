// Job settings for test servers, and polling with a deadline (never a fixed sleep as an assertion).
import { afterAll, beforeAll } from 'vitest';
import { deleteKeys } from '../../src/lib/redis.js';
import { startTestServer, type TestServer } from './server.js';

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

type Env = Record<string, string>;

/** A test server with BullMQ under its own prefix; `prefix` names its keys in Redis. */
export interface BullServer extends TestServer {
  readonly prefix: string;
}

/**
 * A test server with BullMQ in Redis database `db` under a private prefix (bullEnv), for the file or
 * `describe` block that calls this: started in beforeAll, stopped and its keys dropped in afterAll.
 * `extra` are more server variables; a function is called in beforeAll, for values known only then
 * (a temporary directory, the URL of a stand-in started by an earlier hook).
 * The answer stands for the server from the moment beforeAll has started it (tests, later hooks).
 * Hooks registered before this call run before the start and, as afterAll hooks run as a stack
 * (vitest's default `sequence.hooks`), after the stop: the place for a stand-in the server talks to.
 */
export function useBullServer(db: number, label: string, extra: Env | (() => Env | Promise<Env>) = {}): BullServer {
  const prefix = uniquePrefix(label);
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer(bullEnv(db, prefix, typeof extra === 'function' ? await extra() : extra));
  });
  afterAll(async () => {
    await started?.stop();
    await dropPrefix(db, prefix);
  });
  const server = () => {
    if (!started) throw new Error(`useBullServer('${label}'): the server is not started yet (use it in tests and hooks)`);
    return started;
  };
  return {
    prefix,
    get running() {
      return server().running;
    },
    get url() {
      return server().url;
    },
    stop: () => server().stop(),
  };
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
