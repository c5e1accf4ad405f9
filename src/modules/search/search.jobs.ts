// The `search` queue: one `search.sync` job per conversation change when the Elasticsearch engine is
// configured. Fed by the events outbox (webhooks/dispatch-event.ts → searchSyncFor below), so a
// crash between the change's commit and the enqueue loses nothing: the outbox sweeper re-dispatches
// the event, and the deterministic job id makes the second enqueue a no-op. A job lost after that
// (Redis without persistence restarted) is found by `recover`: a synced document records its version
// in `conversations.search_indexed_version`, and rows where that lags `search_version` get their job
// again. Deletes cannot be found that way (the row is gone): `search reindex` removes such orphans.
// With PostgreSQL search nothing is enqueued or recovered (triggers keep the index in the row).
import type { z } from 'zod';
import type { App } from '../../app.js';
import { DeferJob, defineJob, type JobHandler } from '../../jobs/definition.js';
import { isUnavailable } from './elasticsearch/backend.js';
import { searchSyncJobId, searchSyncPayload } from './search-indexing.js';

/** How long a sync waits for an unreachable search engine before it tries again. */
const SEARCH_DEFER_MS = 5_000;

export type SearchSyncJobPayload = z.output<typeof searchSyncPayload>;

export const searchSyncJob = defineJob<SearchSyncJobPayload>({
  queue: 'search',
  name: 'search.sync',
  payload: searchSyncPayload,
  jobId: searchSyncJobId,
  handler: () =>
    import('./search-indexing.js').then(
      (m): JobHandler<SearchSyncJobPayload> => ({
        run: async (p, ctx) => {
          let outcome: string;
          try {
            outcome = await m.runSearchSync(ctx.app, p);
          } catch (e) {
            // The engine is down: wait for it without using up the attempts, as jobs do for the
            // database (jobs/attempt.ts). The document catches up when it answers again.
            if (isUnavailable(e)) {
              ctx.log.warn({ conversationId: p.conversationId }, 'search engine unavailable; search sync deferred');
              throw new DeferJob(SEARCH_DEFER_MS * (0.8 + 0.4 * Math.random()));
            }
            throw e;
          }
          ctx.log.debug({ conversationId: p.conversationId, version: p.version, outcome }, 'search document synced');
        },
      }),
    ),
  // Conversations whose document still lags their row a while after the change (partial index
  // conversations_search_unindexed_idx). Newest first: a row whose sync failed all its attempts
  // keeps lagging while its failed job is kept (days; `ensure` leaves failed jobs alone), and
  // such rows must not hold back the recovery of newer lost jobs. Rows from before the
  // search_indexed_version migration read NULL and are never swept. A summary's completion does
  // not move `updated_at`, so its row may be swept while its own job is still queued: usually the
  // same job id (a no-op), at worst one more idempotent sync.
  recover: async (app, olderThanMs) => {
    if (!searchJobsEnabled(app)) return [];
    const rows = await app.db.query<{ account_id: string; id: string; search_version: number }>(
      `SELECT account_id, id, search_version FROM conversations
        WHERE search_indexed_version < search_version AND updated_at < now() - make_interval(secs => $1)
        ORDER BY updated_at DESC LIMIT 1000`,
      [olderThanMs / 1000],
    );
    return rows.map((r) => ({ accountId: r.account_id, conversationId: r.id, version: r.search_version, deleted: false }));
  },
});

/** Outbox event types that change what a conversation's search document holds. */
export const SEARCH_EVENT_TYPES: ReadonlySet<string> = new Set([
  'conversation.created',
  'conversation.updated',
  'conversation.deleted',
  'summary.generated',
]);

/** Whether indexing jobs are needed at all: only the distributed engines (Elasticsearch, OpenSearch) are fed by jobs. */
export function searchJobsEnabled(app: Pick<App, 'config'>): boolean {
  return !!app.config.search?.elasticsearch;
}

interface IndexedEvent {
  account_id: string;
  type: string;
  data: Record<string, unknown>;
}

/** Reads a conversation's current `search_version` (inside the dispatch transaction). */
export type VersionReader = (accountId: string, conversationId: string) => Promise<number | null>;

/**
 * The `search.sync` payload an outbox event calls for, or null (not a search event, no Elasticsearch,
 * or the conversation is already gone — its `conversation.deleted` event removes the document).
 * A delete carries the version the row had (`search_version` in the event data, recorded by
 * delete-conversation.ts); the others take the row's current version, which is at least the one of
 * the change (the job indexes the current row in any case).
 */
export async function searchSyncFor(
  app: Pick<App, 'config'>,
  event: IndexedEvent,
  readVersion: VersionReader,
): Promise<SearchSyncJobPayload | null> {
  if (!searchJobsEnabled(app) || !SEARCH_EVENT_TYPES.has(event.type)) return null;
  const conversationId = String(event.type === 'summary.generated' ? event.data.conversation_id : event.data.id);
  if (event.type === 'conversation.deleted') {
    const version = Number(event.data.search_version);
    // Only an event recorded before deletes carried the version lacks it: `search reindex` removes
    // such orphans (a guessed version could lose to the document's own and leave it in place).
    if (!Number.isInteger(version) || version < 1) return null;
    return { accountId: event.account_id, conversationId, version, deleted: true };
  }
  const version = await readVersion(event.account_id, conversationId);
  return version === null ? null : { accountId: event.account_id, conversationId, version, deleted: false };
}
