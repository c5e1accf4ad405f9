// GET /v1/webhooks/{id}/deliveries: every attempt, newest first (a scheduled retry shows as
// `pending` with the time it is due), paginated like the other lists.
import type { AccountScope, App } from '../../app.js';
import type { WebhookDelivery } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { pageOf, pageOnlyInput, type Page } from '../../lib/pagination.js';

export type DeliveryPage = Page<WebhookDelivery>;

export async function listWebhookDeliveries(
  app: App,
  scope: AccountScope,
  webhookId: string,
  input: { page?: number; perPage?: number },
  linkBase: string,
): Promise<DeliveryPage> {
  if (!isId('webhook', webhookId)) throw AppError.notFound('Webhook');
  const p = parseInput(pageOnlyInput, input);
  const where = { webhookId, accountId: scope.accountId };
  const [exists, total, data] = await Promise.all([
    app.db.prisma.webhookEndpoint.count({ where: { id: webhookId, accountId: scope.accountId } }),
    app.db.prisma.webhookDelivery.count({ where }),
    app.db.prisma.webhookDelivery.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { attempt: 'desc' }, { id: 'desc' }],
      skip: (p.page - 1) * p.perPage,
      take: p.perPage,
    }),
  ]);
  if (!exists) throw AppError.notFound('Webhook');
  return pageOf(data, p.page, p.perPage, total, linkBase);
}
