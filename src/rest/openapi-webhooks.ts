// The OpenAPI 3.1 `webhooks` section: what AImyChats POSTs to a webhook endpoint for each event type
// (docs/webhooks.md). The `data` shapes are those written by src/modules/webhooks/event-data.ts and the
// modules that record events; a Record over every event type makes a new type without a description
// a compile error.
import { TEST_EVENT_TYPE, type EventType } from '../modules/webhooks/event-types.js';

type JsonSchema = Record<string, unknown>;

const string = { type: 'string' };
const nullableString = { type: ['string', 'null'] };
const dateTime = { type: 'string', format: 'date-time' };
const object = (properties: Record<string, JsonSchema>, required = Object.keys(properties), description?: string): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  required,
});

const conversation = object(
  {
    id: { ...string, examples: ['conv_01j9z3w5m8q2r7t4v6x8y0a2b4'] },
    title: string,
    source: { type: 'string', enum: ['api', 'email', 'whatsapp'] },
    status: { type: 'string', enum: ['processing', 'completed', 'failed'] },
    metadata: { type: 'object', additionalProperties: true },
    created_at: dateTime,
    updated_at: dateTime,
  },
  undefined,
  'The conversation in its REST shape, without `content` (fetch it when needed).',
);

const summaryCompleted = object({
  id: string,
  conversation_id: string,
  status: { const: 'completed' },
  language: nullableString,
  style: nullableString,
  title: nullableString,
  content: nullableString,
  sentiment: nullableString,
  topics: { type: 'array', items: string },
  action_items: { type: 'array', items: string },
});

const summaryFailed = object({ id: string, conversation_id: string, status: { const: 'failed' }, error: nullableString });

const apiKey = object({
  id: string,
  name: nullableString,
  prefix: string,
  created_at: dateTime,
  revoked_at: { type: ['string', 'null'], format: 'date-time' },
});

const storage = (refused: boolean) =>
  object(
    {
      used_mb: { type: 'number' },
      limit_mb: { type: 'number' },
      ...(refused ? { requested_mb: { type: 'number', description: 'What the refused write would have added.' } } : {}),
      resource: { type: 'string', enum: ['attachment', 'conversation', 'export'] },
    },
    ['used_mb', 'limit_mb', 'resource'],
  );

const subscription = object({ account_id: string, plan: string, previous_plan: string });

const EVENTS: Record<EventType | typeof TEST_EVENT_TYPE, { summary: string; data: JsonSchema }> = {
  'conversation.created': { summary: 'A conversation was created (REST, GraphQL, email, WhatsApp or an import).', data: conversation },
  'conversation.updated': {
    summary: 'A conversation changed: its title, content or metadata, or its status after summarization.',
    data: conversation,
  },
  'conversation.deleted': { summary: 'A conversation was deleted.', data: object({ id: string }) },
  'summary.generated': { summary: 'A summary was generated.', data: summaryCompleted },
  'summary.failed': { summary: 'Summarization failed for good.', data: summaryFailed },
  'storage.limit_reached': { summary: 'A write took the account past 80% of its storage quota.', data: storage(false) },
  'storage.limit_exceeded': { summary: 'A write was refused: it would have exceeded the storage quota.', data: storage(true) },
  'export.completed': {
    summary: 'An export file is ready to download (GET /v1/exports/{id}).',
    data: object({
      id: string,
      status: { const: 'completed' },
      format: string,
      size_mb: { type: 'number' },
      conversation_count: { type: 'integer' },
    }),
  },
  'export.failed': {
    summary: 'An export failed.',
    data: object({ id: string, status: { const: 'failed' }, format: string, error: string }),
  },
  'api_key.created': { summary: 'An API key was created (its secret is never sent).', data: apiKey },
  'api_key.revoked': { summary: 'An API key was revoked.', data: apiKey },
  'subscription.updated': { summary: "The account's plan changed.", data: subscription },
  'subscription.cancelled': { summary: 'Reserved for the end of a subscription; not sent by this server yet.', data: subscription },
  [TEST_EVENT_TYPE]: {
    summary: 'Sent by POST /v1/webhooks/{id}/test to that one endpoint.',
    data: object({ webhook_id: string, message: string }),
  },
};

const componentName = (type: string) => `Event_${type.replace(/\./g, '_')}`;

/** `components.schemas` for every event payload, plus the `webhooks` entries pointing at them. */
export function webhookDocs(): { schemas: Record<string, JsonSchema>; webhooks: Record<string, unknown> } {
  const schemas: Record<string, JsonSchema> = {};
  const webhooks: Record<string, unknown> = {};
  for (const [type, { summary, data }] of Object.entries(EVENTS)) {
    schemas[componentName(type)] = object(
      {
        id: { ...string, description: 'The event id (`evt_…`), also in the `webhook-id` header: de-duplicate on it.' },
        type: { const: type },
        created_at: dateTime,
        data,
      },
      undefined,
      summary,
    );
    webhooks[type] = {
      post: {
        operationId: `on_${type.replace(/\./g, '_')}`,
        summary,
        description:
          'Signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). Answer 2xx within 10 s; anything else is retried; `410 Gone` disables the endpoint.',
        tags: ['events'],
        security: [],
        parameters: [
          { name: 'webhook-id', in: 'header', required: true, schema: string },
          { name: 'webhook-timestamp', in: 'header', required: true, schema: { type: 'string', description: 'Unix seconds' } },
          {
            name: 'webhook-signature',
            in: 'header',
            required: true,
            schema: { type: 'string', description: '`v1,<base64 HMAC-SHA256>`, space-separated when two secrets sign' },
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: `#/components/schemas/${componentName(type)}` } } },
        },
        responses: {
          '200': { description: 'Received (any 2xx is success)' },
          '410': { description: 'Gone: the endpoint is disabled and gets nothing more' },
        },
      },
    };
  }
  return { schemas, webhooks };
}
