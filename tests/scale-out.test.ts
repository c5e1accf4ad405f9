// The scale-out path (issue 9, item 1; docs/spec/product.md §13) with real processes: two API instances
// (src/main.ts, RUN_WORKERS=false) and two worker processes (src/worker.ts) over one PostgreSQL database
// and one Redis database (a private QUEUE_PREFIX). Requests go to both APIs, jobs run on both workers
// (told apart by the pid in their logs), every conversation is summarized exactly once, a subscriber
// on one API hears what the other API and the workers did, and both APIs count against one rate limit.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeOpenAi } from './helpers/fake-openai.js';
import { bullEnv, dropPrefix, eventually, uniquePrefix } from './helpers/jobs.js';
import { accountOn, killAll, startApi, startWorker, stopProcess, type ApiProcess, type NodeProcess } from './helpers/processes.js';
import { client, type Client } from './helpers/server.js';
import { sse } from './helpers/sse.js';

const REDIS_DB = 10;
const prefix = uniquePrefix('scale');
const CHAT = 'Tom: Can you send the pricing sheet?\nAnna: Sure, I will send it tomorrow.';
const PLANS_JSON = JSON.stringify({
  roomy: { storageLimitMb: 100, requestsPerDay: 1_000_000, requestsPerMinute: 1_000_000 },
  capped: { storageLimitMb: 100, requestsPerDay: 6, requestsPerMinute: 1_000 },
});

let fake: Awaited<ReturnType<typeof startFakeOpenAi>>;
let apis: ApiProcess[];
let workers: NodeProcess[];
let env: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  env = {
    DATABASE_URL: inject('databaseUrl'),
    ...bullEnv(REDIS_DB, prefix, {
      RATE_LIMITS_ENABLED: 'true',
      PLANS_JSON,
      // One job at a time per worker: a held job proves that the other worker took the next one.
      WORKER_CONCURRENCY: '1',
      SUMMARY_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_MODEL: 'test-model',
    }),
  };
  const started = await Promise.all([
    startApi({ ...env, RUN_WORKERS: 'false' }),
    startApi({ ...env, RUN_WORKERS: 'false' }),
    startWorker(env),
    startWorker(env),
  ]);
  apis = started.slice(0, 2) as ApiProcess[];
  workers = started.slice(2);
}, 180_000);

afterAll(async () => {
  await Promise.all([...(apis ?? []), ...(workers ?? [])].map((p) => stopProcess(p)));
  await killAll();
  await fake?.close();
  await dropPrefix(REDIS_DB, prefix);
});

const summariesOf = async (c: Client, id: string) =>
  (await c.get(`/v1/conversations/${id}/summaries`)).body.data as { id: string; status: string }[];

