// POST /v1/webhooks/{id}/test: a `webhook.test` event for this one endpoint, through the same
// outbox and delivery path as every other event (signed, retried, logged).
import type { AccountScope, App } from '../../app.js';
import { enqueueAfterCommit } from '../../jobs/runner.js';
import { AppError } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import { TEST_EVENT_TYPE } from './event-types.js';
import type { OutboxEvent } from './record-event.js';
import { deliverWebhookJob } from './webhooks.jobs.js';

export async function testWebhook(app: App, scope: AccountScope, id: string): Promise<OutboxEvent> {
  if (!isId('webhook', id)) throw AppError.notFound('Webhook');
  const deliveryId = newId('delivery');
  const event = await app.db.prisma.$transaction(async (tx) => {
    const endpoint = await tx.webhookEndpoint.findFirst({ where: { id, accountId: scope.accountId }, select: { id: true } });
    if (!endpoint) throw AppError.notFound('Webhook');
    const data = { webhook_id: id, message: 'This is a test event from AImyChats.' };
    // Already dispatched: it goes to this endpoint only, never fanned out.
    const row = await tx.event.create({
      data: { id: newId('event'), accountId: scope.accountId, type: TEST_EVENT_TYPE, data, dispatchedAt: new Date() },
    });
    await tx.webhookDelivery.create({
      data: { id: deliveryId, accountId: scope.accountId, webhookId: id, eventId: row.id, eventType: TEST_EVENT_TYPE, attempt: 1 },
    });
    return { id: row.id, accountId: row.accountId, type: row.type, data, createdAt: row.createdAt };
  });
  await enqueueAfterCommit(app, deliverWebhookJob, { deliveryId, webhookId: id });
  return event;
}
