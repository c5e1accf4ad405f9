import { z } from 'zod';
import type { App, AccountScope } from '../../app.js';
import { newId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { enqueueSummary, pendingSummaryData } from '../summaries/start-summary.js';
import { conversationData } from '../webhooks/event-data.js';
import { storageTransaction } from '../usage/storage-quota.js';
import { dispatchAfterCommit, recordEvent } from '../webhooks/record-event.js';
import type { ConversationRecord } from './conversation-record.js';
import { contentField, metadataField, sourceField, titleField } from './conversation-input.js';

const createInput = (maxChars: number) =>
  z.object({
    title: titleField,
    content: contentField(maxChars),
    source: sourceField.default('api'),
    metadata: metadataField.default({}),
  });

export type CreateConversationInput = z.input<ReturnType<typeof createInput>>;

export async function createConversation(app: App, scope: AccountScope, input: CreateConversationInput): Promise<ConversationRecord> {
  const data = parseInput(createInput(app.config.contentMaxChars), input);
  const now = new Date();
  const id = newId('conversation');
  // The first summary's row and the `conversation.created` event are written with the conversation (one
  // transaction); the summary job and the event's dispatch are enqueued after the commit.
  const { conversationId: _, ...summary } = pendingSummaryData({ accountId: scope.accountId, conversationId: id, contentVersion: 1 });
  const { row, event } = await storageTransaction(app, scope, 'conversation', async (tx) => {
    const row = await tx.conversation.create({
      data: {
        id,
        accountId: scope.accountId,
        title: data.title,
        content: data.content,
        source: data.source,
        metadata: data.metadata as object,
        status: 'processing',
        createdAt: now,
        updatedAt: now,
        summaries: { create: { ...summary, createdAt: now } },
      },
    });
    return { row, event: await recordEvent(tx, { accountId: scope.accountId, type: 'conversation.created', data: conversationData(row) }) };
  });
  await enqueueSummary(app, summary.id);
  await dispatchAfterCommit(app, event);
  // Nothing left to read: a database that is busy now must not turn a stored conversation into an error.
  return { ...row, metadata: row.metadata as Record<string, unknown>, summary: null, attachments: [] };
}
