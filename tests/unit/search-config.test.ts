// Choosing the search engine by configuration (docs/search.md): bad values stop start-up with the variable named.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('SEARCH_ENGINE / SEARCH_URL', () => {
  it('defaults to PostgreSQL, and ELASTICSEARCH_URL alone still means Elasticsearch', () => {
    expect(loadConfig({}).search.elasticsearch).toBeUndefined();
    expect(loadConfig({ ELASTICSEARCH_URL: 'http://127.0.0.1:9200' }).search.elasticsearch).toMatchObject({
      kind: 'elasticsearch',
      url: 'http://127.0.0.1:9200',
    });
  });

  it('takes opensearch with SEARCH_URL', () => {
    expect(loadConfig({ SEARCH_ENGINE: 'opensearch', SEARCH_URL: 'http://127.0.0.1:9201' }).search.elasticsearch).toMatchObject({
      kind: 'opensearch',
      url: 'http://127.0.0.1:9201',
    });
    expect(loadConfig({ SEARCH_ENGINE: 'postgres', SEARCH_URL: 'http://127.0.0.1:9201' }).search.elasticsearch).toBeUndefined();
  });

  it('refuses an unknown engine, a distributed engine without a URL, and a URL that is not one', () => {
    expect(() => loadConfig({ SEARCH_ENGINE: 'solr' })).toThrow(/SEARCH_ENGINE/);
    expect(() => loadConfig({ SEARCH_ENGINE: 'opensearch' })).toThrow(/SEARCH_URL/);
    expect(() => loadConfig({ SEARCH_ENGINE: 'elasticsearch', SEARCH_URL: 'not a url' })).toThrow(/SEARCH_URL/);
    expect(() => loadConfig({ ELASTICSEARCH_URL: 'not a url' })).toThrow(/ELASTICSEARCH_URL/);
    expect(() => loadConfig({ REDIS_URL: 'not a url' })).toThrow(/REDIS_URL/);
  });
});
