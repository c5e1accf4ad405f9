// GET /readyz: is every dependency this process needs reachable? PostgreSQL always; Redis and
// the search engine when configured (its check is given by the search module); file storage (local directory writable, or the S3 bucket reachable).
// Checks run in parallel, each bounded by READYZ_TIMEOUT_MS, so a hung dependency makes the answer a
// quick 503 instead of a hung probe.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from './logger.js';
import { createRedis, redisReady } from './redis.js';

export interface CheckResult {
  status: 'ok' | 'error';
  /** How long the check took. */
  ms: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export type Check = (signal: AbortSignal) => Promise<void>;

function withTimeout(run: Check, ms: number): Promise<void> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    run(controller.signal),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`timed out after ${ms} ms`));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** `extra`: checks of dependencies lib/ does not know (the search engine), keyed by their name. */
export function createReadinessChecks(
  app: { config: Config; db: { ping(): Promise<void> }; log: Logger },
  extra: Record<string, Check> = {},
) {
  const { config } = app;
  let redis: Redis | undefined;
  /** Set-up a check needs once (loading a client library): awaited before the checks' clocks start. */
  const preparing: Promise<unknown>[] = [];

  const checks: Record<string, Check> = {
    database: () => app.db.ping(),
    ...extra,
  };

  if (config.redisUrl) {
    const url = config.redisUrl;
    checks.redis = async () => {
      // Its own connection, made on the first probe: never queues a command while disconnected, so
      // a Redis that is down answers at once; a hung one is cut off by the timeout.
      redis ??= createRedis(url, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectionName: 'aimychats:readyz',
      }).on('error', () => {});
      if (redis.status === 'wait') await redis.connect();
      else if (redis.status !== 'ready') await redisReady(redis);
      await redis.ping();
    };
  }

  const s3 = config.files.s3;
  if (s3) {
    // The AWS SDK takes a while to load on a busy machine: loaded from the start, and never counted
    // against the check's timeout, which is about the bucket answering.
    const s3Head = Promise.all([import('@aws-sdk/client-s3'), import('./storage/s3-storage.js')]).then(
      ([{ HeadBucketCommand, S3Client }, { s3ClientConfig }]) => {
        const client = new S3Client({ ...s3ClientConfig(s3), maxAttempts: 1 });
        return async (s: AbortSignal) => {
          await client.send(new HeadBucketCommand({ Bucket: s3.bucket }), { abortSignal: s });
        };
      },
    );
    preparing.push(s3Head.catch(() => {})); // handled here; the check reports it
    checks.storage = async (signal) => (await s3Head)(signal);
  } else {
    // The local disk backend writes under DATA_DIR/files (lib/storage/local-storage.ts).
    const root = path.join(config.dataDir, 'files');
    checks.storage = async () => {
      await fs.promises.mkdir(root, { recursive: true });
      const probe = path.join(root, `.readyz-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
      try {
        await fs.promises.writeFile(probe, 'ok', { mode: 0o600 });
      } finally {
        await fs.promises.rm(probe, { force: true });
      }
    };
  }

  return {
    async check(): Promise<Readiness> {
      await Promise.allSettled(preparing); // a failure shows as its check's error below
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, run]): Promise<[string, CheckResult]> => {
          const started = performance.now();
          try {
            await withTimeout(run, config.server.readyzTimeoutMs);
            return [name, { status: 'ok', ms: Math.round(performance.now() - started) }];
          } catch (e) {
            const error = e instanceof Error ? e.message || e.name : String(e);
            app.log.warn({ check: name, error }, 'readiness check failed');
            return [name, { status: 'error', ms: Math.round(performance.now() - started), error: error.slice(0, 300) }];
          }
        }),
      );
      return { ready: results.every(([, r]) => r.status === 'ok'), checks: Object.fromEntries(results) };
    },
    close(): void {
      redis?.disconnect();
    },
  };
}
