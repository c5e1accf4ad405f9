// The start of the pipeline, shared by create, content change and regenerate: a `processing`
// summary row written inside the caller's transaction, and its job enqueued after the commit.
import type { App } from '../../app.js';
import { enqueueAfterCommit } from '../../jobs/runner.js';
import { newId } from '../../lib/ids.js';
import { generateSummaryJob } from './summaries.jobs.js';
import type { SummaryStyle } from './summary-input.js';

export interface PendingSummary {
  accountId: string;
  conversationId: string;
  contentVersion: number;
  style?: SummaryStyle;
  language?: string | null;
}

/** Data for `tx.summary.create` (or a nested create under the conversation). */
export function pendingSummaryData(p: PendingSummary) {
  return {
    id: newId('summary'),
    accountId: p.accountId,
    conversationId: p.conversationId,
    contentVersion: p.contentVersion,
    status: 'processing' as const,
    style: p.style ?? 'concise',
    language: p.language ?? null,
  };
}

/** Call only after the transaction that wrote the summary row has committed. Never throws. */
export function enqueueSummary(app: App, summaryId: string): Promise<void> {
  return enqueueAfterCommit(app, generateSummaryJob, { summaryId });
}
