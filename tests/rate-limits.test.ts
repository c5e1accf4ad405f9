// Rate limits (docs/spec/product.md §11): headers on every authenticated response (REST and GraphQL), 429 with
// Retry-After on the minute and the day limit and their reset, a noisy neighbour leaving others alone,
// RATE_LIMITS_ENABLED=false, two instances sharing one limit through Redis, Redis down failing open,
// and GraphQL depth/cost bounds. Time is moved with a fake Date (windows follow the UTC clock).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';
import { client, newAccount, startTestServer, type TestServer } from './helpers/server.js';

const REDIS_DB = 9;
const PLANS_JSON = JSON.stringify({
  burst: { storageLimitMb: 10, requestsPerDay: 1000, requestsPerMinute: 3 },
  daily: { storageLimitMb: 10, requestsPerDay: 4, requestsPerMinute: 100 },
});
// The test helper switches limits off for other files (they poll); here they are on.
const jobs = parkedJobsEnv(REDIS_DB);
const shared = { ...jobs, PLANS_JSON, RATE_LIMITS_ENABLED: 'true' };

let a: TestServer;
let b: TestServer; // a second instance on the same Redis database and prefix
beforeAll(async () => {
  [a, b] = await Promise.all([startTestServer(shared), startTestServer(shared)]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await dropPrefix(REDIS_DB, jobs.QUEUE_PREFIX);
});
afterEach(() => {
  vi.useRealTimers();
});

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Freezes the clock `offsetMs` into a fresh minute (in the future, so that no earlier test used it). */
function freezeAt(offsetMs: number, base = Math.ceil(Date.now() / DAY) * DAY + 3 * 3_600_000): number {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(base + offsetMs);
  return base + offsetMs;
}
const headersOf = (h: Headers) => ({
  limit: h.get('x-ratelimit-limit'),
  remaining: h.get('x-ratelimit-remaining'),
  reset: h.get('x-ratelimit-reset'),
  policy: h.get('ratelimit-policy'),
  ratelimit: h.get('ratelimit'),
});
const gql = (c: ReturnType<typeof client>, query = '{ conversations { meta { total } } }') => c.request('POST', '/graphql', { query });

describe('headers', () => {
  it('are on every authenticated response, REST and GraphQL, success or error, for the limit closest to running out', async () => {
    const now = freezeAt(15_000);
    const minuteReset = String((now - 15_000 + MINUTE) / 1000);
    const { client: c } = await newAccount(a, 'professional');
    const policy = '"minute";q=300;w=60, "day";q=5000;w=86400';
    const list = await c.get('/v1/conversations');
    expect(list.status).toBe(200);
    expect(headersOf(list.headers)).toEqual({
      limit: '300',
      remaining: '299',
      reset: minuteReset,
      policy,
      ratelimit: '"minute";r=299;t=45',
    });
    const notFound = await c.get('/v1/conversations/conv_01jzzzzzzzzzzzzzzzzzzzzzzz');
    expect(notFound.status).toBe(404);
    expect(headersOf(notFound.headers)).toMatchObject({ limit: '300', remaining: '298' });
    const invalid = await c.get('/v1/conversations?per_page=0');
    expect(invalid.status).toBe(422);
    expect(headersOf(invalid.headers)).toMatchObject({ remaining: '297' });
    const graphql = await gql(c);
    expect(graphql.status).toBe(200);
    expect(headersOf(graphql.headers)).toEqual({
      limit: '300',
      remaining: '296',
      reset: minuteReset,
      policy,
      ratelimit: '"minute";r=296;t=45',
    });

    // A daily quota nearer its end than the minute's is the one reported.
    const { client: d } = await newAccount(a, 'daily');
    const first = await d.get('/v1/conversations');
    const midnight = String(((Math.floor(now / DAY) + 1) * DAY) / 1000);
    expect(headersOf(first.headers)).toEqual({
      limit: '4',
      remaining: '3',
      reset: midnight,
      policy: '"minute";q=100;w=60, "day";q=4;w=86400',
      ratelimit: `"day";r=3;t=${Number(midnight) - now / 1000}`,
    });
    // Not on a request without a valid key (no account to count it against).
    const anonymous = await fetch(`${a.url}/v1/conversations`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('limits', () => {
  it('answers 429 over the per-minute limit, on REST and GraphQL, until the next minute; other accounts are unaffected', async () => {
    const now = freezeAt(20_000);
    const windowEnd = now - 20_000 + MINUTE;
    const noisy = await newAccount(a, 'burst');
    const neighbour = await newAccount(a, 'burst');
    for (let i = 0; i < 3; i++) expect((await noisy.client.get('/v1/conversations')).status).toBe(200);

    const refused = await noisy.client.get('/v1/conversations');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: {
        code: 'rate_limit_exceeded',
        message: "Rate limit exceeded: this account's plan allows 3 requests per minute. Retry after 40 s.",
        details: { window: 'minute', limit: 3, reset_at: new Date(windowEnd).toISOString() },
      },
    });
    expect(refused.headers.get('retry-after')).toBe('40');
    expect(headersOf(refused.headers)).toEqual({
      limit: '3',
      remaining: '0',
      reset: String(windowEnd / 1000),
      policy: '"minute";q=3;w=60, "day";q=1000;w=86400',
      ratelimit: '"minute";r=0;t=40',
    });

    const refusedGql = await gql(noisy.client);
    expect(refusedGql.status).toBe(429);
    expect(refusedGql.headers.get('retry-after')).toBe('40');
    expect(refusedGql.body.data ?? null).toBeNull();
    expect(refusedGql.body.errors[0].extensions).toMatchObject({ code: 'rate_limit_exceeded', details: { window: 'minute', limit: 3 } });

    expect((await neighbour.client.get('/v1/conversations')).status).toBe(200);

    vi.setSystemTime(windowEnd + 1_000);
    const after = await noisy.client.get('/v1/account');
    expect(after.status).toBe(200);
    expect(after.headers.get('x-ratelimit-remaining')).toBe('2');
    // The refused requests were not answered, so they are not in the usage figures.
    expect(after.body.api_usage.requests_today).toBe(4);
  });

  it('answers 429 over the daily quota until 00:00 UTC', async () => {
    const now = freezeAt(MINUTE * 60 * 20); // 23:00 UTC
    const midnight = (Math.floor(now / DAY) + 1) * DAY;
    const { client: c } = await newAccount(a, 'daily');
    for (let i = 0; i < 4; i++) expect((await c.get('/v1/conversations')).status).toBe(200);
    const refused = await gql(c);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String((midnight - now) / 1000));
    expect(refused.body.errors[0].extensions.details).toEqual({ window: 'day', limit: 4, reset_at: new Date(midnight).toISOString() });
    const rest = await c.get('/v1/account');
    expect(rest.status).toBe(429);
    expect(rest.body.error.details).toEqual({ window: 'day', limit: 4, reset_at: new Date(midnight).toISOString() });
    expect(headersOf(rest.headers)).toMatchObject({ limit: '4', remaining: '0', reset: String(midnight / 1000) });

    vi.setSystemTime(midnight + 5_000);
    const nextDay = await c.get('/v1/account');
    expect(nextDay.status).toBe(200);
    expect(nextDay.body.api_usage).toEqual({ requests_today: 1, limit_per_day: 4 });
    expect(headersOf(nextDay.headers)).toMatchObject({ limit: '4', remaining: '3' });
  });

  it('is shared by two instances on the same Redis', async () => {
    freezeAt(10_000);
    const { api_key } = await newAccount(a, 'burst');
    const viaA = client(a.url, api_key);
    const viaB = client(b.url, api_key);
    expect((await viaA.get('/v1/conversations')).status).toBe(200);
    expect((await viaB.get('/v1/conversations')).headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await gql(viaA)).status).toBe(200);
    const refused = await viaB.get('/v1/conversations');
    expect(refused.status).toBe(429);
    expect(refused.body.error.details.window).toBe('minute');
    // Usage too: both instances' requests, read from either.
    vi.setSystemTime(Date.now() + MINUTE);
    expect((await viaB.get('/v1/account')).body.api_usage.requests_today).toBe(4);
  });
});

describe('switched off', () => {
  it("RATE_LIMITS_ENABLED=false never refuses, still counts, and still reports the plan's figures", async () => {
    const off = await startTestServer({ PLANS_JSON, RATE_LIMITS_ENABLED: 'false' }); // no Redis: per process
    try {
      freezeAt(5_000);
      const { client: c } = await newAccount(off, 'burst');
      const statuses: number[] = [];
      let last: Headers | undefined;
      for (let i = 0; i < 5; i++) {
        const res = await c.get('/v1/conversations');
        statuses.push(res.status);
        last = res.headers;
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      expect(headersOf(last!)).toMatchObject({ limit: '3', remaining: '0', ratelimit: '"minute";r=0;t=55' });
      const account = await c.get('/v1/account');
      expect(account.status).toBe(200);
      expect(account.body.api_usage.requests_today).toBe(6);
    } finally {
      await off.stop();
    }
  });
});

describe('Redis unreachable', () => {
  it('keeps serving: limits fail open (counted in the process, logged, in stats), no 500s, no hanging', async () => {
    // Nothing listens on port 1.
    const down = await startTestServer({ ...shared, REDIS_URL: 'redis://127.0.0.1:1/0' });
    try {
      const { client: c } = await newAccount(down, 'burst');
      const started = Date.now();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await c.get('/v1/conversations');
        statuses.push(res.status);
        expect(res.headers.get('x-ratelimit-limit')).toBe('3');
      }
      statuses.push((await gql(c)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
      expect(Date.now() - started).toBeLessThan(5_000);
      const account = await c.get('/v1/account');
      expect(account.status).toBe(200);
      expect(account.body.api_usage.requests_today).toBe(7);
      expect(down.running.app.accounting.stats.redisFailures).toBeGreaterThan(0);
    } finally {
      await down.stop();
    }
  });
});

describe('GraphQL bounds', () => {
  it('refuses a deeply nested query before executing it', async () => {
    const { client: c } = await newAccount(a);
    const nested = (n: number): string => (n === 0 ? 'id' : `... on Conversation { ${nested(n - 1)} }`);
    const res = await gql(c, `{ conversations { data { ${nested(12)} } } }`);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].message).toMatch(
      /^Query too deep: Query depth limit of 10 exceeded, found \d+\. The operation was not executed\.$/,
    );
    expect(res.body.errors[0].extensions.code).toBe('bad_request');
    // A normal query is well within the bounds.
    expect(
      (await gql(c, '{ conversations { data { id summary { topics } } meta { total } links { next } } }')).body.errors,
    ).toBeUndefined();
  });

  it('authenticates, limits and counts a request refused at parse or validation like any other', async () => {
    freezeAt(20_000);
    const anonymous = await client(a.url).request('POST', '/graphql', { query: '{ this is not graphql' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors[0].extensions.code).toBe('unauthorized');

    const { client: c } = await newAccount(a, 'burst');
    const broken = [
      '{ this is not graphql',
      '{ noSuchField }',
      `{ conversations { data { ${'... on Conversation { '.repeat(12)}id${' }'.repeat(12)} } } }`,
    ];
    for (const query of broken) {
      const res = await gql(c, query);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors[0].extensions.code).not.toBe('rate_limit_exceeded');
    }
    // Three requests were admitted, and the plan allows three a minute.
    const refused = await gql(c);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.code).toBe('rate_limit_exceeded');
  });

  it('refuses a huge query before executing it', async () => {
    const { client: c } = await newAccount(a);
    const fields = Array.from(
      { length: 300 },
      (_, i) => `c${i}: conversations { data { id title source status summary { title topics } } meta { total } }`,
    );
    const res = await gql(c, `{ ${fields.join(' ')} }`);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors[0].message).toMatch(
      /^Query too complex: Query Cost limit of 5000 exceeded, found [\d.]+\. The operation was not executed\.$/,
    );
    expect(res.body.errors[0].extensions.code).toBe('bad_request');
  });
});
