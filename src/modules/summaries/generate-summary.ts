// The `summary.generate` job: run the provider on the conversation's content and store the result.
// Idempotent: a summary that is no longer `processing` is left alone. The conversation takes the
// result only while the summary's content version is still the conversation's current one, so an
// older version's job can never overwrite a newer result (the check is in the UPDATE itself).
import type { App } from '../../app.js';
import { Prisma } from '../../generated/prisma/client.js';
import type { JobContext, JobHandler } from '../../jobs/definition.js';
import { conversationData, summaryData, type ConversationSnapshot } from '../webhooks/event-data.js';
import { dispatchAfterCommit, recordEvent } from '../webhooks/record-event.js';
import { summaryProvider } from './providers/index.js';
import type { SummaryOutput } from './providers/provider.js';
import type { SummaryStyle } from './summary-input.js';

export const SUPERSEDED = "Superseded: the conversation's content changed before this summary ran";

interface Work {
  id: string;
  account_id: string;
  conversation_id: string;
  content_version: number;
  status: string;
  language: string | null;
  style: SummaryStyle;
  created_at: Date;
  title: string;
  content: string;
  source: 'email' | 'whatsapp' | 'api';
  current_version: number;
}

export const generateSummaryHandler: JobHandler<{ summaryId: string }> = {
  async run({ summaryId }, ctx) {
    const [work] = await ctx.app.db.query<Work>(
      `SELECT s.id, s.account_id, s.conversation_id, s.content_version, s.status, s.language, s.style, s.created_at,
              c.title, c.content, c.source, c.content_version AS current_version
         FROM summaries s JOIN conversations c ON c.id = s.conversation_id AND c.account_id = s.account_id
        WHERE s.id = $1`,
      [summaryId],
    );
    if (!work) return ctx.log.info('summary or conversation deleted; nothing to do');
    if (work.status !== 'processing') return ctx.log.info({ status: work.status }, 'summary already finished');
    // Only the current content is stored: an older version cannot be summarized any more.
    if (work.content_version !== work.current_version) return void (await markFailed(ctx.app, summaryId, SUPERSEDED, ctx));

    const provider = summaryProvider(ctx.app.config.summaries);
    const output = await provider.summarize({
      title: work.title,
      content: work.content,
      source: work.source,
      language: work.language ?? undefined,
      style: work.style,
    });
    await complete(ctx.app, work, output, provider.name, provider.model, ctx);
  },
  async failed({ summaryId }, reason, ctx) {
    await markFailed(ctx.app, summaryId, reason, ctx);
  },
};

async function complete(app: App, work: Work, out: SummaryOutput, provider: string, model: string | null, ctx: JobContext) {
  const applied = await app.db.prisma.$transaction(async (tx) => {
    // Conversation row first, then the summary: the same lock order as a DELETE (which cascades from
    // the conversation to its summaries), so the two cannot deadlock.
    await tx.$executeRaw`SELECT 1 FROM conversations WHERE id = ${work.conversation_id} AND account_id = ${work.account_id} FOR UPDATE`;
    const done = await tx.$executeRaw`
      UPDATE summaries
         SET status = 'completed', language = ${out.language}, title = ${out.title}, content = ${out.content},
             sentiment = ${out.sentiment}, topics = ${out.topics}, action_items = ${out.actionItems},
             provider = ${provider}, model = ${model}, error = NULL, completed_at = now()
       WHERE id = ${work.id} AND status = 'processing'`;
    if (done === 0) return null; // a concurrent run finished it first
    // The newest summary of the current version wins; one of an older version never does.
    const conversations = await tx.$queryRaw<ConversationRow[]>`
      UPDATE conversations c SET status = 'completed', summary_id = ${work.id}
       WHERE c.id = ${work.conversation_id} AND c.account_id = ${work.account_id}
         AND c.content_version = ${work.content_version}
         AND NOT EXISTS (SELECT 1 FROM summaries cur
                          WHERE cur.id = c.summary_id AND cur.content_version = ${work.content_version}
                            AND cur.created_at > ${work.created_at})
      RETURNING ${CONVERSATION_COLUMNS}`;
    const generated = await recordEvent(tx, {
      accountId: work.account_id,
      type: 'summary.generated',
      data: summaryData({ id: work.id, conversationId: work.conversation_id, status: 'completed', ...out, style: work.style }),
    });
    const updated = conversations[0]
      ? await recordEvent(tx, {
          accountId: work.account_id,
          type: 'conversation.updated',
          data: conversationData(snapshot(conversations[0])),
        })
      : null;
    return { applied: conversations.length, events: [generated, updated] };
  });
  if (applied === null) return;
  ctx.log.info({ conversationId: work.conversation_id, appliedToConversation: applied.applied > 0 }, 'summary completed');
  await dispatchAfterCommit(app, ...applied.events);
}

/** What a `conversation.updated` event carries, returned by the UPDATE that changed the conversation. */
const CONVERSATION_COLUMNS = Prisma.raw('id, title, source, status, metadata, created_at, updated_at');
type ConversationRow = { id: string; title: string; source: string; status: string; metadata: unknown; created_at: Date; updated_at: Date };
const snapshot = (r: ConversationRow): ConversationSnapshot => ({ ...r, createdAt: r.created_at, updatedAt: r.updated_at });

async function markFailed(app: App, summaryId: string, reason: string, ctx: JobContext) {
  const error = reason.slice(0, 1000);
  const result = await app.db.prisma.$transaction(async (tx) => {
    // Lock order as in complete(): the conversation before its summary.
    await tx.$executeRaw`SELECT 1 FROM conversations c JOIN summaries s ON s.conversation_id = c.id AND s.account_id = c.account_id
                          WHERE s.id = ${summaryId} FOR UPDATE OF c`;
    const rows = await tx.$queryRaw<{ conversation_id: string; account_id: string; content_version: number }[]>`
      UPDATE summaries SET status = 'failed', error = ${error}
       WHERE id = ${summaryId} AND status = 'processing'
       RETURNING conversation_id, account_id, content_version`;
    const s = rows[0];
    if (!s) return null;
    // The conversation shows `failed` only while it has no result for its current content yet.
    const conversations = await tx.$queryRaw<ConversationRow[]>`
      UPDATE conversations SET status = 'failed'
       WHERE id = ${s.conversation_id} AND account_id = ${s.account_id}
         AND content_version = ${s.content_version} AND status = 'processing'
      RETURNING ${CONVERSATION_COLUMNS}`;
    const failed = await recordEvent(tx, {
      accountId: s.account_id,
      type: 'summary.failed',
      data: summaryData({ id: summaryId, conversationId: s.conversation_id, status: 'failed', error }),
    });
    const updated = conversations[0]
      ? await recordEvent(tx, { accountId: s.account_id, type: 'conversation.updated', data: conversationData(snapshot(conversations[0])) })
      : null;
    return { ...s, events: [failed, updated] };
  });
  if (!result) return;
  ctx.log.warn({ conversationId: result.conversation_id, reason: error }, 'summary failed');
  await dispatchAfterCommit(app, ...result.events);
}
