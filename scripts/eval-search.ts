// `npm run eval:search`: relevance of the search service on DialogSum dev (read at run time from
// ../shared/eval, or EVAL_DIR; its licence forbids copying it, or anything derived from it, into the repo),
// next to a plain BM25 baseline computed here over exactly the same tokens.
//
// Design (so that neither side sees the answer):
//   - Corpus: each dialogue is one conversation in a fresh database, written with the columns the
//     create service writes; the triggers build the weighted tsvector. The title is the first utterance
//     (what an inbox shows for a chat with no subject) — never the topic or the reference summary, which
//     the queries come from. No summary is attached (a reference summary would leak the answer).
//   - Topic queries: each distinct `topic` is a query; every dialogue annotated with it is relevant.
//     Topics are labels ("see a doctor", "job interview"), often not words of the dialogue: hard for any
//     lexical engine, and the same for both.
//   - Known-item queries: per dialogue, the three words of its reference summary that are rarest in the
//     corpus (corpus IDF, speaker tags dropped), the way someone recalls "that chat about the pulmonary
//     specialist"; the one dialogue is relevant.
//   - BM25 (k1 = 1.2, b = 0.75, Lucene IDF) over the lexemes of the stored `search_vector` (PostgreSQL's
//     English stemming and stop words, title + content), queries tokenised by the same to_tsvector. It
//     ranks any document with any query term (OR), like our loose-word syntax. Ties: newest first, as ours.
// Metrics: recall@10 = relevant found in the top 10 / relevant; MRR@10 = 1 / rank of the first relevant.
//
// `npm run eval:search -- --engine opensearch` also indexes the same corpus into OpenSearch (a node of
// tools/opensearch, or SEARCH_URL) with `_bulk` (the `search reindex` code) and asks it the same queries
// through the same service, printed beside PostgreSQL's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase } from '../bench/lib/database.js';
import { engineOption, openSearchForBench } from '../bench/lib/opensearch.js';
import { searchServices } from '../src/modules/search/search-engine.js';
import { loadConfig } from '../src/config.js';
import { newId } from '../src/lib/ids.js';
import { createLogger } from '../src/lib/logger.js';
import { createAccount } from '../src/modules/accounts/create-account.js';
import { searchConversations } from '../src/modules/search/search-conversations.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const evalDir = path.resolve(repoRoot, process.env.EVAL_DIR ?? '../shared/eval');
const K = 10;
const K1 = 1.2;
const B = 0.75;

interface Dialogue {
  fname: string;
  dialogue: string;
  summary: string;
  topic: string;
}
interface Query {
  set: 'topic' | 'known-item';
  text: string;
  relevant: Set<string>;
}
interface Scores {
  recall: number;
  mrr: number;
  n: number;
}

