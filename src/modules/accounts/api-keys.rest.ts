import type { RestRoute } from '../../rest/route-types.js';

export const apiKeyRoutes: RestRoute[] = [
  { field: 'Query.apiKeys', method: 'GET', path: '/api_keys', summary: 'List API keys' },
  { field: 'Mutation.createApiKey', method: 'POST', path: '/api_keys', status: 201, summary: 'Create an API key' },
  { field: 'Mutation.revokeApiKey', method: 'DELETE', path: '/api_keys/:id', summary: 'Revoke an API key' },
];
