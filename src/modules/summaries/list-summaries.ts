// GET /v1/conversations/{id}/summaries: the conversation's summaries, newest first, paginated like
// the conversation list.
import { z } from 'zod';
import type { AccountScope } from '../../app.js';
import type { Summary } from '../../generated/prisma/client.js';
import type { Database } from '../../lib/db.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import type { PageLinks, PageMeta } from '../conversations/list-conversations.js';

const listInput = z.object({
  page: z.number().int().min(1, 'Page must be at least 1').default(1),
  perPage: z.number().int().min(1, 'Per page must be between 1 and 100').max(100, 'Per page must be between 1 and 100').default(20),
});

export interface SummaryPage {
  data: Summary[];
  meta: PageMeta;
  links: PageLinks;
}

export async function listSummaries(
  db: Database,
  scope: AccountScope,
  conversationId: string,
  input: { page?: number; perPage?: number },
  linkBase: string,
): Promise<SummaryPage> {
  if (!isId('conversation', conversationId)) throw AppError.notFound('Conversation');
  const p = parseInput(listInput, input);
  const where = { conversationId, accountId: scope.accountId };
  const [exists, total, data] = await Promise.all([
    db.prisma.conversation.count({ where: { id: conversationId, accountId: scope.accountId } }),
    db.prisma.summary.count({ where }),
    db.prisma.summary.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: (p.page - 1) * p.perPage, take: p.perPage }),
  ]);
  if (!exists) throw AppError.notFound('Conversation');
  const totalPages = Math.ceil(total / p.perPage);
  const last = Math.max(1, totalPages);
  const url = (page: number) => `${linkBase}?${new URLSearchParams({ page: String(page), per_page: String(p.perPage) })}`;
  return {
    data,
    meta: { page: p.page, perPage: p.perPage, total, totalPages },
    links: {
      first: url(1),
      last: url(last),
      prev: p.page > 1 ? url(Math.min(p.page - 1, last)) : null,
      next: p.page < totalPages ? url(p.page + 1) : null,
    },
  };
}
