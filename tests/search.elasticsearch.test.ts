// The search contract on a real Elasticsearch (8.x/9.x), through the public API: the same suite the
// OpenSearch node runs (tests/helpers/search-engine-suite.ts). Elasticsearch is not published as jars
// that run here, so this file runs only where ELASTICSEARCH_URL names a cluster
// (e.g. `docker compose up -d elasticsearch`, then ELASTICSEARCH_URL=http://localhost:9200 npm test);
// otherwise it is reported as skipped with the reason in its name. OpenSearch always runs.
import { describe, it } from 'vitest';
import { createElasticClient, elasticBackend } from '../src/modules/search/elasticsearch/elastic-backend.js';
import { describeSearchEngine } from './helpers/search-engine-suite.js';

const url = process.env.ELASTICSEARCH_URL;

if (!url) {
  describe('search on Elasticsearch', () => {
    it.skip('SKIPPED: ELASTICSEARCH_URL is not set, so the Elasticsearch suite did not run (the OpenSearch suite runs the same contract)', () => {});
  });
} else {
  describeSearchEngine('Elasticsearch', 13, async () => {
    const backend = elasticBackend(createElasticClient({ url, apiKey: process.env.ELASTICSEARCH_API_KEY, timeoutMs: 30_000 }));
    return {
      env: {
        SEARCH_ENGINE: 'elasticsearch',
        SEARCH_URL: url,
        ...(process.env.ELASTICSEARCH_API_KEY ? { ELASTICSEARCH_API_KEY: process.env.ELASTICSEARCH_API_KEY } : {}),
      },
      aliasIndices: (alias) => backend.aliasIndices(alias),
      cleanup: async (alias) => {
        for (const index of await backend.aliasIndices(alias).catch(() => [] as string[])) await backend.deleteIndex(index).catch(() => {});
        await backend.close();
      },
    };
  });
}
