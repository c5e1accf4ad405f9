// The documented /v1 conversations API, through HTTP as a client sees it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';
import { newAccount, startTestServer, type Client, type TestServer } from './helpers/server.js';

let server: TestServer;
// Summaries are tested in summaries*.test.ts; here their jobs wait unrun, so states are deterministic.
const jobs = parkedJobsEnv();
beforeAll(async () => {
  server = await startTestServer({ CONTENT_MAX_CHARS: '2000', JSON_BODY_LIMIT_BYTES: '65536', ...jobs });
});
afterAll(async () => {
  await server?.stop();
  await dropPrefix(15, jobs.QUEUE_PREFIX);
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

async function create(c: Client, body: Record<string, unknown> = {}) {
  const res = await c.post('/v1/conversations', { title: 'Meeting notes', content: 'Discussion about Q1 goals...', ...body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

describe('POST /v1/conversations', () => {
  it('creates a conversation: 201 with the documented fields', async () => {
    const { client } = await newAccount(server);
    const res = await client.post('/v1/conversations', {
      title: 'Meeting notes',
      content: 'Discussion about Q1 goals...',
      source: 'api',
      metadata: { participants: ['john@example.com', 'jane@example.com'], date: '2024-01-01' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.body).toMatchObject({
      title: 'Meeting notes',
      content: 'Discussion about Q1 goals...',
      source: 'api',
      status: 'processing',
      summary: null,
      metadata: { participants: ['john@example.com', 'jane@example.com'], date: '2024-01-01' },
    });
    expect(res.body.id).toMatch(/^conv_[0-9a-z]{26}$/);
    expect(res.body.created_at).toMatch(ISO);
    expect(Object.keys(res.body)).toEqual([
      'id',
      'title',
      'content',
      'source',
      'status',
      'metadata',
      'created_at',
      'updated_at',
      'summary',
      'attachments',
    ]);
  });

  it('defaults source to api and metadata to {}', async () => {
    const { client } = await newAccount(server);
    const body = await create(client);
    expect(body.source).toBe('api');
    expect(body.metadata).toEqual({});
  });

  it('lists every bad field at once in a 422 validation_error', async () => {
    const { client } = await newAccount(server);
    const res = await client.post('/v1/conversations', { title: '', content: 'x'.repeat(2001), source: 'fax', metadata: [1] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.message).toBe('Validation failed');
    expect(Object.keys(res.body.error.details.fields).sort()).toEqual(['metadata', 'source']);
    const res2 = await client.post('/v1/conversations', { title: '', content: 'x'.repeat(2001) });
    expect(res2.status).toBe(422);
    expect(res2.body.error.details.fields).toEqual({
      title: ['Title is required'],
      content: ['Content must be less than 2000 characters'],
    });
  });

  it('requires title and content', async () => {
    const { client } = await newAccount(server);
    const res = await client.post('/v1/conversations', {});
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toEqual({ title: ['Title is required'], content: ['Content is required'] });
  });

  it('rejects a title over 500 characters and metadata over 16 KB', async () => {
    const { client } = await newAccount(server);
    const res = await client.post('/v1/conversations', { title: 't'.repeat(501), content: 'c', metadata: { blob: 'x'.repeat(17 * 1024) } });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.error.details.fields).sort()).toEqual(['metadata', 'title']);
  });

  it('rejects unknown body fields with 422 instead of ignoring them', async () => {
    const { client } = await newAccount(server);
    const res = await client.post('/v1/conversations', { title: 'a', content: 'b', tittle: 'typo', status: 'completed' });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toEqual({ tittle: ['Unknown field'], status: ['Unknown field'] });
  });

  it('answers malformed JSON with 400 bad_request', async () => {
    const { client } = await newAccount(server);
    const res = await client.request('POST', '/v1/conversations', '{"title": "a",', { 'Content-Type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
  });

  it('answers a JSON array or a non-JSON content type with the envelope', async () => {
    const { client } = await newAccount(server);
    const arr = await client.request('POST', '/v1/conversations', '[1,2]', { 'Content-Type': 'application/json' });
    expect(arr.status).toBe(400);
    const form = await client.request('POST', '/v1/conversations', 'title=a', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('unsupported_media_type');
  });

  it('answers a body over the JSON limit with 413 payload_too_large and stores nothing', async () => {
    const { client } = await newAccount(server);
    const res = await client.post('/v1/conversations', { title: 'big', content: 'x'.repeat(70_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    const list = await client.get('/v1/conversations');
    expect(list.body.meta.total).toBe(0);
  });
});

describe('GET /v1/conversations/{id}', () => {
  it('returns everything, including content and metadata', async () => {
    const { client } = await newAccount(server);
    const created = await create(client, { metadata: { a: 1 } });
    const res = await client.get(`/v1/conversations/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created);
  });

  it('answers unknown and malformed ids with 404 not_found', async () => {
    const { client } = await newAccount(server);
    for (const id of ['conv_01jzzzzzzzzzzzzzzzzzzzzzzz', 'nope', 'conv_', '%E0%A4%A']) {
      const res = await client.get(`/v1/conversations/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });
});

describe('PATCH /v1/conversations/{id}', () => {
  it('merges metadata (null removes a key), changes the title and moves updated_at', async () => {
    const { client } = await newAccount(server);
    const created = await create(client, { metadata: { participants: ['a@b.c'], date: '2024-01-01' } });
    await new Promise((r) => setTimeout(r, 5));
    const res = await client.patch(`/v1/conversations/${created.id}`, {
      title: 'Updated meeting notes',
      metadata: { reviewed: true, date: null },
    });
    expect(res.status).toBe(200);
    expect(res.body.title).toBe('Updated meeting notes');
    expect(res.body.metadata).toEqual({ participants: ['a@b.c'], reviewed: true });
    expect(res.body.content).toBe(created.content);
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
    expect(res.body.created_at).toBe(created.created_at);
  });

  it('sets status back to processing when content changes', async () => {
    const { client, account } = await newAccount(server);
    const created = await create(client);
    await server.running.app.db.query(`UPDATE conversations SET status = 'completed' WHERE id = $1 AND account_id = $2`, [
      created.id,
      account.id,
    ]);
    const titleOnly = await client.patch(`/v1/conversations/${created.id}`, { title: 'New title' });
    expect(titleOnly.body.status).toBe('completed');
    const res = await client.patch(`/v1/conversations/${created.id}`, { content: 'New content' });
    expect(res.body.status).toBe('processing');
    expect(res.body.content).toBe('New content');
  });

  it('metadata: null clears it; an empty body changes nothing', async () => {
    const { client } = await newAccount(server);
    const created = await create(client, { metadata: { a: 1 } });
    const same = await client.patch(`/v1/conversations/${created.id}`, {});
    expect(same.status).toBe(200);
    expect(same.body.updated_at).toBe(created.updated_at);
    const cleared = await client.patch(`/v1/conversations/${created.id}`, { metadata: null });
    expect(cleared.body.metadata).toEqual({});
  });

  it('validates every field, rejects unknown and null fields, keeps what was stored', async () => {
    const { client } = await newAccount(server);
    const created = await create(client);
    const res = await client.patch(`/v1/conversations/${created.id}`, { title: null, content: 'x'.repeat(2001) });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toEqual({
      title: ['Title cannot be null'],
      content: ['Content must be less than 2000 characters'],
    });
    const unknown = await client.patch(`/v1/conversations/${created.id}`, { source: 'email' });
    expect(unknown.body.error.details.fields).toEqual({ source: ['Unknown field'] });
    const big = await client.patch(`/v1/conversations/${created.id}`, { metadata: { blob: 'x'.repeat(17 * 1024) } });
    expect(big.status).toBe(422);
    const after = await client.get(`/v1/conversations/${created.id}`);
    expect(after.body).toEqual(created);
  });

  it('answers an unknown id with 404', async () => {
    const { client } = await newAccount(server);
    const res = await client.patch('/v1/conversations/conv_01jzzzzzzzzzzzzzzzzzzzzzzz', { title: 'x' });
    expect(res.status).toBe(404);
  });
});

describe('DELETE /v1/conversations/{id}', () => {
  it('deletes permanently and answers {deleted: true, id}', async () => {
    const { client } = await newAccount(server);
    const created = await create(client);
    const res = await client.delete(`/v1/conversations/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deleted: true, id: created.id });
    expect((await client.get(`/v1/conversations/${created.id}`)).status).toBe(404);
    expect((await client.delete(`/v1/conversations/${created.id}`)).status).toBe(404);
  });
});

describe('GET /v1/conversations', () => {
  it('pages newest first with data/meta/links; items omit content', async () => {
    const { client } = await newAccount(server);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create(client, { title: `c${i}` })).id);
    const res = await client.get('/v1/conversations?page=2&per_page=2');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['data', 'meta', 'links']);
    expect(res.body.data.map((c: any) => c.id)).toEqual([ids[2], ids[1]]);
    expect(Object.keys(res.body.data[0])).toEqual(['id', 'title', 'source', 'status', 'created_at', 'updated_at', 'summary']);
    expect(res.body.meta).toEqual({ page: 2, per_page: 2, total: 5, total_pages: 3 });
    expect(res.body.links).toEqual({
      first: `${server.url}/v1/conversations?page=1&per_page=2`,
      last: `${server.url}/v1/conversations?page=3&per_page=2`,
      prev: `${server.url}/v1/conversations?page=1&per_page=2`,
      next: `${server.url}/v1/conversations?page=3&per_page=2`,
    });
  });

  it('defaults to page 1 of 20 and keeps filters in links', async () => {
    const { client } = await newAccount(server);
    await create(client, { source: 'email' });
    await create(client, { source: 'whatsapp' });
    const res = await client.get('/v1/conversations?source=email&sort=created_at&status=processing');
    expect(res.body.meta).toEqual({ page: 1, per_page: 20, total: 1, total_pages: 1 });
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0].source).toBe('email');
    const first = new URL(res.body.links.first);
    expect(Object.fromEntries(first.searchParams)).toEqual({
      page: '1',
      per_page: '20',
      status: 'processing',
      source: 'email',
      sort: 'created_at',
    });
    expect(res.body.links.prev).toBeNull();
    expect(res.body.links.next).toBeNull();
  });

  it('filters by status and searches title and content', async () => {
    const { client, account } = await newAccount(server);
    const a = await create(client, { title: 'Pricing inquiry', content: 'How much is the pro plan?' });
    await create(client, { title: 'Hello', content: 'Refund for order 100%' });
    await server.running.app.db.query(`UPDATE conversations SET status = 'completed' WHERE id = $1 AND account_id = $2`, [
      a.id,
      account.id,
    ]);
    const completed = await client.get('/v1/conversations?status=completed');
    expect(completed.body.data.map((c: any) => c.id)).toEqual([a.id]);
    const byTitle = await client.get('/v1/conversations?search=pricing');
    expect(byTitle.body.data.map((c: any) => c.id)).toEqual([a.id]);
    const byContent = await client.get('/v1/conversations?search=100%25');
    expect(byContent.body.meta.total).toBe(1);
  });

  it('sorts by updated_at both ways', async () => {
    const { client } = await newAccount(server);
    const a = await create(client, { title: 'a' });
    const b = await create(client, { title: 'b' });
    await new Promise((r) => setTimeout(r, 5));
    await client.patch(`/v1/conversations/${a.id}`, { title: 'a2' });
    const desc = await client.get('/v1/conversations?sort=-updated_at');
    expect(desc.body.data.map((c: any) => c.id)).toEqual([a.id, b.id]);
    const asc = await client.get('/v1/conversations?sort=updated_at');
    expect(asc.body.data.map((c: any) => c.id)).toEqual([b.id, a.id]);
    const created = await client.get('/v1/conversations?sort=created_at');
    expect(created.body.data.map((c: any) => c.id)).toEqual([a.id, b.id]);
  });

  it('answers out-of-range and malformed parameters with 422, never a silent clamp', async () => {
    const { client } = await newAccount(server);
    const res = await client.get('/v1/conversations?per_page=101&page=0&sort=title');
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.error.details.fields).sort()).toEqual(['page', 'per_page', 'sort']);
    for (const q of ['per_page=abc', 'page=1.5', 'status=done', 'source=fax', 'per_page=1&per_page=2', 'unknown=1', 'search=']) {
      const r = await client.get(`/v1/conversations?${q}`);
      expect(r.status, q).toBe(422);
      expect(r.body.error.code).toBe('validation_error');
    }
  });

  it('reports the total past the last page', async () => {
    const { client } = await newAccount(server);
    await create(client);
    const res = await client.get('/v1/conversations?page=5');
    expect(res.body.data).toEqual([]);
    expect(res.body.meta).toEqual({ page: 5, per_page: 20, total: 1, total_pages: 1 });
    expect(res.body.links.next).toBeNull();
  });

  it('uses PUBLIC_URL for links when set', async () => {
    const other = await startTestServer({ PUBLIC_URL: 'https://api.example.com/' });
    try {
      const { client } = await newAccount(other);
      const res = await client.get('/v1/conversations?per_page=5');
      expect(res.body.links.first).toBe('https://api.example.com/v1/conversations?page=1&per_page=5');
    } finally {
      await other.stop();
    }
  });
});

describe('errors and routing', () => {
  it('answers unknown /v1 paths with a 404 envelope and wrong methods with 405', async () => {
    const { client } = await newAccount(server);
    const missing = await client.get('/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'not_found', message: expect.any(String), details: {} } });
    const wrong = await client.request('PUT', '/v1/conversations', '{}', { 'Content-Type': 'application/json' });
    expect(wrong.status).toBe(405);
    expect(wrong.body.error.code).toBe('method_not_allowed');
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it("blocks Sofa's built-in unauthenticated webhook routes", async () => {
    const { client } = await newAccount(server);
    for (const [method, path] of [
      ['POST', '/v1/webhook'],
      ['POST', '/v1/webhook/abc'],
      ['DELETE', '/v1/webhook/abc'],
    ] as const) {
      const res = await client.request(method, path, JSON.stringify({ subscription: 'x', url: 'http://169.254.169.254/' }), {
        'Content-Type': 'application/json',
      });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const anon = await fetch(`${server.url}/v1/webhook`, { method: 'POST', body: '{}' });
    expect(anon.status).toBe(404);
  });

  it('puts an X-Request-Id on every response, keeping a well-formed incoming one', async () => {
    const { client } = await newAccount(server);
    const a = await client.get('/v1/conversations');
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const b = await client.get('/v1/nothing', { 'X-Request-Id': 'trace-123' });
    expect(b.headers.get('x-request-id')).toBe('trace-123');
    const h = await fetch(`${server.url}/healthz`);
    expect(h.headers.get('x-request-id')).toBeTruthy();
  });

  it('serves health and readiness checks without a key', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: { status: 'ok' }, storage: { status: 'ok' } } });
  });
});
