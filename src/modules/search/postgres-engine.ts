// PostgreSQL full-text engine (default; also inside the embedded PGlite database).
//
// The weighted document (`conversations.search_vector`: title A, current summary B, content C) and
// the per-account word list for typo correction (`search_words`) are maintained by triggers in the
// writing transaction (prisma/migrations/*_add_search), so there is nothing to index from here.
//
// Every statement goes through `db.query`, an unnamed statement: PostgreSQL plans it with the actual
// parameters each time (named prepared statements switch to a generic plan after five runs, which
// measured twice as slow for slow searches).
import type { Database } from '../../lib/db.js';
import { mapTerms, positiveTerms, type ParsedQuery, type Term } from './query-parser.js';
import type { SearchEngine, SearchHit, SearchIndexer, SearchResult } from './engine-types.js';
import type { SearchRequest, SearchSort } from './search-input.js';
import { MARK_END, MARK_START, renderSnippet, restoreOriginal, segmentsOf, SNIPPET_MAX_CHARS } from './snippet.js';

/** ts_rank weights for D, C, B, A: content 0.4 of a title hit, summary 0.6. */
const WEIGHTS = '{0.1,0.4,0.6,1.0}';
/** BM25's parameters, applied to ts_rank_cd's weighted term frequency. */
const K1 = 1.2;
const B = 0.75;
/** How long an account's conversation count (for IDF) is reused; it only needs to be roughly right. */
const SIZE_TTL_MS = 60_000;
/** Scores of typo-corrected results are scaled down: they are guesses. */
const FUZZY_FACTOR = 0.5;
/**
 * Relevance ranks the newest CANDIDATES matches only (older matches follow, newest first). Ranking
 * every match is what made common words slow: latency grew with the matches in the account, ≈ 314 ms
 * p99 at 20,000 documents (measured on a 2-core machine). Bounded, a page costs the same at 200,000.
 */
export const CANDIDATES = 500;
/**
 * `meta.total` is exact up to this many matches and reads this number + 1 when more match (a lower bound,
 * as Elasticsearch's `track_total_hits`): an exact count reads every matching row (a GIN index gives
 * no counts), ≈ 20–70 ms for 10,000 matches of a common word at 200,000 conversations, and the page
 * statement reads these rows anyway. A page deeper than the cap still returns its matches, and `total`
 * then reads at least as many as that page needed. Measured with `npm run bench:search` (README).
 */
export const TOTAL_CAP = 500;

const HIGHLIGHT_ALL = `HighlightAll=true, StartSel=${MARK_START}, StopSel=${MARK_END}`;
const HIGHLIGHT_FRAGMENT = `MaxFragments=1, MaxWords=40, MinWords=20, ShortWord=2, StartSel=${MARK_START}, StopSel=${MARK_END}`;

/** The query in tsquery text, built from PostgreSQL's own phraseto_tsquery output (never raw user text). */
export interface CompiledQuery {
  /** What a document must satisfy. */
  match: string;
  /** Any positive term: ranking and highlighting. */
  any: string;
  /** One tsquery per positive group: the share of groups matched weighs the score. */
  groups: string[];
}

const or = (qs: string[]) => (qs.length === 1 ? qs[0] : qs.map((q) => `(${q})`).join(' | '));
const and = (qs: string[]) => (qs.length === 1 ? qs[0] : qs.map((q) => `(${q})`).join(' & '));

/** Pure: assembles the tsqueries from each term's normalised form ('' for stop words only). */
export function compileQuery(q: ParsedQuery, tsq: (t: Term) => string): CompiledQuery | undefined {
  const groups: { q: string; required: boolean }[] = [];
  for (const g of q.groups) {
    const alts = g.alternatives.map(tsq).filter((s) => s !== '');
    if (alts.length) groups.push({ q: or(alts), required: g.required });
  }
  if (!groups.length) return undefined;
  const required = groups.filter((g) => g.required).map((g) => g.q);
  let match = required.length ? and(required) : or(groups.map((g) => g.q));
  const excluded = q.excluded.map(tsq).filter((s) => s !== '');
  if (excluded.length) match = `(${match}) & ${excluded.map((e) => `!(${e})`).join(' & ')}`;
  return { match, any: or(groups.map((g) => g.q)), groups: groups.map((g) => g.q) };
}

