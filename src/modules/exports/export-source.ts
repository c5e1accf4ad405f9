// The conversations an export contains, read in batches by keyset (created_at, id): one bounded page
// in memory at a time, however many conversations match. Filters mean what they mean in search.
import type { Database, Row } from '../../lib/db.js';
import type { SearchRequest } from '../search/search-input.js';

export interface ExportAttachment {
  id: string;
  filename: string;
  size: number;
  mimeType: string;
  storageKey: string;
}

export interface ExportConversation {
  id: string;
  title: string;
  content: string;
  source: string;
  status: string;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  summary: { title: string | null; content: string | null; sentiment: string | null; topics: string[]; actionItems: string[] } | null;
  attachments: ExportAttachment[];
}

export function filterSql(accountId: string, f: SearchRequest['filters']): { where: string[]; values: unknown[] } {
  const values: unknown[] = [accountId];
  const p = (v: unknown) => `$${values.push(v)}`;
  const where = ['c.account_id = $1'];
  if (f.createdFrom) where.push(`c.created_at >= ${p(f.createdFrom)}`);
  if (f.createdBefore) where.push(`c.created_at < ${p(f.createdBefore)}`);
  if (f.source) where.push(`c.source = ${p(f.source)}::conversation_source`);
  if (f.status) where.push(`c.status = ${p(f.status)}::processing_status`);
  if (f.sentiment) where.push(`s.sentiment = ${p(f.sentiment)}`);
  if (f.topics) where.push(`s.topics && ${p(f.topics)}::text[]`);
  // Sentiment and topics are the current summary's (the LEFT JOIN below; a filter on it drops rows without one).
  return { where, values };
}

export async function* exportConversations(
  db: Database,
  accountId: string,
  filters: SearchRequest['filters'],
  batchSize: number,
): AsyncGenerator<ExportConversation[]> {
  let after: { createdAt: Date; id: string } | undefined;
  for (;;) {
    const { where, values } = filterSql(accountId, filters);
    const p = (v: unknown) => `$${values.push(v)}`;
    if (after) where.push(`(c.created_at, c.id) > (${p(after.createdAt)}, ${p(after.id)})`);
    const rows = await db.query<Row>(
      `SELECT c.id, c.title, c.content, c.source, c.status, c.metadata, c.created_at, c.updated_at,
              s.id AS s_id, s.title AS s_title, s.content AS s_content, s.sentiment AS s_sentiment,
              s.topics AS s_topics, s.action_items AS s_action_items
         FROM conversations c LEFT JOIN summaries s ON s.id = c.summary_id AND s.account_id = c.account_id
        WHERE ${where.join(' AND ')}
        ORDER BY c.created_at, c.id
        LIMIT ${p(batchSize)}`,
      values,
    );
    if (!rows.length) return;
    const ids = rows.map((r) => r.id as string);
    const files = await db.query<Row>(
      `SELECT id, conversation_id, filename, size, mime_type, storage_key FROM attachments
        WHERE account_id = $1 AND conversation_id = ANY($2::text[]) ORDER BY created_at, id`,
      [accountId, ids],
    );
    const byConversation = new Map<string, ExportAttachment[]>();
    for (const f of files) {
      const list = byConversation.get(f.conversation_id as string) ?? [];
      list.push({
        id: f.id as string,
        filename: f.filename as string,
        size: Number(f.size),
        mimeType: f.mime_type as string,
        storageKey: f.storage_key as string,
      });
      byConversation.set(f.conversation_id as string, list);
    }
    yield rows.map((r) => ({
      id: r.id as string,
      title: r.title as string,
      content: r.content as string,
      source: r.source as string,
      status: r.status as string,
      metadata: (r.metadata as Record<string, unknown>) ?? {},
      createdAt: r.created_at as Date,
      updatedAt: r.updated_at as Date,
      summary:
        r.s_id == null
          ? null
          : {
              title: r.s_title as string | null,
              content: r.s_content as string | null,
              sentiment: r.s_sentiment as string | null,
              topics: (r.s_topics as string[]) ?? [],
              actionItems: (r.s_action_items as string[]) ?? [],
            },
      attachments: byConversation.get(r.id as string) ?? [],
    }));
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1];
    after = { createdAt: last.created_at as Date, id: last.id as string };
  }
}
