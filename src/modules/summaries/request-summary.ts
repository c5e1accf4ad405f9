// POST /v1/conversations/{id}/summaries: a new summary of the conversation's current content, in
// the language and style asked for. Answers with the pending summary; the job fills it in.
import { z } from 'zod';
import type { AccountScope, App } from '../../app.js';
import type { Summary } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { enqueueSummary, pendingSummaryData } from './start-summary.js';
import { languageField, styleField } from './summary-input.js';

const requestInput = z.object({
  language: languageField.optional(),
  style: styleField.default('concise'),
});

export interface RequestSummaryInput {
  language?: string;
  style?: string;
}

export async function requestSummary(app: App, scope: AccountScope, conversationId: string, input: RequestSummaryInput): Promise<Summary> {
  if (!isId('conversation', conversationId)) throw AppError.notFound('Conversation');
  const data = parseInput(requestInput, input);
  const summary = await app.db.prisma.$transaction(async (tx) => {
    const conversation = await tx.conversation.findFirst({
      where: { id: conversationId, accountId: scope.accountId },
      select: { contentVersion: true, summary: { select: { language: true } } },
    });
    if (!conversation) throw AppError.notFound('Conversation');
    return tx.summary.create({
      data: pendingSummaryData({
        accountId: scope.accountId,
        conversationId,
        contentVersion: conversation.contentVersion,
        style: data.style,
        // Default: the language detected for the conversation by its latest summary.
        language: data.language ?? conversation.summary?.language ?? null,
      }),
    });
  });
  await enqueueSummary(app, summary.id);
  return summary;
}
