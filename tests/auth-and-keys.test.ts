// API keys: Bearer authentication, 401 for every bad key, and key management over REST and GraphQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, newAccount, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('authentication', () => {
  it('answers a missing, malformed, unknown or wrongly-schemed key with 401 unauthorized', async () => {
    const { api_key } = await newAccount(server);
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      empty: 'Bearer ',
      basic: `Basic ${Buffer.from('a:b').toString('base64')}`,
      malformed: 'Bearer not-a-key',
      unknown: `Bearer amc_${'A'.repeat(43)}`,
      noScheme: api_key,
      truncated: `Bearer ${api_key.slice(0, -1)}`,
    };
    for (const [name, header] of Object.entries(cases)) {
      const res = await fetch(`${server.url}/v1/conversations`, { headers: header ? { Authorization: header } : {} });
      expect(res.status, name).toBe(401);
      expect(await res.json(), name).toEqual({ error: { code: 'unauthorized', message: 'Missing or invalid API key', details: {} } });
    }
  });

  it('accepts the key case-insensitively on the scheme', async () => {
    const { api_key } = await newAccount(server);
    const res = await fetch(`${server.url}/v1/conversations`, { headers: { Authorization: `bearer ${api_key}` } });
    expect(res.status).toBe(200);
  });
});

describe('API keys', () => {
  it('creates a key shown once, lists keys without secrets, and revokes at once', async () => {
    const { client: owner } = await newAccount(server);
    const created = await owner.post('/v1/api_keys', { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', revoked_at: null, last_used_at: null });
    expect(created.body.id).toMatch(/^key_/);
    expect(created.body.key).toMatch(/^amc_/);
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true);

    const second = client(server.url, created.body.key);
    expect((await second.get('/v1/conversations')).status).toBe(200);

    const list = await owner.get('/v1/api_keys');
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(2);
    expect(list.text).not.toContain(created.body.key);
    expect(list.body.data[0]).not.toHaveProperty('key');
    expect(list.body.data[0]).not.toHaveProperty('hash');

    const revoked = await owner.delete(`/v1/api_keys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).toMatch(/Z$/);
    const denied = await second.get('/v1/conversations');
    expect(denied.status).toBe(401);
    expect(denied.body.error.code).toBe('unauthorized');
    const again = await owner.delete(`/v1/api_keys/${created.body.id}`);
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);
  });

  it('validates the name and rejects unknown fields', async () => {
    const { client: owner } = await newAccount(server);
    expect((await owner.post('/v1/api_keys', {})).body.error.details.fields).toEqual({ name: ['Name is required'] });
    expect((await owner.post('/v1/api_keys', { name: 'x'.repeat(101) })).status).toBe(422);
    expect((await owner.post('/v1/api_keys', { name: 'a', scope: 'all' })).body.error.details.fields).toEqual({ scope: ['Unknown field'] });
  });

  it("never lets one account see or revoke another account's keys", async () => {
    const a = await newAccount(server);
    const b = await newAccount(server);
    const aKeys = await a.client.get('/v1/api_keys');
    const aKeyId = aKeys.body.data[0].id;
    const bList = await b.client.get('/v1/api_keys');
    expect(bList.body.data.map((k: any) => k.id)).not.toContain(aKeyId);
    const res = await b.client.delete(`/v1/api_keys/${aKeyId}`);
    expect(res.status).toBe(404);
    expect((await a.client.get('/v1/conversations')).status).toBe(200);
  });

  it('works through GraphQL too', async () => {
    const { client: owner } = await newAccount(server);
    const res = await owner.request('POST', '/graphql', { query: 'mutation { createApiKey(name: "gql") { id key prefix } }' });
    const key = res.body.data.createApiKey;
    expect(key.key).toMatch(/^amc_/);
    const list = await owner.request('POST', '/graphql', { query: '{ apiKeys { data { id name revokedAt } } }' });
    expect(list.body.data.apiKeys.data.map((k: any) => k.id)).toContain(key.id);
    const revoke = await owner.request('POST', '/graphql', { query: `mutation { revokeApiKey(id: "${key.id}") { revokedAt } }` });
    expect(revoke.body.data.revokeApiKey.revokedAt).toBeTruthy();
  });
});
