import type { AccountScope } from '../../app.js';
import type { Database } from '../../lib/db.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { conversationFromRow, SUMMARY_COLUMNS, type ConversationRecord } from './conversation-record.js';

const NOT_FOUND = () => AppError.notFound('Conversation');

/** The whole conversation, scoped to the account. Unknown, malformed and foreign ids are all 404. */
export async function getConversation(db: Database, scope: AccountScope, id: string): Promise<ConversationRecord> {
  const conversation = await findConversation(db, scope, id);
  if (!conversation) throw NOT_FOUND();
  return conversation;
}

/** The same, or null where getConversation answers 404. */
export async function findConversation(db: Database, scope: AccountScope, id: string): Promise<ConversationRecord | null> {
  if (!isId('conversation', id)) return null;
  const rows = await db.query(
    // Named columns: `c.*` would also ship the search document (a tsvector as long as the content).
    `SELECT c.id, c.account_id, c.title, c.content, c.source, c.status, c.metadata, c.content_version, c.created_at, c.updated_at,
            ${SUMMARY_COLUMNS}
       FROM conversations c
       LEFT JOIN LATERAL (SELECT * FROM summaries s WHERE s.id = c.summary_id AND s.account_id = c.account_id) s ON true
      WHERE c.account_id = $1 AND c.id = $2`,
    [scope.accountId, id],
  );
  return rows[0] ? conversationFromRow(rows[0]) : null;
}

/** Content and metadata for many ids at once (GraphQL list items that ask for them). */
export async function loadConversationBodies(
  db: Database,
  scope: AccountScope,
  ids: readonly string[],
): Promise<Map<string, { content: string; metadata: Record<string, unknown> }>> {
  const rows = await db.query<{ id: string; content: string; metadata: Record<string, unknown> }>(
    `SELECT id, content, metadata FROM conversations WHERE account_id = $1 AND id = ANY($2::text[])`,
    [scope.accountId, ids],
  );
  return new Map(rows.map((r) => [r.id, { content: r.content, metadata: r.metadata }]));
}
