// The contract every engine honours (product §6), and the choice between them (SEARCH_ENGINE,
// docs/search.md): Elasticsearch or OpenSearch when configured, PostgreSQL full-text search otherwise
// (also inside the embedded database).
import type { App } from '../../app.js';
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

interface SearchServices {
  engine: SearchEngine;
  indexer: SearchIndexer;
  close(): Promise<void>;
}

const byApp = new WeakMap<App, Promise<SearchServices>>();

/** The engine and indexer for this process, created on first use. */
export function searchServices(app: Pick<App, 'config' | 'db' | 'log'>): Promise<SearchServices> {
  const key = app as App;
  let services = byApp.get(key);
  if (!services) {
    services = createSearchServices(app);
    byApp.set(key, services);
  }
  return services;
}

async function createSearchServices(app: Pick<App, 'config' | 'db' | 'log'>): Promise<SearchServices> {
  const es = app.config.search?.elasticsearch;
  if (es) {
    const { createElasticsearchServices } = await import('./elasticsearch/elasticsearch-engine.js');
    return createElasticsearchServices(es, app.db, app.log);
  }
  const { PostgresSearchEngine, postgresIndexer } = await import('./postgres-engine.js');
  return { engine: new PostgresSearchEngine(app.db), indexer: postgresIndexer(app.db), close: async () => {} };
}

export async function getSearchEngine(app: Pick<App, 'config' | 'db' | 'log'>): Promise<SearchEngine> {
  return (await searchServices(app)).engine;
}

export async function getSearchIndexer(app: Pick<App, 'config' | 'db' | 'log'>): Promise<SearchIndexer> {
  return (await searchServices(app)).indexer;
}
