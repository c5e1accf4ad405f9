// The /v1 routes for webhooks (docs/spec/product.md §10).
import type { RestRoute } from '../../rest/route-types.js';

export const webhookRoutes: RestRoute[] = [
  { field: 'Query.webhooks', method: 'GET', path: '/webhooks', summary: 'List webhook endpoints' },
  {
    field: 'Mutation.createWebhook',
    method: 'POST',
    path: '/webhooks',
    status: 201,
    summary: 'Create a webhook endpoint (the answer carries its secret)',
  },
  { field: 'Query.webhook', method: 'GET', path: '/webhooks/:id', summary: 'Get a webhook endpoint' },
  { field: 'Mutation.updateWebhook', method: 'PATCH', path: '/webhooks/:id', summary: 'Update a webhook endpoint' },
  { field: 'Mutation.deleteWebhook', method: 'DELETE', path: '/webhooks/:id', summary: 'Delete a webhook endpoint' },
  {
    field: 'Mutation.rotateWebhookSecret',
    method: 'POST',
    path: '/webhooks/:id/rotate_secret',
    summary: 'Rotate the signing secret (the old one signs too for 24 h)',
  },
  { field: 'Mutation.testWebhook', method: 'POST', path: '/webhooks/:id/test', status: 202, summary: 'Send a webhook.test event' },
  {
    field: 'Query.webhookDeliveries',
    method: 'GET',
    path: '/webhooks/:webhook_id/deliveries',
    summary: 'List delivery attempts of a webhook endpoint',
  },
];
