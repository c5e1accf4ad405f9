// Every /v1 route belongs to one of the documented endpoint groups (docs/spec/product.md §11).
import { describe, expect, it } from 'vitest';
import { REST_ROUTES } from '../../src/rest/routes.js';
import { endpointGroupOf, ENDPOINT_GROUPS } from '../../src/modules/usage/endpoint-groups.js';

describe('endpointGroupOf', () => {
  it('groups routes by the resource they act on', () => {
    expect(endpointGroupOf('/conversations')).toBe('/conversations');
    expect(endpointGroupOf('/conversations/:id')).toBe('/conversations');
    expect(endpointGroupOf('/conversations/search')).toBe('/search');
    expect(endpointGroupOf('/conversations/:conversation_id/summaries')).toBe('/summaries');
    expect(endpointGroupOf('/summaries/:id')).toBe('/summaries');
    expect(endpointGroupOf('/conversations/:conversation_id/attachments')).toBe('/attachments');
    expect(endpointGroupOf('/attachments/:id')).toBe('/attachments');
    expect(endpointGroupOf('/exports/:id')).toBe('/exports');
    expect(endpointGroupOf('/webhooks/:id/rotate_secret')).toBe('/webhooks');
    expect(endpointGroupOf('/account/usage')).toBe('/account');
    expect(endpointGroupOf('/api_keys/:id')).toBe('/account');
    expect(endpointGroupOf('/graphql')).toBe('/graphql');
    expect(endpointGroupOf('/inbound/email')).toBe('/conversations');
  });

  it('puts every registered route in a documented group', () => {
    for (const r of REST_ROUTES) expect(ENDPOINT_GROUPS, `${r.method} ${r.path}`).toContain(endpointGroupOf(r.path));
  });
});
