// Conditional reads on /v1 (docs/api.md, "ETag, If-None-Match, HEAD"): every GET route of the route
// table answers with an ETag derived from its body, If-None-Match → 304 without a body, and HEAD with
// the GET's headers and no body (it was a 405).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REST_ROUTES } from '../src/rest/routes.js';
import { etagOf, matchesIfNoneMatch } from '../src/rest/conditional.js';
import { eventually } from './helpers/jobs.js';
import { newAccount, startTestServer, type Client, type TestServer } from './helpers/server.js';

// It waits for a summary (a job) on a shared, busy machine.
vi.setConfig({ testTimeout: 120_000 });
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
});
afterAll(async () => {
  await server?.stop();
});

const ETAG = /^"[\w-]{27}"$/;
const CHAT = 'Tom: Can you send the pricing sheet?\nAnna: Sure, I will send it tomorrow.';

/** Everything the GET routes need an id of, for one account. */
async function resources(client: Client) {
  const conv = await client.post('/v1/conversations', { title: 'etag', content: CHAT });
  const summaries = await eventually(
    () => client.get(`/v1/conversations/${conv.body.id}/summaries`),
    (r) => r.body.data?.length > 0,
    90_000,
  );
  const exp = await client.post('/v1/exports', { format: 'csv' });
  // Nothing listens there and it hears of no event these tests cause.
  const hook = await client.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['export.failed'] });
  expect([conv.status, exp.status, hook.status]).toEqual([201, 202, 201]);
  // Settled, so that two reads in a row see the same body (a job finishing in between changes it).
  await eventually(
    () => client.get(`/v1/conversations/${conv.body.id}`),
    (r) => r.body.status !== 'processing',
    90_000,
  );
  await eventually(
    () => client.get(`/v1/exports/${exp.body.id}`),
    (r) => !['pending', 'processing'].includes(r.body.status),
    90_000,
  );
  return { id: { conversation: conv.body.id, summary: summaries.body.data[0].id, export: exp.body.id, webhook: hook.body.id } };
}

function concrete(path: string, id: Record<string, string>): string {
  return path
    .replace(/^\/conversations\/:id$/, `/conversations/${id.conversation}`)
    .replace(':conversation_id', id.conversation)
    .replace(/^\/summaries\/:id$/, `/summaries/${id.summary}`)
    .replace(/^\/exports\/:id$/, `/exports/${id.export}`)
    .replace(/^\/webhooks\/:id$/, `/webhooks/${id.webhook}`)
    .replace(':webhook_id', id.webhook);
}

describe('every GET route', () => {
  it("has an ETag (the body's hash), answers If-None-Match with 304 and HEAD with the same headers and no body", async () => {
    const { client } = await newAccount(server);
    const { id } = await resources(client);
    const paths = REST_ROUTES.filter((r) => r.method === 'GET').map((r) => `/v1${concrete(r.path, id)}`);
    expect(paths.some((p) => p.includes(':'))).toBe(false);
    for (const path of paths) {
      const get = await client.get(path);
      expect(get.status, path).toBe(200);
      const etag = get.headers.get('etag')!;
      expect(etag, path).toMatch(ETAG);
      expect(get.headers.get('cache-control'), path).toBe('private, no-cache');
      // The account's usage counter moves with every request: its ETag may change between two reads.
      if (!path.endsWith('/account/usage') && !path.endsWith('/account')) expect(etag, path).toBe(etagOf(get.text));

      const again = await client.get(path, { 'If-None-Match': etag });
      if (path.endsWith('/account/usage') || path.endsWith('/account')) {
        expect([200, 304], path).toContain(again.status);
      } else {
        expect(again.status, path).toBe(304);
        expect(again.text, path).toBe('');
        expect(again.headers.get('etag'), path).toBe(etag);
        expect(again.headers.get('content-type'), path).toBeNull();
      }

      const head = await client.request('HEAD', path);
      expect(head.status, path).toBe(200);
      expect(head.text, path).toBe('');
      expect(head.headers.get('content-type'), path).toBe(get.headers.get('content-type'));
      if (!path.startsWith('/v1/account')) {
        expect(head.headers.get('etag'), path).toBe(etag);
        expect(head.headers.get('content-length'), path).toBe(String(Buffer.byteLength(get.text)));
      }
    }
  });
});

