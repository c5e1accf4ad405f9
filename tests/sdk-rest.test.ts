// The typed REST client (sdk/rest.ts: openapi-fetch over the types openapi-typescript generates from
// /v1/openapi.json) against a real server: its calls, its errors, an idempotent retry — and the document
// it is generated from is the one the server serves.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AImyChatsError, createRestClient, unwrap, type RestSchemas } from '../sdk/index.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const CHAT = 'Anna: can you send the pricing sheet?\nTom: sure, tomorrow.';

describe('createRestClient', () => {
  it('creates, reads, lists, updates and deletes a conversation with typed calls', async () => {
    const { api_key } = await newAccount(server);
    const api = createRestClient({ url: server.url, apiKey: api_key });

    const created: RestSchemas['Conversation'] = await unwrap(
      api.POST('/conversations', { body: { title: 'Pricing', content: CHAT, metadata: { team: 'sales' } } }),
    );
    expect(created.id).toMatch(/^conv_/);
    expect(created.status).toBe('processing');
    expect(created.metadata).toEqual({ team: 'sales' });

    const got = await unwrap(api.GET('/conversations/{id}', { params: { path: { id: created.id } } }));
    expect(got.content).toBe(CHAT);

    const page = await unwrap(api.GET('/conversations', { params: { query: { per_page: 10, sort: 'created_at' } } }));
    expect(page.meta.total).toBe(1);
    expect(page.data.map((c) => c.id)).toEqual([created.id]);

    const patched = await unwrap(
      api.PATCH('/conversations/{id}', { params: { path: { id: created.id } }, body: { title: 'Pricing sheet' } }),
    );
    expect(patched.title).toBe('Pricing sheet');

    await unwrap(api.DELETE('/conversations/{id}', { params: { path: { id: created.id } } }));
    const gone = await api.GET('/conversations/{id}', { params: { path: { id: created.id } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error?.error.code).toBe('not_found');
  });

  it('turns the error envelope into an AImyChatsError with code, status and details', async () => {
    const { api_key } = await newAccount(server);
    const api = createRestClient({ url: server.url, apiKey: api_key });
    const invalid = await unwrap(api.POST('/conversations', { body: { title: '', content: CHAT } })).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(AImyChatsError);
    expect(invalid).toMatchObject({ code: 'validation_error', status: 422, details: { fields: { title: expect.any(Array) } } });

    const anonymous = createRestClient({ url: server.url, apiKey: 'amc_not_a_key' });
    await expect(unwrap(anonymous.GET('/account'))).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('sends Idempotency-Key as a typed header parameter and sees the replay', async () => {
    const { api_key } = await newAccount(server);
    const api = createRestClient({ url: server.url, apiKey: api_key });
    const once = { body: { title: 'Once', content: CHAT }, params: { header: { 'Idempotency-Key': `sdk-${Date.now()}` } } };
    const first = await api.POST('/conversations', once);
    const retry = await api.POST('/conversations', once);
    expect(first.response.status).toBe(201);
    expect(retry.response.headers.get('Idempotent-Replayed')).toBe('true');
    expect(retry.data?.id).toBe(first.data?.id);
    expect((await unwrap(api.GET('/conversations'))).meta.total).toBe(1);
  });

  it('is generated from the document the server serves', async () => {
    // `npm run codegen` wrote it from the code; the server builds it from the same sources.
    const generated = JSON.parse(fs.readFileSync(new URL('../sdk/generated/openapi.json', import.meta.url), 'utf8'));
    const served = await (await fetch(`${server.url}/v1/openapi.json`)).json();
    expect(served).toEqual(generated);
  });
});
