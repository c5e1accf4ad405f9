// The distributed engines: Elasticsearch (SEARCH_ENGINE=elasticsearch, or ELASTICSEARCH_URL) and
// OpenSearch (SEARCH_ENGINE=opensearch). One engine and one indexer serve both; only the client
// adapter differs (backend.ts). The request bodies, the mapping and the answer mapping are pure
// functions (query-builder.ts, mapping.ts) with unit tests; this file talks to the cluster. It is run
// against a real OpenSearch node by tests/search.opensearch.test.ts (docs/search.md).
//
// Documents are routed by account (one account's documents live on one shard) and every query
// carries the account filter. Writes use external versioning with `conversations.search_version`,
// so an older state never overwrites a newer one, whatever order the indexing jobs run in.
//
// The configured index name is an alias. `search reindex` (all accounts) builds a fresh index
// beside the live one, then moves the alias in one atomic step, so searches never see an empty or
// half-built index; writes that landed on the old index meanwhile are copied over after the swap.
import { setTimeout as sleep } from 'node:timers/promises';
import type { estypes } from '@elastic/elasticsearch';
import type { SearchConfig } from '../../../config.js';
import type { Database } from '../../../lib/db.js';
import { AppError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/logger.js';
import type { SearchEngine, SearchIndexer, SearchResult } from '../engine-types.js';
import { MAX_RESULT_WINDOW, type SearchRequest } from '../search-input.js';
import { createBackend, isConflict, isNotFound, isUnavailable, BackendError, type SearchBackend } from './backend.js';
import { DOCUMENT_SELECT, INDEX_MAPPINGS, INDEX_SETTINGS, MAPPING_VERSION, toDocument, type ConversationSearchRow } from './mapping.js';
import { buildSearchBody, normaliseScore, snippetFromHit } from './query-builder.js';

type RemoteConfig = NonNullable<SearchConfig['elasticsearch']>;
const BATCH = 1000;
/** A `_bulk` refused with 429 is tried this many times in all, waiting 1, 2, 4, 8 s in between. */
const BULK_ATTEMPTS = 5;
/** What a 503 from search asks the client to wait (seconds). */
export const SEARCH_RETRY_AFTER_S = 5;

/** A fresh physical index name under `alias` (the mapping version, then a time stamp). */
export function newIndexName(alias: string): string {
  return `${alias}-v${MAPPING_VERSION}-${Date.now().toString(36)}`;
}

/** `alias` points at one physical index, created here on first use (with the write flag). */
export async function ensureIndex(backend: SearchBackend, alias: string): Promise<void> {
  if (await backend.aliasExists(alias)) return;
  try {
    // A fixed first name: processes (or a search and a sync job) creating it at once collide on it
    // instead of making two indices under one alias. Reindexing moves the alias to stamped names.
    await backend.createIndex(`${alias}-v${MAPPING_VERSION}`, {
      settings: INDEX_SETTINGS,
      mappings: INDEX_MAPPINGS,
      aliases: { [alias]: { is_write_index: true } },
    });
  } catch (e) {
    // Another process created it first.
    if (e instanceof BackendError && e.type === 'resource_already_exists_exception') return;
    if (e instanceof BackendError && !e.unavailable && (await backend.aliasExists(alias).catch(() => false))) return;
    throw e;
  }
}

/** The mapping version in a physical index's name (`<alias>-v<N>` or `<alias>-v<N>-<stamp>`), 0 if none. */
export function mappingVersionOf(alias: string, index: string): number {
  const m = index.slice(alias.length).match(/^-v(\d+)(?:-|$)/);
  return m ? Number(m[1]) : 0;
}

/** Says once, in the log, that the live index predates the mapping (it keeps answering meanwhile). */
async function warnIfOutdated(backend: SearchBackend, alias: string, log?: Logger): Promise<void> {
  const outdated = (await backend.aliasIndices(alias)).filter((i) => mappingVersionOf(alias, i) < MAPPING_VERSION);
  if (outdated.length)
    log?.warn(
      { alias, indices: outdated, mappingVersion: MAPPING_VERSION },
      'The search index was built with an older mapping; it keeps answering, and `npx aimychats search reindex` rebuilds it with the current one (docs/search.md)',
    );
}

/** The search engine did not answer: the documented 503, never a 500 (docs/search.md, "When the engine is down"). */
function unavailable(): AppError {
  return new AppError(
    'service_unavailable',
    'Search is unavailable: the search engine does not answer; try again shortly',
    {},
    { 'Retry-After': String(SEARCH_RETRY_AFTER_S) },
  );
}

export class ElasticsearchEngine implements SearchEngine {
  readonly kind: 'elasticsearch' | 'opensearch';
  private ready?: Promise<void>;

  constructor(
    private readonly backend: SearchBackend,
    private readonly alias: string,
    private readonly log?: Logger,
  ) {
    this.kind = backend.kind;
  }

  private ensure(): Promise<void> {
    return (this.ready ??= ensureIndex(this.backend, this.alias)
      .then(() => warnIfOutdated(this.backend, this.alias, this.log).catch(() => {}))
      .catch((e) => {
        this.ready = undefined;
        throw e;
      }));
  }

  async search(accountId: string, r: SearchRequest): Promise<SearchResult> {
    if (!r.query.groups.length) return { hits: [], total: 0 };
    try {
      return await this.searchOnce(accountId, r);
    } catch (e) {
      if (isUnavailable(e)) throw unavailable();
      throw e;
    }
  }

  private async searchOnce(accountId: string, r: SearchRequest): Promise<SearchResult> {
    await this.ensure();
    if ((r.page - 1) * r.perPage >= MAX_RESULT_WINDOW) {
      // Past the deepest page the engine serves: the total is still true.
      const body = buildSearchBody(accountId, { ...r, snippets: false });
      return { hits: [], total: await this.backend.count(this.alias, accountId, body.query) };
    }
    let fuzzy = false;
    let res = await this.run(accountId, r, false);
    if (res.total === 0 && r.query.groups.some((g) => g.alternatives.some((t) => !t.phrase))) {
      fuzzy = true;
      res = await this.run(accountId, r, true);
    }
    return {
      total: res.total,
      hits: res.hits.map((h) => ({
        id: h._id!,
        title: h._source?.title ?? '',
        snippet: r.snippets ? snippetFromHit(h) : '',
        score: normaliseScore(h._score, fuzzy),
        createdAt: new Date(h._source?.created_at ?? 0),
      })),
    };
  }

  private run(accountId: string, r: SearchRequest, fuzzy: boolean) {
    const body = buildSearchBody(
      accountId,
      { ...r, perPage: Math.min(r.perPage, MAX_RESULT_WINDOW - (r.page - 1) * r.perPage) },
      { fuzzy },
    );
    return this.backend.search<{
      title?: string;
      created_at?: string;
      content_length?: number;
      content_head?: string;
      content_tail?: string;
    }>(this.alias, accountId, body);
  }
}

export class ElasticsearchIndexer implements SearchIndexer {
  constructor(
    private readonly backend: SearchBackend,
    private readonly alias: string,
    private readonly db: Database,
    private readonly log: Logger,
    /** The first pause after a 429 from `_bulk` (then doubled). */
    private readonly bulkRetryBaseMs = 1000,
  ) {}

  async sync(accountId: string, conversationId: string): Promise<'indexed' | 'deleted' | 'stale'> {
    await ensureIndex(this.backend, this.alias);
    const rows = await this.db.query<ConversationSearchRow>(`${DOCUMENT_SELECT} WHERE c.account_id = $1 AND c.id = $2`, [
      accountId,
      conversationId,
    ]);
    const row = rows[0];
    if (!row) {
      await this.remove(accountId, conversationId);
      return 'deleted';
    }
    try {
      await this.backend.index(
        { index: this.alias, id: row.id, routing: row.account_id, version: row.search_version, versionType: 'external' },
        toDocument(row),
      );
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
    // A delete on a missing index creates it (auto-create applies to every write): were the alias not
    // there yet, that would make an index under the alias's name, and the alias could never be made.
    await ensureIndex(this.backend, this.alias);
    try {
      await this.backend.delete({
        index: this.alias,
        id: conversationId,
        routing: accountId,
        ...(version !== undefined ? { version, versionType: 'external' as const } : {}),
      });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  /**
   * All accounts: a fresh index, filled, refreshed, then swapped in under the alias in one step (the
   * old one is dropped). One account: rewritten in place (the index holds every account).
   */
  async reindex(accountId?: string): Promise<{ indexed: number }> {
    if (accountId) {
      await ensureIndex(this.backend, this.alias);
      const indexed = await this.copyRows(this.alias, accountId);
      await this.removeOrphans(this.alias, accountId);
      await this.backend.refresh(this.alias);
      return { indexed };
    }
    const started = await this.dbNow();
    const target = newIndexName(this.alias);
    // No refreshes while it is filled (nobody searches it yet): faster bulk indexing.
    await this.backend.createIndex(target, { settings: { ...INDEX_SETTINGS, refresh_interval: '-1' }, mappings: INDEX_MAPPINGS });
    let swapped = false;
    try {
      const indexed = await this.copyRows(target);
      await this.backend.putSettings(target, { refresh_interval: null });
      await this.backend.refresh(target);
      const old = await this.backend.aliasIndices(this.alias);
      await this.backend.updateAliases([
        ...old.map((index) => ({ remove: { index, alias: this.alias } })),
        { add: { index: target, alias: this.alias, is_write_index: true } },
      ]);
      swapped = true;
      // Changes written to the old index while the copy ran (their jobs wrote through the alias):
      // copied again from the database, which is the source of truth; deletes become orphans here.
      await this.copyRows(target, undefined, started);
      await this.removeOrphans(target);
      await this.backend.refresh(target);
      for (const index of old)
        await this.backend.deleteIndex(index).catch((e) => this.log.warn({ err: e, index }, 'could not drop the old search index'));
      return { indexed };
    } finally {
      if (!swapped) await this.backend.deleteIndex(target).catch(() => {});
    }
  }

  private async dbNow(): Promise<Date> {
    const [row] = await this.db.query<{ now: Date }>('SELECT now() AS now');
    return row.now;
  }

  /**
   * Bulk-writes rows (one account's, or all; or those changed since `since`), keyset on id. Two
   * `_bulk` requests are kept in flight, so reading the next batch overlaps indexing the last.
   */
  private async copyRows(index: string, accountId?: string, since?: Date): Promise<number> {
    let indexed = 0;
    let after = '';
    const inflight: Promise<number>[] = [];
    for (;;) {
      const rows = await this.db.query<ConversationSearchRow>(
        `${DOCUMENT_SELECT}
          WHERE ($1::text IS NULL OR c.account_id = $1) AND c.id > $2
            AND ($3::timestamptz IS NULL OR c.updated_at >= $3 OR s.completed_at >= $3)
          ORDER BY c.id LIMIT ${BATCH}`,
        [accountId ?? null, after, since ?? null],
      );
      if (!rows.length) break;
      after = rows[rows.length - 1].id;
      inflight.push(this.writeBatch(index, rows));
      if (inflight.length >= 2) indexed += await inflight.shift()!;
    }
    for (const p of inflight) indexed += await p;
    return indexed;
  }

  /**
   * `_bulk`, waiting and trying again when the node refuses the whole request with 429 (its circuit
   * breaker or a full write queue: a node with a small heap during a large reindex). The clients never
   * retry a 429 themselves, on purpose: only a pause lets the node recover. Other errors are thrown.
   */
  private async bulkWithBackoff(operations: unknown[]) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.backend.bulk(operations);
      } catch (e) {
        if (!(e instanceof BackendError && e.status === 429) || attempt >= BULK_ATTEMPTS) throw e;
        const waitMs = this.bulkRetryBaseMs * 2 ** (attempt - 1);
        this.log.warn({ attempt, waitMs, type: e.type }, 'the search engine refused a _bulk request (429); trying again');
        await sleep(waitMs);
      }
    }
  }

  private async writeBatch(index: string, rows: ConversationSearchRow[]): Promise<number> {
    // external_gte: the database is the source of truth, so its current version may rewrite an equal one.
    const operations = rows.flatMap((r) => [
      { index: { _index: index, _id: r.id, routing: r.account_id, version: r.search_version, version_type: 'external_gte' as const } },
      toDocument(r),
    ]);
    const items = await this.bulkWithBackoff(operations);
    const failed = items.filter((i) => i.error && i.status !== 409);
    if (failed.length) this.log.warn({ failed: failed.length, first: failed[0].error }, 'some documents were not indexed');
    // Items answer in request order; a 409 means the index already holds that version or a newer one.
    const held = rows.filter((_, i) => {
      const item = items[i];
      return !!item && (!item.error || item.status === 409);
    });
    await this.markIndexed(
      held.map((r) => r.id),
      held.map((r) => r.search_version),
    );
    return rows.length - failed.length;
  }

  /** Documents whose conversation is gone (a delete job that never ran). */
  private async removeOrphans(index: string, accountId?: string): Promise<void> {
    let searchAfter: estypes.SortResults | undefined;
    for (;;) {
      const res = await this.backend.search<{ account_id: string }>(index, accountId, {
        query: accountId ? { term: { account_id: accountId } } : { match_all: {} },
        sort: [{ id: 'asc' }],
        size: BATCH,
        _source: ['account_id'],
        ...(searchAfter ? { search_after: searchAfter } : {}),
      });
      const hits = res.hits;
      if (!hits.length) break;
      const existing = await this.db.query<{ id: string }>(`SELECT id FROM conversations WHERE id = ANY($1::text[])`, [
        hits.map((h) => h._id),
      ]);
      const keep = new Set(existing.map((r) => r.id));
      for (const h of hits) {
        if (keep.has(h._id!)) continue;
        try {
          await this.backend.delete({ index, id: h._id!, routing: h._source!.account_id });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      searchAfter = hits[hits.length - 1].sort;
    }
  }
}

export async function createElasticsearchServices(config: RemoteConfig, db: Database, log: Logger) {
  const backend = await createBackend(config);
  return {
    engine: new ElasticsearchEngine(backend, config.index, log),
    indexer: new ElasticsearchIndexer(backend, config.index, db, log),
    backend,
    close: () => backend.close(),
  };
}
