// GraphQL face of webhooks: endpoints, their delivery log, secret rotation and test events.
import type { SchemaTypes } from '@pothos/core';
import { builder } from '../../graphql/builder.js';
import { DeletionRef, pageArgs, pageRef } from '../../graphql/common.schema.js';
import { requireScope } from '../../graphql/context.js';
import { ALL_EVENTS, EVENT_TYPES } from './event-types.js';
import { listWebhookDeliveries } from './list-deliveries.js';
import type { OutboxEvent } from './record-event.js';
import { testWebhook } from './test-webhook.js';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  rotateWebhookSecret,
  updateWebhook,
  type WebhookRecord,
  type WebhookWithSecret,
} from './webhook-endpoints.js';

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;

const EVENTS_DESCRIPTION = `Event types to deliver: ${EVENT_TYPES.join(', ')}, or "${ALL_EVENTS}" for all.`;
const DISABLED_REASON = 'Why delivery switched the endpoint off: `gone` (it answered 410) or `failing` (no success for too long).';

/** The endpoint's fields, shared by Webhook and WebhookWithSecret (resolvers, so one builder serves both shapes). */
function endpointFields<P extends WebhookRecord>(t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, P>) {
  return {
    id: t.id({ resolve: (w) => w.id }),
    url: t.string({ resolve: (w) => w.url }),
    description: t.string({ nullable: true, resolve: (w) => w.description }),
    events: t.stringList({ description: EVENTS_DESCRIPTION, resolve: (w) => w.events }),
    active: t.boolean({ resolve: (w) => w.active }),
    disabledReason: t.string({ nullable: true, description: DISABLED_REASON, resolve: (w) => w.disabledReason }),
    createdAt: t.field({ type: 'DateTime', resolve: (w) => w.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (w) => w.updatedAt }),
  };
}

export const WebhookRef = builder.objectRef<WebhookRecord>('Webhook').implement({
  description: 'An endpoint that receives signed events (Standard Webhooks).',
  fields: (t) => endpointFields(t),
});

const WebhookWithSecretRef = builder.objectRef<WebhookWithSecret>('WebhookWithSecret').implement({
  description: 'A webhook endpoint with its signing secret: shown at creation and rotation only.',
  fields: (t) => ({
    ...endpointFields(t),
    secret: t.exposeString('secret', { description: '`whsec_…`: verify deliveries with it (Standard Webhooks).' }),
  }),
});

const WebhookListRef = builder.objectRef<{ data: WebhookRecord[] }>('WebhookList').implement({
  fields: (t) => ({ data: t.field({ type: [WebhookRef], resolve: (l) => l.data }) }),
});

const WebhookDeliveryRef = builder.prismaObject('WebhookDelivery', {
  description: 'One delivery attempt of one event to one endpoint.',
  fields: (t) => ({
    id: t.exposeID('id'),
    eventId: t.exposeID('eventId'),
    eventType: t.exposeString('eventType'),
    attempt: t.exposeInt('attempt', { description: '1 for the first attempt.' }),
    status: t.exposeString('status', { description: 'pending (scheduled), succeeded or failed.' }),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: 'HTTP status of the answer, if one came.' }),
    durationMs: t.exposeInt('durationMs', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    nextRetryAt: t.expose('nextRetryAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the next attempt is due, if this one failed and will be retried.',
    }),
    scheduledAt: t.expose('scheduledAt', { type: 'DateTime', description: 'When this attempt was (or is) due.' }),
    attemptedAt: t.expose('attemptedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const WebhookDeliveryPageRef = pageRef(
  'WebhookDeliveryPage',
  "One page of a webhook's delivery attempts, newest first.",
  WebhookDeliveryRef,
);

const WebhookEventRef = builder.objectRef<OutboxEvent>('WebhookEvent').implement({
  description: 'An event, as delivered: `{id, type, created_at, data}`.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'evt_…; also the webhook-id header of every attempt.' }),
    type: t.exposeString('type'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    data: t.field({ type: 'JSONObject', resolve: (e) => e.data }),
  }),
});

builder.queryFields((t) => ({
  webhooks: t.field({
    type: WebhookListRef,
    description: "The account's webhook endpoints, newest first (without secrets).",
    resolve: async (_r, _a, ctx) => ({ data: await listWebhooks(ctx.app, requireScope(ctx)) }),
  }),
  webhook: t.field({
    type: WebhookRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => getWebhook(ctx.app, requireScope(ctx), String(args.id)),
  }),
  webhookDeliveries: t.field({
    type: WebhookDeliveryPageRef,
    description: 'Delivery attempts of one endpoint, newest first.',
    args: {
      webhookId: t.arg.id({ required: true }),
      ...pageArgs(),
    },
    resolve: (_r, { webhookId, page, perPage }, ctx) =>
      listWebhookDeliveries(
        ctx.app,
        requireScope(ctx),
        String(webhookId),
        { page: page ?? undefined, perPage: perPage ?? undefined },
        `${ctx.baseUrl}/v1/webhooks/${encodeURIComponent(String(webhookId))}/deliveries`,
      ),
  }),
}));

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: WebhookWithSecretRef,
    description: 'Registers an endpoint. The answer carries its signing secret, which is not shown again.',
    args: {
      url: t.arg.string({ required: true, description: 'http(s) URL; private, loopback and metadata addresses are refused.' }),
      events: t.arg.stringList({ required: true, description: EVENTS_DESCRIPTION }),
      description: t.arg.string(),
      active: t.arg.boolean({ description: 'Defaults to true.' }),
    },
    resolve: (_r, args, ctx) => createWebhook(ctx.app, requireScope(ctx), args),
  }),
  updateWebhook: t.field({
    type: WebhookRef,
    description: 'Changes an endpoint. `active: true` switches a disabled endpoint on again.',
    args: {
      id: t.arg.id({ required: true }),
      url: t.arg.string(),
      events: t.arg.stringList({ description: EVENTS_DESCRIPTION }),
      description: t.arg.string({ description: 'null clears it.' }),
      active: t.arg.boolean(),
    },
    resolve: (_r, { id, ...args }, ctx) => updateWebhook(ctx.app, requireScope(ctx), String(id), args),
  }),
  deleteWebhook: t.field({
    type: DeletionRef,
    description: 'Deletes an endpoint with its delivery log; pending attempts are dropped.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => deleteWebhook(ctx.app, requireScope(ctx), String(args.id)),
  }),
  rotateWebhookSecret: t.field({
    type: WebhookWithSecretRef,
    description: 'A new signing secret. The previous one keeps signing (a second signature) for 24 hours.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => rotateWebhookSecret(ctx.app, requireScope(ctx), String(args.id)),
  }),
  testWebhook: t.field({
    type: WebhookEventRef,
    description: 'Sends a `webhook.test` event to this endpoint (signed, retried and logged like any other).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => testWebhook(ctx.app, requireScope(ctx), String(args.id)),
  }),
}));
