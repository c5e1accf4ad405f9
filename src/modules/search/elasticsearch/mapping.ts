// The Elasticsearch index: explicit settings, analyzers and mapping (no dynamic fields), and the
// document built from a conversation row. Pure: unit-tested without a cluster.
import type { estypes } from '@elastic/elasticsearch';

/**
 * Bump when the mapping changes; `search reindex` then rebuilds into a fresh index. An index built with
 * an older version keeps answering (with its own analyzers) until then; the engine logs it once.
 * v2: PostgreSQL's stemmer (Porter2) and stop list instead of Lucene's Porter and its 33 stop words.
 */
export const MAPPING_VERSION = 2;

/**
 * PostgreSQL's `english` stop words (tsearch_data/english.stop, the Snowball list), so that both engines
 * drop the same words: with Lucene's shorter `_english_` list, words such as "can", "just" or "about"
 * matched and diluted relevance (npm run eval:search, docs/search.md).
 */
const STOP_WORDS = `
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
hers herself it its itself they them their theirs themselves what which who whom this that these
those am is are was were be been being have has had having do does did doing a an the and but if or
because as until while of at by for with about against between into through during before after
above below to from up down in out on off over under again further then once here there when where
why how all any both each few more most other some such no nor not only own same so than too very s
t can will just don should now
`
  .trim()
  .split(/\s+/);

export const INDEX_SETTINGS: estypes.IndicesIndexSettings = {
  number_of_shards: 1,
  analysis: {
    filter: {
      english_stop: { type: 'stop', stopwords: STOP_WORDS },
      english_stemmer: { type: 'stemmer', language: 'porter2' },
    },
    char_filter: {
      // PostgreSQL's parser splits words at apostrophes ("can't" → can, t; "they'd" → they, d): so here too.
      apostrophes: { type: 'mapping', mappings: ["'=>\\u0020", '\u2019=>\\u0020', '\u2018=>\\u0020', '\u02bc=>\\u0020'] },
    },
    normalizer: {
      lowercase_keyword: { type: 'custom', filter: ['lowercase', 'asciifolding'] },
    },
    analyzer: {
      // The same pipeline as PostgreSQL's `english` configuration: its stop words out, Porter2 (Snowball English) stems.
      english_text: {
        type: 'custom',
        char_filter: ['apostrophes'],
        tokenizer: 'standard',
        filter: ['lowercase', 'asciifolding', 'english_stop', 'english_stemmer'],
      },
    },
  },
};

/**
 * OpenSearch only (Elasticsearch refuses unknown settings, and searches segments concurrently on its own
 * since 8.12): one query searches the shard's segments in two slices at once. An account's documents
 * live on one shard (routing), so without this a large account's query used one core; with it the
 * heaviest queries at 200,000 conversations (a word in most of them, exact totals) took ≈ 30–40% less
 * (bench:search, docs/search.md). More slices use more of the node's search threads per query.
 */
export const OPENSEARCH_INDEX_SETTINGS = {
  'search.concurrent_segment_search.mode': 'all',
  'search.concurrent.max_slice_count': 2,
};

export const INDEX_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  _meta: { mapping_version: MAPPING_VERSION },
  properties: {
    id: { type: 'keyword' },
    account_id: { type: 'keyword' },
    // Offsets in the postings let the unified highlighter work on long content without re-analysing it.
    title: { type: 'text', analyzer: 'english_text', index_options: 'offsets' },
    summary: { type: 'text', analyzer: 'english_text', index_options: 'offsets' },
    content: { type: 'text', analyzer: 'english_text', index_options: 'offsets' },
    topics: { type: 'keyword', normalizer: 'lowercase_keyword' },
    sentiment: { type: 'keyword' },
    source: { type: 'keyword' },
    status: { type: 'keyword' },
    created_at: { type: 'date' },
    updated_at: { type: 'date' },
    // For snippet ellipses: whether a highlighted fragment starts or ends the content.
    content_length: { type: 'integer', index: false },
    content_head: { type: 'keyword', index: false, doc_values: false },
    content_tail: { type: 'keyword', index: false, doc_values: false },
  },
};

export interface ConversationSearchRow {
  id: string;
  account_id: string;
  title: string;
  content: string;
  source: string;
  status: string;
  created_at: Date;
  updated_at: Date;
  search_version: number;
  s_title: string | null;
  s_content: string | null;
  s_sentiment: string | null;
  s_topics: string[] | null;
}

export interface ConversationDocument {
  id: string;
  account_id: string;
  title: string;
  summary: string;
  content: string;
  topics: string[];
  sentiment: string | null;
  source: string;
  status: string;
  created_at: string;
  updated_at: string;
  content_length: number;
  content_head: string;
  content_tail: string;
}

const HEAD_CHARS = 64;

/** The highlighter's marks are these two characters: never let stored text carry them. */
export function stripSentinels(s: string): string {
  return s.replace(/[\u0001\u0002]/g, ' ');
}

export function toDocument(r: ConversationSearchRow): ConversationDocument {
  const content = stripSentinels(r.content);
  return {
    id: r.id,
    account_id: r.account_id,
    title: stripSentinels(r.title),
    summary: stripSentinels([r.s_title, r.s_content, ...(r.s_topics ?? [])].filter(Boolean).join(' ')),
    content,
    topics: r.s_topics ?? [],
    sentiment: r.s_sentiment,
    source: r.source,
    status: r.status,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    content_length: content.length,
    content_head: content.slice(0, HEAD_CHARS),
    content_tail: content.slice(-HEAD_CHARS),
  };
}

/** SQL for the rows to index: one conversation, or a batch of an account (keyset on id). */
export const DOCUMENT_SELECT = `
  SELECT c.id, c.account_id, c.title, c.content, c.source::text, c.status::text, c.created_at, c.updated_at, c.search_version,
         s.title AS s_title, s.content AS s_content, s.sentiment AS s_sentiment, s.topics AS s_topics
    FROM conversations c LEFT JOIN summaries s ON s.id = c.summary_id AND s.account_id = c.account_id`;
