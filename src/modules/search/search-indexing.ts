// What indexing jobs run (for the jobs pipeline to wire to a BullMQ queue, e.g. `search`): one job per
// conversation change — create, update, delete, summary completion. With PostgreSQL search the
// handler does nothing (triggers keep the index in the row); with Elasticsearch it syncs the document.
//
//   defineJob({ queue: 'search', name: 'search.sync', payload: searchSyncPayload,
//               jobId: searchSyncJobId, handler: async () => ({ run: (p, ctx) => runSearchSync(ctx.app, p) }) })
//
// Enqueue after the change commits with the row's `search_version` (for a delete, the version the
// row had: `DELETE … RETURNING search_version`). Handlers are idempotent and versioned: a stale or
// duplicate job is a no-op, so retries and out-of-order runs are harmless. A synced document's
// version is recorded in `conversations.search_indexed_version` (Elasticsearch only), which is how
// the recovery sweep (search.jobs.ts) finds updates whose job was lost.
import { z } from 'zod';
import type { App } from '../../app.js';
import { isId } from '../../lib/ids.js';
import { getSearchIndexer } from './search-engine.js';

export const searchSyncPayload = z.object({
  accountId: z.string().refine((s) => isId('account', s), 'must be an account id'),
  conversationId: z.string().refine((s) => isId('conversation', s), 'must be a conversation id'),
  /** `conversations.search_version` after the change. */
  version: z.number().int().min(1),
  deleted: z.boolean().default(false),
});
export type SearchSyncPayload = z.input<typeof searchSyncPayload>;

/** Deterministic: the same change enqueued twice runs once. (BullMQ forbids ':' in custom ids.) */
export function searchSyncJobId(p: SearchSyncPayload): string {
  return `search.${p.conversationId}.${p.version}${p.deleted ? '.deleted' : ''}`;
}

export async function runSearchSync(app: Pick<App, 'config' | 'db' | 'log'>, payload: SearchSyncPayload): Promise<string> {
  const p = searchSyncPayload.parse(payload);
  const indexer = await getSearchIndexer(app);
  if (p.deleted) {
    // One past the last version the document had: any late write of an older state loses.
    await indexer.remove(p.accountId, p.conversationId, p.version + 1);
    return 'deleted';
  }
  // Reads the current row, so a job for an older version still writes the newest state.
  return indexer.sync(p.accountId, p.conversationId);
}
