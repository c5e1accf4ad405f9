// The summary pipeline through REST and GraphQL, with BullMQ on a real Redis (workers in the server).
import { describe, expect, it } from 'vitest';
import { GetSummaryDocument, ListConversationSummariesDocument, RegenerateSummaryDocument } from '../sdk/index.js';
import { generateSummaryJob } from '../src/modules/summaries/summaries.jobs.js';
import { eventually, useBullServer } from './helpers/jobs.js';
import { newAccount, type Client } from './helpers/server.js';

const REDIS_DB = 1;
const server = useBullServer(REDIS_DB, 'summaries');

const CHAT = `Tom: Hi Anna, can you send me the pricing sheet for the professional plan?
Anna: Sure Tom, I will send it tomorrow morning.
Tom: Great, thanks! Also, could we schedule a demo next week?
Anna: Yes, I'll set up a demo on Tuesday.`;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

async function create(c: Client, body: Record<string, unknown> = {}) {
  const res = await c.post('/v1/conversations', { title: 'Pricing call', content: CHAT, ...body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

const settled = (s: { status: string }) => s.status !== 'processing';

async function finishedConversation(c: Client, id: string) {
  return (
    await eventually(
      () => c.get(`/v1/conversations/${id}`),
      (r) => r.body.status !== 'processing',
    )
  ).body;
}

async function finishedSummary(c: Client, id: string) {
  return (
    await eventually(
      () => c.get(`/v1/summaries/${id}`),
      (r) => settled(r.body),
    )
  ).body;
}

describe('automatic summaries', () => {
  it('summarizes a new conversation: processing, then completed with a summary', async () => {
    const { client } = await newAccount(server);
    const created = await create(client);
    expect(created).toMatchObject({ status: 'processing', summary: null });
    const done = await finishedConversation(client, created.id);
    expect(done.status).toBe('completed');
    expect(done.summary).toMatchObject({ sentiment: expect.stringMatching(/^(positive|neutral|negative)$/) });
    expect(done.summary.content).toMatch(/Tom|Anna/);
    expect(done.summary.topics.length).toBeLessThanOrEqual(8);
    expect(Array.isArray(done.summary.action_items)).toBe(true);

    const history = await client.get(`/v1/conversations/${created.id}/summaries`);
    expect(history.status).toBe(200);
    expect(history.body.meta).toEqual({ page: 1, per_page: 20, total: 1, total_pages: 1 });
    const [s] = history.body.data;
    expect(Object.keys(s).sort()).toEqual(
      [
        'action_items',
        'completed_at',
        'content',
        'conversation_id',
        'created_at',
        'error',
        'id',
        'language',
        'model',
        'provider',
        'sentiment',
        'status',
        'style',
        'title',
        'topics',
      ].sort(),
    );
    expect(s).toMatchObject({
      conversation_id: created.id,
      status: 'completed',
      style: 'concise',
      language: 'en',
      provider: 'local',
      model: null,
      error: null,
    });
    expect(s.id).toMatch(/^summary_[0-9a-z]{26}$/);
    expect(s.completed_at).toMatch(ISO);
    expect(s.content).toBe(done.summary.content);
  });

  it('summarizes again when content changes; the conversation shows the newest version', async () => {
    const { client } = await newAccount(server);
    const created = await create(client);
    await finishedConversation(client, created.id);
    const patched = await client.patch(`/v1/conversations/${created.id}`, {
      content:
        'Maria: The shipment to Lisbon is delayed again. I am really disappointed.\nJoao: Sorry Maria, I will call the carrier today.',
    });
    expect(patched.body.status).toBe('processing');
    const done = await finishedConversation(client, created.id);
    expect(done.status).toBe('completed');
    expect(done.summary.content).toMatch(/Maria|Joao/);
    const history = await client.get(`/v1/conversations/${created.id}/summaries`);
    expect(history.body.data).toHaveLength(2);
    expect(history.body.data[0].content).toBe(done.summary.content);
    // A title or metadata change does not start a summary.
    await client.patch(`/v1/conversations/${created.id}`, { title: 'Shipment', metadata: { a: 1 } });
    expect((await client.get(`/v1/conversations/${created.id}/summaries`)).body.meta.total).toBe(2);
  });

  it('runs a job once when it is enqueued twice, and not again after it completed', async () => {
    const { client } = await newAccount(server);
    const created = await create(client);
    await finishedConversation(client, created.id);
    const [s] = (await client.get(`/v1/conversations/${created.id}/summaries`)).body.data;
    const jobs = server.running.app.jobs;
    await Promise.all([jobs.enqueue(generateSummaryJob, { summaryId: s.id }), jobs.enqueue(generateSummaryJob, { summaryId: s.id })]);
    const again = await client.get(`/v1/summaries/${s.id}`);
    expect(again.body).toEqual(s);

    const res = await client.post(`/v1/conversations/${created.id}/summaries`, { style: 'detailed' });
    await Promise.all([1, 2, 3].map(() => jobs.enqueue(generateSummaryJob, { summaryId: res.body.id })));
    const done = await finishedSummary(client, res.body.id);
    expect(done.status).toBe('completed');
    expect(await jobs.failedJobs('summaries')).not.toContainEqual(expect.objectContaining({ id: `summary.${res.body.id}` }));
  });
});

describe('POST /v1/conversations/{id}/summaries', () => {
  it('answers 202 with the pending summary, which then completes in the style and language asked', async () => {
    const { client } = await newAccount(server);
    const created = await create(client);
    await finishedConversation(client, created.id);
    const res = await client.post(`/v1/conversations/${created.id}/summaries`, { language: 'en', style: 'bullet_points' });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({
      conversation_id: created.id,
      status: 'processing',
      style: 'bullet_points',
      language: 'en',
      title: null,
      completed_at: null,
    });
    expect(res.body.id).toMatch(/^summary_/);
    expect(res.body.created_at).toMatch(ISO);

    const done = await finishedSummary(client, res.body.id);
    expect(done).toMatchObject({ id: res.body.id, status: 'completed', style: 'bullet_points', language: 'en', provider: 'local' });
    expect(done.content).toMatch(/^- /m);

    const history = await client.get(`/v1/conversations/${created.id}/summaries?per_page=1`);
    expect(history.body.meta).toEqual({ page: 1, per_page: 1, total: 2, total_pages: 2 });
    expect(history.body.data[0].id).toBe(res.body.id); // newest first
    expect(history.body.links.next).toBe(`${server.url}/v1/conversations/${created.id}/summaries?page=2&per_page=1`);
    const conv = await client.get(`/v1/conversations/${created.id}`);
    expect(conv.body.summary.content).toBe(done.content); // the newest completed summary is shown
  });

  it('defaults to concise and to the language detected for the conversation', async () => {
    const { client } = await newAccount(server);
    const created = await create(client, {
      content: 'Pierre: Bonjour Marie, peux-tu m’envoyer le contrat avant vendredi ?\nMarie: Oui, je te l’envoie demain matin sans faute.',
    });
    await finishedConversation(client, created.id);
    const res = await client.post(`/v1/conversations/${created.id}/summaries`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ style: 'concise', language: 'fr' });
  });

  it('answers 422 for an unknown style, a malformed language and unknown fields', async () => {
    const { client } = await newAccount(server);
    const created = await create(client);
    // `style` is an enum of the schema, checked at the door (like `source`); `language` in the service.
    const res = await client.post(`/v1/conversations/${created.id}/summaries`, { style: 'long', language: 'en' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details.fields).toEqual({ style: ['Style must be one of: concise, detailed, bullet_points'] });
    const lang = await client.post(`/v1/conversations/${created.id}/summaries`, { style: 'detailed', language: 'english' });
    expect(lang.status).toBe(422);
    expect(lang.body.error.details.fields).toEqual({ language: ['Language must be an ISO 639-1 code, e.g. en'] });
    for (const language of ['xx', 'e', 'en-US', '']) {
      const bad = await client.post(`/v1/conversations/${created.id}/summaries`, { language });
      expect(bad.status, language).toBe(422);
      expect(Object.keys(bad.body.error.details.fields)).toEqual(['language']);
    }
    const typo = await client.post(`/v1/conversations/${created.id}/summaries`, { styel: 'concise' });
    expect(typo.status).toBe(422);
    expect(typo.body.error.details.fields).toEqual({ styel: ['Unknown field'] });
    const history = await client.get(`/v1/conversations/${created.id}/summaries`);
    expect(history.body.meta.total).toBe(1); // nothing was started by the bad requests
  });

  it('answers 404 for a missing or malformed conversation id', async () => {
    const { client } = await newAccount(server);
    for (const id of ['conv_01jzzzzzzzzzzzzzzzzzzzzzzz', 'nope']) {
      const res = await client.post(`/v1/conversations/${id}/summaries`, { style: 'concise' });
      expect(res.status, id).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      expect((await client.get(`/v1/conversations/${id}/summaries`)).status).toBe(404);
    }
    for (const id of ['summary_01jzzzzzzzzzzzzzzzzzzzzzzz', 'conv_01jzzzzzzzzzzzzzzzzzzzzzzz', 'x']) {
      expect((await client.get(`/v1/summaries/${id}`)).status, id).toBe(404);
    }
  });
});

describe('tenant isolation', () => {
  it('hides every summary route from another account (404, never 403)', async () => {
    const owner = await newAccount(server);
    const other = await newAccount(server);
    const created = await create(owner.client);
    await finishedConversation(owner.client, created.id);
    const [s] = (await owner.client.get(`/v1/conversations/${created.id}/summaries`)).body.data;

    const regenerate = await other.client.post(`/v1/conversations/${created.id}/summaries`, { style: 'detailed' });
    expect(regenerate.status).toBe(404);
    expect((await other.client.get(`/v1/conversations/${created.id}/summaries`)).status).toBe(404);
    const one = await other.client.get(`/v1/summaries/${s.id}`);
    expect(one.status).toBe(404);
    expect(one.body.error.code).toBe('not_found');

    const gql = await other.client.gql(GetSummaryDocument, { id: s.id });
    expect(gql.errors?.[0].extensions.code).toBe('not_found');
    const gqlList = await other.client.gql(ListConversationSummariesDocument, { conversationId: created.id });
    expect(gqlList.errors?.[0].extensions.code).toBe('not_found');
    const gqlRegen = await other.client.gql(RegenerateSummaryDocument, { conversationId: created.id });
    expect(gqlRegen.errors?.[0].extensions.code).toBe('not_found');
    expect((await owner.client.get(`/v1/conversations/${created.id}/summaries`)).body.meta.total).toBe(1);
  });
});

describe('GraphQL', () => {
  it('regenerates, reads and lists summaries', async () => {
    const { client } = await newAccount(server);
    const created = await create(client);
    await finishedConversation(client, created.id);
    const regen = await client.gql(RegenerateSummaryDocument, { conversationId: created.id, style: 'detailed', language: 'EN' });
    expect(regen.errors).toBeUndefined();
    const pending = regen.data!.regenerateSummary;
    expect(pending).toMatchObject({ conversationId: created.id, status: 'processing', style: 'detailed', language: 'en' });

    const done = await eventually(
      () => client.gql(GetSummaryDocument, { id: pending.id }),
      (r) => r.data?.summary.status !== 'processing',
    );
    expect(done.data!.summary).toMatchObject({ id: pending.id, status: 'completed', provider: 'local' });
    expect(done.data!.summary.content).toBeTruthy();

    const list = await client.gql(ListConversationSummariesDocument, { conversationId: created.id, perPage: 10 });
    expect(list.data!.conversationSummaries.meta.total).toBe(2);
    expect(list.data!.conversationSummaries.data[0].id).toBe(pending.id);

    const bad = await client.gql(RegenerateSummaryDocument, { conversationId: created.id, language: 'english' });
    expect(bad.errors?.[0].extensions).toMatchObject({
      code: 'validation_error',
      details: { fields: { language: ['Language must be an ISO 639-1 code, e.g. en'] } },
    });
  });
});