function titleOf(dialogue: string): string {
  const first = dialogue
    .split('\n')[0]
    .replace(/^#Person\d#:\s*/, '')
    .trim();
  return first.length <= 60 ? first : `${first.slice(0, 60).replace(/\s+\S*$/, '')}…`;
}

function score(queries: Query[], results: string[][]): Scores {
  let recall = 0;
  let mrr = 0;
  queries.forEach((q, i) => {
    const top = results[i].slice(0, K);
    recall += top.filter((id) => q.relevant.has(id)).length / q.relevant.size;
    const first = top.findIndex((id) => q.relevant.has(id));
    mrr += first === -1 ? 0 : 1 / (first + 1);
  });
  return { recall: recall / queries.length, mrr: mrr / queries.length, n: queries.length };
}

async function main(): Promise<void> {
  const file = path.join(evalDir, 'dialogsum-dev.jsonl');
  const dialogues: Dialogue[] = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const scratch = await createScratchDatabase('aimychats_eval');
  const { db, url } = scratch;
  try {
    const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' });
    const app = { config, db, log: createLogger('silent') };
    const { account } = await createAccount(db, config, { email: 'eval@example.com', plan: 'pro' });
    const scope = { accountId: account.id, plan: 'pro' };

    // Distinct created_at, one minute apart in file order: ties break by recency on both sides.
    const ids = dialogues.map(() => newId('conversation'));
    const t0 = Date.now();
    await db.query(
      `INSERT INTO conversations (id, account_id, title, content, source, status, created_at, updated_at)
       SELECT id, $1, title, content, 'api', 'completed', now() - make_interval(mins => n::int), now() - make_interval(mins => n::int)
         FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(id, title, content, n)`,
      [account.id, ids, dialogues.map((d) => titleOf(d.dialogue)), dialogues.map((d) => d.dialogue)],
    );
    console.log(`corpus: ${dialogues.length} dialogues from ${file}, indexed in ${Date.now() - t0} ms`);

    // Term frequencies straight from the stored vectors: the baseline sees our tokens, nothing else.
    const postings = await db.query<{ id: string; lexeme: string; tf: number }>(
      `SELECT c.id, v.lexeme, cardinality(v.positions) AS tf FROM conversations c, unnest(c.search_vector) v WHERE c.account_id = $1`,
      [account.id],
    );
    const tf = new Map<string, Map<string, number>>(ids.map((id) => [id, new Map()]));
    const df = new Map<string, number>();
    const len = new Map<string, number>(ids.map((id) => [id, 0]));
    for (const p of postings) {
      tf.get(p.id)!.set(p.lexeme, p.tf);
      df.set(p.lexeme, (df.get(p.lexeme) ?? 0) + 1);
      len.set(p.id, len.get(p.id)! + p.tf);
    }
    const N = ids.length;
    const avgdl = [...len.values()].reduce((a, b) => a + b, 0) / N;
    const idf = (t: string) => Math.log(1 + (N - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5));
    const lexemes = async (texts: string[]) =>
      (
        await db.query<{ l: string[] }>(
          `SELECT coalesce((SELECT array_agg(lexeme) FROM unnest(to_tsvector('english'::regconfig, search_plain_text(t)))), '{}') AS l
           FROM unnest($1::text[]) WITH ORDINALITY AS x(t, n) ORDER BY n`,
          [texts],
        )
      ).map((r) => r.l);

    const queries: Query[] = [];
    const byTopic = new Map<string, Set<string>>();
    dialogues.forEach((d, i) => {
      const t = d.topic.trim().toLowerCase();
      if (!byTopic.has(t)) byTopic.set(t, new Set());
      byTopic.get(t)!.add(ids[i]);
    });
    for (const [text, relevant] of byTopic) queries.push({ set: 'topic', text, relevant });
    for (const [i, d] of dialogues.entries()) {
      const words = [...new Set(d.summary.replace(/#Person\d#/g, ' ').match(/[\p{L}][\p{L}'-]*/gu) ?? [])];
      const lex = await lexemes(words);
      const picked = new Map<string, string>(); // lexeme → surface word, rarest first
      words
        .map((w, j) => ({ w, l: lex[j][0], j }))
        .filter((x) => x.l && df.has(x.l))
        .sort((a, b) => idf(b.l) - idf(a.l) || a.j - b.j)
        .forEach((x) => {
          if (picked.size < 3 && !picked.has(x.l)) picked.set(x.l, x.w);
        });
      if (picked.size) queries.push({ set: 'known-item', text: [...picked.values()].join(' '), relevant: new Set([ids[i]]) });
    }

    const order = new Map(ids.map((id, i) => [id, i])); // lower = newer
    const bm25 = (terms: string[]) => {
      const scores = new Map<string, number>();
      for (const t of new Set(terms)) {
        const w = idf(t);
        for (const id of ids) {
          const f = tf.get(id)!.get(t);
          if (!f) continue;
          const s = (w * f * (K1 + 1)) / (f + K1 * (1 - B + (B * len.get(id)!) / avgdl));
          scores.set(id, (scores.get(id) ?? 0) + s);
        }
      }
      return [...scores].sort((a, b) => b[1] - a[1] || order.get(a[0])! - order.get(b[0])!).map(([id]) => id);
    };

    const queryLexemes = await lexemes(queries.map((q) => q.text));
    const baseline = queries.map((_, i) => bm25(queryLexemes[i]));
    const started = Date.now();
    const service: string[][] = [];
    for (const q of queries) {
      const r = await searchConversations(app, scope, { query: q.text, perPage: K });
      service.push(r.data.map((h) => h.id));
    }
    const ms = (Date.now() - started) / queries.length;

    // The same corpus and queries on OpenSearch, through the same service.
    let os: { results: string[][]; ms: number; label: string } | undefined;
    if (engineOption() === 'opensearch') {
      const node = await openSearchForBench();
      try {
        const osConfig = loadConfig({
          DATABASE_URL: url,
          LOG_LEVEL: 'silent',
          SEARCH_ENGINE: 'opensearch',
          SEARCH_URL: node.url,
          ELASTICSEARCH_INDEX: `aimychats-eval-${Date.now()}`,
        });
        const osApp = { config: osConfig, db, log: createLogger('silent') };
        const services = await searchServices(osApp);
        const t1 = Date.now();
        const { indexed } = await services.indexer.reindex();
        const bulkMs = Date.now() - t1;
        console.log(
          `OpenSearch ${node.version}: ${indexed} conversations indexed with _bulk in ${bulkMs} ms = ${Math.round((indexed / bulkMs) * 1000)} conversations/s`,
        );
        const results: string[][] = [];
        const t2 = Date.now();
        for (const q of queries)
          results.push((await searchConversations(osApp, scope, { query: q.text, perPage: K })).data.map((h) => h.id));
        os = { results, ms: (Date.now() - t2) / queries.length, label: `OpenSearch ${node.version}` };
        await services.close();
      } finally {
        await node.stop();
      }
    }

    const f = (x: number, w: number) => x.toFixed(3).padStart(w);
    console.log(
      `\n${'queries'.padEnd(22)}${'n'.padStart(5)}  ${'PostgreSQL R@10'.padStart(15)} ${'MRR@10'.padStart(7)}${os ? `  ${'OpenSearch R@10'.padStart(15)} ${'MRR@10'.padStart(7)}` : ''}  ${'BM25 R@10'.padStart(10)} ${'MRR@10'.padStart(7)}`,
    );
    for (const set of ['topic', 'known-item', 'all'] as const) {
      const pick = queries.map((q, i) => ({ q, i })).filter((x) => set === 'all' || x.q.set === set);
      const s = score(
        pick.map((x) => x.q),
        pick.map((x) => service[x.i]),
      );
      const b = score(
        pick.map((x) => x.q),
        pick.map((x) => baseline[x.i]),
      );
      const o = os
        ? score(
            pick.map((x) => x.q),
            pick.map((x) => os!.results[x.i]),
          )
        : undefined;
      console.log(
        `${set.padEnd(22)}${String(s.n).padStart(5)}  ${f(s.recall, 15)} ${f(s.mrr, 7)}${o ? `  ${f(o.recall, 15)} ${f(o.mrr, 7)}` : ''}  ${f(b.recall, 10)} ${f(b.mrr, 7)}`,
      );
    }
    console.log(
      `\nPostgreSQL: ${ms.toFixed(1)} ms per query (with snippets)${os ? `; ${os.label}: ${os.ms.toFixed(1)} ms per query` : ''}; examples: ${queries
        .filter((q) => q.set === 'known-item')
        .slice(0, 3)
        .map((q) => `"${q.text}"`)
        .join(', ')}`,
    );
  } finally {
    await scratch.drop();
  }
}

main().catch((e) => {
  console.error(`eval failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
