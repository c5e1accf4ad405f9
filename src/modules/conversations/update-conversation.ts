// PATCH semantics (docs/spec/product.md §4): title, content and metadata; metadata is a JSON Merge Patch
// (a key set to null is removed); changing content re-runs the summary pipeline.
import { z } from 'zod';
import type { App, AccountScope } from '../../app.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { enqueueSummary, pendingSummaryData } from '../summaries/start-summary.js';
import { conversationData } from '../webhooks/event-data.js';
import { storageTransaction } from '../usage/storage-quota.js';
import { dispatchAfterCommit, recordEvent, type OutboxEvent } from '../webhooks/record-event.js';
import type { ConversationRecord } from './conversation-record.js';
import { contentField, METADATA_TOO_LARGE, metadataSizeOk, titleField } from './conversation-input.js';
import { getConversation } from './load-conversation.js';

const updateInput = (maxChars: number) =>
  z.object({
    title: titleField.optional(),
    content: contentField(maxChars).optional(),
    // null clears every key (RFC 7396: a null member removes the target member).
    metadata: z.record(z.string(), z.unknown(), { error: 'Metadata must be a JSON object' }).nullable().optional(),
  });

export interface UpdateConversationInput {
  title?: string | null;
  content?: string | null;
  metadata?: Record<string, unknown> | null;
}

export function mergeMetadata(current: Record<string, unknown>, patch: Record<string, unknown> | null): Record<string, unknown> {
  if (patch === null) return {};
  const merged: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

export async function updateConversation(
  app: App,
  scope: AccountScope,
  id: string,
  input: UpdateConversationInput,
): Promise<ConversationRecord> {
  if (!isId('conversation', id)) throw AppError.notFound('Conversation');
  const data = parseInput(updateInput(app.config.contentMaxChars), input);

  const outcome = await storageTransaction(app, scope, 'conversation', async (tx) => {
    const rows = await tx.$queryRaw<{ content: string; metadata: Record<string, unknown>; title: string }[]>`
      SELECT title, content, metadata FROM conversations
       WHERE id = ${id} AND account_id = ${scope.accountId} FOR UPDATE`;
    const current = rows[0];
    if (!current) throw AppError.notFound('Conversation');

    const changes: Record<string, unknown> = {};
    if (data.title !== undefined && data.title !== current.title) changes.title = data.title;
    const contentChanged = data.content !== undefined && data.content !== current.content;
    if (contentChanged) changes.content = data.content;
    if (data.metadata !== undefined) {
      const merged = mergeMetadata(current.metadata, data.metadata);
      if (!metadataSizeOk(merged)) throw AppError.validation({ metadata: [METADATA_TOO_LARGE] });
      if (JSON.stringify(merged) !== JSON.stringify(current.metadata)) changes.metadata = merged;
    }
    if (Object.keys(changes).length === 0) return { changed: false as const };

    const updated = await tx.conversation.update({
      where: { id, accountId: scope.accountId },
      data: {
        ...changes,
        updatedAt: new Date(),
        ...(contentChanged ? { status: 'processing', contentVersion: { increment: 1 } } : {}),
      },
      select: { id: true, title: true, source: true, status: true, metadata: true, createdAt: true, updatedAt: true, contentVersion: true },
    });
    const event: OutboxEvent = await recordEvent(tx, {
      accountId: scope.accountId,
      type: 'conversation.updated',
      data: conversationData(updated),
    });
    if (!contentChanged) return { changed: true as const, event };
    const summary = pendingSummaryData({ accountId: scope.accountId, conversationId: id, contentVersion: updated.contentVersion });
    await tx.summary.create({ data: summary });
    return { changed: true as const, event, summaryId: summary.id };
  });
  // Read before enqueueing, so the answer shows the state this request left (`processing`).
  const conversation = await getConversation(app.db, scope, id);
  if (outcome.changed && outcome.summaryId) await enqueueSummary(app, outcome.summaryId);
  if (outcome.changed) await dispatchAfterCommit(app, outcome.event);
  return conversation;
}
