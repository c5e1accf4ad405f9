// Every event type (docs/spec/product.md §10). Webhook endpoints subscribe to these (or `*`); `webhook.test` is
// only ever sent by POST /v1/webhooks/{id}/test, to that one endpoint.
import { EVENT_TYPES as CONVERSATION_EVENT_TYPES, EXPORT_EVENT_TYPES } from '../../lib/events.js';

export const EVENT_TYPES = [
  // Those GraphQL subscriptions carry too (lib/events.ts), from the same outbox records.
  ...CONVERSATION_EVENT_TYPES,
  'storage.limit_reached',
  'storage.limit_exceeded',
  ...EXPORT_EVENT_TYPES,
  'api_key.created',
  'api_key.revoked',
  'subscription.updated',
  'subscription.cancelled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const TEST_EVENT_TYPE = 'webhook.test';
export const ALL_EVENTS = '*';

export function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}