const ORDER: Record<SearchSort, string> = {
  relevance: 'score DESC, created_at DESC, id DESC',
  created_at: 'created_at ASC, id ASC',
  '-created_at': 'created_at DESC, id DESC',
  updated_at: 'updated_at ASC, id ASC',
  '-updated_at': 'updated_at DESC, id DESC',
};

/**
 * How many matches the page statement reads: TOTAL_CAP (so that it also counts them), or more when a
 * deeper page needs them — plus one, so that a capped `total` always says there is more (total > the
 * rows up to this page), and a client following `links.next` reaches every match.
 */
const windowOf = (r: SearchRequest) => Math.max(TOTAL_CAP, r.page * r.perPage) + 1;
/** How many of them are scored: the newest CANDIDATES for relevance, the rows up to the page otherwise. */
const rankedOf = (r: SearchRequest) => (r.sort === 'relevance' ? CANDIDATES : r.page * r.perPage);

type Sql = { text: string; values: unknown[] };

/** FROM … WHERE … of every statement: the account, the text condition and the filters. */
function matchClause(accountId: string, r: SearchRequest, q: CompiledQuery): Sql & { p: (v: unknown) => string } {
  const values: unknown[] = [accountId, q.match];
  const p = (v: unknown) => `$${values.push(v)}`;
  const where = ['c.account_id = $1', 'c.search_vector @@ $2::tsquery'];
  const f = r.filters;
  if (f.createdFrom) where.push(`c.created_at >= ${p(f.createdFrom)}`);
  if (f.createdBefore) where.push(`c.created_at < ${p(f.createdBefore)}`);
  if (f.source) where.push(`c.source = ${p(f.source)}::conversation_source`);
  if (f.status) where.push(`c.status = ${p(f.status)}::processing_status`);
  const needSummary = f.sentiment !== undefined || f.topics !== undefined;
  if (f.sentiment) where.push(`s.sentiment = ${p(f.sentiment)}`);
  if (f.topics) where.push(`s.topics && ${p(f.topics)}::text[]`);
  const join = needSummary ? 'JOIN summaries s ON s.id = c.summary_id AND s.account_id = c.account_id' : '';
  return { text: `FROM conversations c ${join} WHERE ${where.join(' AND ')}`, values, p };
}

/**
 * The page statement. It reads the first `windowOf` matches in the sort's order (newest first for
 * relevance) — their number `n` is the total, exact below the window — and scores the first `rankedOf`
 * of them. For relevance those are the newest CANDIDATES matches; older matches follow them, newest
 * first, with the lowest score of the ranked ones.
 *
 * Score: per positive group, ts_rank (normalised by log length) squashed by r/(r+K); the groups are
 * averaged, weighted by an IDF computed over the candidates, so that a rare word of the query counts
 * more than a common one (what BM25 does; ts_rank alone has no notion of a word's rarity).
 */
