// Conversations (and their current completed summaries) written directly with SQL, for search tests:
// the summary pipeline running beside a test can't change their words or sentiment mid-test.
import type { Database } from '../../src/lib/db.js';
import { newId } from '../../src/lib/ids.js';

export interface Seed {
  title: string;
  content: string;
  source?: 'email' | 'whatsapp' | 'api';
  status?: 'processing' | 'completed' | 'failed';
  createdAt?: string;
  summary?: { title?: string; content?: string; sentiment?: string; topics?: string[] };
}

/** Inserts the rows in order and returns their ids. */
export async function seedConversations(db: Database, accountId: string, rows: Seed[]): Promise<string[]> {
  const ids: string[] = [];
  for (const r of rows) {
    const id = newId('conversation');
    const at = r.createdAt ?? new Date().toISOString();
    await db.query(
      `INSERT INTO conversations (id, account_id, title, content, source, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::conversation_source, $6::processing_status, $7, $7)`,
      [id, accountId, r.title, r.content, r.source ?? 'api', r.status ?? 'completed', at],
    );
    if (r.summary) {
      const sid = newId('summary');
      await db.query(
        `INSERT INTO summaries (id, account_id, conversation_id, content_version, status, title, content, sentiment, topics, completed_at)
         VALUES ($1, $2, $3, 1, 'completed', $4, $5, $6, $7, now())`,
        [sid, accountId, id, r.summary.title ?? null, r.summary.content ?? null, r.summary.sentiment ?? null, r.summary.topics ?? []],
      );
      await db.query(`UPDATE conversations SET summary_id = $1 WHERE id = $2 AND account_id = $3`, [sid, id, accountId]);
    }
    ids.push(id);
  }
  return ids;
}