describe('two APIs and two workers on one PostgreSQL and Redis', () => {
  it('spreads requests over both APIs and jobs over both workers, and summarizes every conversation exactly once', async () => {
    const account = await accountOn(env.DATABASE_URL, apis[0].url, 'roomy', env);
    const via = apis.map((a) => client(a.url, account.api_key));

    // Two summaries whose provider calls are held: each worker runs one job at a time, so both are
    // held only once each worker has taken one.
    const scripts = [`hold${Date.now()}a`, `hold${Date.now()}b`];
    const held = await Promise.all(
      scripts.map((s, i) => via[i].post('/v1/conversations', { title: `Held ${i}`, content: `Tom: hi [[script:${s}:hold]]\nAnna: hello` })),
    );
    expect(
      await eventually(
        async () => scripts.every((s) => fake.isHeld(s)),
        (h) => h,
        60_000,
      ),
    ).toBe(true);
    // More work, created alternately through both APIs while both workers are busy.
    const more = [];
    for (let i = 0; i < 10; i++) more.push(await via[i % 2].post('/v1/conversations', { title: `Call ${i}`, content: CHAT }));
    for (const s of scripts) fake.release(s);
    const ids = [...held, ...more].map((r) => {
      expect(r.status).toBe(201);
      return r.body.id as string;
    });

    for (const [i, id] of ids.entries()) {
      const done = await eventually(
        () => via[i % 2].get(`/v1/conversations/${id}`),
        (r) => r.body.status !== 'processing',
        60_000,
      );
      expect(done.body.status, id).toBe('completed');
    }

    // Both APIs served this account's writes (their own request logs say so).
    for (const api of apis) {
      const writes = api
        .logs()
        .filter((l) => l.msg === 'request' && l.accountId === account.account.id && l.method === 'POST' && l.status === 201);
      expect(writes.length).toBe(6);
    }

    // Which worker ran what: each summary job is logged as completed by exactly one worker, and both worked.
    const summaryIds = await Promise.all(
      ids.map(async (id, i) => {
        const history = await summariesOf(via[i % 2], id);
        expect(history.map((s) => s.status)).toEqual(['completed']);
        return history[0].id;
      }),
    );
    const ranBy = new Map<string, number[]>();
    for (const w of workers) {
      for (const l of w.logs()) {
        if (l.msg === 'job completed' && l.job === 'summary.generate')
          ranBy.set(String(l.jobId), [...(ranBy.get(String(l.jobId)) ?? []), l.pid]);
      }
    }
    const pids = new Set<number>();
    for (const sid of summaryIds) {
      expect(ranBy.get(`summary.${sid}`), sid).toHaveLength(1);
      pids.add(ranBy.get(`summary.${sid}`)![0]);
    }
    expect([...pids].sort()).toEqual(workers.map((w) => w.pid).sort());

    // Exactly once in the outbox too: one summary.generated event per conversation.
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ conversation_id: string; n: number }>(
        `SELECT data->>'conversation_id' AS conversation_id, count(*)::int AS n FROM events
          WHERE account_id = $1 AND type = 'summary.generated' GROUP BY 1`,
        [account.account.id],
      );
      expect(new Map(rows.map((r) => [r.conversation_id, r.n]))).toEqual(new Map(ids.map((id) => [id, 1])));
    } finally {
      await db.end();
    }
  }, 180_000);

  it('shares subscriptions: a subscriber on one API hears what the other API and the workers did', async () => {
    const account = await accountOn(env.DATABASE_URL, apis[0].url, 'roomy', env);
    const onB = client(apis[1].url, account.api_key);
    const stream = await sse(apis[0].url, account.api_key, 'subscription { conversationEvents { type conversationId } }');
    expect(stream.status).toBe(200);
    try {
      const eventsFor = (id: string) =>
        stream.items
          .map((it) => it?.data?.conversationEvents)
          .filter((e) => e?.conversationId === id)
          .map((e) => e.type);
      // The subscription starts asynchronously: create throwaway conversations on B until A relays one.
      let primed = false;
      for (let i = 0; i < 40 && !primed; i++) {
        const probe = await onB.post('/v1/conversations', { title: 'probe', content: CHAT });
        primed = await eventually(
          async () => eventsFor(probe.body.id).length > 0,
          (s) => s,
          500,
        );
      }
      expect(primed).toBe(true);

      const created = (await onB.post('/v1/conversations', { title: 'Across instances', content: CHAT })).body;
      const types = await eventually(
        async () => eventsFor(created.id),
        (t) => t.includes('summary.generated'),
        60_000,
      );
      expect(types[0]).toBe('conversation.created'); // published by API B
      expect(types).toContain('summary.generated'); // published by a worker
    } finally {
      stream.close();
    }
  }, 120_000);

  it('shares rate limits: requests to both APIs count against one limit', async () => {
    const account = await accountOn(env.DATABASE_URL, apis[0].url, 'capped', env);
    const via = apis.map((a) => client(a.url, account.api_key));
    // The plan allows 6 requests a day; they alternate between the APIs.
    const remaining: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await via[i % 2].get('/v1/conversations');
      expect(r.status).toBe(200);
      remaining.push(r.headers.get('x-ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['5', '4', '3', '2', '1', '0']);
    for (const c of via) {
      const refused = await c.get('/v1/conversations');
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('rate_limit_exceeded');
      expect(refused.body.error.details.window).toBe('day');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  }, 60_000);
});
