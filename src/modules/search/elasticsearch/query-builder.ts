// The search request body for Elasticsearch, from the same parsed query and filters the PostgreSQL
// engine uses (query-parser.ts), and the mapping of its answer back onto the snippet contract.
// Pure: unit-tested without a cluster.
import type { estypes } from '@elastic/elasticsearch';
import type { Group, Term } from '../query-parser.js';
import type { SearchRequest, SearchSort } from '../search-input.js';
import { MARK_END, MARK_START, renderSnippet, segmentsOf } from '../snippet.js';

/**
 * Unboosted: on the DialogSum dev set (npm run eval:search -- --engine opensearch) title boosts of
 * 1.5–3 lowered MRR@10 from 0.78 to 0.66–0.71, because a chat's title is its first line, not a subject.
 */
export const FIELDS = ['title', 'summary', 'content'];
/** Half-saturation BM25 score: s/(s+K) maps scores onto 0–1, monotonically. */
export const SCORE_HALF = 4;
const FUZZY_FACTOR = 0.5;
/** The best field's score plus 0.2 of the others' (measured on the same set with mapping v2: 0.1, 0.2, 0.3,
 *  0.5 and 1; 0.3 was best with v1's analyzers). */
export const TIE_BREAKER = 0.2;

function termClause(t: Term, fuzzy: boolean): estypes.QueryDslQueryContainer {
  // A loose word may still be several tokens ("e-mail"): they must be adjacent, as in PostgreSQL.
  if (fuzzy && !t.phrase) {
    return {
      multi_match: {
        query: t.text,
        fields: FIELDS,
        type: 'best_fields',
        operator: 'and',
        fuzziness: 'AUTO',
        prefix_length: 1,
        tie_breaker: TIE_BREAKER,
      },
    };
  }
  return { multi_match: { query: t.text, fields: FIELDS, type: 'phrase', tie_breaker: TIE_BREAKER } };
}

function groupClause(g: Group, fuzzy: boolean): estypes.QueryDslQueryContainer {
  if (g.alternatives.length === 1) return termClause(g.alternatives[0], fuzzy);
  return { bool: { should: g.alternatives.map((t) => termClause(t, fuzzy)), minimum_should_match: 1 } };
}

const SORTS: Record<SearchSort, estypes.SortCombinations[]> = {
  relevance: [{ _score: { order: 'desc' } }, { created_at: 'desc' }, { id: 'desc' }],
  created_at: [{ created_at: 'asc' }, { id: 'asc' }],
  '-created_at': [{ created_at: 'desc' }, { id: 'desc' }],
  updated_at: [{ updated_at: 'asc' }, { id: 'asc' }],
  '-updated_at': [{ updated_at: 'desc' }, { id: 'desc' }],
};

/** The account filter is part of every query, whatever else the request says. */
export function buildSearchBody(accountId: string, r: SearchRequest, opts: { fuzzy?: boolean } = {}): estypes.SearchRequest {
  const fuzzy = opts.fuzzy ?? false;
  const f = r.filters;
  const filter: estypes.QueryDslQueryContainer[] = [{ term: { account_id: accountId } }];
  if (f.createdFrom || f.createdBefore) {
    filter.push({ range: { created_at: { gte: f.createdFrom?.toISOString(), lt: f.createdBefore?.toISOString() } } });
  }
  if (f.topics) filter.push({ terms: { topics: f.topics } });
  if (f.sentiment) filter.push({ term: { sentiment: f.sentiment } });
  if (f.source) filter.push({ term: { source: f.source } });
  if (f.status) filter.push({ term: { status: f.status } });

  const required = r.query.groups.filter((g) => g.required).map((g) => groupClause(g, fuzzy));
  const optional = r.query.groups.filter((g) => !g.required).map((g) => groupClause(g, fuzzy));
  const positive = r.query.groups.map((g) => groupClause(g, fuzzy));
  const query: estypes.QueryDslQueryContainer = {
    bool: {
      filter,
      must: required,
      should: optional,
      // Without a required phrase, at least one loose word must match; more matches score higher.
      minimum_should_match: required.length ? 0 : 1,
      must_not: r.query.excluded.map((t) => termClause(t, false)),
    },
  };
  const body: estypes.SearchRequest = {
    query,
    sort: SORTS[r.sort],
    from: (r.page - 1) * r.perPage,
    size: r.perPage,
    track_total_hits: true,
    track_scores: true,
    _source: ['title', 'created_at', 'content_length', 'content_head', 'content_tail'],
  };
  if (r.snippets) {
    const field = (fragment: boolean): estypes.SearchHighlightField => ({
      type: 'unified',
      number_of_fragments: 1,
      fragment_size: fragment ? 200 : 240,
      no_match_size: 200,
      boundary_scanner: 'sentence',
    });
    body.highlight = {
      pre_tags: [MARK_START],
      post_tags: [MARK_END],
      // Highlight what was asked for, not the exclusions.
      highlight_query: { bool: { should: positive, minimum_should_match: 0 } },
      fields: { content: field(true), summary: field(true) },
    };
  }
  return body;
}

export function normaliseScore(raw: number | null | undefined, fuzzy: boolean): number {
  const s = Math.max(0, raw ?? 0);
  const v = (s / (s + SCORE_HALF)) * (fuzzy ? FUZZY_FACTOR : 1);
  return Math.round(v * 10_000) / 10_000;
}

interface HitSource {
  title?: string;
  created_at?: string;
  content_length?: number;
  content_head?: string;
  content_tail?: string;
}

/** One hit's snippet: the content fragment, or the summary's when only the summary matched. */
export function snippetFromHit(hit: Pick<estypes.SearchHit<HitSource>, '_source' | 'highlight'>): string {
  const content = hit.highlight?.content?.[0];
  const summary = hit.highlight?.summary?.[0];
  const hasMark = (s?: string) => s?.includes(MARK_START) === true;
  if (!hasMark(content) && hasMark(summary)) {
    return renderSnippet(segmentsOf(summary!), { before: false, after: false });
  }
  const fragment = content ?? hit._source?.content_head ?? '';
  const segments = segmentsOf(fragment);
  const plain = segments.map((s) => s.text).join('');
  const src = hit._source ?? {};
  const head = src.content_head ?? '';
  const tail = src.content_tail ?? '';
  const n = Math.min(head.length, plain.length);
  const m = Math.min(tail.length, plain.length);
  const before = plain.slice(0, n) !== head.slice(0, n);
  const after = plain.length < (src.content_length ?? plain.length) && plain.slice(plain.length - m) !== tail.slice(tail.length - m);
  return renderSnippet(segments, { before, after });
}
