// SUMMARY_PROVIDER=openai against a small OpenAI-compatible server started here (helpers/fake-openai):
// the request we send, structured output, retries on 429/5xx honouring Retry-After, permanent
// failures, malformed output, a hang (timeout), chunking of long conversations, and a slow older
// version losing to a newer one. Every case ends `completed` or `failed` with a reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOD_OUTPUT, startFakeOpenAi } from './helpers/fake-openai.js';
import { bullEnv, eventually, useBullServer } from './helpers/jobs.js';
import { newAccount, startTestServer, type Client } from './helpers/server.js';

const REDIS_DB = 3;
let fake: Awaited<ReturnType<typeof startFakeOpenAi>>;
let client: Client;

/** Server variables (besides bullEnv's) for the openai provider against the fake. */
const openAiEnv = (baseUrl: string, extra: Record<string, string> = {}) => ({
  JOB_ATTEMPTS: '2',
  JOB_BACKOFF_MS: '50',
  SUMMARY_PROVIDER: 'openai',
  OPENAI_BASE_URL: baseUrl,
  OPENAI_API_KEY: 'sk-test',
  OPENAI_MODEL: 'test-model',
  OPENAI_TIMEOUT_MS: '400',
  OPENAI_MAX_RETRIES: '1',
  OPENAI_CHUNK_CHARS: '1000',
  ...extra,
});

// Registered before the server's hooks: the fake is up before the server starts and closes after it stopped.
beforeAll(async () => {
  fake = await startFakeOpenAi();
});
afterAll(async () => {
  await fake?.close();
});
const server = useBullServer(REDIS_DB, 'openai', () => openAiEnv(fake.baseUrl));
beforeAll(async () => {
  client = (await newAccount(server)).client;
});

const CHAT = 'Tom: Hi Anna, can you send me the pricing sheet?\nAnna: Sure Tom, I will send it tomorrow.';
let seq = 0;

/** Creates a conversation whose provider requests follow `steps`; returns it with its script id. */
async function createScripted(steps: string, content = CHAT, c = client) {
  const id = `s${seq++}`;
  const res = await c.post('/v1/conversations', { title: `Call [[script:${id}:${steps}]]`, content });
  expect(res.status, res.text).toBe(201);
  return { conversation: res.body, script: id };
}

async function settle(id: string, c = client) {
  const conv = (
    await eventually(
      () => c.get(`/v1/conversations/${id}`),
      (r) => r.body.status !== 'processing',
      20_000,
    )
  ).body;
  const [latest] = (await c.get(`/v1/conversations/${id}/summaries`)).body.data;
  return { conv, latest };
}

