// The Elasticsearch engine without a cluster: the mapping, the request bodies, the answer mapping
// (scores, <mark> snippets) and the versioned indexing, against a recording stand-in client.
import { errors, type Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { elasticBackend } from '../../src/modules/search/elasticsearch/elastic-backend.js';
import {
  ElasticsearchEngine,
  ElasticsearchIndexer,
  mappingVersionOf,
} from '../../src/modules/search/elasticsearch/elasticsearch-engine.js';
import {
  INDEX_MAPPINGS,
  INDEX_SETTINGS,
  MAPPING_VERSION,
  toDocument,
  type ConversationSearchRow,
} from '../../src/modules/search/elasticsearch/mapping.js';
import { buildSearchBody, normaliseScore, snippetFromHit, TIE_BREAKER } from '../../src/modules/search/elasticsearch/query-builder.js';
import { searchInput, toSearchRequest } from '../../src/modules/search/search-input.js';
import { MARK_END as E, MARK_START as S } from '../../src/modules/search/snippet.js';

const request = (input: Record<string, unknown>) => toSearchRequest(searchInput.parse({ query: 'x', ...input }));
const ACCOUNT = 'user_01jzzzzzzzzzzzzzzzzzzzzzzz';

describe('mapping', () => {
  it('is explicit: strict, english analyzer on the text fields, keywords for filters', () => {
    expect(INDEX_MAPPINGS.dynamic).toBe('strict');
    const p = INDEX_MAPPINGS.properties!;
    for (const f of ['title', 'summary', 'content']) expect(p[f]).toMatchObject({ type: 'text', analyzer: 'english_text' });
    for (const f of ['account_id', 'id', 'sentiment', 'source', 'status', 'topics']) expect(p[f]).toMatchObject({ type: 'keyword' });
    expect(p.created_at).toEqual({ type: 'date' });
    expect(INDEX_SETTINGS.analysis?.analyzer?.english_text).toMatchObject({ tokenizer: 'standard' });
  });

  it('documents carry every mapped field and no highlight sentinel', () => {
    const row: ConversationSearchRow = {
      id: 'conv_1',
      account_id: ACCOUNT,
      title: `A${S}B`,
      content: 'x'.repeat(100) + E,
      source: 'api',
      status: 'completed',
      created_at: new Date('2024-01-01T00:00:00Z'),
      updated_at: new Date('2024-01-02T00:00:00Z'),
      search_version: 3,
      s_title: 'Sum',
      s_content: 'Body',
      s_sentiment: 'positive',
      s_topics: ['pricing'],
    };
    const doc = toDocument(row);
    expect(Object.keys(doc).sort()).toEqual(Object.keys(INDEX_MAPPINGS.properties!).sort());
    expect(doc.title).toBe('A B');
    expect(doc.content).not.toContain(E);
    expect(doc.summary).toBe('Sum Body pricing');
    expect(doc.content_length).toBe(101);
    expect(doc.content_head.length).toBe(64);
  });
});

describe('buildSearchBody', () => {
  it('always filters by account, whatever the request', () => {
    const body = buildSearchBody(ACCOUNT, request({ query: 'pricing', filters: { source: 'email' } }));
    const bool = body.query!.bool!;
    expect((bool.filter as unknown[])[0]).toEqual({ term: { account_id: ACCOUNT } });
    expect(bool.filter).toContainEqual({ term: { source: 'email' } });
  });

  it('loose words: at least one; phrases: required; exclusions: must_not', () => {
    const loose = buildSearchBody(ACCOUNT, request({ query: 'pricing features' })).query!.bool!;
    expect(loose.minimum_should_match).toBe(1);
    expect(loose.must).toEqual([]);
    expect(loose.should).toHaveLength(2);
    const mixed = buildSearchBody(ACCOUNT, request({ query: '"pricing plan" demo -spam' })).query!.bool!;
    expect(mixed.must).toEqual([
      { multi_match: { query: 'pricing plan', fields: ['title', 'summary', 'content'], type: 'phrase', tie_breaker: TIE_BREAKER } },
    ]);
    expect(mixed.minimum_should_match).toBe(0);
    expect(mixed.must_not).toEqual([
      { multi_match: { query: 'spam', fields: ['title', 'summary', 'content'], type: 'phrase', tie_breaker: TIE_BREAKER } },
    ]);
  });

  it('dates, topics, sentiment, status; sort; pages; highlight with sentinels', () => {
    const body = buildSearchBody(
      ACCOUNT,
      request({
        filters: { dateFrom: '2024-01-01', dateTo: '2024-01-31', topics: ['Pricing'], sentiment: 'negative', status: 'failed' },
        sort: '-created_at',
        page: 3,
        perPage: 10,
      }),
    );
    expect(body.query!.bool!.filter).toEqual([
      { term: { account_id: ACCOUNT } },
      { range: { created_at: { gte: '2024-01-01T00:00:00.000Z', lt: '2024-02-01T00:00:00.000Z' } } },
      { terms: { topics: ['pricing'] } },
      { term: { sentiment: 'negative' } },
      { term: { status: 'failed' } },
    ]);
    expect(body.sort).toEqual([{ created_at: 'desc' }, { id: 'desc' }]);
    expect(body).toMatchObject({ from: 20, size: 10, track_total_hits: true });
    expect(body.highlight).toMatchObject({ pre_tags: [S], post_tags: [E] });
  });

  it('the typo retry uses fuzzy matching for loose words only', () => {
    const bool = buildSearchBody(ACCOUNT, request({ query: 'pricng "exact words"' }), { fuzzy: true }).query!.bool!;
    expect(bool.should).toEqual([
      expect.objectContaining({ multi_match: expect.objectContaining({ query: 'pricng', fuzziness: 'AUTO' }) }),
    ]);
    expect(bool.must).toEqual([expect.objectContaining({ multi_match: expect.objectContaining({ type: 'phrase' }) })]);
  });
});

describe('answers', () => {
  it('scores map monotonically into 0–1', () => {
    const raw = [0, 0.5, 2, 8, 40, 1e6];
    const s = raw.map((r) => normaliseScore(r, false));
    for (const v of s) expect(v).toBeGreaterThanOrEqual(0);
    for (const v of s) expect(v).toBeLessThanOrEqual(1);
    for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThanOrEqual(s[i - 1]);
  });

  it('highlights become escaped <mark> snippets with ellipses where the content continues', () => {
    const content = `intro <script>alert(1)</script> the ${S}pricing${E} & more`;
    const snippet = snippetFromHit({
      _source: { content_length: 500, content_head: 'something else entirely', content_tail: 'the very end' },
      highlight: { content: [content] },
    });
    expect(snippet).toBe('...intro &lt;script&gt;alert(1)&lt;/script&gt; the <mark>pricing</mark> &amp; more...');
    const whole = snippetFromHit({
      _source: { content_length: 11, content_head: 'a <b>c</b>.', content_tail: 'a <b>c</b>.' },
      highlight: { content: [`a <b>${S}c${E}</b>.`] },
    });
    expect(whole).toBe('a &lt;b&gt;<mark>c</mark>&lt;/b&gt;.');
    const fromSummary = snippetFromHit({ _source: {}, highlight: { content: ['no marks'], summary: [`the ${S}refund${E}`] } });
    expect(fromSummary).toBe('the <mark>refund</mark>');
  });
});

/** A stand-in for the client: records calls, answers from a script. */
function fakeClient(script: Record<string, (req: any) => unknown>) {
  const calls: { api: string; req: any }[] = [];
  const call = (api: string) => async (req: any) => {
    calls.push({ api, req });
    const r = script[api]?.(req);
    if (r instanceof Error) throw r;
    return r;
  };
  const client = {
    search: call('search'),
    count: call('count'),
    index: call('index'),
    delete: call('delete'),
    bulk: call('bulk'),
    indices: { existsAlias: async () => true, getAlias: async () => script.getAlias?.({}) ?? {}, refresh: async () => ({}) },
  } as unknown as Client;
  return { client: elasticBackend(client), calls };
}

/** What the client throws when the cluster answers `statusCode` with an error of this type. */
const responseError = (statusCode: number, type: string) =>
  new errors.ResponseError({ statusCode, body: { error: { type } }, headers: {}, warnings: null, meta: {} as never });
const conflict = () => responseError(409, 'version_conflict_engine_exception');

describe('ElasticsearchEngine', () => {
  it('routes and filters by account, retries fuzzily when nothing matches, maps hits', async () => {
    let n = 0;
    const { client, calls } = fakeClient({
      search: () =>
        n++ === 0
          ? { hits: { total: { value: 0 }, hits: [] } }
          : {
              hits: {
                total: { value: 1 },
                hits: [
                  {
                    _id: 'conv_1',
                    _score: 4,
                    _source: {
                      title: 'T',
                      created_at: '2024-01-01T00:00:00.000Z',
                      content_length: 9,
                      content_head: 'a pricing',
                      content_tail: 'a pricing',
                    },
                    highlight: { content: [`a ${S}pricing${E}`] },
                  },
                ],
              },
            },
    });
    const engine = new ElasticsearchEngine(client, 'conversations');
    const res = await engine.search(ACCOUNT, request({ query: 'pricng' }));
    expect(calls.map((c) => c.api)).toEqual(['search', 'search']);
    for (const c of calls) {
      expect(c.req.routing).toBe(ACCOUNT);
      expect(c.req.query.bool.filter[0]).toEqual({ term: { account_id: ACCOUNT } });
    }
    expect(res).toEqual({
      total: 1,
      hits: [{ id: 'conv_1', title: 'T', snippet: 'a <mark>pricing</mark>', score: 0.25, createdAt: new Date('2024-01-01T00:00:00Z') }],
    });
  });

  it('says once in the log when the live index predates the mapping, and keeps answering from it', async () => {
    expect(mappingVersionOf('conversations', 'conversations-v1')).toBe(1);
    expect(mappingVersionOf('conversations', 'conversations-v12-mp9g1fsb')).toBe(12);
    expect(mappingVersionOf('conversations', 'conversations-other')).toBe(0);
    const warnings: unknown[] = [];
    const log = { ...createLogger('silent'), warn: (o: unknown) => warnings.push(o) } as unknown as ReturnType<typeof createLogger>;
    const { client } = fakeClient({
      getAlias: () => ({ 'conversations-v1': {} }),
      search: () => ({ hits: { total: { value: 0 }, hits: [] } }),
    });
    const engine = new ElasticsearchEngine(client, 'conversations', log);
    await engine.search(ACCOUNT, request({ query: '"pricing"' }));
    await engine.search(ACCOUNT, request({ query: '"pricing"' }));
    expect(warnings).toEqual([{ alias: 'conversations', indices: ['conversations-v1'], mappingVersion: MAPPING_VERSION }]);
    const current = fakeClient({
      getAlias: () => ({ [`conversations-v${MAPPING_VERSION}-x`]: {} }),
      search: () => ({ hits: { total: { value: 0 }, hits: [] } }),
    });
    warnings.length = 0;
    await new ElasticsearchEngine(current.client, 'conversations', log).search(ACCOUNT, request({ query: '"pricing"' }));
    expect(warnings).toEqual([]);
  });

  it('answers a query with nothing positive without asking the cluster', async () => {
    const { client, calls } = fakeClient({});
    expect(await new ElasticsearchEngine(client, 'c').search(ACCOUNT, request({ query: '-spam' }))).toEqual({ hits: [], total: 0 });
    expect(calls).toEqual([]);
  });
});

describe('ElasticsearchIndexer', () => {
  const row: ConversationSearchRow = {
    id: 'conv_1',
    account_id: ACCOUNT,
    title: 'T',
    content: 'C',
    source: 'api',
    status: 'completed',
    created_at: new Date(),
    updated_at: new Date(),
    search_version: 7,
    s_title: null,
    s_content: null,
    s_sentiment: null,
    s_topics: null,
  };
  const db = (rows: unknown[]) => ({ query: async () => rows }) as unknown as Database;
  const log = createLogger('silent');

  it('writes the current row with its version as an external version', async () => {
    const { client, calls } = fakeClient({ index: () => ({}) });
    expect(await new ElasticsearchIndexer(client, 'c', db([row]), log).sync(ACCOUNT, 'conv_1')).toBe('indexed');
    expect(calls[0].req).toMatchObject({ index: 'c', id: 'conv_1', routing: ACCOUNT, version: 7, version_type: 'external' });
  });

  it('an older or equal version is a no-op (idempotent, never overwrites newer)', async () => {
    const { client } = fakeClient({ index: () => conflict() });
    expect(await new ElasticsearchIndexer(client, 'c', db([row]), log).sync(ACCOUNT, 'conv_1')).toBe('stale');
  });

  it('a reindex waits and tries a _bulk again when the node refuses it with 429, and gives up after five tries', async () => {
    const tooMany = () => responseError(429, 'circuit_breaking_exception');
    // The account's rows once (keyset paging then finds no more), every other statement nothing.
    const paged = () => {
      let served = false;
      return {
        query: async (sql: string) => {
          if (!sql.includes('LEFT JOIN summaries') || served) return [];
          served = true;
          return [row];
        },
      } as unknown as Database;
    };
    let refusals = 2;
    const { client, calls } = fakeClient({
      bulk: () => (refusals-- > 0 ? tooMany() : { items: [{ index: { status: 201 } }] }),
      search: () => ({ hits: { total: { value: 0 }, hits: [] } }),
    });
    expect(await new ElasticsearchIndexer(client, 'c', paged(), log, 1).reindex(ACCOUNT)).toEqual({ indexed: 1 });
    expect(calls.filter((c) => c.api === 'bulk')).toHaveLength(3);

    const refusing = fakeClient({ bulk: () => tooMany(), search: () => ({ hits: { total: { value: 0 }, hits: [] } }) });
    await expect(new ElasticsearchIndexer(refusing.client, 'c', paged(), log, 1).reindex(ACCOUNT)).rejects.toMatchObject({ status: 429 });
    expect(refusing.calls.filter((c) => c.api === 'bulk')).toHaveLength(5);
  });

  it('a conversation gone from the database is deleted from the index; deletes are versioned', async () => {
    const { client, calls } = fakeClient({ delete: () => conflict() });
    const indexer = new ElasticsearchIndexer(client, 'c', db([]), log);
    expect(await indexer.sync(ACCOUNT, 'conv_1')).toBe('deleted');
    await indexer.remove(ACCOUNT, 'conv_1', 9);
    expect(calls.at(-1)!.req).toMatchObject({ id: 'conv_1', routing: ACCOUNT, version: 9, version_type: 'external' });
  });
});
