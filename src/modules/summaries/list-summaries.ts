// GET /v1/conversations/{id}/summaries: the conversation's summaries, newest first, paginated like
// the conversation list.
import type { AccountScope } from '../../app.js';
import type { Summary } from '../../generated/prisma/client.js';
import type { Database } from '../../lib/db.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { pageOf, pageOnlyInput, type Page } from '../../lib/pagination.js';

export type SummaryPage = Page<Summary>;

export async function listSummaries(
  db: Database,
  scope: AccountScope,
  conversationId: string,
  input: { page?: number; perPage?: number },
  linkBase: string,
): Promise<SummaryPage> {
  if (!isId('conversation', conversationId)) throw AppError.notFound('Conversation');
  const p = parseInput(pageOnlyInput, input);
  const where = { conversationId, accountId: scope.accountId };
  const [exists, total, data] = await Promise.all([
    db.prisma.conversation.count({ where: { id: conversationId, accountId: scope.accountId } }),
    db.prisma.summary.count({ where }),
    db.prisma.summary.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: (p.page - 1) * p.perPage, take: p.perPage }),
  ]);
  if (!exists) throw AppError.notFound('Conversation');
  return pageOf(data, p.page, p.perPage, total, linkBase);
}
