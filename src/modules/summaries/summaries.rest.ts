// The documented /v1 routes for summaries (docs/spec/api-reference.md, docs/spec/product.md §5).
import type { RestRoute } from '../../rest/route-types.js';

export const summaryRoutes: RestRoute[] = [
  {
    field: 'Mutation.regenerateSummary',
    method: 'POST',
    path: '/conversations/:conversation_id/summaries',
    status: 202,
    summary: 'Regenerate the summary of a conversation',
  },
  {
    field: 'Query.conversationSummaries',
    method: 'GET',
    path: '/conversations/:conversation_id/summaries',
    summary: 'List the summaries of a conversation',
  },
  { field: 'Query.summary', method: 'GET', path: '/summaries/:id', summary: 'Get a summary' },
];
