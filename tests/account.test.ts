// GET /v1/account and /v1/account/usage (and GraphQL `account`, `usage`): exact shapes, storage that
// agrees with what is stored, requests counted as soon as answered (before and after a flush to
// PostgreSQL, with Redis and without), clean shutdown losing no count, 422s, and one account never
// seeing another's figures.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPostgres } from '../src/lib/db.js';
import { createLogger } from '../src/lib/logger.js';
import { dropPrefix, parkedJobsEnv, REDIS_BASE } from './helpers/jobs.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

const REDIS_DB = 8;
// Jobs parked (conversations stay `processing`), counts kept in Redis database 8 under a private prefix;
// no timed flush during the tests (they flush on purpose).
const jobs = parkedJobsEnv(REDIS_DB);
const env = { ...jobs, USAGE_FLUSH_INTERVAL_MS: '3600000', CONTENT_MAX_CHARS: '600000' };

let server: TestServer;
let memoryServer: TestServer; // no REDIS_URL: counts and limits in the process
beforeAll(async () => {
  [server, memoryServer] = await Promise.all([startTestServer(env), startTestServer({ USAGE_FLUSH_INTERVAL_MS: '3600000' })]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), memoryServer?.stop()]);
  await dropPrefix(REDIS_DB, jobs.QUEUE_PREFIX);
});

const MB = 1024 * 1024;
const today = () => new Date().toISOString().slice(0, 10);
const monthBounds = () => {
  const now = new Date();
  const from = `${now.toISOString().slice(0, 7)}-01`;
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
  return { from, to };
};
const ZERO_ENDPOINTS = {
  '/conversations': 0,
  '/search': 0,
  '/summaries': 0,
  '/attachments': 0,
  '/exports': 0,
  '/webhooks': 0,
  '/account': 0,
  '/graphql': 0,
};

