// The `webhook.deliver` job: one attempt of one event to one endpoint, logged on its delivery row.
// 2xx is success. Anything else is retried on WEBHOOK_RETRY_SCHEDULE (with jitter): the next
// attempt's row is written with this one's result, then its job is enqueued with a delay; the
// same `webhook-id` (the event id) is sent every time. 410 Gone switches the endpoint off at once;
// so does failing without a single success for WEBHOOK_DISABLE_AFTER_FAILING_MS. At most
// WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT attempts per endpoint run at once in a process; further ones
// are deferred (paced to the endpoint's speed), so that a slow endpoint never takes every slot of the
// queue. Recording an attempt is one SQL statement (see finishAttempt).
import type { App } from '../../app.js';
import { DeferJob, type JobContext, type JobHandler } from '../../jobs/definition.js';
import { enqueueAfterCommit } from '../../jobs/runner.js';
import { newId } from '../../lib/ids.js';
import { recordWebhookDelivery } from '../../lib/metrics.js';
import { publicEventData } from './event-data.js';
import { TEST_EVENT_TYPE } from './event-types.js';
import { sendWebhook, type SendResult } from './send-webhook.js';
import { signatureHeaders } from './webhook-signature.js';
import { deliverWebhookJob } from './webhooks.jobs.js';

interface Work {
  id: string;
  account_id: string;
  webhook_id: string;
  event_id: string;
  attempt: number;
  status: string;
  url: string;
  active: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  type: string;
  data: Record<string, unknown>;
  event_created_at: Date;
}

/** ±10 % so that retries of many deliveries failed together do not arrive together. */
export function withJitter(ms: number, random = Math.random()): number {
  return Math.max(0, Math.round(ms * (0.9 + 0.2 * random)));
}

/**
 * Per endpoint, in this process: attempts in flight, their average duration, and when the next
 * deferred attempt should come back. A deferred attempt is given the next free "slot" (one every
 * avgMs / maxInFlight), so a backlog behind a slow endpoint is re-run about as fast as the endpoint
 * takes attempts — not every few seconds each, which made thousands of idle re-runs a second.
 */
interface EndpointState {
  inFlight: number;
  avgMs: number;
  nextSlotAt: number;
  lastUsed: number;
}
const endpoints = new Map<string, EndpointState>();
const MAX_TRACKED_ENDPOINTS = 10_000;

function endpointState(webhookId: string, timeoutMs: number): EndpointState {
  let s = endpoints.get(webhookId);
  if (!s) {
    if (endpoints.size >= MAX_TRACKED_ENDPOINTS) forgetIdleEndpoints();
    s = { inFlight: 0, avgMs: Math.min(timeoutMs, 1_000), nextSlotAt: 0, lastUsed: Date.now() };
    endpoints.set(webhookId, s);
  }
  s.lastUsed = Date.now();
  return s;
}

function forgetIdleEndpoints(): void {
  const idleSince = Date.now() - 10 * 60_000;
  for (const [id, s] of endpoints) if (s.inFlight === 0 && s.lastUsed < idleSince) endpoints.delete(id);
}

/**
 * Attempts deferred by this process and not yet started. While an endpoint has such a backlog, a new
 * attempt queues behind it even if a slot happens to be free, so the oldest attempts go first rather
 * than the newest taking every slot that frees up. Bounded: past the bound, order is not kept.
 */
const deferred = new Set<string>();
const MAX_TRACKED_DEFERRED = 100_000;

/** Throws DeferJob (to the endpoint's next free slot) unless this attempt may start now. */
function deferIfBusy(s: EndpointState, maxInFlight: number, deliveryId: string): void {
  const now = Date.now();
  const returning = deferred.delete(deliveryId);
  if (s.inFlight < maxInFlight && (returning || s.nextSlotAt <= now)) return;
  defer(s, maxInFlight, deliveryId, now);
}