export function buildSearchSql(accountId: string, r: SearchRequest, q: CompiledQuery, fuzzy = false, accountSize = 0): Sql {
  const m = matchClause(accountId, r, q);
  const { p, values } = m;
  const relevance = r.sort === 'relevance';
  const offset = (r.page - 1) * r.perPage;
  const order = relevance ? ORDER['-created_at'] : ORDER[r.sort];
  const g = q.groups.map((x) => p(x));
  const size = p(accountSize);
  // Weighted term frequency of each group (ts_rank_cd without normalisation sums the weights of its
  // hits; ÷ 0.4 makes one content hit 1), BM25's saturation and length normalisation (distinct lexemes
  // against the candidates' mean), and BM25's IDF against the account's size: a rare word of the query
  // counts more than a common one, which ts_rank alone cannot know. Each part lies in 0–1, and so does
  // their IDF-weighted mean. Measured on DialogSum (npm run eval:search) against plain BM25.
  const rank = g.map(
    (x, i) => `ts_rank_cd('${WEIGHTS}'::float4[], v, ${x}::tsquery, 0)::float8 / 0.4 AS r${i}, (v @@ ${x}::tsquery)::int AS m${i}`,
  );
  const df = g.map((_, i) => `sum(m${i}) OVER () AS df${i}`);
  const idf = g.map((_, i) => `ln(1 + (greatest(${size}::float8, n) - df${i} + 0.5) / (df${i} + 0.5))`);
  const part = g.map((_, i) => `${idf[i]} * m${i} * r${i} / (r${i} + ${K1} * (1 - ${B} + ${B} * dl / avgdl))`);
  // × √(share of groups matched): matching more of the query's words ranks higher (Lucene's "coord", softened).
  const coord = `sqrt((${g.map((_, i) => `m${i}`).join(' + ')})::float8 / ${g.length})`;
  const raw = `${fuzzy ? FUZZY_FACTOR : 1}::float8 * ${coord} * (${part.join(' + ')}) / nullif(${idf.join(' + ')}, 0)`;
  const ranked = p(rankedOf(r));
  const matches = `
    WITH cand AS MATERIALIZED (
      SELECT c.ctid AS t, c.id, c.created_at, c.updated_at ${m.text}
       ORDER BY ${order.replace(/\b(created_at|updated_at|id)\b/g, 'c.$1')} LIMIT ${p(windowOf(r))}),
    numbered AS MATERIALIZED (SELECT *, count(*) OVER () AS n, row_number() OVER (ORDER BY ${order}) AS pos FROM cand),
    -- The window carries each row's address (ctid), not its vector: sorting thousands of matches with
    -- their vectors (≈ 1 KB each) cost more than the sort itself (issue 14: 41 → 30 ms for a word in 4,400
    -- conversations, in cache). The scored rows' vectors are read back by address — the same row
    -- versions, as the statement runs on one snapshot. A vector stored out of line (rows written before
    -- 20261125160000_search_inline_vector, or too large for the row) would be fetched again by every
    -- function reading it; concatenating once keeps one detoasted copy per scored row.
    docs AS MATERIALIZED (
      SELECT id, created_at, updated_at, n, pos, x.v || ''::tsvector AS v FROM numbered
       CROSS JOIN LATERAL (SELECT c.search_vector AS v FROM conversations c WHERE c.ctid = numbered.t AND c.account_id = $1) x
       WHERE pos <= ${ranked}),
    ranked AS (
      SELECT id, created_at, updated_at, n, pos, length(v) AS dl, avg(length(v)) OVER () AS avgdl, ${rank.join(', ')}
        FROM docs),
    counted AS (SELECT *, ${df.join(', ')} FROM ranked),
    scored AS (SELECT id, created_at, updated_at, n, coalesce(${raw}, 0) AS s FROM counted),
    -- Matches beyond the scored ones follow them, in the window's order, never scoring above them.
    m AS (
      SELECT * FROM (
        SELECT id, created_at, updated_at, n AS total, false AS tail, s AS score FROM scored
        UNION ALL
        SELECT id, created_at, updated_at, n, true, (SELECT min(s) FROM scored) FROM numbered WHERE pos > ${ranked}) t
       ORDER BY ${relevance ? 'tail, CASE WHEN NOT tail THEN score END DESC NULLS LAST, created_at DESC, id DESC' : ORDER[r.sort]}
       LIMIT ${p(r.perPage)} OFFSET ${p(offset)})`;

  if (!r.snippets) {
    return {
      text: `${matches} SELECT m.id, m.score, m.total, m.created_at FROM m ORDER BY ${ORDER[r.sort].replace(/\b(score|created_at|updated_at|id)\b/g, 'm.$1')}`,
      values,
    };
  }
  const any = p(q.any);
  const all = p(HIGHLIGHT_ALL);
  const frag = p(HIGHLIGHT_FRAGMENT);
  const short = p(SNIPPET_MAX_CHARS);
  // The snippet comes from the content, or from the summary when only the summary matched. Each step is
  // its own LATERAL behind OFFSET 0: flattened, PostgreSQL would substitute ts_headline (and the source
  // text) into every later reference and compute it up to five times a row (≈ 15 ms of 30 for a page).
  // `|| ''` detoasts the content once (it is usually stored out of line).
  return {
    text: `${matches}
    SELECT m.id, m.score, m.total, c.title, c.created_at, h.frag, char_length(x.src) AS src_len, p.pos,
           CASE WHEN p.pos > 0 THEN substr(x.src, p.pos, char_length(t.plain)) END AS original
      FROM m
      -- The page's rows and their summaries by primary key, one lookup per row: plain joins let stale
      -- statistics (an account estimated small) pick a scan of all the account's rows (docs/search.md).
      CROSS JOIN LATERAL (SELECT c.id, c.account_id, c.title, c.created_at, c.content, c.search_vector, c.summary_id
                            FROM conversations c WHERE c.id = m.id AND c.account_id = $1) c
      LEFT JOIN LATERAL (SELECT s.id, s.title, s.content FROM summaries s WHERE s.id = c.summary_id AND s.account_id = c.account_id) s ON true
      CROSS JOIN LATERAL (
        SELECT src, search_plain_text(src) AS txt FROM (
          SELECT CASE WHEN s.id IS NOT NULL AND NOT ts_filter(c.search_vector, '{c}') @@ ${any}::tsquery
                           AND ts_filter(c.search_vector, '{b}') @@ ${any}::tsquery
                      THEN concat_ws(' ', s.title, s.content) ELSE c.content || '' END AS src OFFSET 0) y OFFSET 0) x
      CROSS JOIN LATERAL (
        SELECT ts_headline('english'::regconfig, x.txt, ${any}::tsquery,
                           CASE WHEN char_length(x.src) <= ${short} THEN ${all} ELSE ${frag} END) AS frag OFFSET 0) h
      CROSS JOIN LATERAL (SELECT translate(h.frag, E'\\x01\\x02', '') AS plain OFFSET 0) t
      CROSS JOIN LATERAL (SELECT strpos(x.txt, t.plain) AS pos OFFSET 0) p
     ORDER BY ${ORDER[r.sort].replace(/\b(score|created_at|updated_at|id)\b/g, 'm.$1')}`,
    values,
  };
}