describe('ETag follows the body', () => {
  it('a single resource: changes when it changes; the old tag then gets the new body', async () => {
    const { client } = await newAccount(server);
    const conv = await client.post('/v1/conversations', { title: 'before', content: CHAT });
    const path = `/v1/conversations/${conv.body.id}`;
    const first = await client.get(path);
    const patched = await client.patch(path, { title: 'after' });
    expect(patched.status).toBe(200);
    const second = await client.get(path, { 'If-None-Match': first.headers.get('etag')! });
    expect(second.status).toBe(200);
    expect(second.body.title).toBe('after');
    expect(second.headers.get('etag')).not.toBe(first.headers.get('etag'));
  });

  it('a list: changes when an item is added; query parameters are part of what is tagged', async () => {
    const { client } = await newAccount(server);
    const one = await client.post('/v1/conversations', { title: 'one', content: CHAT });
    // Its summary job changes the list (status) once: wait for it first.
    await eventually(
      () => client.get(`/v1/conversations/${one.body.id}`),
      (r) => r.body.status !== 'processing',
      90_000,
    );
    const list = await client.get('/v1/conversations');
    expect((await client.get('/v1/conversations', { 'If-None-Match': list.headers.get('etag')! })).status).toBe(304);
    const paged = await client.get('/v1/conversations?per_page=5');
    expect(paged.headers.get('etag')).not.toBe(list.headers.get('etag')); // its `links` differ
    const two = await client.post('/v1/conversations', { title: 'two', content: CHAT });
    expect(two.status).toBe(201);
    const after = await client.get('/v1/conversations', { 'If-None-Match': list.headers.get('etag')! });
    expect(after.status).toBe(200);
    expect(after.body.meta.total).toBe(2);
  });

  it('If-None-Match: a list of tags, weak tags and * match; another account never gets a 304 for a tag it guessed', async () => {
    const a = await newAccount(server);
    const b = await newAccount(server);
    const conv = await a.client.post('/v1/conversations', { title: 'mine', content: CHAT });
    const path = `/v1/conversations/${conv.body.id}`;
    await eventually(
      () => a.client.get(path),
      (r) => r.body.status !== 'processing',
      90_000,
    );
    const etag = (await a.client.get(path)).headers.get('etag')!;
    expect((await a.client.get(path, { 'If-None-Match': `"nope", W/${etag}` })).status).toBe(304);
    expect((await a.client.get(path, { 'If-None-Match': '*' })).status).toBe(304);
    expect((await a.client.get(path, { 'If-None-Match': '"nope"' })).status).toBe(200);
    const other = await b.client.get(path, { 'If-None-Match': etag });
    expect(other.status).toBe(404);
    const otherHead = await b.client.request('HEAD', path);
    expect(otherHead.status).toBe(404);
    expect(otherHead.text).toBe('');
  });
});

describe('HEAD and errors', () => {
  it('HEAD needs the API key like GET; 405s list HEAD wherever GET is allowed', async () => {
    const head = await fetch(`${server.url}/v1/conversations`, { method: 'HEAD' });
    expect(head.status).toBe(401);
    expect(await head.text()).toBe('');
    const { client } = await newAccount(server);
    const put = await client.request('PUT', '/v1/conversations', '{}', { 'Content-Type': 'application/json' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(put.body.error.details.allowed).toEqual(['GET', 'HEAD', 'POST']);
    // A POST-only route has no HEAD.
    const search = await client.request('HEAD', '/v1/conversations/search');
    expect(search.status).toBe(405);
    expect(search.headers.get('allow')).toBe('POST');
  });

  it('/v1/openapi.json has an ETag and answers HEAD and If-None-Match', async () => {
    const get = await fetch(`${server.url}/v1/openapi.json`);
    const etag = get.headers.get('etag')!;
    expect(etag).toBe(etagOf(await get.text()));
    expect((await fetch(`${server.url}/v1/openapi.json`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    const head = await fetch(`${server.url}/v1/openapi.json`, { method: 'HEAD' });
    expect(head.headers.get('etag')).toBe(etag);
    expect(await head.text()).toBe('');
  });
});

describe('If-None-Match parsing', () => {
  it('compares weakly, ignores junk', () => {
    expect(matchesIfNoneMatch('"a"', '"a"')).toBe(true);
    expect(matchesIfNoneMatch('W/"a"', '"a"')).toBe(true);
    expect(matchesIfNoneMatch(' "b" ,W/"a"', '"a"')).toBe(true);
    expect(matchesIfNoneMatch('"b", "c"', '"a"')).toBe(false);
    expect(matchesIfNoneMatch('a', '"a"')).toBe(false);
    expect(matchesIfNoneMatch('', '"a"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, '"a"')).toBe(false);
    expect(matchesIfNoneMatch(' * ', '"a"')).toBe(true);
  });
});