describe('openai provider', () => {
  it('sends the model, the conversation and a JSON schema, and stores the validated output', async () => {
    const { conversation, script } = await createScripted('ok');
    const { conv, latest } = await settle(conversation.id);
    expect(conv.status).toBe('completed');
    expect(latest).toMatchObject({
      status: 'completed',
      provider: 'openai',
      model: 'test-model',
      title: GOOD_OUTPUT.title,
      content: GOOD_OUTPUT.content,
      sentiment: 'positive',
      topics: ['pricing sheet', 'demo'],
      action_items: GOOD_OUTPUT.action_items,
      language: 'en',
      error: null,
    });
    const [req] = fake.requestsFor(script);
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body.model).toBe('test-model');
    expect(req.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(req.body.messages[1].content).toContain(CHAT);
    expect(req.body.response_format.type).toBe('json_schema');
    expect(req.body.response_format.json_schema.strict).toBe(true);
    expect(req.body.response_format.json_schema.schema.required).toEqual([
      'title',
      'content',
      'sentiment',
      'topics',
      'action_items',
      'language',
    ]);
  });

  it('honours language and style in the prompt', async () => {
    const { conversation, script } = await createScripted('ok');
    await settle(conversation.id);
    const res = await client.post(`/v1/conversations/${conversation.id}/summaries`, { language: 'fr', style: 'bullet_points' });
    expect(res.status).toBe(202);
    const done = (
      await eventually(
        () => client.get(`/v1/summaries/${res.body.id}`),
        (r) => r.body.status !== 'processing',
      )
    ).body;
    expect(done).toMatchObject({ status: 'completed', language: 'fr', style: 'bullet_points' });
    const system = fake.requestsFor(script).at(-1)!.body.messages[0].content as string;
    expect(system).toContain('"fr"');
    expect(system).toMatch(/bullet points/);
  });

  it('retries a 429 after the time Retry-After asks, then completes', async () => {
    const { conversation, script } = await createScripted('429,ok');
    const { conv } = await settle(conversation.id);
    expect(conv.status).toBe('completed');
    const reqs = fake.requestsFor(script);
    expect(reqs).toHaveLength(2);
    expect(reqs[1].at - reqs[0].at).toBeGreaterThanOrEqual(900); // Retry-After: 1
  });

  it('retries a 500, then completes', async () => {
    const { conversation, script } = await createScripted('500,ok');
    expect((await settle(conversation.id)).conv.status).toBe('completed');
    expect(fake.requestsFor(script)).toHaveLength(2);
  });

  it('fails at once, with the reason, on a permanent error (400)', async () => {
    const { conversation, script } = await createScripted('400');
    const { conv, latest } = await settle(conversation.id);
    expect(conv.status).toBe('failed');
    expect(conv.summary).toBeNull();
    expect(latest.status).toBe('failed');
    expect(latest.error).toMatch(/answered 400.*Invalid model/);
    expect(fake.requestsFor(script)).toHaveLength(1);
  });

  it('fails with the reason when 5xx persists after every retry', async () => {
    const { conversation, script } = await createScripted('500');
    const { conv, latest } = await settle(conversation.id);
    expect(conv.status).toBe('failed');
    expect(latest.error).toMatch(/answered 500/);
    expect(fake.requestsFor(script)).toHaveLength(4); // (1 + OPENAI_MAX_RETRIES) × JOB_ATTEMPTS
  });

  it('fails with the reason when the model keeps returning malformed JSON', async () => {
    const { conversation, script } = await createScripted('malformed');
    const { latest } = await settle(conversation.id);
    expect(latest).toMatchObject({ status: 'failed', error: 'The model returned malformed JSON' });
    expect(fake.requestsFor(script)).toHaveLength(2); // one per job attempt
  });

  it('times out a request that hangs, and fails instead of staying processing', async () => {
    const { conversation, script } = await createScripted('hang');
    const { conv, latest } = await settle(conversation.id);
    expect(conv.status).toBe('failed');
    expect(latest.error).toBe('The OpenAI-compatible API did not answer in time');
    expect(fake.requestsFor(script)).toHaveLength(4);
  });

  it('summarizes a conversation over the budget in chunks and merges them', async () => {
    const line = 'Tom: We should review the budget for the Lisbon office and confirm the hiring plan.\n';
    const content = line.repeat(30); // ≈ 2,500 characters, chunks of ≤ 1,000
    const { conversation, script } = await createScripted('ok', content);
    expect((await settle(conversation.id)).conv.status).toBe('completed');
    const reqs = fake.requestsFor(script);
    expect(reqs).toHaveLength(4); // 3 parts + 1 merge
    for (const r of reqs.slice(0, 3)) {
      expect(r.body.messages[0].content).toMatch(/part \d of 3/);
      expect(r.body.messages[1].content.length).toBeLessThan(1200);
    }
    const merge = reqs[3].body.messages;
    expect(merge[0].content).toMatch(/^You are given JSON summaries of consecutive parts/);
    expect(JSON.parse(merge[1].content).parts).toHaveLength(3);
  });
});

describe('an older content version finishing last', () => {
  it("is kept in the history but never becomes the conversation's summary", async () => {
    const slow = await startTestServer(bullEnv(REDIS_DB, server.prefix, openAiEnv(fake.baseUrl, { OPENAI_TIMEOUT_MS: '20000' })));
    try {
      const c = (await newAccount(slow)).client;
      const { conversation, script } = await createScripted('hold,ok', CHAT, c);
      // Version 1's request is being answered slowly; the content changes meanwhile.
      await eventually(
        async () => fake.isHeld(script),
        (h) => h,
      );
      await c.patch(`/v1/conversations/${conversation.id}`, {
        content: 'Maria: The Lisbon shipment is late.\nJoao: I will call the carrier.',
      });
      const newer = await eventually(
        () => c.get(`/v1/conversations/${conversation.id}`),
        (r) => r.body.status !== 'processing',
      );
      expect(newer.body.status).toBe('completed');
      expect(newer.body.summary.content).toBe(GOOD_OUTPUT.content);

      expect(fake.release(script)).toBe(true);
      const history = await eventually(
        () => c.get(`/v1/conversations/${conversation.id}/summaries`),
        (r) => r.body.data.every((s: { status: string }) => s.status !== 'processing'),
      );
      const [v2, v1] = history.body.data;
      expect(v1).toMatchObject({ status: 'completed', content: 'Held summary of the first version.' });
      expect(v2).toMatchObject({ status: 'completed', content: GOOD_OUTPUT.content });
      const after = await c.get(`/v1/conversations/${conversation.id}`);
      expect(after.body).toMatchObject({ status: 'completed', summary: { content: GOOD_OUTPUT.content } });
    } finally {
      await slow.stop();
    }
  }, 40_000);
});
