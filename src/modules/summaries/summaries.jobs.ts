// The `summaries` queue: one job per summary row. The job id is the summary id, so enqueueing the
// same summary twice (a retry of the request path, the recovery sweep) runs it once.
import { z } from 'zod';
import { defineJob } from '../../jobs/definition.js';
import { staleProcessingIds } from '../../jobs/recovery.js';
import { isId } from '../../lib/ids.js';

export const generateSummaryJob = defineJob({
  queue: 'summaries',
  name: 'summary.generate',
  payload: z.object({ summaryId: z.string().refine((s) => isId('summary', s), 'must be a summary id') }),
  jobId: (p) => `summary.${p.summaryId}`,
  handler: () => import('./generate-summary.js').then((m) => m.generateSummaryHandler),
  // Summaries still `processing` a little while after they were written: their job may have been
  // lost (Redis down at enqueue time, a restart in development mode, a job that stalled out).
  recover: async (app, olderThanMs) => (await staleProcessingIds(app.db, 'summaries', olderThanMs)).map((summaryId) => ({ summaryId })),
});
