// NODE_ENV=production without REDIS_URL still starts (a single-process install is legitimate), but the
// operator is told clearly that background jobs then run inside the API process (docs/operations.md).
import type { Logger } from '../lib/logger.js';

export const IN_PROCESS_JOBS_WARNING =
  'NODE_ENV=production without REDIS_URL: background jobs (summaries, webhook deliveries, exports, search indexing) run in-process, ' +
  'inside this API process: queued jobs live in memory (work cut short by a restart is found again by recovery), they are not shared ' +
  'with other instances, and no separate worker can take them. Set REDIS_URL to run them on BullMQ with `npm run worker`.';

export function warnIfInProcessJobsInProduction(env: string, jobsMode: 'bullmq' | 'in-process', log: Logger): void {
  if (env === 'production' && jobsMode === 'in-process') log.warn({ jobs: jobsMode }, IN_PROCESS_JOBS_WARNING);
}