describe('GET /v1/account', () => {
  it("answers the reference shape, with storage as stored and the plan's limits", async () => {
    const { account, client } = await newAccount(server, 'professional');
    // 0.5 MB of content exactly, plus title and metadata as PostgreSQL stores them.
    const created = await client.post('/v1/conversations', { title: 'Big', content: 'x'.repeat(MB / 2), metadata: { k: 'v' } });
    expect(created.status).toBe(201);
    const expectedBytes = MB / 2 + 'Big'.length + '{"k": "v"}'.length; // jsonb's text form
    const res = await client.get('/v1/account');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: account.id,
      email: account.email,
      plan: 'professional',
      storage: { used_mb: Math.round((expectedBytes / MB) * 100) / 100, limit_mb: 200 },
      api_usage: { requests_today: 2, limit_per_day: 5000 },
      created_at: account.created_at,
    });
    expect(res.body.storage.used_mb).toBe(0.5);

    const gql = await client.request('POST', '/graphql', {
      query: '{ account { id email plan storage { usedMb limitMb } apiUsage { requestsToday limitPerDay } createdAt } }',
    });
    expect(gql.body).toEqual({
      data: {
        account: {
          id: account.id,
          email: account.email,
          plan: 'professional',
          storage: { usedMb: 0.5, limitMb: 200 },
          apiUsage: { requestsToday: 3, limitPerDay: 5000 },
          createdAt: account.created_at,
        },
      },
    });
  });

  for (const [name, which] of [
    ['Redis', () => server],
    ['in-process', () => memoryServer],
  ] as const) {
    it(`counts every answered request at once, before and after a flush (${name})`, async () => {
      const s = which();
      const { client } = await newAccount(s);
      for (let i = 1; i <= 3; i++) {
        const res = await client.get('/v1/account');
        expect(res.body.api_usage.requests_today).toBe(2 * i - 1); // the previous GETs, the lists, and this one
        expect((await client.get('/v1/conversations')).status).toBe(200);
      }
      await s.running.app.accounting.flush();
      expect((await client.get('/v1/account')).body.api_usage.requests_today).toBe(7);
      await client.get('/v1/conversations');
      await s.running.app.accounting.flush();
      await client.get('/v1/conversations');
      expect((await client.get('/v1/account')).body.api_usage.requests_today).toBe(10);
    });
  }

  it('does not answer without a key, and counts nothing for it', async () => {
    const res = await fetch(`${server.url}/v1/account`);
    expect(res.status).toBe(401);
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('GET /v1/account/usage', () => {
  it('reports a known sequence of requests by endpoint group, conversations by source and storage by type', async () => {
    const { client } = await newAccount(server);
    const a = await client.post('/v1/conversations', { title: 'A', content: 'Hello', source: 'email' });
    await client.post('/v1/conversations', { title: 'B', content: 'World', source: 'email' });
    await client.post('/v1/conversations', { title: 'C', content: 'Again' });
    await client.get('/v1/conversations');
    await client.get(`/v1/conversations/${a.body.id}`);
    await client.post('/v1/conversations/search', { query: 'hello' });
    await client.get(`/v1/conversations/${a.body.id}/summaries`);
    await client.get('/v1/summaries/summary_01jzzzzzzzzzzzzzzzzzzzzzzz'); // a 404 is still an answered request
    await client.get('/v1/api_keys');
    await client.get('/v1/account');
    await client.request('POST', '/graphql', { query: '{ conversations { meta { total } } }' });
    await client.get('/v1/nowhere'); // unknown route: not counted (no route, no account)

    const res = await client.get('/v1/account/usage');
    expect(res.status).toBe(200);
    const storageBytes = ['A', 'B', 'C'].length + 'HelloWorldAgain'.length + 3 * '{}'.length;
    expect(res.body).toEqual({
      period: monthBounds(),
      conversations: { total: 3, by_source: { email: 2, whatsapp: 0, api: 1 } },
      storage: {
        total_mb: Math.round((storageBytes / MB) * 100) / 100,
        by_type: { conversations: Math.round((storageBytes / MB) * 100) / 100, attachments: 0, exports: 0 },
      },
      api_requests: {
        total: 12,
        by_endpoint: { ...ZERO_ENDPOINTS, '/conversations': 5, '/search': 1, '/summaries': 2, '/account': 3, '/graphql': 1 },
        by_client: {}, // API-key requests only: no OAuth app (tests/oauth.test.ts has one)
      },
    });

    // The same figures through GraphQL (which counts itself, under /graphql), and after a flush.
    await server.running.app.accounting.flush();
    const gql = await client.request('POST', '/graphql', {
      query: `{ usage { period { from to } conversations { total bySource { email whatsapp api } }
                storage { totalMb byType { conversations attachments exports } } apiRequests { total byEndpoint } } }`,
    });
    expect(gql.body.data.usage).toEqual({
      period: monthBounds(),
      conversations: { total: 3, bySource: { email: 2, whatsapp: 0, api: 1 } },
      storage: { totalMb: res.body.storage.total_mb, byType: res.body.storage.by_type },
      apiRequests: { total: 13, byEndpoint: { ...res.body.api_requests.by_endpoint, '/graphql': 2 } },
    });
  });

  it('takes a period of whole UTC days, dates or timestamps, defaulting to the month of the date given', async () => {
    const { client } = await newAccount(server);
    await client.post('/v1/conversations', { title: 'Now', content: 'Counted today' });
    const t = today();
    const day = await client.get(`/v1/account/usage?from=${t}&to=${t}`);
    expect(day.body.period).toEqual({ from: t, to: t });
    expect(day.body.conversations.total).toBe(1);
    expect(day.body.api_requests.total).toBe(2);

    const stamps = await client.get(`/v1/account/usage?from=${encodeURIComponent(`${t}T23:59:59+00:00`)}&to=${t}T00:00:00.000Z`);
    expect(stamps.body.period).toEqual({ from: t, to: t });

    const past = await client.get('/v1/account/usage?from=2024-02-10');
    expect(past.status).toBe(200);
    expect(past.body.period).toEqual({ from: '2024-02-10', to: '2024-02-29' });
    expect(past.body.conversations.total).toBe(0);
    expect(past.body.api_requests).toEqual({ total: 0, by_endpoint: ZERO_ENDPOINTS, by_client: {} });
    expect((await client.get('/v1/account/usage?to=2024-02-10')).body.period).toEqual({ from: '2024-02-01', to: '2024-02-10' });
    // A whole leap year is 366 days: allowed.
    expect((await client.get('/v1/account/usage?from=2024-01-01&to=2024-12-31')).status).toBe(200);
  });

  it('answers 422 naming the fields for malformed dates, from after to, and periods over 366 days', async () => {
    const { client } = await newAccount(server);
    const cases: [string, Record<string, string[]>][] = [
      [
        'from=yesterday&to=2024-13-01',
        {
          from: ['From must be a date (YYYY-MM-DD) or an ISO 8601 timestamp'],
          to: ['To must be a date (YYYY-MM-DD) or an ISO 8601 timestamp'],
        },
      ],
      ['from=2024-02-30', { from: ['From must be a date (YYYY-MM-DD) or an ISO 8601 timestamp'] }],
      ['from=2024-03-02&to=2024-03-01', { from: ['From must not be after to'] }],
      ['from=2024-01-01&to=2025-01-01', { to: ['The period must be at most 366 days'] }],
      ['since=2024-01-01', { since: ['Unknown parameter'] }],
    ];
    for (const [query, fields] of cases) {
      const res = await client.get(`/v1/account/usage?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.body, query).toEqual({ error: { code: 'validation_error', message: 'Validation failed', details: { fields } } });
    }
    const gql = await client.request('POST', '/graphql', { query: '{ usage(from: "2024-03-02", to: "2024-03-01") { period { from } } }' });
    expect(gql.body.errors[0].extensions).toEqual({
      code: 'validation_error',
      details: { fields: { from: ['From must not be after to'] } },
    });
  });

  it("never shows one account's requests, conversations or storage to another", async () => {
    const noisy = await newAccount(server);
    const quiet = await newAccount(server);
    await noisy.client.post('/v1/conversations', { title: 'Noise', content: 'x'.repeat(100_000), source: 'whatsapp' });
    for (let i = 0; i < 5; i++) await noisy.client.get('/v1/conversations');
    await server.running.app.accounting.flush();
    for (let i = 0; i < 3; i++) await noisy.client.get('/v1/conversations');

    const usage = await quiet.client.get('/v1/account/usage');
    expect(usage.body.conversations).toEqual({ total: 0, by_source: { email: 0, whatsapp: 0, api: 0 } });
    expect(usage.body.storage.total_mb).toBe(0);
    expect(usage.body.api_requests).toEqual({ total: 1, by_endpoint: { ...ZERO_ENDPOINTS, '/account': 1 }, by_client: {} });
    expect((await quiet.client.get('/v1/account')).body.api_usage.requests_today).toBe(2);
    expect((await noisy.client.get('/v1/account')).body.api_usage.requests_today).toBe(10);
  });
});

describe('flushing from Redis', () => {
  it('counts a batch once, whether a flush stopped before PostgreSQL or after it', async () => {
    const { account, client } = await newAccount(server);
    for (let i = 0; i < 3; i++) await client.get('/v1/conversations');
    const redis = new Redis(`${REDIS_BASE}/${REDIS_DB}`);
    const key = (k: string) => `${jobs.QUEUE_PREFIX}:usage:{${account.id}}:${k}`;
    const requestsToday = async () => (await client.get('/v1/account')).body.api_usage.requests_today;
    try {
      // A flush that took the batch and died before writing it: the batch is still counted, and written later.
      await redis.rename(key('pending'), key('flushing'));
      await redis.hset(key('flushing'), '_id', '1');
      await redis.set(key('seq'), '1');
      expect(await requestsToday()).toBe(4);
      await redis.sadd(`${jobs.QUEUE_PREFIX}:usage:dirty`, account.id);
      await server.running.app.accounting.flush();
      expect(await redis.exists(key('flushing'))).toBe(0); // the request that read it is pending, for the next flush
      expect(await redis.sismember(`${jobs.QUEUE_PREFIX}:usage:dirty`, account.id)).toBe(1);
      expect(await requestsToday()).toBe(5);

      // A flush that wrote its batch and died before deleting it: not counted twice, and not written twice.
      await client.get('/v1/conversations');
      await server.running.app.accounting.flush();
      const seq = await redis.get(key('seq'));
      await redis.hset(key('flushing'), { _id: seq!, [`${today()}|/conversations`]: '1' });
      expect(await requestsToday()).toBe(7);
      await redis.sadd(`${jobs.QUEUE_PREFIX}:usage:dirty`, account.id);
      await server.running.app.accounting.flush();
      expect(await redis.exists(key('flushing'))).toBe(0);
      expect(await requestsToday()).toBe(8);
    } finally {
      redis.disconnect();
    }
  });
});

describe('shutdown', () => {
  it('writes every count to PostgreSQL on a clean stop (without Redis, nothing else holds them)', async () => {
    const s = await startTestServer({ USAGE_FLUSH_INTERVAL_MS: '3600000' });
    const { account, client } = await newAccount(s);
    for (let i = 0; i < 4; i++) await client.get('/v1/conversations');
    await client.get('/v1/api_keys');
    await s.stop();

    const db = openPostgres(inject('databaseUrl'), 1, createLogger('silent'));
    try {
      const rows = await db.query<{ endpoint_group: string; count: number }>(
        `SELECT endpoint_group, count FROM usage_counters WHERE account_id = $1 AND day = $2::date ORDER BY endpoint_group`,
        [account.id, today()],
      );
      expect(rows.map((r) => [r.endpoint_group, Number(r.count)])).toEqual([
        ['/account', 1],
        ['/conversations', 4],
      ]);
    } finally {
      await db.close();
    }
  });
});
