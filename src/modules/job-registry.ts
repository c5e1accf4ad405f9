// Every job definition, collected from the modules (as graphql/schema.ts collects their types).
import { cleanupExportsJob, generateExportJob } from './exports/exports.jobs.js';
import { searchSyncJob } from './search/search.jobs.js';
import { generateSummaryJob } from './summaries/summaries.jobs.js';
import { deliverWebhookJob, dispatchEventJob, pruneWebhookHistoryJob } from './webhooks/webhooks.jobs.js';
import type { JobDefinition } from '../jobs/definition.js';

export const JOBS: readonly JobDefinition<any>[] = [
  generateSummaryJob,
  dispatchEventJob,
  deliverWebhookJob,
  generateExportJob,
  cleanupExportsJob,
  searchSyncJob,
  pruneWebhookHistoryJob,
];
