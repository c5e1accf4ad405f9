// Removes the files of expired exports. The row stays (status completed, `expires_at` in the past),
// so a download answers 410 Gone and the list still shows what was exported.
import type { App } from '../../app.js';
import type { JobHandler } from '../../jobs/definition.js';
import { fileServices } from '../../lib/storage/storage.js';

export async function cleanupExpiredExports(app: App, now = new Date()): Promise<number> {
  const { storage } = await fileServices(app);
  let removed = 0;
  for (;;) {
    const rows = await app.db.query<{ id: string; storage_key: string }>(
      `SELECT id, storage_key FROM exports WHERE expires_at <= $1 AND storage_key IS NOT NULL ORDER BY expires_at LIMIT 500`,
      [now],
    );
    if (!rows.length) return removed;
    await storage.delete(rows.map((r) => r.storage_key));
    await app.db.query(`UPDATE exports SET storage_key = NULL WHERE id = ANY($1::text[])`, [rows.map((r) => r.id)]);
    removed += rows.length;
  }
}

export const cleanupExportsHandler: JobHandler<{ interval: number }> = {
  async run(_payload, ctx) {
    const removed = await cleanupExpiredExports(ctx.app);
    if (removed) ctx.log.info({ removed }, 'expired export files removed');
  },
};
