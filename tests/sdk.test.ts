// The typed GraphQL client (sdk/) against a real server: operations from sdk/operations/*.graphql,
// typed answers, and errors thrown as AImyChatsError with the API's extensions.code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AImyChatsError,
  CreateApiKeyDocument,
  CreateConversationDocument,
  createClient,
  DeleteConversationDocument,
  GetAccountDocument,
  GetConversationDocument,
  GetSummaryDocument,
  ListConversationsDocument,
  ListConversationSummariesDocument,
  RegenerateSummaryDocument,
  SearchConversationsDocument,
  UpdateConversationDocument,
  type Client,
} from '../sdk/index.js';
import { eventually } from './helpers/jobs.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(); // jobs in process: summaries complete
});
afterAll(() => server?.stop());

async function sdkFor(): Promise<{ sdk: Client; email: string }> {
  const acc = await newAccount(server);
  return { sdk: createClient({ url: `${server.url}/graphql`, apiKey: acc.api_key }), email: acc.account.email };
}

/** The AImyChatsError a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<AImyChatsError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AImyChatsError);
  return e as AImyChatsError;
}

describe('typed GraphQL client', () => {
  it('creates, reads, lists, updates, searches, summarises and deletes conversations', async () => {
    const { sdk, email } = await sdkFor();
    const { createConversation: created } = await sdk.request(CreateConversationDocument, {
      title: 'Quarterly pricing review',
      content: 'Tom: can you send the pricing sheet?\nAnna: sure, tomorrow morning.',
      metadata: { participants: ['tom@example.com'] },
    });
    expect(created).toMatchObject({
      title: 'Quarterly pricing review',
      source: 'api',
      status: 'processing',
      summary: null,
      attachments: [],
    });
    expect(created.id).toMatch(/^conv_/);

    const { conversation } = await sdk.request(GetConversationDocument, { id: created.id });
    expect(conversation.metadata).toEqual({ participants: ['tom@example.com'] });

    const updated = await sdk.request(UpdateConversationDocument, {
      id: created.id,
      title: 'Pricing review (Q3)',
      metadata: { reviewed: true },
    });
    expect(updated.updateConversation.title).toBe('Pricing review (Q3)');
    expect(updated.updateConversation.metadata).toEqual({ participants: ['tom@example.com'], reviewed: true });

    const list = await sdk.request(ListConversationsDocument, { perPage: 5 });
    expect(list.conversations.meta).toMatchObject({ page: 1, perPage: 5, total: 1, totalPages: 1 });
    expect(list.conversations.data.map((c) => c.id)).toEqual([created.id]);
    // Variables may be left out when none is required.
    expect((await sdk.request(ListConversationsDocument)).conversations.meta.total).toBe(1);

    const hits = await sdk.request(SearchConversationsDocument, { query: 'pricing sheet' });
    expect(hits.searchConversations.data.map((h) => h.id)).toEqual([created.id]);
    expect(hits.searchConversations.data[0].snippet).toContain('<mark>');

    // The first summary completes in the background; then a regenerated one, polled by id.
    const first = await eventually(
      () => sdk.request(GetConversationDocument, { id: created.id }),
      (r) => r.conversation.status === 'completed',
    );
    expect(first.conversation.summary?.status).toBe('completed');
    const { regenerateSummary } = await sdk.request(RegenerateSummaryDocument, { conversationId: created.id, style: 'bullet_points' });
    expect(regenerateSummary).toMatchObject({ conversationId: created.id, status: 'processing', style: 'bullet_points' });
    const done = await eventually(
      () => sdk.request(GetSummaryDocument, { id: regenerateSummary.id }),
      (r) => r.summary.status !== 'processing',
    );
    expect(done.summary.status).toBe('completed');
    const history = await sdk.request(ListConversationSummariesDocument, { conversationId: created.id });
    expect(history.conversationSummaries.data[0].id).toBe(regenerateSummary.id);
    expect(history.conversationSummaries.meta.total).toBe(2);

    const { account } = await sdk.request(GetAccountDocument);
    expect(account.email).toBe(email);
    expect(account.apiUsage.requestsToday).toBeGreaterThan(0);

    expect((await sdk.request(DeleteConversationDocument, { id: created.id })).deleteConversation).toEqual({
      deleted: true,
      id: created.id,
    });
    expect((await failure(sdk.request(GetConversationDocument, { id: created.id }))).code).toBe('not_found');
  });

  it('throws typed errors carrying extensions.code, status and details', async () => {
    const { sdk } = await sdkFor();
    const missing = await failure(sdk.request(GetConversationDocument, { id: 'conv_01jzzzzzzzzzzzzzzzzzzzzzzz' }));
    expect(missing).toMatchObject({ code: 'not_found', message: 'Conversation not found' });

    const invalid = await failure(sdk.request(CreateConversationDocument, { title: '', content: 'x'.repeat(100_001) }));
    expect(invalid.code).toBe('validation_error');
    expect(Object.keys(invalid.details.fields as object).sort()).toEqual(['content', 'title']);

    // PostgreSQL cannot store U+0000: refused as the client's error, not an internal one (fuzz test finding).
    const nul = await failure(sdk.request(CreateConversationDocument, { title: 'a\u0000b', content: 'Tom: hi' }));
    expect(nul).toMatchObject({ code: 'validation_error', status: 200 });

    const badKey = createClient({ url: `${server.url}/graphql`, apiKey: 'amc_not_a_real_key' });
    const unauthorized = await failure(badKey.request(GetAccountDocument));
    expect(unauthorized).toMatchObject({ code: 'unauthorized', status: 401 });

    const nowhere = createClient({ url: `${server.url}/nothing-here`, apiKey: 'amc_x' });
    // Not GraphQL's answer but the HTTP layer's envelope: its code all the same.
    expect(await failure(nowhere.request(GetAccountDocument))).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('uses the fetch and headers it is given', async () => {
    const acc = await newAccount(server);
    const seen: { url: string; headers: Headers; body: string }[] = [];
    const sdk = createClient({
      url: `${server.url}/graphql`,
      apiKey: acc.api_key,
      headers: { 'X-Request-Id': 'sdk-test-1' },
      fetch: async (input, init) => {
        seen.push({ url: String(input), headers: new Headers(init?.headers), body: String(init?.body) });
        return fetch(input, init);
      },
    });
    const { createApiKey } = await sdk.request(CreateApiKeyDocument, { name: 'ci' });
    expect(createApiKey.key).toMatch(/^amc_/);
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe(`${server.url}/graphql`);
    expect(seen[0].headers.get('authorization')).toBe(`Bearer ${acc.api_key}`);
    expect(seen[0].headers.get('x-request-id')).toBe('sdk-test-1');
    expect(JSON.parse(seen[0].body)).toMatchObject({ query: expect.stringContaining('mutation CreateApiKey'), variables: { name: 'ci' } });
  });
});
