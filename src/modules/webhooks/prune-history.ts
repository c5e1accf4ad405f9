// Retention of the outbox and the deliveries log (WEBHOOK_RETENTION, 30 days by default): finished
// delivery attempts older than that are deleted, then dispatched events older than that with no
// attempt still pending. In batches, so that no statement holds many row locks for long. Ids are
// ULIDs: `id < <the cutoff's id>` walks the primary key instead of scanning the tables.
import { encodeTime } from 'ulid';
import type { App } from '../../app.js';
import type { JobHandler } from '../../jobs/definition.js';
import { ID_PREFIXES } from '../../lib/ids.js';
import { pruneIdempotencyKeys } from '../idempotency/idempotency-keys.js';

const BATCH = 5_000;

/** The smallest id of its kind made at `at`: every id made before sorts below it. */
function idBefore(kind: 'event' | 'delivery', at: Date): string {
  return `${ID_PREFIXES[kind]}_${encodeTime(Math.max(0, at.getTime()), 10).toLowerCase()}${'0'.repeat(16)}`;
}

export async function pruneWebhookHistory(app: App, now = new Date()): Promise<{ deliveries: number; events: number }> {
  const { retentionMs } = app.config.webhooks;
  const removed = { deliveries: 0, events: 0 };
  if (retentionMs <= 0) return removed;
  const cutoff = new Date(now.getTime() - retentionMs);
  for (;;) {
    const rows = await app.db.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM webhook_deliveries WHERE id IN (
           SELECT id FROM webhook_deliveries WHERE id < $1 AND created_at < $2 AND status <> 'pending' LIMIT ${BATCH})
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [idBefore('delivery', cutoff), cutoff],
    );
    removed.deliveries += rows[0].n;
    if (rows[0].n < BATCH) break;
  }
  for (;;) {
    const rows = await app.db.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM events WHERE id IN (
           SELECT e.id FROM events e
            WHERE e.id < $1 AND e.created_at < $2 AND e.dispatched_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
            LIMIT ${BATCH})
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [idBefore('event', cutoff), cutoff],
    );
    removed.events += rows[0].n;
    if (rows[0].n < BATCH) break;
  }
  return removed;
}

export const pruneWebhookHistoryHandler: JobHandler<{ interval: number }> = {
  async run(_payload, ctx) {
    const removed = await pruneWebhookHistory(ctx.app);
    if (removed.deliveries || removed.events) ctx.log.info(removed, 'webhook history pruned');
    const keys = await pruneIdempotencyKeys(ctx.app);
    if (keys) ctx.log.info({ idempotencyKeys: keys }, 'expired idempotency keys pruned');
  },
};
