// The search service: one entry for POST /v1/conversations/search, GraphQL `searchConversations`
// and the list endpoint's `search` parameter. Validates once, then asks the configured engine.
import type { AccountScope, App } from '../../app.js';
import { parseInput } from '../../lib/validation.js';
import { getSearchEngine, type SearchHit } from './search-engine.js';
import { searchInput, toSearchRequest, type SearchInput, type SearchSort } from './search-input.js';

export interface SearchMeta {
  total: number;
  tookMs: number;
  page: number;
  perPage: number;
}

export interface SearchResults {
  data: SearchHit[];
  meta: SearchMeta;
}

type SearchApp = Pick<App, 'config' | 'db' | 'log'>;

export async function searchConversations(app: SearchApp, scope: AccountScope, input: SearchInput): Promise<SearchResults> {
  const started = process.hrtime.bigint();
  const v = parseInput(searchInput, input);
  const engine = await getSearchEngine(app);
  const { hits, total } = await engine.search(scope.accountId, toSearchRequest(v));
  const tookMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  return { data: hits, meta: { total, tookMs, page: v.page, perPage: v.perPage } };
}

/** For the list endpoint: the ids of one page of matches in the list's own order, and the total. */
export async function findConversationIds(
  app: SearchApp,
  scope: AccountScope,
  input: {
    query: string;
    status?: 'processing' | 'completed' | 'failed';
    source?: 'email' | 'whatsapp' | 'api';
    sort: SearchSort;
    page: number;
    perPage: number;
  },
): Promise<{ ids: string[]; total: number }> {
  // The list validated page, per_page and filters itself; the query text is checked the same way here.
  const v = parseInput(searchInput, { query: input.query, filters: { status: input.status, source: input.source } });
  const request = { ...toSearchRequest(v, false), sort: input.sort, page: input.page, perPage: input.perPage };
  const engine = await getSearchEngine(app);
  const { hits, total } = await engine.search(scope.accountId, request);
  return { ids: hits.map((h) => h.id), total };
}
