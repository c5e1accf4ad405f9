// The documented /v1 account route (docs/spec/api-reference.md, Account); /account/usage is in modules/usage.
import type { RestRoute } from '../../rest/route-types.js';

export const accountRoutes: RestRoute[] = [{ field: 'Query.account', method: 'GET', path: '/account', summary: 'Get account information' }];
