// The contract every engine honours (docs/spec/product.md §6), and the choice between them (SEARCH_ENGINE,
// docs/search.md): Elasticsearch or OpenSearch when configured, PostgreSQL full-text search otherwise
// (also inside the embedded database).
import type { App } from '../../app.js';
import type { SearchEngine, SearchIndexer } from './engine-types.js';

export type { SearchEngine, SearchHit, SearchIndexer, SearchResult } from './engine-types.js';

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
