// Every job definition, collected from the modules (as graphql/schema.ts collects their types).
import { cleanupExportsJob, generateExportJob } from '../modules/exports/exports.jobs.js';
import { searchSyncJob } from '../modules/search/search.jobs.js';
import { generateSummaryJob } from '../modules/summaries/summaries.jobs.js';
import { deliverWebhookJob, dispatchEventJob, pruneWebhookHistoryJob } from '../modules/webhooks/webhooks.jobs.js';
import type { JobDefinition } from './definition.js';

export const JOBS: readonly JobDefinition<any>[] = [generateSummaryJob, dispatchEventJob, deliverWebhookJob, generateExportJob, cleanupExportsJob, searchSyncJob, pruneWebhookHistoryJob];
