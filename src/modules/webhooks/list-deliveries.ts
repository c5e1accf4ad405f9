// GET /v1/webhooks/{id}/deliveries: every attempt, newest first (a scheduled retry shows as
// `pending` with the time it is due), paginated like the other lists.
import type { AccountScope, App } from '../../app.js';
import type { WebhookDelivery } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { pageOf, pageOnlyInput, type Page } from '../../lib/pagination.js';

export type DeliveryPage = Page<WebhookDelivery>;

interface DeliveryRow {
  d_id: string | null;
  account_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status: string;
  scheduled_at: Date;
  status_code: number | null;
  duration_ms: number | null;
  error: string | null;
  next_retry_at: Date | null;
  created_at: Date;
  attempted_at: Date | null;
  total: number;
}

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
  const rows = await app.db.query<DeliveryRow>(
    `SELECT d.id AS d_id, w.account_id, w.id AS webhook_id, d.event_id, d.event_type, d.attempt, d.status, d.scheduled_at,
            d.status_code, d.duration_ms, d.error, d.next_retry_at, d.created_at, d.attempted_at,
            (SELECT count(*) FROM webhook_deliveries x WHERE x.webhook_id = w.id AND x.account_id = w.account_id) AS total
       FROM webhook_endpoints w
       LEFT JOIN LATERAL (
         SELECT * FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.account_id = w.account_id
          ORDER BY d.created_at DESC, d.attempt DESC, d.id DESC LIMIT $3 OFFSET $4) d ON true
      WHERE w.account_id = $1 AND w.id = $2
      ORDER BY d.created_at DESC, d.attempt DESC, d.id DESC`,
    [scope.accountId, webhookId, p.perPage, (p.page - 1) * p.perPage],
  );
  if (!rows.length) throw AppError.notFound('Webhook');
  const data = rows.flatMap((r): WebhookDelivery[] =>
    r.d_id === null
      ? []
      : [
          {
            id: r.d_id,
            accountId: r.account_id,
            webhookId: r.webhook_id,
            eventId: r.event_id,
            eventType: r.event_type,
            attempt: r.attempt,
            status: r.status,
            scheduledAt: r.scheduled_at,
            statusCode: r.status_code,
            durationMs: r.duration_ms,
            error: r.error,
            nextRetryAt: r.next_retry_at,
            createdAt: r.created_at,
            attemptedAt: r.attempted_at,
          },
        ],
  );
  return pageOf(data, p.page, p.perPage, Number(rows[0].total), linkBase);
}
