// The `exports` queue: one job per export (job id from the export id, so a duplicate enqueue is a
// no-op), and the cleanup of expired export files. The cleanup repeats without a scheduler: every
// worker's recovery sweep asks for the job of the current interval, whose id is that interval's
// number, so it runs once per EXPORT_CLEANUP_INTERVAL_MS however many workers ask.
import { z } from 'zod';
import { defineJob } from '../../jobs/definition.js';
import { staleProcessingIds } from '../../jobs/recovery.js';
import { isId } from '../../lib/ids.js';

export const generateExportJob = defineJob({
  queue: 'exports',
  name: 'export.generate',
  payload: z.object({ exportId: z.string().refine((s) => isId('export', s), 'must be an export id') }),
  jobId: (p) => `export.${p.exportId}`,
  handler: () => import('./write-export.js').then((m) => m.writeExportHandler),
  recover: async (app, olderThanMs) => (await staleProcessingIds(app.db, 'exports', olderThanMs)).map((exportId) => ({ exportId })),
});

export const cleanupExportsJob = defineJob({
  queue: 'exports',
  name: 'export.cleanup',
  payload: z.object({ interval: z.number().int().min(0) }),
  jobId: (p) => `export.cleanup.${p.interval}`,
  handler: () => import('./cleanup-exports.js').then((m) => m.cleanupExportsHandler),
  recover: async (app) => {
    const every = app.config.exports.cleanupIntervalMs;
    return every > 0 ? [{ interval: Math.floor(Date.now() / every) }] : [];
  },
});
