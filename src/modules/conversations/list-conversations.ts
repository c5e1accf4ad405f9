// The list endpoint (docs/spec/product.md §4): one SQL statement returns the page and the total together.
// With `search`, the search service (modules/search) finds the page's ids and the total instead.
import { z } from 'zod';
import type { AccountScope, App } from '../../app.js';
import type { Database, Row } from '../../lib/db.js';
import { pageInput, pageOf, type Page } from '../../lib/pagination.js';
import { parseInput } from '../../lib/validation.js';
import { findConversationIds } from '../search/search-conversations.js';
import { conversationFromRow, SUMMARY_COLUMNS, type ConversationRecord } from './conversation-record.js';
import { SOURCES, STATUSES } from './conversation-input.js';

export const SORTS = ['created_at', '-created_at', 'updated_at', '-updated_at'] as const;
export type ConversationSort = (typeof SORTS)[number];

const listInput = z.object({
  ...pageInput,
  status: z.enum(STATUSES).optional(),
  source: z.enum(SOURCES).optional(),
  search: z.string().trim().min(1, 'Search must not be empty').max(500, 'Search must be at most 500 characters').optional(),
  sort: z.enum(SORTS, { error: `Sort must be one of: ${SORTS.join(', ')}` }).default('-created_at'),
});

/** What a door passes in, before validation. */
export interface ListInput {
  page?: number;
  perPage?: number;
  status?: string;
  source?: string;
  search?: string;
  sort?: string;
}
export type ListParams = z.output<typeof listInput>;

export type { PageLinks, PageMeta } from '../../lib/pagination.js';
export type ConversationPage = Page<ConversationRecord>;

const ORDER: Record<ConversationSort, string> = {
  created_at: 'c.created_at ASC, c.id ASC',
  '-created_at': 'c.created_at DESC, c.id DESC',
  updated_at: 'c.updated_at ASC, c.id ASC',
  '-updated_at': 'c.updated_at DESC, c.id DESC',
};

/**
 * The page query (without `search`): the page and its total in one statement, one snapshot.
 *
 * Its plan must not depend on the table's statistics, which after API writes describe the account as it
 * was long ago (bench/README.md): the conversations are paged first (a subquery with LIMIT, read in the
 * order of the (account_id, created_at|updated_at, id) index), then each of the page's rows fetches its
 * summary by primary key (LATERAL) — never a join over the account's summaries. The total sums at most nine
 * rows of `conversation_counts` (per source and status, maintained by triggers: exact for every filter
 * this query takes) instead of counting the account's rows.
 */
export function buildListQuery(accountId: string, p: ListParams): { text: string; values: unknown[] } {
  const values: unknown[] = [accountId];
  const where = ['account_id = $1'];
  if (p.status) where.push(`status = $${values.push(p.status)}::processing_status`);
  if (p.source) where.push(`source = $${values.push(p.source)}::conversation_source`);
  const limit = values.push(p.perPage);
  const offset = values.push((p.page - 1) * p.perPage);
  const filter = where.join(' AND ');
  return {
    text: `SELECT c.id, c.account_id, c.title, c.source, c.status, c.content_version, c.created_at, c.updated_at,
                  ${SUMMARY_COLUMNS}, (SELECT coalesce(sum(n), 0)::int8 FROM conversation_counts WHERE ${filter}) AS total
             FROM (SELECT c.id, c.account_id, c.title, c.source, c.status, c.content_version, c.created_at, c.updated_at, c.summary_id
                     FROM conversations c WHERE ${where.map((w) => `c.${w}`).join(' AND ')}
                    ORDER BY ${ORDER[p.sort]} LIMIT $${limit} OFFSET $${offset}) c
             LEFT JOIN LATERAL (SELECT * FROM summaries s WHERE s.id = c.summary_id AND s.account_id = c.account_id) s ON true
            ORDER BY ${ORDER[p.sort]}`,
    values,
  };
}

async function countAll(db: Database, accountId: string, p: ListParams): Promise<number> {
  const q = buildListQuery(accountId, { ...p, page: 1, perPage: 1 });
  const rows = await db.query<Row & { total: number }>(q.text, q.values);
  return rows[0]?.total ?? 0;
}

/**
 * `linkBase` is the absolute URL of the REST list endpoint; links keep every filter the caller gave.
 */
export async function listConversations(
  app: Pick<App, 'config' | 'db' | 'log'>,
  scope: AccountScope,
  input: ListInput,
  linkBase: string,
): Promise<ConversationPage> {
  const { db } = app;
  const p = parseInput(listInput, input);
  let rows: Row[];
  let total: number;
  if (p.search) {
    const found = await findConversationIds(app, scope, { ...p, query: p.search });
    rows = await loadListRows(db, scope.accountId, found.ids);
    total = found.total;
  } else {
    const q = buildListQuery(scope.accountId, p);
    const page = await db.query<Row & { total: number }>(q.text, q.values);
    // Past the last page the count has no row to ride on.
    total = page.length ? page[0].total : p.page > 1 ? await countAll(db, scope.accountId, p) : 0;
    rows = page;
  }
  return pageOf(rows.map(conversationFromRow), p.page, p.perPage, total, linkBase, keptParams(input, p));
}

/** List rows for ids found by search, in the order given. */
async function loadListRows(db: Database, accountId: string, ids: string[]): Promise<Row[]> {
  if (!ids.length) return [];
  const rows = await db.query<Row>(
    `SELECT c.id, c.account_id, c.title, c.source, c.status, c.content_version, c.created_at, c.updated_at, ${SUMMARY_COLUMNS}
       FROM conversations c
       LEFT JOIN LATERAL (SELECT * FROM summaries s WHERE s.id = c.summary_id AND s.account_id = c.account_id) s ON true
      WHERE c.account_id = $1 AND c.id = ANY($2::text[])`,
    [accountId, ids],
  );
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [row] : [];
  });
}

/** The filters the caller gave, repeated in every link. */
function keptParams(input: ListInput, p: ListParams): [string, string][] {
  const kept: [string, string][] = [];
  for (const key of ['status', 'source', 'search', 'sort'] as const) if (input[key] !== undefined) kept.push([key, String(p[key])]);
  return kept;
}
