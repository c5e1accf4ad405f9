// Elasticsearch engine (ELASTICSEARCH_URL set). Kept thin: the request bodies, the mapping and the
// answer mapping are pure functions (query-builder.ts, mapping.ts) with unit tests; this file only
// talks to the cluster. No cluster can run on the development machines (neither Debian nor npm ships one), so this code
// is exercised by tests/search.elasticsearch.test.ts only where ELASTICSEARCH_URL is set.
//
// Documents are routed by account (one account's documents live on one shard) and every query
// carries the account filter. Writes use external versioning with `conversations.search_version`,
// so an older state never overwrites a newer one, whatever order the indexing jobs run in.
import { Client, errors, type estypes } from '@elastic/elasticsearch';
import type { SearchConfig } from '../../../config.js';
import type { Database } from '../../../lib/db.js';
import type { Logger } from '../../../lib/logger.js';
import type { SearchEngine, SearchIndexer, SearchResult } from '../engine-types.js';
import { MAX_RESULT_WINDOW, type SearchRequest } from '../search-input.js';
import { DOCUMENT_SELECT, INDEX_MAPPINGS, INDEX_SETTINGS, MAPPING_VERSION, toDocument, type ConversationSearchRow } from './mapping.js';
import { buildSearchBody, normaliseScore, snippetFromHit } from './query-builder.js';

type EsConfig = NonNullable<SearchConfig['elasticsearch']>;
const BATCH = 500;

export function createClient(config: EsConfig): Client {
  return new Client({
    node: config.url,
    auth: config.apiKey ? { apiKey: config.apiKey } : undefined,
    requestTimeout: config.timeoutMs,
  });
}

/** `index` is an alias over `<index>-v<mapping version>`, so a new mapping can be built beside the old. */
export async function ensureIndex(client: Client, alias: string): Promise<void> {
  if (await client.indices.existsAlias({ name: alias })) return;
  try {
    await client.indices.create({
      index: `${alias}-v${MAPPING_VERSION}`,
      settings: INDEX_SETTINGS,
      mappings: INDEX_MAPPINGS,
      aliases: { [alias]: { is_write_index: true } },
    });
  } catch (e) {
    // Another process created it first.
    if (!(e instanceof errors.ResponseError && e.body?.error?.type === 'resource_already_exists_exception')) throw e;
  }
}

const isConflict = (e: unknown) => e instanceof errors.ResponseError && e.statusCode === 409;
const isNotFound = (e: unknown) => e instanceof errors.ResponseError && e.statusCode === 404;

export class ElasticsearchEngine implements SearchEngine {
  readonly kind = 'elasticsearch' as const;
  private ready?: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly alias: string,
  ) {}

  private ensure(): Promise<void> {
    return (this.ready ??= ensureIndex(this.client, this.alias).catch((e) => {
      this.ready = undefined;
      throw e;
    }));
  }

  async search(accountId: string, r: SearchRequest): Promise<SearchResult> {
    if (!r.query.groups.length) return { hits: [], total: 0 };
    await this.ensure();
    if ((r.page - 1) * r.perPage >= MAX_RESULT_WINDOW) {
      // Past the deepest page Elasticsearch serves: the total is still true.
      const body = buildSearchBody(accountId, { ...r, snippets: false });
      const { count } = await this.client.count({ index: this.alias, routing: accountId, query: body.query });
      return { hits: [], total: count };
    }
    let fuzzy = false;
    let res = await this.run(accountId, r, false);
    if (totalOf(res) === 0 && r.query.groups.some((g) => g.alternatives.some((t) => !t.phrase))) {
      fuzzy = true;
      res = await this.run(accountId, r, true);
    }
    return {
      total: totalOf(res),
      hits: res.hits.hits.map((h) => ({
        id: h._id!,
        title: h._source?.title ?? '',
        snippet: r.snippets ? snippetFromHit(h) : '',
        score: normaliseScore(h._score, fuzzy),
        createdAt: new Date(h._source?.created_at ?? 0),
      })),
    };
  }

  private run(accountId: string, r: SearchRequest, fuzzy: boolean) {
    const body = buildSearchBody(accountId, { ...r, perPage: Math.min(r.perPage, MAX_RESULT_WINDOW - (r.page - 1) * r.perPage) }, { fuzzy });
    return this.client.search<{ title?: string; created_at?: string }>({ index: this.alias, routing: accountId, ...body });
  }
}

function totalOf(res: estypes.SearchResponse<unknown>): number {
  const t = res.hits.total;
  return typeof t === 'number' ? t : (t?.value ?? 0);
}

