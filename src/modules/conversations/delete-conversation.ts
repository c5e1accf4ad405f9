import type { App, AccountScope } from '../../app.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';

export interface Deletion {
  deleted: true;
  id: string;
}

/** Removes the conversation; its summaries go with it (ON DELETE CASCADE). */
export async function deleteConversation(app: App, scope: AccountScope, id: string): Promise<Deletion> {
  if (!isId('conversation', id)) throw AppError.notFound('Conversation');
  const { count } = await app.db.prisma.conversation.deleteMany({ where: { id, accountId: scope.accountId } });
  if (count === 0) throw AppError.notFound('Conversation');
  app.events.publish('conversation.deleted', { accountId: scope.accountId, conversationId: id });
  return { deleted: true, id };
}
