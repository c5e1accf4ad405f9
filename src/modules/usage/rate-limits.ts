// Per-account rate limits: a per-minute burst limit and a daily quota, from the account's plan.
// Windows are aligned to the UTC clock (minute, day), so that every instance agrees on them and the
// daily quota resets with `requests_today`. rate-limiter-flexible keeps the counters: atomically in
// Redis (one Lua INCR+EXPIRE per window) when REDIS_URL is set, shared by every instance; in this
// process's memory otherwise. Requests are counted even when limiting is off (RATE_LIMITS_ENABLED=false),
// so that the headers still report the plan's figures. If Redis fails, limits fail open: this process
// counts in memory and lets the request through.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { Plan } from '../../config.js';
import { AppError } from '../../lib/errors.js';
import { DAY_MS, MINUTE_MS, utcDay, windowOf } from './utc-windows.js';

export type LimitName = 'minute' | 'day';

export interface LimitState {
  name: LimitName;
  limit: number;
  /** Requests counted in the window, this one included. */
  used: number;
  remaining: number;
  windowSeconds: number;
  /** When the window ends (ms since the epoch). */
  resetAt: number;
}

export interface Verdict {
  /** The limit closest to running out (the exceeded one, when over). */
  reported: LimitState;
  /** Set when the request is over a limit and limiting is on. */
  exceeded?: LimitState;
  /** The counters could not be reached and the request was let through. */
  failedOpen: boolean;
}

const NO_CEILING = 2 ** 31 - 1; // the limiters only count; the plan decides
type Pair = Record<LimitName, RateLimiterAbstract>;

function limiters(make: (keyPrefix: string, duration: number) => RateLimiterAbstract, prefix: string): Pair {
  return { minute: make(`${prefix}:minute`, 60), day: make(`${prefix}:day`, 86_400) };
}

async function hit(limiter: RateLimiterAbstract, key: string, ttlSeconds: number): Promise<number> {
  try {
    return (await limiter.consume(key, 1, { customDuration: ttlSeconds })).consumedPoints;
  } catch (e) {
    if (e instanceof RateLimiterRes) return e.consumedPoints;
    throw e;
  }
}

export class RateLimits {
  private readonly memory: Pair;
  private readonly shared?: Pair;

  constructor(
    private readonly enabled: boolean,
    prefix: string,
    redis?: Redis,
  ) {
    this.memory = limiters((keyPrefix, duration) => new RateLimiterMemory({ keyPrefix, points: NO_CEILING, duration }), prefix);
    if (redis) {
      this.shared = limiters(
        (keyPrefix, duration) =>
          new RateLimiterRedis({ storeClient: redis, keyPrefix, points: NO_CEILING, duration, rejectIfRedisNotReady: true }),
        prefix,
      );
    }
  }

  /** Counts the request in both windows and tells whether it may go on. Never throws. */
  async check(accountId: string, plan: Plan, now = Date.now()): Promise<Verdict> {
    const minute = windowOf(now, MINUTE_MS);
    const day = windowOf(now, DAY_MS);
    const keys = { minute: `${accountId}:${minute.index}`, day: `${accountId}:${utcDay(now)}` };
    // Keys outlive their window by a little, so that a late request never restarts a finished one.
    const ttl = { minute: Math.ceil((minute.end - now) / 1000) + 5, day: Math.ceil((day.end - now) / 1000) + 60 };
    let failedOpen = false;
    let used: [number, number];
    try {
      const store = this.shared ?? this.memory;
      used = await Promise.all([hit(store.minute, keys.minute, ttl.minute), hit(store.day, keys.day, ttl.day)]);
    } catch {
      failedOpen = true;
      used = await Promise.all([hit(this.memory.minute, keys.minute, ttl.minute), hit(this.memory.day, keys.day, ttl.day)]);
    }
    const state = (name: LimitName, limit: number, n: number, resetAt: number, windowSeconds: number): LimitState => ({
      name,
      limit,
      used: n,
      remaining: Math.max(0, limit - n),
      windowSeconds,
      resetAt,
    });
    const m = state('minute', plan.requestsPerMinute, used[0], minute.end, 60);
    const d = state('day', plan.requestsPerDay, used[1], day.end, 86_400);
    const over = !failedOpen && this.enabled ? (d.used > d.limit ? d : m.used > m.limit ? m : undefined) : undefined;
    return { reported: over ?? (d.remaining <= m.remaining ? d : m), exceeded: over, failedOpen };
  }

  /** The response headers: X-RateLimit-* and the IETF RateLimit-Policy / RateLimit fields. */
  static headers(v: Verdict, plan: Plan, now = Date.now()): Record<string, string> {
    const r = v.reported;
    const secondsLeft = Math.max(1, Math.ceil((r.resetAt - now) / 1000));
    return {
      'X-RateLimit-Limit': String(r.limit),
      'X-RateLimit-Remaining': String(r.remaining),
      'X-RateLimit-Reset': String(Math.ceil(r.resetAt / 1000)),
      'RateLimit-Policy': `"minute";q=${plan.requestsPerMinute};w=60, "day";q=${plan.requestsPerDay};w=86400`,
      RateLimit: `"${r.name}";r=${r.remaining};t=${secondsLeft}`,
    };
  }

  /** The 429 for an exceeded limit, with Retry-After and every rate-limit header. */
  static exceededError(v: Verdict, plan: Plan, now = Date.now()): AppError {
    const x = v.exceeded!;
    const retryAfter = Math.max(1, Math.ceil((x.resetAt - now) / 1000));
    const what = x.name === 'minute' ? `${x.limit} requests per minute` : `${x.limit} requests per day`;
    return new AppError(
      'rate_limit_exceeded',
      `Rate limit exceeded: this account's plan allows ${what}. Retry after ${retryAfter} s.`,
      { window: x.name, limit: x.limit, reset_at: new Date(x.resetAt).toISOString() },
      { ...RateLimits.headers(v, plan, now), 'Retry-After': String(retryAfter) },
    );
  }
}
