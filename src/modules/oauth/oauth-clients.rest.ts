// /v1/oauth/clients (docs/oauth.md): an account's OAuth apps, with an API key (OAuth tokens cannot manage apps).
import type { RestRoute } from '../../rest/route-types.js';

export const oauthClientRoutes: RestRoute[] = [
  { field: 'Query.oauthClients', method: 'GET', path: '/oauth/clients', summary: 'List OAuth clients' },
  {
    field: 'Mutation.createOAuthClient',
    method: 'POST',
    path: '/oauth/clients',
    status: 201,
    summary: 'Register an OAuth client (plans allowing OAuth)',
  },
  { field: 'Mutation.revokeOAuthClient', method: 'DELETE', path: '/oauth/clients/:id', summary: 'Revoke an OAuth client' },
];
