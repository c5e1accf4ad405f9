// The `webhook.deliver` job: one attempt of one event to one endpoint, logged on its delivery row.
// 2xx is success. Anything else is retried on WEBHOOK_RETRY_SCHEDULE (with jitter): the next
// attempt's row is written with this one's result, then its job is enqueued with a delay; the
// same `webhook-id` (the event id) is sent every time. 410 Gone switches the endpoint off at once;
// so does failing without a single success for WEBHOOK_DISABLE_AFTER_FAILING_MS. At most
// WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT attempts per endpoint run at once in a process; further ones
// are deferred, so that a slow endpoint never takes every slot of the queue.
import type { App } from '../../app.js';
import { DeferJob, type JobContext, type JobHandler } from '../../jobs/definition.js';
import { enqueueAfterCommit } from '../../jobs/runner.js';
import { newId } from '../../lib/ids.js';
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

/** Attempts in flight per endpoint in this process. */
const inFlight = new Map<string, number>();

export const deliverWebhookHandler: JobHandler<{ deliveryId: string }> = {
  async run({ deliveryId }, ctx) {
    const { app } = ctx;
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
    const body = JSON.stringify({ id: work.event_id, type: work.type, created_at: work.event_created_at.toISOString(), data: publicEventData(work.data) });
    const secrets = [work.secret];
    if (work.previous_secret && work.previous_secret_expires_at && work.previous_secret_expires_at > new Date()) secrets.push(work.previous_secret);
    const { timeoutMs, maxInFlightPerEndpoint, allowPrivateUrls } = app.config.webhooks;
    const busy = inFlight.get(work.webhook_id) ?? 0;
    // Wait about as long as an attempt may take, spread out so that deferred jobs do not return together.
    if (busy >= maxInFlightPerEndpoint) throw new DeferJob(withJitter(Math.min(timeoutMs, 2_000) / 2 + Math.random() * timeoutMs));
    inFlight.set(work.webhook_id, busy + 1);
    let result: SendResult;
    try {
      result = await sendWebhook({ url: work.url, body, headers: signatureHeaders(secrets, work.event_id, body), timeoutMs, allowPrivate: allowPrivateUrls });
    } finally {
      const left = (inFlight.get(work.webhook_id) ?? 1) - 1;
      if (left > 0) inFlight.set(work.webhook_id, left);
      else inFlight.delete(work.webhook_id);
    }
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

async function finishAttempt(app: App, work: Work, result: SendResult, ctx: JobContext, opts: { final?: boolean } = {}): Promise<void> {
  const cfg = app.config.webhooks;
  const ok = result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300;
  const gone = result.statusCode === 410;
  const schedule = cfg.retryScheduleMs;
  const retry = !ok && !gone && !opts.final && work.attempt <= schedule.length;
  const delayMs = retry ? withJitter(schedule[work.attempt - 1]) : 0;
  const error = ok ? null : (result.error ?? describeStatus(result)).slice(0, 1000);
  const next = retry ? { id: newId('delivery'), at: new Date(Date.now() + delayMs) } : null;

  const applied = await app.db.prisma.$transaction(async (tx) => {
    const updated = await tx.$executeRaw`
      UPDATE webhook_deliveries
         SET status = ${ok ? 'succeeded' : 'failed'}, status_code = ${result.statusCode ?? null},
             duration_ms = ${result.durationMs}, error = ${error}, attempted_at = now(), next_retry_at = ${next?.at ?? null}
       WHERE id = ${work.id} AND status = 'pending'`;
    if (updated === 0) return false; // a concurrent run recorded this attempt first
    if (next) {
      await tx.$executeRaw`
        INSERT INTO webhook_deliveries (id, account_id, webhook_id, event_id, event_type, attempt, status, scheduled_at)
        VALUES (${next.id}, ${work.account_id}, ${work.webhook_id}, ${work.event_id}, ${work.type}, ${work.attempt + 1}, 'pending', ${next.at})
        ON CONFLICT (event_id, webhook_id, attempt) DO NOTHING`;
    }
    if (opts.final) return true;
    if (ok) {
      await tx.$executeRaw`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ${work.webhook_id} AND failing_since IS NOT NULL`;
    } else if (gone) {
      await tx.$executeRaw`
        UPDATE webhook_endpoints SET active = false, disabled_reason = 'gone', updated_at = now()
         WHERE id = ${work.webhook_id} AND active`;
    } else {
      await tx.$executeRaw`
        UPDATE webhook_endpoints
           SET failing_since = COALESCE(failing_since, now()),
               active = CASE WHEN failing_since < now() - make_interval(secs => ${cfg.disableAfterFailingMs / 1000}) THEN false ELSE active END,
               disabled_reason = CASE WHEN active AND failing_since < now() - make_interval(secs => ${cfg.disableAfterFailingMs / 1000})
                                      THEN 'failing' ELSE disabled_reason END
         WHERE id = ${work.webhook_id}`;
    }
    return true;
  });
  if (!applied) return;
  const log = ctx.log.child({ webhookId: work.webhook_id, eventId: work.event_id, attempt: work.attempt });
  if (ok) log.debug({ status: result.statusCode, ms: result.durationMs }, 'webhook delivered');
  else log.info({ status: result.statusCode, error, retryInMs: next ? delayMs : undefined, gone }, 'webhook attempt failed');
  if (next) await enqueueAfterCommit(app, deliverWebhookJob, { deliveryId: next.id }, { delayMs });
}

function describeStatus(r: SendResult): string {
  const excerpt = r.responseExcerpt?.replace(/\s+/g, ' ').trim().slice(0, 200);
  return `HTTP ${r.statusCode}${excerpt ? `: ${excerpt}` : ''}`;
}