export class ElasticsearchIndexer implements SearchIndexer {
  constructor(
    private readonly client: Client,
    private readonly alias: string,
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  async sync(accountId: string, conversationId: string): Promise<'indexed' | 'deleted' | 'stale'> {
    await ensureIndex(this.client, this.alias);
    const rows = await this.db.query<ConversationSearchRow>(`${DOCUMENT_SELECT} WHERE c.account_id = $1 AND c.id = $2`, [accountId, conversationId]);
    const row = rows[0];
    if (!row) {
      await this.remove(accountId, conversationId);
      return 'deleted';
    }
    try {
      await this.client.index({
        index: this.alias,
        id: row.id,
        routing: row.account_id,
        version: row.search_version,
        version_type: 'external',
        document: toDocument(row),
      });
      await this.markIndexed([row.id], [row.search_version]);
      return 'indexed';
    } catch (e) {
      // The index already holds this version or a newer one: nothing to write (idempotent), but the
      // row may not know it yet (the job that wrote it lost before recording it).
      if (!isConflict(e)) throw e;
      await this.markIndexed([row.id], [row.search_version]);
      return 'stale';
    }
  }

  /**
   * Records that the index holds at least these versions (`search_indexed_version`, which the job
   * recovery sweep compares with `search_version`). Only ever raised, and only rows it raises are
   * written; the search triggers do not watch this column, so `search_version` and `updated_at`
   * stay as they are.
   */
  private async markIndexed(ids: string[], versions: number[]): Promise<void> {
    if (!ids.length) return;
    await this.db.query(
      `UPDATE conversations c SET search_indexed_version = GREATEST(c.search_indexed_version, v.version)
         FROM unnest($1::text[], $2::int[]) AS v(id, version)
        WHERE c.id = v.id AND (c.search_indexed_version IS NULL OR c.search_indexed_version < v.version)`,
      [ids, versions],
    );
  }

  async remove(accountId: string, conversationId: string, version?: number): Promise<void> {
    try {
      await this.client.delete({
        index: this.alias,
        id: conversationId,
        routing: accountId,
        ...(version !== undefined ? { version, version_type: 'external' as const } : {}),
      });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  async reindex(accountId?: string): Promise<{ indexed: number }> {
    await ensureIndex(this.client, this.alias);
    let indexed = 0;
    let after = '';
    for (;;) {
      const rows = await this.db.query<ConversationSearchRow>(
        `${DOCUMENT_SELECT} WHERE ($1::text IS NULL OR c.account_id = $1) AND c.id > $2 ORDER BY c.id LIMIT ${BATCH}`,
        [accountId ?? null, after],
      );
      if (!rows.length) break;
      // external_gte: the database is the source of truth, so its current version may rewrite an equal one.
      const operations = rows.flatMap((r) => [
        { index: { _index: this.alias, _id: r.id, routing: r.account_id, version: r.search_version, version_type: 'external_gte' as const } },
        toDocument(r),
      ]);
      const res = await this.client.bulk({ operations, refresh: false });
      const failed = res.items.filter((i) => i.index?.error && i.index.status !== 409);
      if (failed.length) this.log.warn({ failed: failed.length, first: failed[0].index?.error }, 'some documents were not indexed');
      // Items answer in request order; a 409 means the index already holds that version or a newer one.
      const held = rows.filter((_, i) => {
        const item = res.items[i]?.index;
        return !!item && (!item.error || item.status === 409);
      });
      await this.markIndexed(
        held.map((r) => r.id),
        held.map((r) => r.search_version),
      );
      indexed += rows.length - failed.length;
      after = rows[rows.length - 1].id;
    }
    await this.removeOrphans(accountId);
    await this.client.indices.refresh({ index: this.alias });
    return { indexed };
  }

  /** Documents whose conversation is gone (a delete job that never ran). */
  private async removeOrphans(accountId?: string): Promise<void> {
    let searchAfter: estypes.SortResults | undefined;
    for (;;) {
      const res = await this.client.search<{ account_id: string }>({
        index: this.alias,
        ...(accountId ? { routing: accountId } : {}),
        query: accountId ? { term: { account_id: accountId } } : { match_all: {} },
        sort: [{ id: 'asc' }],
        size: BATCH,
        _source: ['account_id'],
        ...(searchAfter ? { search_after: searchAfter } : {}),
      });
      const hits = res.hits.hits;
      if (!hits.length) break;
      const existing = await this.db.query<{ id: string }>(`SELECT id FROM conversations WHERE id = ANY($1::text[])`, [hits.map((h) => h._id)]);
      const keep = new Set(existing.map((r) => r.id));
      for (const h of hits) if (!keep.has(h._id!)) await this.remove(h._source!.account_id, h._id!);
      searchAfter = hits[hits.length - 1].sort;
    }
  }
}

export async function createElasticsearchServices(config: EsConfig, db: Database, log: Logger) {
  const client = createClient(config);
  return {
    engine: new ElasticsearchEngine(client, config.index),
    indexer: new ElasticsearchIndexer(client, config.index, db, log),
    close: () => client.close(),
  };
}
