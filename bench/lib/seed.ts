// Seeds one account's conversations with a few set-based statements (seconds, not minutes, for 10,000).
// Contents are stitched in SQL from chat lines so every row differs and weighs ~1–2 KB; created_at are
// one minute apart (distinct, so "newest first" is a real index order); 9 in 10 have a completed summary,
// as in a live account, so the list's LEFT JOIN and summary previews do real work.
import type { Database } from '../../src/lib/db.js';

export const TITLES = [
  'Q3 pricing review with Acme',
  'Onboarding call notes',
  'Invoice dispute follow-up',
  'Roadmap sync',
  'WhatsApp support thread',
  'Contract renewal',
  'Demo feedback from Globex',
  'Weekly sales stand-up',
  'Budget approval',
  'Hiring plan discussion',
];
const NAMES = ['Tom', 'Anna', 'Maria', 'John', 'Priya', 'Lukas', 'Chen', 'Sofia', 'Omar', 'Grace'];
const PHRASES = [
  'did you get a chance to look at the pricing sheet I sent over on Monday?',
  'yes, it looks good overall, but a few numbers in the second table are still off.',
  'could you send me the updated contract by Friday? Legal wants to review it before we sign.',
  "sure, I'll send it tomorrow morning. I'm still waiting for the final figures from finance.",
  "great, thanks! Let's schedule a call with the whole team next week to go through it together.",
  'I am not happy with the delays, the client has been asking about the report for two weeks now.',
  'I understand, we will fix it today. Can you ask Grace to review the onboarding plan as well?',
  "no need for a meeting room, we can do it online. I'll share the link after lunch.",
  'also the roadmap needs another pass, the last version still had a couple of mistakes in Q4.',
  'agreed. We should update the budget before the demo, otherwise the numbers will not match.',
];
export const LINES = NAMES.flatMap((n, i) => PHRASES.map((p, j) => `${n}: ${(i + j) % 3 ? 'Hi, ' : ''}${p}`));
export const SUMMARY = [
  'The team reviewed the pricing sheet and agreed to fix the remaining numbers before the client call.',
  'Finance still owes the final figures; the contract goes to legal by Friday.',
  'The client is unhappy about delays on the report; a fix was promised for today.',
  'A follow-up call is planned next week to walk everyone through the updated budget and roadmap.',
];
export const TOPICS = ['pricing', 'contract', 'invoice', 'roadmap', 'budget', 'onboarding', 'support', 'hiring'];

export async function seedConversations(db: Database, accountId: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO conversations (id, account_id, title, content, source, status, metadata, created_at, updated_at)
     SELECT 'conv_' || lpad(to_hex(i), 26, '0'), $1,
            ($2::text[])[1 + i % cardinality($2::text[])] || ' #' || i,
            (SELECT string_agg(($3::text[])[1 + (i * 7 + j * 13) % cardinality($3::text[])], E'\n')
               FROM generate_series(1, 12 + i % 12) j),
            (ARRAY['email', 'whatsapp', 'api']::conversation_source[])[1 + i % 3],
            (CASE WHEN i % 10 = 0 THEN 'processing' ELSE 'completed' END)::processing_status,
            jsonb_build_object('channel', 'bench', 'n', i),
            now() - make_interval(mins => i), now() - make_interval(mins => i)
       FROM generate_series(1, $4::int) i`,
    [accountId, TITLES, LINES, count],
  );
  await attachSummaries(db, accountId);
}

/** Gives 9 in 10 conversations of the account (the completed ones) a current, completed summary. */
export async function attachSummaries(db: Database, accountId: string): Promise<void> {
  await db.query(
    `INSERT INTO summaries (id, account_id, conversation_id, content_version, status, language, style, title, content,
                            sentiment, topics, action_items, provider, model, created_at, completed_at)
     SELECT 'summary_' || substr(c.id, 6), c.account_id, c.id, 1, 'completed', 'en', 'concise', 'Summary: ' || c.title,
            ($2::text[])[1 + h % 4] || ' ' || ($2::text[])[1 + (h / 4) % 4],
            (ARRAY['positive', 'neutral', 'negative'])[1 + h % 3],
            ARRAY[($3::text[])[1 + h % 8], ($3::text[])[1 + (h / 8) % 8]], ARRAY['Send the updated contract by Friday'],
            'local', 'local-v1', c.created_at, c.created_at
       FROM (SELECT *, abs(hashtext(id)) AS h FROM conversations WHERE account_id = $1 AND status = 'completed') c`,
    [accountId, SUMMARY, TOPICS],
  );
  // Fresh statistics first: the search trigger looks each summary up, and with the table still counted
  // as empty the planner chose a scan of the account's summaries per row (the 180,000-row UPDATE of the
  // search bench ran for over 20 minutes).
  await db.query('ANALYZE summaries');
  await db.query(`UPDATE conversations SET summary_id = 'summary_' || substr(id, 6) WHERE account_id = $1 AND status = 'completed'`, [
    accountId,
  ]);
  await db.query('ANALYZE');
}
