// The "api-written" state of bench:rest (issue 14): conversations created one by one through
// POST /v1/conversations, with their summaries left to the real summary jobs (the local summarizer),
// and no VACUUM or ANALYZE by hand — what every live account's tables look like (dead row versions from
// each summary's update, visibility map not set, statistics from whenever autovacuum last looked).
import type { Database } from '../../src/lib/db.js';
import { LINES, SUMMARY, TITLES, TOPICS } from './seed.js';

/** Creates `count` conversations through the API, `concurrency` requests in flight. */
export async function writeThroughApi(
  apiUrl: string,
  apiKey: string,
  count: number,
  concurrency = 16,
  onProgress?: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const lines = Array.from({ length: 12 + (i % 12) }, (_, j) => LINES[(i * 7 + j * 13) % LINES.length]);
      const body = JSON.stringify({
        title: `${TITLES[i % TITLES.length]} #${i}`,
        content: lines.join('\n'),
        source: (['email', 'whatsapp', 'api'] as const)[i % 3],
        metadata: { channel: 'bench', n: i },
      });
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${apiUrl}/v1/conversations`, { method: 'POST', headers, body });
        if (res.status === 201 || res.status === 202 || res.status === 200) {
          await res.arrayBuffer();
          break;
        }
        const text = await res.text();
        if (attempt >= 3) throw new Error(`POST /v1/conversations: ${res.status} ${text.slice(0, 300)}`);
      }
      if (++done % 1000 === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Waits until no conversation of the account is still being summarized. */
export async function waitForSummaries(db: Database, accountId: string, timeoutMs = 3_600_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [r] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM conversations WHERE account_id = $1 AND status = 'processing'`,
      [accountId],
    );
    if (r.n === 0) return;
    if (Date.now() > until) throw new Error(`${r.n} summaries still processing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The plain table the floor server reads: the account's list rows with the summary preview as jsonb,
 *  an index on account and created_at, analysed, never vacuumed. */
export async function createFloorTable(db: Database): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS floor_conversations`);
  await db.query(
    `CREATE TABLE floor_conversations AS
     SELECT c.id, c.account_id, c.title, c.source::text AS source, c.status::text AS status, c.created_at, c.updated_at,
            CASE WHEN s.id IS NULL THEN NULL
                 ELSE jsonb_build_object('title', s.title, 'content', s.content, 'sentiment', s.sentiment, 'topics', to_jsonb(s.topics)) END AS summary
       FROM conversations c LEFT JOIN summaries s ON s.id = c.summary_id`,
  );
  await db.query(`CREATE INDEX floor_conversations_account_created_idx ON floor_conversations (account_id, created_at DESC)`);
  await db.query(`ANALYZE floor_conversations`);
}

export interface TableState {
  relname: string;
  n_live_tup: number;
  n_dead_tup: number;
  last_autovacuum: Date | null;
  last_autoanalyze: Date | null;
  last_vacuum: Date | null;
  last_analyze: Date | null;
}

/** pg_stat_user_tables for the list's tables, so that the state being measured is visible. */
export async function tableState(db: Database): Promise<string> {
  const rows = await db.query<TableState>(
    `SELECT relname, n_live_tup::int, n_dead_tup::int, last_autovacuum, last_autoanalyze, last_vacuum, last_analyze
       FROM pg_stat_user_tables WHERE relname IN ('conversations', 'summaries', 'floor_conversations') ORDER BY relname`,
  );
  const t = (d: Date | null) => (d ? d.toISOString().slice(11, 19) : '-');
  return rows
    .map(
      (r) =>
        `    ${r.relname.padEnd(20)} live ${String(r.n_live_tup).padStart(6)}  dead ${String(r.n_dead_tup).padStart(6)}  last autovacuum ${t(r.last_autovacuum)}  autoanalyze ${t(r.last_autoanalyze)}  vacuum ${t(r.last_vacuum)}  analyze ${t(r.last_analyze)}`,
    )
    .join('\n');
}

/**
 * BENCH_WRITE=replay: the same sequence of row writes as the API path, without HTTP or the summarizer —
 * per batch of 200, the conversations and their pending summaries are inserted (autocommit statements),
 * then each summary is completed and made the conversation's current one, as the summary job does (one
 * UPDATE of each table, leaving a dead version of every row). Nothing is vacuumed or analysed by hand.
 * Minutes faster than the API at 20,000 on a shared machine; the state it leaves is the same kind
 * (pg_stat_user_tables is printed either way), but it is a replay, and the bench says so.
 */
export async function replayApiWrites(db: Database, accountId: string, count: number, onProgress?: (done: number) => void): Promise<void> {
  const BATCH = 200;
  for (let from = 0; from < count; from += BATCH) {
    const to = Math.min(count, from + BATCH) - 1;
    await db.query(
      `INSERT INTO conversations (id, account_id, title, content, source, status, metadata, created_at, updated_at)
       SELECT 'conv_' || lpad(to_hex(i), 26, '0'), $1, ($2::text[])[1 + i % cardinality($2::text[])] || ' #' || i,
              (SELECT string_agg(($3::text[])[1 + (i * 7 + j * 13) % cardinality($3::text[])], E'\\n') FROM generate_series(1, 12 + i % 12) j),
              (ARRAY['email', 'whatsapp', 'api']::conversation_source[])[1 + i % 3], 'processing', jsonb_build_object('channel', 'bench', 'n', i),
              clock_timestamp(), clock_timestamp()
         FROM generate_series($4::int, $5::int) i`,
      [accountId, TITLES, LINES, from, to],
    );
    await db.query(
      `INSERT INTO summaries (id, account_id, conversation_id, content_version, status, style, created_at)
       SELECT 'summary_' || lpad(to_hex(i), 26, '0'), $1, 'conv_' || lpad(to_hex(i), 26, '0'), 1, 'processing', 'concise', clock_timestamp()
         FROM generate_series($2::int, $3::int) i`,
      [accountId, from, to],
    );
    await db.query(
      `UPDATE summaries s SET status = 'completed', language = 'en', title = 'Summary #' || s.id,
              content = ($2::text[])[1 + abs(hashtext(s.id)) % 4], sentiment = (ARRAY['positive', 'neutral', 'negative'])[1 + abs(hashtext(s.id)) % 3],
              topics = ARRAY[($3::text[])[1 + abs(hashtext(s.id)) % 8]], action_items = ARRAY['Send the updated contract by Friday'],
              provider = 'local', model = 'local-v1', completed_at = clock_timestamp()
        WHERE s.id = ANY(ARRAY(SELECT 'summary_' || lpad(to_hex(i), 26, '0') FROM generate_series($4::int, $5::int) i)) AND s.account_id = $1`,
      [accountId, SUMMARY, TOPICS, from, to],
    );
    await db.query(
      `UPDATE conversations c SET status = 'completed', summary_id = 'summary_' || substr(c.id, 6)
        WHERE c.id = ANY(ARRAY(SELECT 'conv_' || lpad(to_hex(i), 26, '0') FROM generate_series($1::int, $2::int) i))`,
      [from, to], // by primary key only: with the account in the condition, stale statistics chose a scan of the account's index per batch
    );
    if (Math.floor((to + 1) / 1000) > Math.floor(from / 1000)) onProgress?.(to + 1);
  }
}
