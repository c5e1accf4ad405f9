// Tenant isolation is a security property: for every route, a second account's key must neither see,
// change, delete nor learn the existence of the first account's conversations (404, never 403).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadFile } from './helpers/files.js';
import { eventually } from './helpers/jobs.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('tenant isolation', () => {
  it("hides one account's conversations from another on every conversation route", async () => {
    const owner = await newAccount(server);
    const intruder = await newAccount(server);
    const created = await owner.client.post('/v1/conversations', {
      title: 'Secret deal',
      content: 'Confidential pricing for ACME',
      metadata: { k: 1 },
    });
    const id = created.body.id;
    // The in-process summary finishes in the background; take the owner's view once it has, so the
    // comparison at the end sees only what the intruder could have changed.
    const before = (
      await eventually(
        () => owner.client.get(`/v1/conversations/${id}`),
        (r) => r.body.status !== 'processing',
      )
    ).body;
    const unknownId = 'conv_01jzzzzzzzzzzzzzzzzzzzzzzz';

    for (const probe of [id, unknownId]) {
      const get = await intruder.client.get(`/v1/conversations/${probe}`);
      const patch = await intruder.client.patch(`/v1/conversations/${probe}`, { title: 'pwned', metadata: { k: null } });
      const del = await intruder.client.delete(`/v1/conversations/${probe}`);
      for (const res of [get, patch, del]) {
        expect(res.status).toBe(404);
        // The same answer for a foreign id as for an id that does not exist: nothing to learn.
        expect(res.body).toEqual({ error: { code: 'not_found', message: 'Conversation not found', details: {} } });
      }
    }

    const list = await intruder.client.get('/v1/conversations?search=ACME');
    expect(list.body.meta.total).toBe(0);
    expect((await intruder.client.get('/v1/conversations')).body.data).toEqual([]);

    const gql = await intruder.client.request('POST', '/graphql', {
      query: `{ conversation(id: "${id}") { id } conversations { meta { total } } }`,
    });
    expect(gql.body.errors[0].extensions.code).toBe('not_found');
    const gqlUpdate = await intruder.client.request('POST', '/graphql', {
      query: `mutation { updateConversation(id: "${id}", title: "x") { id } }`,
    });
    expect(gqlUpdate.body.errors[0].extensions.code).toBe('not_found');
    const gqlDelete = await intruder.client.request('POST', '/graphql', { query: `mutation { deleteConversation(id: "${id}") { id } }` });
    expect(gqlDelete.body.errors[0].extensions.code).toBe('not_found');

    const after = await owner.client.get(`/v1/conversations/${id}`);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before);
    expect((await owner.client.get('/v1/conversations')).body.meta.total).toBe(1);
  });
});

/**
 * Every /v1 route that names a resource in its path, probed with another account's id. A new route
 * fails here until it has a fixture below, so isolation is tested for routes nobody remembered.
 */
type Owner = Awaited<ReturnType<typeof newAccount>>;
const FIXTURES: Record<string, (owner: Owner) => Promise<string>> = {
  conversations: async (o) => (await o.client.post('/v1/conversations', { title: 'mine', content: 'private words' })).body.id,
  summaries: async (o) => {
    const conv = (await o.client.post('/v1/conversations', { title: 'mine', content: 'private words' })).body.id;
    return (await o.client.post(`/v1/conversations/${conv}/summaries`, {})).body.id;
  },
  api_keys: async (o) => (await o.client.post('/v1/api_keys', { name: 'mine' })).body.id,
  // /oauth/clients/:id (the owner is on the pro plan, which allows OAuth apps).
  oauth: async (o) => (await o.client.post('/v1/oauth/clients', { name: 'mine', grant_types: ['client_credentials'] })).body.id,
  // A public address literal (private ones are refused here); an event type this test never causes.
  webhooks: async (o) => (await o.client.post('/v1/webhooks', { url: 'https://93.184.215.14/hook', events: ['export.failed'] })).body.id,
  exports: async (o) => (await o.client.post('/v1/exports', { format: 'json' })).body.id,
  attachments: async (o) => {
    const conv = (await o.client.post('/v1/conversations', { title: 'mine', content: 'private words' })).body.id;
    return (await uploadFile(server.url, o.api_key, conv, { file: { bytes: 'private bytes', name: 'mine.txt' } })).body.id;
  },
};

describe('tenant isolation on every route with an id', () => {
  it('answers 404 to another account for every such route', async () => {
    const { REST_ROUTES } = await import('../src/rest/routes.js');
    const owner = await newAccount(server, 'pro');
    const intruder = await newAccount(server);
    const ids = new Map<string, string>();
    for (const route of REST_ROUTES.filter((r) => r.path.includes('/:'))) {
      const kind = route.path.split('/')[1];
      const make = FIXTURES[kind];
      expect(make, `add a tenant-isolation fixture for ${route.method} ${route.path}`).toBeDefined();
      if (!ids.has(kind)) ids.set(kind, await make!(owner));
      const path = `/v1${route.path.replace(/:\w+/, ids.get(kind)!)}`;
      const body = route.method === 'POST' || route.method === 'PATCH' ? {} : undefined;
      const res = await intruder.client.request(route.method, path, body);
      expect(res.status, `${route.method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await owner.client.get(`/v1/conversations/${ids.get('conversations')}`)).status).toBe(200);
    const keys = await owner.client.get('/v1/api_keys');
    expect(keys.body.data.find((k: { id: string }) => k.id === ids.get('api_keys')).revoked_at).toBeNull();
    const apps = await owner.client.get('/v1/oauth/clients');
    expect(apps.body.data.find((k: { id: string }) => k.id === ids.get('oauth')).revoked_at).toBeNull();
  });
});
