// The `search` queue: one `search.sync` job per conversation change when the Elasticsearch engine is
// configured. Fed by the events outbox (webhooks/dispatch-event.ts → enqueueSearchSync below), so a
// crash between the change's commit and the enqueue loses nothing: the outbox sweeper re-dispatches
// the event, and the deterministic job id makes the second enqueue a no-op. No `recover` of its own
// for that reason. With PostgreSQL search nothing is enqueued (triggers keep the index in the row).
import type { z } from 'zod';
import type { App } from '../../app.js';
import { defineJob, type JobHandler } from '../../jobs/definition.js';
import { searchSyncJobId, searchSyncPayload } from './search-indexing.js';

export type SearchSyncJobPayload = z.output<typeof searchSyncPayload>;

export const searchSyncJob = defineJob<SearchSyncJobPayload>({
  queue: 'search',
  name: 'search.sync',
  payload: searchSyncPayload,
  jobId: searchSyncJobId,
  handler: () =>
    import('./search-indexing.js').then((m): JobHandler<SearchSyncJobPayload> => ({
      run: async (p, ctx) => {
        const outcome = await m.runSearchSync(ctx.app, p);
        ctx.log.debug({ conversationId: p.conversationId, version: p.version, outcome }, 'search document synced');
      },
    })),
});

/** Outbox event types that change what a conversation's search document holds. */
export const SEARCH_EVENT_TYPES: ReadonlySet<string> = new Set(['conversation.created', 'conversation.updated', 'conversation.deleted', 'summary.generated']);

/** Whether indexing jobs are needed at all: only the Elasticsearch engine is fed by jobs. */
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
export async function searchSyncFor(app: Pick<App, 'config'>, event: IndexedEvent, readVersion: VersionReader): Promise<SearchSyncJobPayload | null> {
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
