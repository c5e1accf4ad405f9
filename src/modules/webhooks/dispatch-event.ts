// The `webhook.dispatch` job: one outbox event → one pending delivery per active endpoint of the
// account that subscribes to its type (and existed when it happened). The deliveries are inserted by
// the same statement that marks the event dispatched (so either both happen or neither, and a second
// run of the job — or a concurrent one — inserts nothing); then their jobs are added in one bulk.
//
// It is also the one place that feeds search indexing: a conversation or summary event, when the
// Elasticsearch engine is configured, enqueues a `search.sync` job before the event is marked
// dispatched (if the enqueue fails the event stays undispatched and is dispatched again), so an index
// update is never lost between a change's commit and its job.
//
// Hot path (one run per event): plain SQL through `db.query`, three statements, no transaction of
// Prisma's (bench:webhooks — its BEGIN/COMMIT round trips and query building were most of a run).
import type { JobHandler } from '../../jobs/definition.js';
import { enqueueManyAfterCommit } from '../../jobs/runner.js';
import { newId } from '../../lib/ids.js';
import { searchSyncFor, searchSyncJob } from '../search/search.jobs.js';
import { ALL_EVENTS } from './event-types.js';
import { deliverWebhookJob } from './webhooks.jobs.js';

interface EventRow {
  id: string;
  account_id: string;
  type: string;
  data: Record<string, unknown>;
  created_at: Date;
  dispatched_at: Date | null;
}

export const dispatchEventHandler: JobHandler<{ eventId: string }> = {
  async run({ eventId }, ctx) {
    const { db } = ctx.app;
    const [event] = await db.query<EventRow>(`SELECT id, account_id, type, data, created_at, dispatched_at FROM events WHERE id = $1`, [
      eventId,
    ]);
    if (!event || event.dispatched_at) return ctx.log.debug('event already dispatched');

    const searchSync = await searchSyncFor(ctx.app, event, async (accountId, conversationId) => {
      const [row] = await db.query<{ search_version: number }>(
        `SELECT search_version FROM conversations WHERE id = $1 AND account_id = $2`,
        [conversationId, accountId],
      );
      return row ? row.search_version : null;
    });
    // Deterministic job id: a re-dispatch (or the summary.generated + conversation.updated pair of one change) enqueues it once.
    if (searchSync) await ctx.app.jobs.enqueue(searchSyncJob, searchSync);

    const endpoints = await db.query<{ id: string }>(
      `SELECT id FROM webhook_endpoints
        WHERE account_id = $1 AND active AND created_at <= $2 AND events && ARRAY[$3, $4]::text[]`,
      [event.account_id, event.created_at, event.type, ALL_EVENTS],
    );
    // An endpoint deleted meanwhile makes the insert fail (foreign key): the job runs again and reads the endpoints again.
    const inserted = await db.query<{ id: string; webhook_id: string }>(
      `WITH marked AS (
         UPDATE events SET dispatched_at = now() WHERE id = $1 AND account_id = $2 AND dispatched_at IS NULL RETURNING id
       )
       INSERT INTO webhook_deliveries (id, account_id, webhook_id, event_id, event_type, attempt, status, scheduled_at)
       SELECT d.id, $2, d.webhook_id, marked.id, $3, 1, 'pending', now()
         FROM marked, unnest($4::text[], $5::text[]) AS d(id, webhook_id)
       ON CONFLICT (event_id, webhook_id, attempt) DO NOTHING
       RETURNING id, webhook_id`,
      [event.id, event.account_id, event.type, endpoints.map(() => newId('delivery')), endpoints.map((e) => e.id)],
    );
    await enqueueManyAfterCommit(
      ctx.app,
      deliverWebhookJob,
      inserted.map((d) => ({ deliveryId: d.id, webhookId: d.webhook_id })),
    );
    if (inserted.length) ctx.log.debug({ type: event.type, deliveries: inserted.length }, 'event dispatched');
  },
};
