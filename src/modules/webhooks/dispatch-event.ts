// The `webhook.dispatch` job: one outbox event → one pending delivery per active endpoint of the
// account that subscribes to its type (and existed when it happened), written in the transaction
// that marks the event dispatched; then one delivery job each.
import type { JobHandler } from '../../jobs/definition.js';
import { enqueueAfterCommit } from '../../jobs/runner.js';
import { newId } from '../../lib/ids.js';
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
