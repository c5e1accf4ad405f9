// Webhook endpoints (docs/spec/product.md §10): created, listed, read, changed, deleted, secret rotated. Every
// query is scoped by the account; a foreign, unknown or malformed id is the same 404.
import { z } from 'zod';
import type { AccountScope, App } from '../../app.js';
import type { WebhookEndpoint } from '../../generated/prisma/client.js';
import { AppError, type FieldErrors } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import { checkWebhookUrl } from '../../lib/ssrf-guard.js';
import { fieldErrorsFromZod } from '../../lib/validation.js';
import { ALL_EVENTS, EVENT_TYPES, isEventType } from './event-types.js';
import { generateWebhookSecret } from './webhook-signature.js';

export type WebhookRecord = WebhookEndpoint;
export type WebhookWithSecret = WebhookEndpoint & { secret: string };

const NOT_FOUND = () => AppError.notFound('Webhook');

const urlField = z
  .string({ error: (i) => (i.input === undefined ? 'Url is required' : i.input === null ? 'Url cannot be null' : 'Url must be a string') })
  .trim()
  .min(1, 'Url is required')
  .max(2048, 'Url must be at most 2048 characters');

const eventsField = z
  .array(z.string(), { error: (i) => (i.input === undefined ? 'Events is required' : 'Events must be a list of event types') })
  .min(1, `Events must name at least one event type (or "${ALL_EVENTS}")`)
  .max(EVENT_TYPES.length + 1, 'Events has too many entries')
  .superRefine((list, ctx) => {
    const unknown = list.filter((e) => e !== ALL_EVENTS && !isEventType(e));
    if (unknown.length) {
      ctx.addIssue({
        code: 'custom',
        message: `Unknown event type: ${unknown.join(', ')}. Known: ${ALL_EVENTS}, ${EVENT_TYPES.join(', ')}`,
      });
    }
  })
  .transform((list) => (list.includes(ALL_EVENTS) ? [ALL_EVENTS] : [...new Set(list)].sort()));

const descriptionField = z.string({ error: 'Description must be a string' }).trim().max(500, 'Description must be at most 500 characters');
const activeField = z.boolean({ error: 'Active must be true or false' });

const createInput = z.object({
  url: urlField,
  events: eventsField,
  description: descriptionField.nullable().optional(),
  active: activeField.default(true),
});

const updateInput = z.object({
  url: urlField.optional(),
  events: eventsField.optional(),
  description: descriptionField.nullable().optional(),
  active: activeField.optional(),
});

export interface WebhookInput {
  url?: string | null;
  events?: string[] | null;
  description?: string | null;
  active?: boolean | null;
}

/** Zod for the shape, then the SSRF check of the URL; every bad field at once. */
async function validate<S extends z.ZodType>(app: App, schema: S, input: unknown): Promise<z.output<S>> {
  const parsed = schema.safeParse(input);
  const fields: FieldErrors = parsed.success ? {} : fieldErrorsFromZod(parsed.error);
  const url = (input as { url?: unknown }).url;
  if (typeof url === 'string' && !fields.url) {
    const check = await checkWebhookUrl(url.trim(), app.config.webhooks.allowPrivateUrls);
    if (check.errors.length) fields.url = check.errors;
  }
  if (Object.keys(fields).length) throw AppError.validation(fields);
  return (parsed as { data: z.output<S> }).data;
}

export async function listWebhooks(app: App, scope: AccountScope): Promise<WebhookRecord[]> {
  return app.db.prisma.webhookEndpoint.findMany({
    where: { accountId: scope.accountId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
}

export async function getWebhook(app: App, scope: AccountScope, id: string): Promise<WebhookRecord> {
  if (!isId('webhook', id)) throw NOT_FOUND();
  const row = await app.db.prisma.webhookEndpoint.findFirst({ where: { id, accountId: scope.accountId } });
  if (!row) throw NOT_FOUND();
  return row;
}

export async function createWebhook(app: App, scope: AccountScope, input: WebhookInput): Promise<WebhookWithSecret> {
  const data = await validate(app, createInput, withoutUndefined(input));
  const now = new Date();
  const row = await app.db.prisma.webhookEndpoint.create({
    data: {
      id: newId('webhook'),
      accountId: scope.accountId,
      url: data.url,
      events: data.events,
      description: data.description ?? null,
      active: data.active,
      secret: generateWebhookSecret(),
      createdAt: now,
      updatedAt: now,
    },
  });
  return row;
}

export async function updateWebhook(app: App, scope: AccountScope, id: string, input: WebhookInput): Promise<WebhookRecord> {
  if (!isId('webhook', id)) throw NOT_FOUND();
  const data = await validate(app, updateInput, withoutUndefined(input));
  const changes: Record<string, unknown> = {};
  for (const key of ['url', 'events', 'description'] as const) if (data[key] !== undefined) changes[key] = data[key];
  if (data.active !== undefined) {
    changes.active = data.active;
    // Switching an endpoint on again forgets why it was switched off.
    if (data.active) Object.assign(changes, { disabledReason: null, failingSince: null });
  }
  if (Object.keys(changes).length) {
    const { count } = await app.db.prisma.webhookEndpoint.updateMany({
      where: { id, accountId: scope.accountId },
      data: { ...changes, updatedAt: new Date() },
    });
    if (count === 0) throw NOT_FOUND();
  }
  return getWebhook(app, scope, id);
}

export async function deleteWebhook(app: App, scope: AccountScope, id: string): Promise<{ deleted: true; id: string }> {
  if (!isId('webhook', id)) throw NOT_FOUND();
  // Its delivery log goes with it (ON DELETE CASCADE); pending attempts find no endpoint and stop.
  const { count } = await app.db.prisma.webhookEndpoint.deleteMany({ where: { id, accountId: scope.accountId } });
  if (count === 0) throw NOT_FOUND();
  return { deleted: true, id };
}

/** A new secret; the previous one keeps signing (a second signature) for WEBHOOK_SECRET_GRACE_MS. */
export async function rotateWebhookSecret(app: App, scope: AccountScope, id: string): Promise<WebhookWithSecret> {
  if (!isId('webhook', id)) throw NOT_FOUND();
  const secret = generateWebhookSecret();
  const rows = await app.db.prisma.$queryRaw<{ id: string }[]>`
    UPDATE webhook_endpoints
       SET previous_secret = secret, secret = ${secret},
           previous_secret_expires_at = now() + make_interval(secs => ${app.config.webhooks.secretGraceMs / 1000}),
           updated_at = now()
     WHERE id = ${id} AND account_id = ${scope.accountId}
     RETURNING id`;
  if (!rows.length) throw NOT_FOUND();
  return { ...(await getWebhook(app, scope, id)), secret };
}

function withoutUndefined(input: WebhookInput): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}
