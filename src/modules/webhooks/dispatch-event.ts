// The `webhook.dispatch` job: one outbox event → one pending delivery per active endpoint of the
// account that subscribes to its type (and existed when it happened), written in the transaction
// that marks the event dispatched; then one delivery job each.
//
// It is also the one place that feeds search indexing: a conversation or summary event, when the
// Elasticsearch engine is configured, enqueues a `search.sync` job before the event is marked
// dispatched (if the enqueue fails the transaction rolls back and the event is dispatched again), so
// an index update is never lost between a change's commit and its job.
import type { JobHandler } from '../../jobs/definition.js';
import { enqueueAfterCommit } from '../../jobs/runner.js';
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
    const outcome = await ctx.app.db.prisma.$transaction(async (tx) => {
      const [event] = await tx.$queryRaw<EventRow[]>`
        SELECT id, account_id, type, data, created_at, dispatched_at FROM events WHERE id = ${eventId} FOR UPDATE`;
      if (!event || event.dispatched_at) return null;
      const searchSync = await searchSyncFor(ctx.app, event, async (accountId, conversationId) => {
        const [row] = await tx.$queryRaw<{ search_version: number }[]>`
          SELECT search_version FROM conversations WHERE id = ${conversationId} AND account_id = ${accountId}`;
        return row ? row.search_version : null;
      });
      // Deterministic job id: a re-dispatch (or the summary.generated + conversation.updated pair of one change) enqueues it once.
      if (searchSync) await ctx.app.jobs.enqueue(searchSyncJob, searchSync);
      const endpoints = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM webhook_endpoints
         WHERE account_id = ${event.account_id} AND active AND created_at <= ${event.created_at}
           AND events && ARRAY[${event.type}, ${ALL_EVENTS}]::text[]`;
      const deliveries = endpoints.map((w) => ({
        id: newId('delivery'),
        accountId: event.account_id,
        webhookId: w.id,
        eventId: event.id,
        eventType: event.type,
        attempt: 1,
      }));
      if (deliveries.length) await tx.webhookDelivery.createMany({ data: deliveries, skipDuplicates: true });
      await tx.$executeRaw`UPDATE events SET dispatched_at = now() WHERE id = ${event.id}`;
      return { event, deliveryIds: deliveries.map((d) => d.id) };
    });
    if (!outcome) return ctx.log.debug('event already dispatched');
    for (const deliveryId of outcome.deliveryIds) await enqueueAfterCommit(ctx.app, deliverWebhookJob, { deliveryId });
    if (outcome.deliveryIds.length) ctx.log.debug({ type: outcome.event.type, deliveries: outcome.deliveryIds.length }, 'event dispatched');
  },
};
