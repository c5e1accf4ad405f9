// Every job definition, collected from the modules (as graphql/schema.ts collects their types).
import { generateSummaryJob } from '../modules/summaries/summaries.jobs.js';
import type { JobDefinition } from './definition.js';

export const JOBS: readonly JobDefinition<any>[] = [generateSummaryJob];
