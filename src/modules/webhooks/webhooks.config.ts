// The webhook settings of the one configuration schema (src/config.ts spreads these variables into
// it and calls `webhooksConfig`): kept beside the module so that config.ts only gains three lines.
import { z } from 'zod';
import { envBool as bool } from '../../env.config.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5s,5m,30m,2h` → milliseconds; a bare number is milliseconds. */
export function parseDurations(text: string): number[] | null {
  const parts = text.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const part of parts) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(part);
    if (!m) return null;
    out.push(Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']));
  }
  return out;
}

const durations = z.string().transform((s, ctx) => {
  const parsed = parseDurations(s);
  if (!parsed || parsed.length === 0 || parsed.length > 50) {
    ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of durations, e.g. 5s,5m,30m,2h' });
    return z.NEVER;
  }
  return parsed;
});

export const WEBHOOK_ENV = {
  /** Lets endpoints point at private, loopback and link-local addresses (development, tests). Metadata addresses stay refused. */
  WEBHOOK_ALLOW_PRIVATE_URLS: bool.default(false),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Delay before each retry; its length is the number of retries. About a day in all by default. */
  WEBHOOK_RETRY_SCHEDULE: durations.default(parseDurations('5s,5m,30m,2h,5h,10h,24h')!),
  /** An endpoint whose attempts have all failed for this long is switched off. */
  WEBHOOK_DISABLE_AFTER_FAILING_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5 * 86_400_000),
  /** After a rotation the previous secret keeps signing (a second signature) for this long. */
  WEBHOOK_SECRET_GRACE_MS: z.coerce.number().int().min(0).default(86_400_000),
  /** Events fanned out at once per worker process (each is a few short statements: mostly waiting on the database). */
  WEBHOOK_DISPATCH_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  /** Delivery attempts run at once per worker process (they mostly wait on the network). */
  WEBHOOK_DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  /** How long dispatched events and finished delivery attempts are kept (the deliveries log); `0` keeps them forever. */
  WEBHOOK_RETENTION: durations.refine((d) => d.length === 1, 'must be one duration, e.g. 30d').default([30 * 86_400_000]),
  /** How often the retention job runs (once per interval whatever the number of workers). */
  WEBHOOK_PRUNE_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** Attempts in flight to one endpoint per worker process; more wait (deferred), so a slow endpoint holds only these slots. */
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: z.coerce.number().int().min(1).max(1000).default(8),
};

export interface WebhooksConfig {
  allowPrivateUrls: boolean;
  timeoutMs: number;
  retryScheduleMs: number[];
  disableAfterFailingMs: number;
  secretGraceMs: number;
  dispatchConcurrency: number;
  deliveryConcurrency: number;
  maxInFlightPerEndpoint: number;
  retentionMs: number;
  pruneIntervalMs: number;
}

type WebhookEnv = { [K in keyof typeof WEBHOOK_ENV]: z.output<(typeof WEBHOOK_ENV)[K]> };

export function webhooksConfig(e: WebhookEnv): WebhooksConfig {
  return {
    allowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS,
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    retryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE,
    disableAfterFailingMs: e.WEBHOOK_DISABLE_AFTER_FAILING_MS,
    secretGraceMs: e.WEBHOOK_SECRET_GRACE_MS,
    dispatchConcurrency: e.WEBHOOK_DISPATCH_CONCURRENCY,
    deliveryConcurrency: e.WEBHOOK_DELIVERY_CONCURRENCY,
    maxInFlightPerEndpoint: e.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT,
    retentionMs: e.WEBHOOK_RETENTION[0],
    pruneIntervalMs: e.WEBHOOK_PRUNE_INTERVAL_MS,
  };
}
