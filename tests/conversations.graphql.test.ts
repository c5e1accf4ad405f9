// The same capability through /graphql, with the typed SDK's documents (sdk/operations/*.graphql).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateConversationDocument,
  DeleteConversationDocument,
  GetConversationDocument,
  ListConversationsDocument,
  UpdateConversationDocument,
} from '../sdk/index.js';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
// Summaries are tested in summaries*.test.ts; here their jobs wait unrun, so states are deterministic.
const jobs = parkedJobsEnv();
beforeAll(async () => {
  server = await startTestServer(jobs);
});
afterAll(async () => {
  await server?.stop();
  await dropPrefix(15, jobs.QUEUE_PREFIX);
});

describe('GraphQL conversations', () => {
  it('creates, reads, lists, updates and deletes', async () => {
    const { client } = await newAccount(server);
    const created = await client.gql(CreateConversationDocument, {
      title: 'Call with Tom',
      content: 'Tom: can you send the pricing sheet?\nAnna: sure, tomorrow.',
      source: 'whatsapp',
      metadata: { participants: ['Tom', 'Anna'] },
    });
    expect(created.errors).toBeUndefined();
    const conv = created.data!.createConversation;
    expect(conv).toMatchObject({
      title: 'Call with Tom',
      source: 'whatsapp',
      status: 'processing',
      summary: null,
      metadata: { participants: ['Tom', 'Anna'] },
    });
    expect(conv.id).toMatch(/^conv_/);

    const got = await client.gql(GetConversationDocument, { id: conv.id });
    expect(got.data!.conversation).toEqual(conv);

    const list = await client.gql(ListConversationsDocument, { perPage: 1, source: 'whatsapp' });
    expect(list.data!.conversations.meta).toEqual({ page: 1, perPage: 1, total: 1, totalPages: 1 });
    expect(list.data!.conversations.data[0].id).toBe(conv.id);
    expect(list.data!.conversations.links.first).toBe(`${server.url}/v1/conversations?page=1&per_page=1&source=whatsapp`);

    const updated = await client.gql(UpdateConversationDocument, { id: conv.id, metadata: { participants: null, reviewed: true } });
    expect(updated.data!.updateConversation.metadata).toEqual({ reviewed: true });

    const deleted = await client.gql(DeleteConversationDocument, { id: conv.id });
    expect(deleted.data!.deleteConversation).toEqual({ deleted: true, id: conv.id });
    const gone = await client.gql(GetConversationDocument, { id: conv.id });
    expect(gone.errors![0].extensions.code).toBe('not_found');
  });

  it('loads content and metadata of list items only when asked', async () => {
    const { client } = await newAccount(server);
    await client.gql(CreateConversationDocument, { title: 'a', content: 'alpha', metadata: { k: 1 } });
    await client.gql(CreateConversationDocument, { title: 'b', content: 'beta' });
    const res = await client.request('POST', '/graphql', { query: '{ conversations { data { title content metadata } } }' });
    expect(res.body.data.conversations.data).toEqual([
      { title: 'b', content: 'beta', metadata: {} },
      { title: 'a', content: 'alpha', metadata: { k: 1 } },
    ]);
  });

  it('uses the public error codes in extensions.code', async () => {
    const { client } = await newAccount(server);
    const invalid = await client.gql(CreateConversationDocument, { title: '', content: 'x' });
    expect(invalid.errors![0].extensions).toEqual({ code: 'validation_error', details: { fields: { title: ['Title is required'] } } });
    const range = await client.gql(ListConversationsDocument, { perPage: 101, sort: 'nope' });
    expect(range.errors![0].extensions.code).toBe('validation_error');
    expect(Object.keys(range.errors![0].extensions.details.fields).sort()).toEqual(['perPage', 'sort']);
    const malformed = await client.gql(GetConversationDocument, { id: 'not-an-id' });
    expect(malformed.errors![0].extensions.code).toBe('not_found');
    const nullTitle = await client.gql(UpdateConversationDocument, { id: 'conv_01jzzzzzzzzzzzzzzzzzzzzzzz', title: null });
    expect(nullTitle.errors![0].extensions.code).toMatch(/validation_error|not_found/);
  });

  it('answers syntax errors and bad variables with bad_request / validation_error', async () => {
    const { client } = await newAccount(server);
    const syntax = await client.request('POST', '/graphql', { query: '{ conversations {' });
    expect(syntax.body.errors[0].extensions.code).toBe('bad_request');
    const unknownField = await client.request('POST', '/graphql', { query: '{ nope }' });
    expect(unknownField.body.errors[0].extensions.code).toBe('bad_request');
    const badVar = await client.request('POST', '/graphql', {
      query: 'query($p: Int) { conversations(perPage: $p) { meta { total } } }',
      variables: { p: 'abc' },
    });
    expect(badVar.body.errors[0].extensions.code).toBe('validation_error');
  });

  it('requires an API key for operations: 401 with code unauthorized', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ conversations { meta { total } } }' }),
    });
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.errors[0].extensions.code).toBe('unauthorized');
  });

  it('serves GraphiQL to a browser without a key', async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/graphiql/i);
  });
});

describe('GraphQL request limits', () => {
  it('answers a body over the JSON limit with 413 and a chunked body with 411', async () => {
    const { api_key } = await newAccount(server);
    const big = JSON.stringify({ query: `{ conversations { meta { total } } }`, variables: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api_key}`, 'Content-Type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe('payload_too_large');
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"query":"{ __typename }"}'));
        c.close();
      },
    });
    const chunked = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api_key}`, 'Content-Type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(411);
  });
});
