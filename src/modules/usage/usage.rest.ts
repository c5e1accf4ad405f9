// The documented /v1 usage route (docs/spec/api-reference.md, Account).
import type { RestRoute } from '../../rest/route-types.js';

export const usageRoutes: RestRoute[] = [
  { field: 'Query.usage', method: 'GET', path: '/account/usage', summary: 'Get usage statistics (from, to: YYYY-MM-DD or ISO 8601)' },
];
