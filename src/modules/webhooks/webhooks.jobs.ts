// Two queues: `webhooks` fans an outbox event out into one pending delivery per matching endpoint;
// `webhook-deliveries` makes one attempt per job (so a slow endpoint only ever holds its own
// attempts, each for at most WEBHOOK_TIMEOUT_MS, on a queue with its own concurrency). A fan-out
// adds its attempts' jobs in one bulk. Both are
// recovered from the database: events without `dispatched_at`, and attempts still `pending` after
// they were due — a crash, a lost Redis or a restart in development mode loses nothing.
import { z } from 'zod';
import { defineJob } from '../../jobs/definition.js';
import { isId } from '../../lib/ids.js';

export const dispatchEventJob = defineJob({
  queue: 'webhooks',
  name: 'webhook.dispatch',
  payload: z.object({ eventId: z.string().refine((s) => isId('event', s), 'must be an event id') }),
  jobId: (p) => `webhook.dispatch.${p.eventId}`,
  handler: () => import('./dispatch-event.js').then((m) => m.dispatchEventHandler),
  recover: async (app, olderThanMs) => {
    const rows = await app.db.query<{ id: string }>(
      `SELECT id FROM events WHERE dispatched_at IS NULL AND created_at < now() - make_interval(secs => $1)
        ORDER BY created_at LIMIT 1000`,
      [olderThanMs / 1000],
    );
    return rows.map((r) => ({ eventId: r.id }));
  },
});

export const deliverWebhookJob = defineJob({
  queue: 'webhook-deliveries',
  name: 'webhook.deliver',
  payload: z.object({
    deliveryId: z.string().refine((s) => isId('delivery', s), 'must be a delivery id'),
    /** The endpoint, so that a job can be deferred (endpoint at its in-flight limit) without reading the database. */
    webhookId: z.string().optional(),
  }),
  jobId: (p) => `webhook.deliver.${p.deliveryId}`,
  handler: () => import('./deliver-webhook.js').then((m) => m.deliverWebhookHandler),
  recover: async (app, olderThanMs) => {
    const rows = await app.db.query<{ id: string; webhook_id: string }>(
      `SELECT id, webhook_id FROM webhook_deliveries WHERE status = 'pending' AND scheduled_at < now() - make_interval(secs => $1)
        ORDER BY scheduled_at LIMIT 1000`,
      [olderThanMs / 1000],
    );
    return rows.map((r) => ({ deliveryId: r.id, webhookId: r.webhook_id }));
  },
});

/**
 * Retention (WEBHOOK_RETENTION): repeats without a scheduler, like the export cleanup — every worker's
 * recovery sweep asks for the job of the current interval, whose id is that interval's number.
 */
export const pruneWebhookHistoryJob = defineJob({
  queue: 'webhooks',
  name: 'webhook.prune',
  payload: z.object({ interval: z.number().int().min(0) }),
  jobId: (p) => `webhook.prune.${p.interval}`,
  handler: () => import('./prune-history.js').then((m) => m.pruneWebhookHistoryHandler),
  recover: async (app) => {
    // It also expires Idempotency-Keys (24 h), so it runs even with WEBHOOK_RETENTION off.
    const every = app.config.webhooks.pruneIntervalMs;
    return every > 0 ? [{ interval: Math.floor(Date.now() / every) }] : [];
  },
});
