// The documented /v1 account routes (api-reference.md, Account).
import type { RestRoute } from '../../rest/routes.js';

export const accountRoutes: RestRoute[] = [
  { field: 'Query.account', method: 'GET', path: '/account', summary: 'Get account information' },
  { field: 'Query.usage', method: 'GET', path: '/account/usage', summary: 'Get usage statistics (from, to: YYYY-MM-DD or ISO 8601)' },
];