/** The number of matches, up to the page statement's window: for a page past the last one. */
export function buildCountSql(accountId: string, r: SearchRequest, q: CompiledQuery): Sql {
  const m = matchClause(accountId, r, q);
  return { text: `SELECT count(*)::int AS total FROM (SELECT 1 ${m.text} LIMIT ${m.p(windowOf(r))}) x`, values: m.values };
}

type Row = {
  id: string;
  score: number;
  total: number;
  title?: string;
  created_at: Date;
  frag?: string;
  src_len?: number;
  pos?: number;
  original?: string | null;
};

/** Turns a highlighted fragment into the public snippet. */
export function snippetFromRow(row: Pick<Row, 'frag' | 'src_len' | 'pos' | 'original'>): string {
  if (row.frag == null) return '';
  const segments = restoreOriginal(segmentsOf(row.frag), row.original ?? undefined);
  const plainLength = segments.reduce((n, s) => n + s.text.length, 0);
  const pos = row.pos ?? 0;
  const before = pos > 1;
  const after = pos > 0 ? pos - 1 + plainLength < (row.src_len ?? 0) : false;
  return renderSnippet(segments, { before, after });
}

export class PostgresSearchEngine implements SearchEngine {
  readonly kind = 'postgres' as const;

  /** Conversations per account, for IDF: counted at most once a minute per account. */
  private readonly sizes = new Map<string, { n: number; at: number }>();
  private readonly refreshing = new Set<string>();

  constructor(private readonly db: Database) {}

  /** Served from the cache even when stale (refreshed in the background). Read from the trigger-kept
   *  `conversation_counts` (at most nine rows); counting 200,000 rows cost ≈ 20 ms. */
  private async accountSize(accountId: string): Promise<number> {
    const hit = this.sizes.get(accountId);
    if (hit && Date.now() - hit.at >= SIZE_TTL_MS && !this.refreshing.has(accountId)) {
      this.refreshing.add(accountId);
      void this.countAccount(accountId)
        .catch(() => {}) // the stale size stays; the next search tries again
        .finally(() => this.refreshing.delete(accountId));
    }
    return hit ? hit.n : this.countAccount(accountId);
  }

  private async countAccount(accountId: string): Promise<number> {
    const rows = await this.db.query<{ n: number }>(`SELECT coalesce(sum(n), 0)::int AS n FROM conversation_counts WHERE account_id = $1`, [
      accountId,
    ]);
    if (this.sizes.size > 10_000) this.sizes.clear();
    this.sizes.set(accountId, { n: rows[0]?.n ?? 0, at: Date.now() });
    return rows[0]?.n ?? 0;
  }

  async search(accountId: string, r: SearchRequest): Promise<SearchResult> {
    const compiled = await this.compile(r.query);
    if (!compiled) return { hits: [], total: 0 };
    let result = await this.run(accountId, r, compiled, false);
    if (result.total === 0) {
      // Nothing matched: try again with misspelt words replaced by the account's nearest words.
      const corrected = await this.correct(accountId, r.query);
      const recompiled = corrected && (await this.compile(corrected));
      if (recompiled) result = await this.run(accountId, { ...r, query: corrected }, recompiled, true);
    }
    return result;
  }

