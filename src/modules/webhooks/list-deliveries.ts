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
  // One statement, one snapshot: the endpoint (no row: 404), its page of attempts (one row with a NULL
  // attempt when the page is empty) and their number, through the primary key and the
  // (webhook_id, created_at, id) index. It was three Prisma queries (exists, count, page).
  const rows = await app.db.query<WebhookDelivery & { total: number }>(
    `SELECT d.*, (SELECT count(*) FROM webhook_deliveries x WHERE x.webhook_id = w.id AND x.account_id = w.account_id) AS total
       FROM webhook_endpoints w
       LEFT JOIN LATERAL (
         SELECT d.id, d.account_id AS "accountId", d.webhook_id AS "webhookId", d.event_id AS "eventId",
                d.event_type AS "eventType", d.attempt, d.status, d.scheduled_at AS "scheduledAt",
                d.status_code AS "statusCode", d.duration_ms AS "durationMs", d.error, d.next_retry_at AS "nextRetryAt",
                d.created_at AS "createdAt", d.attempted_at AS "attemptedAt"
           FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.account_id = w.account_id
          ORDER BY d.created_at DESC, d.attempt DESC, d.id DESC LIMIT $3 OFFSET $4) d ON true
      WHERE w.account_id = $1 AND w.id = $2
      ORDER BY d."createdAt" DESC, d.attempt DESC, d.id DESC`,
    [scope.accountId, webhookId, p.perPage, (p.page - 1) * p.perPage],
  );
  if (!rows.length) throw AppError.notFound('Webhook');
  const data = rows.flatMap(({ total, ...delivery }) => (delivery.id === null ? [] : [delivery]));
  return pageOf(data, p.page, p.perPage, Number(rows[0].total), linkBase);
}
