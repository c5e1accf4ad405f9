// POST /v1/conversations/search (docs/spec/api-reference.md, Search). The route matcher prefers static
// segments, so this path is never taken for GET/PATCH/DELETE /conversations/:id.
import type { RestRoute, RestShape } from '../../rest/route-types.js';

export const searchRoutes: RestRoute[] = [
  { field: 'Query.searchConversations', method: 'POST', path: '/conversations/search', summary: 'Search conversations' },
];

export const searchShape: RestShape = { projections: {}, retarget: {} };