  private async run(accountId: string, r: SearchRequest, q: CompiledQuery, fuzzy: boolean): Promise<SearchResult> {
    const sql = buildSearchSql(
      accountId,
      r,
      q,
      fuzzy,
      r.sort === 'relevance' && q.groups.length > 1 ? await this.accountSize(accountId) : 0,
    );
    const rows = await this.db.query<Row>(sql.text, sql.values);
    // The page statement counted the matches up to its window; only a page past the last one has no row
    // to carry that number.
    let total = Number(rows[0]?.total ?? 0);
    if (!rows.length && r.page > 1) {
      const c = buildCountSql(accountId, r, q);
      total = Math.max(total, Number((await this.db.query<Row>(c.text, c.values))[0]?.total ?? 0));
    }
    const hits: SearchHit[] = rows.map((row) => ({
      id: row.id,
      title: row.title ?? '',
      snippet: r.snippets ? snippetFromRow(row) : '',
      score: Math.round(Math.min(1, Math.max(0, Number(row.score))) * 10_000) / 10_000,
      createdAt: row.created_at,
    }));
    return { hits, total };
  }

  /** Each term through phraseto_tsquery (stemming, stop words), in one round trip. */
  private async compile(q: ParsedQuery): Promise<CompiledQuery | undefined> {
    const terms = [...positiveTerms(q), ...q.excluded];
    if (!terms.length) return undefined;
    const rows = await this.db.query<{ q: string }>(
      `SELECT phraseto_tsquery('english'::regconfig, search_plain_text(t))::text AS q
         FROM unnest($1::text[]) WITH ORDINALITY AS x(t, n) ORDER BY n`,
      [terms.map((t) => t.text)],
    );
    const byTerm = new Map(terms.map((t, i) => [t, rows[i]?.q ?? '']));
    return compileQuery(q, (t) => byTerm.get(t) ?? '');
  }

  /** The query with unknown words replaced by the most similar word of the account (pg_trgm), if any. */
  private async correct(accountId: string, q: ParsedQuery): Promise<ParsedQuery | undefined> {
    const words = [...new Set(positiveTerms(q).flatMap((t) => t.text.toLowerCase().match(/\p{L}{3,}/gu) ?? []))];
    if (!words.length) return undefined;
    const rows = await this.db.query<{ word: string; known: boolean; fix: string | null }>(
      `SELECT q.word,
              EXISTS (SELECT 1 FROM search_words w WHERE w.account_id = $1 AND w.word = q.word) AS known,
              (SELECT w.word FROM search_words w
                WHERE w.account_id = $1 AND w.word % q.word
                ORDER BY similarity(w.word, q.word) DESC, w.word LIMIT 1) AS fix
         FROM unnest($2::text[]) AS q(word)`,
      [accountId, words],
    );
    const fixes = new Map(rows.filter((r) => !r.known && r.fix && r.fix !== r.word).map((r) => [r.word, r.fix!]));
    if (!fixes.size) return undefined;
    return mapTerms(q, (t) => ({ ...t, text: t.text.replace(/\p{L}{3,}/gu, (w) => fixes.get(w.toLowerCase()) ?? w) }));
  }
}

/** Recomputes a conversation's search document now (the triggers normally do this themselves). */
export async function refreshSearchDocument(db: Database, accountId: string, conversationId: string): Promise<void> {
  await db.query(`UPDATE conversations SET search_vector = NULL WHERE account_id = $1 AND id = $2`, [accountId, conversationId]);
}

/** With PostgreSQL the index lives in the row: only a rebuild has anything to do. */
export const postgresIndexer = (db: Database): SearchIndexer => ({
  async sync() {
    return 'indexed';
  },
  async remove() {},
  async reindex(accountId) {
    const rows = await db.query<{ n: number }>(
      `WITH u AS (UPDATE conversations SET search_vector = NULL WHERE $1::text IS NULL OR account_id = $1 RETURNING 1)
       SELECT count(*)::int AS n FROM u`,
      [accountId ?? null],
    );
    return { indexed: rows[0]?.n ?? 0 };
  },
});
