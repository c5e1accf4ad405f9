// What every authenticated request costs, kept off the hot path: the rate-limit check (two counters,
// in memory or one pipelined Redis round trip) and one counter increment that is not waited for.
// Counts are flushed to PostgreSQL every USAGE_FLUSH_INTERVAL_MS and on shutdown; reads
// (`requestCounts`) add the counts not flushed yet, so a request shows as soon as it was answered.
import type { ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { AccountScope, OAuthGrantInfo } from '../../lib/account-scope.js';
import type { Config, Plan } from '../../config.js';
import type { Database } from '../../lib/db.js';
import type { Logger } from '../../lib/logger.js';
import { createRedis, redisReady } from '../../lib/redis.js';
import { endpointGroupOf, type EndpointGroup } from './endpoint-groups.js';
import { RateLimits } from './rate-limits.js';
import { RedisUsageStore } from './redis-usage-store.js';
import { addCounts, addInto, byGroup, clientCounter, countField, storedCounts, toRows, type Counts } from './usage-counts.js';
import { utcDay } from './utc-windows.js';

const REDIS_WAIT_AT_START_MS = 2_000;
const FAILURE_LOG_EVERY_MS = 10_000;

/** The plan of an account; an account whose plan was removed from the configuration gets the default's. */
export function planOf(config: Config, name: string): Plan {
  return config.plans[name] ?? config.plans[config.defaultPlan];
}

export class RequestAccounting {
  /** For /metrics when there is one: how often Redis failed and the request was let through. */
  readonly stats = { redisFailures: 0, flushFailures: 0 };
  private limits: RateLimits;
  private redis?: Redis;
  private shared?: RedisUsageStore;
  /** Counts of this process not yet in PostgreSQL: all of them without Redis, else those Redis refused. */
  private local = new Map<string, Counts>();
  private readonly groups = new Map<string, EndpointGroup>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** Serialises local flushes with reads, so that a read never sees a batch twice or not at all. */
  private lock: Promise<unknown> = Promise.resolve();
  private lastFailureLog = 0;

  constructor(
    private readonly config: Config,
    private readonly db: Database,
    private readonly log: Logger,
  ) {
    this.limits = new RateLimits(config.rateLimitsEnabled, this.prefix('rl'));
  }

  private prefix(what: string): string {
    return `${this.config.jobs.prefix}:${what}`;
  }

  /** Connects to Redis when configured (waiting a little, never failing) and starts the flush timer. */
  async start(): Promise<void> {
    if (this.config.redisUrl && !this.redis) {
      // No offline queue and short timeouts: while Redis is away, a command fails at once instead of
      // holding the request; the limits then fail open.
      const redis = createRedis(this.config.redisUrl, {
        connectionName: 'aimychats:usage',
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        connectTimeout: 1_000,
        commandTimeout: 1_000,
        maxRetriesPerRequest: 0,
        retryStrategy: (times) => Math.min(100 * times, 2_000),
      });
      redis.on('error', (err) => this.failed(err, 'usage: Redis connection error'));
      this.redis = redis;
      this.shared = new RedisUsageStore(redis, this.prefix('usage'));
      this.limits = new RateLimits(this.config.rateLimitsEnabled, this.prefix('rl'), redis);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([redisReady(redis), new Promise((r) => (timer = setTimeout(r, REDIS_WAIT_AT_START_MS)))]).catch(() => {});
      clearTimeout(timer);
    }
    this.timer ??= setInterval(() => void this.flush().catch(() => {}), this.config.usageFlushIntervalMs).unref();
  }

  private failed(err: unknown, msg: string): void {
    this.stats.redisFailures++;
    const now = Date.now();
    if (now - this.lastFailureLog < FAILURE_LOG_EVERY_MS) return;
    this.lastFailureLog = now;
    this.log.warn({ err, failures: this.stats.redisFailures }, msg);
  }

  /**
   * Admits an authenticated request: counts it against the plan's limits, sets the rate-limit headers
   * on `res`, and counts it for usage (an OAuth app's request also under its client). Over a limit
   * (and limiting on): throws 429 rate_limit_exceeded, and the request is not counted for usage.
   */
  async admit(scope: AccountScope & { oauth?: OAuthGrantInfo }, route: string, res?: ServerResponse): Promise<void> {
    const now = Date.now();
    const plan = planOf(this.config, scope.plan);
    const verdict = await this.limits.check(scope.accountId, plan, now);
    if (verdict.failedOpen) this.failed(undefined, 'rate limits: Redis unavailable, failing open');
    if (verdict.exceeded) {
      const error = RateLimits.exceededError(verdict, plan, now);
      if (res && !res.headersSent) for (const [k, v] of Object.entries(error.headers!)) res.setHeader(k, v);
      throw error;
    }
    if (res && !res.headersSent) for (const [k, v] of Object.entries(RateLimits.headers(verdict, plan, now))) res.setHeader(k, v);
    let group = this.groups.get(route);
    if (!group) this.groups.set(route, (group = endpointGroupOf(route)));
    const day = utcDay(now);
    const fields = [countField(day, group)];
    if (scope.oauth) fields.push(countField(day, clientCounter(scope.oauth.clientId)));
    this.record(scope.accountId, fields);
  }

  private record(accountId: string, fields: string[]): void {
    if (this.shared && this.redis?.status === 'ready') {
      // Not waited for: the command is on the connection before the response is, so a later read sees it.
      this.shared.record(accountId, fields).catch((err) => {
        this.failed(err, 'usage: Redis unavailable, counting in this process');
        this.countLocally(accountId, fields);
      });
    } else this.countLocally(accountId, fields);
  }

  private countLocally(accountId: string, fields: string[]): void {
    let counts = this.local.get(accountId);
    if (!counts) this.local.set(accountId, (counts = new Map()));
    for (const field of fields) counts.set(field, (counts.get(field) ?? 0) + 1);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  /** Requests per endpoint group (and per OAuth client, `client:<id>`) on the days `fromDay`..`toDay` (UTC, inclusive), unflushed ones included. */
  async requestCounts(accountId: string, fromDay: string, toDay: string): Promise<Map<string, number>> {
    // Redis first, then PostgreSQL: the flush mark read with PostgreSQL's counts tells which of the
    // Redis counts it already holds (see redis-usage-store.ts).
    const unflushed =
      this.shared && this.redis?.status === 'ready'
        ? await this.shared.unflushed(accountId).catch((err) => void this.failed(err, 'usage: could not read Redis counts'))
        : undefined;
    return this.serialized(async () => {
      const stored = await storedCounts(this.db, accountId, fromDay, toDay);
      const out = stored.byGroup;
      if (unflushed) {
        if (unflushed.flushing && unflushed.flushing.id > stored.mark) byGroup(unflushed.flushing.counts, fromDay, toDay, out);
        if (unflushed.pendingId > stored.mark) byGroup(unflushed.pending, fromDay, toDay, out);
      }
      const mine = this.local.get(accountId);
      if (mine) byGroup(mine, fromDay, toDay, out);
      return out;
    });
  }

  /** Writes the counts to PostgreSQL: this process's, and (with Redis) every instance's. */
  flush(): Promise<void> {
    return (this.flushing ??= this.flushNow().finally(() => (this.flushing = undefined)));
  }

  private async flushNow(): Promise<void> {
    const errors: unknown[] = [];
    await this.serialized(async () => {
      if (!this.local.size) return;
      const taken = this.local;
      this.local = new Map();
      try {
        await addCounts(this.db, toRows(taken));
      } catch (err) {
        for (const [accountId, counts] of taken) {
          const into = this.local.get(accountId);
          if (into) addInto(into, counts);
          else this.local.set(accountId, counts);
        }
        errors.push(err);
      }
    });
    if (this.shared && this.redis?.status === 'ready') await this.shared.flush(this.db).catch((err) => errors.push(err));
    if (errors.length) {
      this.stats.flushFailures++;
      this.log.warn({ err: errors[0] }, 'usage: flush failed; counts are kept for the next one');
      throw errors[0];
    }
  }

  /** Stops the timer, writes what is left (the server has stopped taking requests) and disconnects. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch((err) => this.log.error({ err }, 'usage: final flush failed; unflushed counts of this process are lost'));
    this.redis?.disconnect();
    this.redis = undefined;
  }
}
