// Validation of a search request (docs/spec/product.md §6), shared by POST /v1/conversations/search, GraphQL
// `searchConversations` and the list endpoint's `search` parameter. Every bad field is reported at once.
import { z } from 'zod';
import { parseDate } from '../../lib/dates.js';
import { pageInput } from '../../lib/pagination.js';
import { SOURCES, STATUSES } from '../conversations/conversation-input.js';
import { parseQuery, type ParsedQuery } from './query-parser.js';

export const SEARCH_SORTS = ['relevance', 'created_at', '-created_at'] as const;
/** The list endpoint may also order matches by update time. */
export type SearchSort = (typeof SEARCH_SORTS)[number] | 'updated_at' | '-updated_at';
export const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;
/** Deepest result reachable by paging: Elasticsearch's default max_result_window, for both engines. */
export const MAX_RESULT_WINDOW = 10_000;

const DAY_MS = 86_400_000;

const DATE_MESSAGE = (label: string) => `${label} must be a date (YYYY-MM-DD) or an ISO 8601 timestamp`;

const dateField = (label: string) =>
  z.string({ error: `${label} must be a string` }).refine((s) => parseDate(s) !== undefined, DATE_MESSAGE(label));

/** Search filters; exports take the same (modules/exports). */
export const filtersInput = z
  .object({
    dateFrom: dateField('Date from').optional(),
    dateTo: dateField('Date to').optional(),
    topics: z
      .array(z.string().trim().min(1, 'Topics must not be empty').max(100, 'Topics must be at most 100 characters'), {
        error: 'Topics must be a list of strings',
      })
      .max(20, 'At most 20 topics')
      .optional(),
    sentiment: z.enum(SENTIMENTS, { error: `Sentiment must be one of: ${SENTIMENTS.join(', ')}` }).optional(),
    source: z.enum(SOURCES, { error: `Source must be one of: ${SOURCES.join(', ')}` }).optional(),
    status: z.enum(STATUSES, { error: `Status must be one of: ${STATUSES.join(', ')}` }).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const from = f.dateFrom ? parseDate(f.dateFrom) : undefined;
    const to = f.dateTo ? parseDate(f.dateTo) : undefined;
    if (from && to && from.at.getTime() >= endOf(to)) {
      ctx.addIssue({ code: 'custom', path: ['dateFrom'], message: 'Date from must not be after date to' });
    }
  });

export const searchInput = z
  .object({
    query: z
      .string({ error: (i) => (i.input === undefined ? 'Query is required' : 'Query must be a string') })
      .refine((s) => s.trim().length > 0, 'Query must not be empty')
      .refine((s) => s.length <= 500, 'Query must be at most 500 characters'),
    filters: filtersInput.default({}),
    sort: z.enum(SEARCH_SORTS, { error: `Sort must be one of: ${SEARCH_SORTS.join(', ')}` }).default('relevance'),
    ...pageInput,
  })
  .superRefine((v, ctx) => {
    if (v.page * v.perPage > MAX_RESULT_WINDOW) {
      ctx.addIssue({ code: 'custom', path: ['page'], message: `Page × per page must be at most ${MAX_RESULT_WINDOW}` });
    }
  });

/** What a door passes in, before validation. */
export interface SearchInput {
  query: string;
  filters?: { dateFrom?: string; dateTo?: string; topics?: string[]; sentiment?: string; source?: string; status?: string };
  sort?: string;
  page?: number;
  perPage?: number;
}

/** End of the range a `date_to` covers, exclusive: the next midnight for a bare date, else 1 ms later. */
function endOf(d: { at: Date; bare: boolean }): number {
  return d.at.getTime() + (d.bare ? DAY_MS : 1);
}

/** What engines receive: validated, parsed and normalised. */
export interface SearchRequest {
  query: ParsedQuery;
  /** The query as typed (Elasticsearch logs, debugging). */
  text: string;
  filters: {
    createdFrom?: Date;
    /** Exclusive. */
    createdBefore?: Date;
    topics?: string[];
    sentiment?: (typeof SENTIMENTS)[number];
    source?: (typeof SOURCES)[number];
    status?: (typeof STATUSES)[number];
  };
  sort: SearchSort;
  page: number;
  perPage: number;
  /** The list endpoint needs ids only. */
  snippets: boolean;
}

/** Validated filters → what engines (and exports) apply. */
export function toSearchFilters(f: z.output<typeof filtersInput>): SearchRequest['filters'] {
  const from = f.dateFrom ? parseDate(f.dateFrom) : undefined;
  const to = f.dateTo ? parseDate(f.dateTo) : undefined;
  return {
    createdFrom: from?.at,
    createdBefore: to ? new Date(endOf(to)) : undefined,
    topics: f.topics?.length ? [...new Set(f.topics.map((t) => t.toLowerCase()))] : undefined,
    sentiment: f.sentiment,
    source: f.source,
    status: f.status,
  };
}

export function toSearchRequest(v: z.output<typeof searchInput>, snippets = true): SearchRequest {
  return {
    query: parseQuery(v.query),
    text: v.query,
    filters: toSearchFilters(v.filters),
    sort: v.sort,
    page: v.page,
    perPage: v.perPage,
    snippets,
  };
}