function defer(s: EndpointState, maxInFlight: number, deliveryId: string, now = Date.now()): never {
  if (deferred.size >= MAX_TRACKED_DEFERRED) deferred.clear();
  deferred.add(deliveryId);
  const interval = Math.max(10, s.avgMs / maxInFlight);
  s.nextSlotAt = Math.max(now, s.nextSlotAt) + interval;
  throw new DeferJob(withJitter(s.nextSlotAt - now));
}

export const deliverWebhookHandler: JobHandler<{ deliveryId: string; webhookId?: string }> = {
  async run({ deliveryId, webhookId }, ctx) {
    const { app } = ctx;
    const { timeoutMs, maxInFlightPerEndpoint, allowPrivateUrls } = app.config.webhooks;
    // Known from the payload: a busy endpoint's attempt is deferred without a query.
    if (webhookId) deferIfBusy(endpointState(webhookId, timeoutMs), maxInFlightPerEndpoint, deliveryId);
    const [work] = await app.db.query<Work>(
      `SELECT d.id, d.account_id, d.webhook_id, d.event_id, d.attempt, d.status,
              w.url, w.active, w.secret, w.previous_secret, w.previous_secret_expires_at,
              e.type, e.data, e.created_at AS event_created_at
         FROM webhook_deliveries d
         JOIN webhook_endpoints w ON w.id = d.webhook_id AND w.account_id = d.account_id
         JOIN events e ON e.id = d.event_id AND e.account_id = d.account_id
        WHERE d.id = $1`,
      [deliveryId],
    );
    if (!work) return ctx.log.info('delivery, endpoint or event gone; nothing to do');
    if (work.status !== 'pending') return ctx.log.debug({ status: work.status }, 'attempt already made');
    // Test events go out even to a switched-off endpoint: that is how one checks it before switching it on.
    if (!work.active && work.type !== TEST_EVENT_TYPE) {
      await finishAttempt(app, work, { durationMs: 0, error: 'Endpoint disabled' }, ctx, { final: true });
      return;
    }
    const body = JSON.stringify({
      id: work.event_id,
      type: work.type,
      created_at: work.event_created_at.toISOString(),
      data: publicEventData(work.data),
    });
    const secrets = [work.secret];
    if (work.previous_secret && work.previous_secret_expires_at && work.previous_secret_expires_at > new Date())
      secrets.push(work.previous_secret);
    const state = endpointState(work.webhook_id, timeoutMs);
    // Checked again: other attempts may have started while this one read the database.
    if (!webhookId) deferIfBusy(state, maxInFlightPerEndpoint, deliveryId);
    else if (state.inFlight >= maxInFlightPerEndpoint) defer(state, maxInFlightPerEndpoint, deliveryId);
    state.inFlight++;
    let result: SendResult;
    try {
      result = await sendWebhook({
        url: work.url,
        body,
        headers: signatureHeaders(secrets, work.event_id, body),
        timeoutMs,
        allowPrivate: allowPrivateUrls,
      });
    } finally {
      state.inFlight--;
    }
    state.avgMs = 0.8 * state.avgMs + 0.2 * result.durationMs;
    await finishAttempt(app, work, result, ctx);
  },
  async failed({ deliveryId }, reason, ctx) {
    // The job itself failed for good (the database kept failing): close the attempt so it is not retried forever.
    await ctx.app.db.query(
      `UPDATE webhook_deliveries SET status = 'failed', error = $2, attempted_at = now() WHERE id = $1 AND status = 'pending'`,
      [deliveryId, `Internal error: ${reason}`.slice(0, 1000)],
    );
  },
};

