// The events outbox (docs/spec/product.md §10, STYLE §6). Any module that changes something other systems hear
// about calls `recordEvent` with the transaction client of that change, so the event is committed
// with it or not at all:
//
//   const event = await app.db.prisma.$transaction(async (tx) => {
//     const row = await tx.export.update({ ... });
//     return recordEvent(tx, { accountId, type: 'export.completed', data: { id: row.id, status: 'completed' } });
//   });
//   await dispatchAfterCommit(app, event);   // optional: the sweeper dispatches it anyway, later
//
// `data` is the payload's `data` as receivers see it: the REST API's snake_case shape, small (no
// conversation content), JSON only. Dispatch fans the event out to the account's webhook endpoints;
// a crash between commit and dispatch loses nothing (the `webhook.dispatch` job's recovery finds
// every event without `dispatched_at`).
//
// GraphQL subscriptions hear the same records (same `evt_` ids) from `dispatchAfterCommit`, at
// once: a subscription resolves the conversation *as it is now*, so it must not wait for a job.
// They are live streams, not durable: an event recovered by the sweeper reaches webhooks only.
import type { App } from '../../app.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { enqueueAfterCommit } from '../../jobs/runner.js';
import {
  EVENT_TYPES as SUBSCRIPTION_EVENT_TYPES,
  EXPORT_EVENT_TYPES,
  type EventType as SubscriptionEventType,
  type ExportEventType,
} from '../../lib/events.js';
import { newId } from '../../lib/ids.js';
import type { EventType } from './event-types.js';
import { dispatchEventJob } from './webhooks.jobs.js';

export interface OutboxEvent {
  id: string;
  accountId: string;
  type: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** A Prisma transaction client (`$transaction(async (tx) => …)`); the plain client works too, without the guarantee. */
export type EventWriter = Pick<Prisma.TransactionClient, 'event'>;

export async function recordEvent(
  tx: EventWriter,
  e: { accountId: string; type: EventType; data: Record<string, unknown> },
): Promise<OutboxEvent> {
  const row = await tx.event.create({
    data: { id: newId('event'), accountId: e.accountId, type: e.type, data: e.data as Prisma.InputJsonObject },
  });
  return { id: row.id, accountId: row.accountId, type: row.type, data: e.data, createdAt: row.createdAt };
}

/** After the commit: tell subscriptions, and start the fan-out now rather than at the next sweep. Never throws. */
export async function dispatchAfterCommit(app: App, ...events: (OutboxEvent | null | undefined)[]): Promise<void> {
  const committed = events.filter((e): e is OutboxEvent => !!e);
  // Publish them all before any await, so subscribers see one change's events together.
  for (const e of committed) publishToSubscriptions(app, e);
  for (const e of committed) await enqueueAfterCommit(app, dispatchEventJob, { eventId: e.id });
}

/** Conversation and summary events feed the GraphQL subscriptions (ConversationEvent); export events feed exportUpdated. */
function publishToSubscriptions(app: App, e: OutboxEvent): void {
  if ((EXPORT_EVENT_TYPES as readonly string[]).includes(e.type)) {
    app.events.publishExport(e.type as ExportEventType, {
      id: e.id,
      createdAt: e.createdAt,
      accountId: e.accountId,
      exportId: String(e.data.id),
    });
    return;
  }
  if (!(SUBSCRIPTION_EVENT_TYPES as readonly string[]).includes(e.type)) return;
  const isSummary = e.type.startsWith('summary.');
  app.events.publish(e.type as SubscriptionEventType, {
    id: e.id,
    createdAt: e.createdAt,
    accountId: e.accountId,
    conversationId: String(isSummary ? e.data.conversation_id : e.data.id),
    summaryId: isSummary ? String(e.data.id) : null,
  });
}
