// GraphQL face of search: `searchConversations`. REST serves the same field as POST /v1/conversations/search.
import { builder } from '../../graphql/builder.js';
import { pageArgs } from '../../graphql/common.schema.js';
import { requireScope } from '../../graphql/context.js';
import type { SearchHit } from './search-engine.js';
import { searchConversations, type SearchMeta, type SearchResults } from './search-conversations.js';

export const SearchFiltersInput = builder.inputType('SearchFilters', {
  description: 'Narrows a search. Dates accept YYYY-MM-DD or a full ISO 8601 timestamp; a bare dateTo covers that whole day.',
  fields: (t) => ({
    dateFrom: t.string({ description: 'Created at or after.' }),
    dateTo: t.string({ description: 'Created at or before (a bare date: up to the end of that day, UTC).' }),
    topics: t.stringList({ description: 'Any of these summary topics.' }),
    sentiment: t.string({ description: 'Summary sentiment: positive, neutral or negative.' }),
    // Strings rather than the enums, so that a bad value is reported with every other bad field.
    source: t.string({ description: 'email, whatsapp or api.' }),
    status: t.string({ description: 'processing, completed or failed.' }),
  }),
});

const SearchHitRef = builder.objectRef<SearchHit>('SearchHit').implement({
  description: 'One matching conversation.',
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    snippet: t.exposeString('snippet', {
      description: 'HTML: up to ~240 characters around the best match, matched terms in <mark>, everything else escaped.',
    }),
    score: t.exposeFloat('score', { description: 'Relevance from 0 to 1.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const SearchMetaRef = builder.objectRef<SearchMeta>('SearchMeta').implement({
  description: 'Totals and timing of a search.',
  fields: (t) => ({
    total: t.exposeInt('total', {
      description: 'Matches across all pages. On PostgreSQL exact up to 500; above that a lower bound (501, or more on deeper pages).',
    }),
    tookMs: t.exposeInt('tookMs', { description: 'Time spent searching on the server, in milliseconds.' }),
    page: t.exposeInt('page'),
    perPage: t.exposeInt('perPage'),
  }),
});

const SearchResultsRef = builder.objectRef<SearchResults>('SearchResults').implement({
  description: 'One page of search results.',
  fields: (t) => ({
    data: t.field({ type: [SearchHitRef], resolve: (r) => r.data }),
    meta: t.field({ type: SearchMetaRef, resolve: (r) => r.meta }),
  }),
});

builder.queryFields((t) => ({
  searchConversations: t.field({
    type: SearchResultsRef,
    description:
      'Full-text search over titles, contents and summaries. Web-search syntax: "quoted phrases" are required, OR, -exclude; ' +
      'loose words are not all required, and matching more of them ranks higher.',
    args: {
      query: t.arg.string({ required: true, description: '1–500 characters.' }),
      filters: t.arg({ type: SearchFiltersInput }),
      sort: t.arg.string({ description: 'relevance (default), created_at or -created_at.' }),
      ...pageArgs(),
    },
    resolve: (_root, args, ctx) =>
      searchConversations(ctx.app, requireScope(ctx), {
        query: args.query,
        filters: args.filters ? dropNulls(args.filters) : undefined,
        sort: args.sort ?? undefined,
        page: args.page ?? undefined,
        perPage: args.perPage ?? undefined,
      }),
  }),
}));

function dropNulls<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as { [K in keyof T]: Exclude<T[K], null> };
}