/** What an attempt does to its endpoint, as the last part of the statement that records it (fixed SQL, chosen by outcome). */
const ENDPOINT_EFFECT = {
  final: '',
  ok: `, endpoint AS (
         UPDATE webhook_endpoints SET failing_since = NULL
          WHERE id = $9 AND account_id = $8 AND failing_since IS NOT NULL AND EXISTS (SELECT 1 FROM attempt))`,
  gone: `, endpoint AS (
         UPDATE webhook_endpoints SET active = false, disabled_reason = 'gone', updated_at = now()
          WHERE id = $9 AND account_id = $8 AND active AND EXISTS (SELECT 1 FROM attempt))`,
  failed: `, endpoint AS (
         UPDATE webhook_endpoints
            SET failing_since = COALESCE(failing_since, now()),
                active = CASE WHEN failing_since < now() - make_interval(secs => $13::double precision) THEN false ELSE active END,
                disabled_reason = CASE WHEN active AND failing_since < now() - make_interval(secs => $13::double precision)
                                       THEN 'failing' ELSE disabled_reason END
          WHERE id = $9 AND account_id = $8 AND EXISTS (SELECT 1 FROM attempt))`,
} as const;

/**
 * Records the attempt, the next one (if it is to be retried) and the endpoint's state in ONE
 * statement — atomic, one round trip. Only a still-`pending` attempt is recorded; a concurrent run
 * that recorded it first makes this one a no-op.
 */
async function finishAttempt(app: App, work: Work, result: SendResult, ctx: JobContext, opts: { final?: boolean } = {}): Promise<void> {
  const cfg = app.config.webhooks;
  const ok = result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300;
  const gone = result.statusCode === 410;
  const schedule = cfg.retryScheduleMs;
  const retry = !ok && !gone && !opts.final && work.attempt <= schedule.length;
  const delayMs = retry ? withJitter(schedule[work.attempt - 1]) : 0;
  const error = ok ? null : (result.error ?? describeStatus(result)).slice(0, 1000);
  const next = retry ? { id: newId('delivery'), at: new Date(Date.now() + delayMs) } : null;
  const effect = opts.final ? 'final' : ok ? 'ok' : gone ? 'gone' : 'failed';

  const params: unknown[] = [
    work.id,
    ok ? 'succeeded' : 'failed',
    result.statusCode ?? null,
    result.durationMs,
    error,
    next?.at ?? null,
    next?.id ?? null,
    work.account_id,
    work.webhook_id,
    work.event_id,
    work.type,
    work.attempt + 1,
  ];
  if (effect === 'failed') params.push(cfg.disableAfterFailingMs / 1000);
  const [row] = await app.db.query<{ applied: number }>(
    `WITH attempt AS (
       UPDATE webhook_deliveries
          SET status = $2, status_code = $3::int, duration_ms = $4::int, error = $5::text, attempted_at = now(),
              next_retry_at = $6::timestamptz
        WHERE id = $1 AND status = 'pending'
       RETURNING id
     ), retry AS (
       INSERT INTO webhook_deliveries (id, account_id, webhook_id, event_id, event_type, attempt, status, scheduled_at)
       SELECT $7::text, $8::text, $9::text, $10::text, $11::text, $12::int, 'pending', $6::timestamptz
         FROM attempt WHERE $7::text IS NOT NULL
       ON CONFLICT (event_id, webhook_id, attempt) DO NOTHING
     )${ENDPOINT_EFFECT[effect]}
     SELECT count(*)::int AS applied FROM attempt`,
    params,
  );
  if (!row?.applied) return; // a concurrent run recorded this attempt first
  recordWebhookDelivery(opts.final ? 'disabled' : ok ? 'success' : gone ? 'gone' : next ? 'retry' : 'failure');
  const log = ctx.log.child({ webhookId: work.webhook_id, eventId: work.event_id, attempt: work.attempt });
  if (ok) log.debug({ status: result.statusCode, ms: result.durationMs }, 'webhook delivered');
  else log.info({ status: result.statusCode, error, retryInMs: next ? delayMs : undefined, gone }, 'webhook attempt failed');
  if (next) await enqueueAfterCommit(app, deliverWebhookJob, { deliveryId: next.id, webhookId: work.webhook_id }, { delayMs });
}

function describeStatus(r: SendResult): string {
  const excerpt = r.responseExcerpt?.replace(/\s+/g, ' ').trim().slice(0, 200);
  return `HTTP ${r.statusCode}${excerpt ? `: ${excerpt}` : ''}`;
}
