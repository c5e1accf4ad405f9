// GET /v1/webhooks/{id}/deliveries: every attempt, newest first (a scheduled retry shows as
// `pending` with the time it is due), paginated like the other lists.
import { z } from 'zod';
import type { AccountScope, App } from '../../app.js';
import type { WebhookDelivery } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import type { PageLinks, PageMeta } from '../conversations/list-conversations.js';

const listInput = z.object({
  page: z.number().int().min(1, 'Page must be at least 1').default(1),
  perPage: z.number().int().min(1, 'Per page must be between 1 and 100').max(100, 'Per page must be between 1 and 100').default(20),
});

export interface DeliveryPage {
  data: WebhookDelivery[];
  meta: PageMeta;
  links: PageLinks;
}

export async function listWebhookDeliveries(
  app: App,
  scope: AccountScope,
  webhookId: string,
  input: { page?: number; perPage?: number },
  linkBase: string,
): Promise<DeliveryPage> {
  if (!isId('webhook', webhookId)) throw AppError.notFound('Webhook');
  const p = parseInput(listInput, input);
  const where = { webhookId, accountId: scope.accountId };
  const [exists, total, data] = await Promise.all([
    app.db.prisma.webhookEndpoint.count({ where: { id: webhookId, accountId: scope.accountId } }),
    app.db.prisma.webhookDelivery.count({ where }),
    app.db.prisma.webhookDelivery.findMany({ where, orderBy: [{ createdAt: 'desc' }, { attempt: 'desc' }, { id: 'desc' }], skip: (p.page - 1) * p.perPage, take: p.perPage }),
  ]);
  if (!exists) throw AppError.notFound('Webhook');
  const totalPages = Math.ceil(total / p.perPage);
  const last = Math.max(1, totalPages);
  const url = (page: number) => `${linkBase}?${new URLSearchParams({ page: String(page), per_page: String(p.perPage) })}`;
  return {
    data,
    meta: { page: p.page, perPage: p.perPage, total, totalPages },
    links: { first: url(1), last: url(last), prev: p.page > 1 ? url(Math.min(p.page - 1, last)) : null, next: p.page < totalPages ? url(p.page + 1) : null },
  };
}
