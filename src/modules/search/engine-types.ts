// The contract every engine honours (docs/spec/product.md §6). A leaf: search-engine.ts loads the engines
// lazily, and they import only this.
import type { SearchRequest } from './search-input.js';

export interface SearchHit {
  id: string;
  title: string;
  /** HTML: matched terms in <mark>, everything else escaped. Empty when snippets were not asked for. */
  snippet: string;
  /** 0–1, non-increasing down a relevance-sorted result. */
  score: number;
  createdAt: Date;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Matches in the account, all pages. */
  total: number;
}

export interface SearchEngine {
  readonly kind: 'postgres' | 'elasticsearch' | 'opensearch';
  /** Every query is scoped by `accountId` inside the engine, never only by the caller. */
  search(accountId: string, request: SearchRequest): Promise<SearchResult>;
}

/**
 * Keeps the search index in step with the database. PostgreSQL needs nothing (triggers do it in the
 * writing transaction); Elasticsearch and OpenSearch are fed through these calls from indexing jobs.
 * Every call is idempotent, and versioned: an older state never overwrites a newer one.
 */
export interface SearchIndexer {
  /** Reads the conversation (and its current summary) and writes it to the index, or removes it if gone. */
  sync(accountId: string, conversationId: string): Promise<'indexed' | 'deleted' | 'stale'>;
  /** Removes a deleted conversation. `version`: its `search_version` when deleted (later writes lose). */
  remove(accountId: string, conversationId: string, version?: number): Promise<void>;
  /** Rebuilds the index for one account, or all of them. */
  reindex(accountId?: string): Promise<{ indexed: number }>;
}
