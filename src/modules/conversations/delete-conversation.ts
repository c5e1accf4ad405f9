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
    const { count } = await tx.conversation.deleteMany({ where: { id, accountId: scope.accountId } });
    const event = count ? await recordEvent(tx, { accountId: scope.accountId, type: 'conversation.deleted', data: { id } }) : null;
    return { count, fileKeys: files.map((f) => f.storage_key), event };
  });
  if (count === 0) throw AppError.notFound('Conversation');
  await deleteStoredFiles(app, fileKeys);
  await dispatchAfterCommit(app, event);
  return { deleted: true, id };
}
