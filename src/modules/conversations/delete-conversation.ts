import type { App, AccountScope } from '../../app.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { deleteStoredFiles } from '../attachments/attachments.js';
import { dispatchAfterCommit, recordEvent } from '../webhooks/record-event.js';

export interface Deletion {
  deleted: true;
  id: string;
}

/** Removes the conversation; its summaries and attachments go with it (ON DELETE CASCADE), then the attachments' bytes. */
export async function deleteConversation(app: App, scope: AccountScope, id: string): Promise<Deletion> {
  if (!isId('conversation', id)) throw AppError.notFound('Conversation');
  // Attachment rows go with the conversation (ON DELETE CASCADE); their bytes are deleted after commit.
  const { count, fileKeys, event } = await app.db.prisma.$transaction(async (tx) => {
    const files = await tx.$queryRaw<{ storage_key: string }[]>`
      SELECT storage_key FROM attachments WHERE conversation_id = ${id} AND account_id = ${scope.accountId} FOR UPDATE`;
    // The version the row had: the search index removes the document with it (later writes lose).
    const deleted = await tx.$queryRaw<{ search_version: number }[]>`
      DELETE FROM conversations WHERE id = ${id} AND account_id = ${scope.accountId} RETURNING search_version`;
    const count = deleted.length;
    const event = count
      ? await recordEvent(tx, {
          accountId: scope.accountId,
          type: 'conversation.deleted',
          data: { id, search_version: deleted[0].search_version },
        })
      : null;
    return { count, fileKeys: files.map((f) => f.storage_key), event };
  });
  if (count === 0) throw AppError.notFound('Conversation');
  await deleteStoredFiles(app, fileKeys);
  await dispatchAfterCommit(app, event);
  return { deleted: true, id };
}
