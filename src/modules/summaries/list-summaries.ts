// GET /v1/conversations/{id}/summaries: the conversation's summaries, newest first, paginated like
// the conversation list.
import type { AccountScope } from '../../app.js';
import type { Summary } from '../../generated/prisma/client.js';
import type { Database, Row } from '../../lib/db.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { pageOf, pageOnlyInput, type Page } from '../../lib/pagination.js';
import { SUMMARY_COLUMNS, summaryFromRow } from '../conversations/conversation-record.js';

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
  // One statement, one snapshot: the conversation (no row: 404), its page of summaries (one row with a
  // NULL summary when the page is empty) and their number, all through the primary key and the
  // (account_id, conversation_id, created_at) index, whatever the statistics say.
  const rows = await db.query<Row & { total: number }>(
    `SELECT c.account_id, ${SUMMARY_COLUMNS},
            (SELECT count(*) FROM summaries x WHERE x.account_id = c.account_id AND x.conversation_id = c.id) AS total
       FROM conversations c
       LEFT JOIN LATERAL (
         SELECT * FROM summaries s WHERE s.account_id = c.account_id AND s.conversation_id = c.id
          ORDER BY s.created_at DESC, s.id DESC LIMIT $3 OFFSET $4) s ON true
      WHERE c.account_id = $1 AND c.id = $2
      ORDER BY s.created_at DESC, s.id DESC`,
    [scope.accountId, conversationId, p.perPage, (p.page - 1) * p.perPage],
  );
  if (!rows.length) throw AppError.notFound('Conversation');
  const data = rows.flatMap((r) => summaryFromRow(r, conversationId) ?? []);
  return pageOf(data, p.page, p.perPage, Number(rows[0].total), linkBase);
}
