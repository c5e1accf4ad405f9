// Fault tests with real processes (issue 9, item 5). The API and workers run as child processes
// (tests/helpers/processes.ts); PostgreSQL and Redis are private instances that the tests stop and
// start again, never the shared ones.
//   a) a worker killed with SIGKILL mid-job: tests/summaries.worker-crash.test.ts (not repeated here);
//   b) PostgreSQL restarted under load: 503 `service_unavailable` (REST envelope with Retry-After, and
//      the GraphQL code) while it is down, recovery on its own, no acknowledged write lost;
//   c) Redis restarted (it keeps nothing): queues resume, the pending job that Redis lost is recovered
//      from the database, rate limits fail open while it is down;
//   d) SIGTERM during a request burst: in-flight requests complete, new connections are refused, the
//      process exits within its grace period.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { startFakeOpenAi } from './helpers/fake-openai.js';
import { dropPrefix, eventually, parkedJobsEnv, uniquePrefix } from './helpers/jobs.js';
import { accountOn, killAll, PrivatePostgres, PrivateRedis, startApi, startWorker, stopProcess } from './helpers/processes.js';
import type { Client } from './helpers/server.js';

const REDIS_DB = 11;
const CHAT = 'Tom: Can you send the pricing sheet?\nAnna: Sure, I will send it tomorrow.';
const parked = parkedJobsEnv(REDIS_DB);

/** One request that never waits longer than `timeoutMs`: a hang shows as status 0 with `error: 'timeout'`. */
async function call(baseUrl: string, apiKey: string, method: string, path: string, body?: unknown, timeoutMs = 20_000) {
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, body: json, headers: res.headers, error: undefined as string | undefined };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    return {
      status: 0,
      body: undefined,
      headers: new Headers(),
      error: err.name === 'TimeoutError' ? 'timeout' : (err.cause?.code ?? err.message),
    };
  }
}

let pg: PrivatePostgres | undefined;
const canRunPostgres = PrivatePostgres.available();

beforeAll(async () => {
  if (canRunPostgres) pg = await PrivatePostgres.create();
}, 120_000);

afterAll(async () => {
  await killAll();
  await pg?.destroy();
  await dropPrefix(REDIS_DB, parked.QUEUE_PREFIX);
});

describe.skipIf(!canRunPostgres)(
  'PostgreSQL restarted under load (a private cluster: needs /usr/lib/postgresql/15/bin and a postgres user)',
  () => {
    it('answers 503 service_unavailable while it is down, recovers on its own, and loses no acknowledged write', async () => {
      const api = await startApi({ DATABASE_URL: pg!.url, ...parked, DATABASE_POOL_SIZE: '4', API_KEY_CACHE_TTL_MS: '0' });
      const { api_key: key } = await accountOn(pg!.url, api.url);

      type Outcome = Awaited<ReturnType<typeof call>> & { at: 'before' | 'during' | 'after' };
      const outcomes: Outcome[] = [];
      const acknowledged: { id: string; title: string }[] = [];
      let phase: Outcome['at'] = 'before';
      let writing = true;
      let n = 0;
      const writer = async () => {
        while (writing) {
          const title = `write ${n++}`;
          const at = phase;
          const r = await call(api.url, key, 'POST', '/v1/conversations', { title, content: CHAT });
          outcomes.push({ ...r, at });
          if (r.status === 201) acknowledged.push({ id: r.body.id, title });
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      const writers = [writer(), writer(), writer()];
      try {
        await eventually(
          async () => acknowledged.length,
          (c) => c >= 10,
          30_000,
        );

        await pg!.stop('fast');
        phase = 'during';
        const refused = () => outcomes.filter((o) => o.at === 'during' && o.status === 503).length;
        expect(
          await eventually(
            async () => refused(),
            (c) => c >= 5,
            30_000,
          ),
        ).toBeGreaterThanOrEqual(5);

        // Reads too, in the REST envelope with Retry-After, and the same code through GraphQL.
        const list = await call(api.url, key, 'GET', '/v1/conversations');
        expect(list.status).toBe(503);
        expect(list.body).toEqual({ error: { code: 'service_unavailable', message: expect.any(String), details: {} } });
        expect(Number(list.headers.get('retry-after'))).toBeGreaterThan(0);
        const gql = await call(api.url, key, 'POST', '/graphql', { query: '{ conversations { meta { total } } }' });
        expect(gql.body.errors[0].extensions.code).toBe('service_unavailable');
        const ready = await call(api.url, key, 'GET', '/readyz');
        expect(ready.status).toBe(503);

        await pg!.start();
        phase = 'after';
        // The server recovers on its own: no restart, writes are acknowledged again.
        const recovered = await eventually(
          async () => outcomes.filter((o) => o.at === 'after' && o.status === 201).length,
          (c) => c >= 5,
          30_000,
        );
        expect(recovered).toBeGreaterThanOrEqual(5);
      } finally {
        writing = false;
        await Promise.all(writers);
      }

      // Every answer was a success or a 503 in the envelope: never a 500, never a hang.
      const statuses = new Set(outcomes.map((o) => (o.status === 0 ? `error:${o.error}` : String(o.status))));
      expect([...statuses].sort()).toEqual(['201', '503']);
      for (const o of outcomes.filter((x) => x.status === 503)) {
        expect(o.body.error.code).toBe('service_unavailable');
        expect(o.headers.get('retry-after')).toBeTruthy();
      }
      // Every write that was acknowledged is there.
      for (const w of acknowledged) {
        const got = await call(api.url, key, 'GET', `/v1/conversations/${w.id}`);
        expect(got.status, w.title).toBe(200);
        expect(got.body.title).toBe(w.title);
      }
      const { code } = await stopProcess(api);
      expect(code).toBe(0);
    }, 120_000);
  },
);

describe.skipIf(!canRunPostgres)('Redis restarted (a private redis-server without persistence)', () => {
  it('queues resume, the job Redis lost is recovered from the database, and limits fail open meanwhile', async () => {
    const redis = await PrivateRedis.create();
    const fake = await startFakeOpenAi();
    const prefix = uniquePrefix('faults');
    const env = {
      DATABASE_URL: pg!.url,
      REDIS_URL: redis.url(0),
      QUEUE_PREFIX: prefix,
      JOB_ATTEMPTS: '3',
      JOB_BACKOFF_MS: '50',
      SUMMARY_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_MODEL: 'test-model',
      RATE_LIMITS_ENABLED: 'true',
    };
    const probe = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
    probe.on('error', () => {});
    try {
      // The recovery sweep runs every second in the worker (this database is the test's own, so the
      // sweep sees no other test's work).
      const [api, worker] = await Promise.all([
        startApi({ ...env, RUN_WORKERS: 'false', JOB_RECOVERY_INTERVAL_MS: '0' }),
        startWorker({ ...env, WORKER_CONCURRENCY: '1', JOB_RECOVERY_INTERVAL_MS: '1000' }),
      ]);
      const { client } = await accountOn(pg!.url, api.url, 'professional', env);
      const summaryOf = async (c: Client, conversationId: string) =>
        (await c.get(`/v1/conversations/${conversationId}/summaries`)).body.data;

      // The worker's only slot is taken by a summary whose provider call is held…
      const script = `redis${Date.now()}`;
      const held = (await client.post('/v1/conversations', { title: 'Held', content: `Tom: hello [[script:${script}:hold]]\nAnna: hi` }))
        .body;
      expect(
        await eventually(
          async () => fake.isHeld(script),
          (h) => h,
          30_000,
        ),
      ).toBe(true);
      // …so this one's job waits in Redis.
      const pending = (await client.post('/v1/conversations', { title: 'Pending', content: CHAT })).body;
      const [pendingSummary] = await summaryOf(client, pending.id);
      const jobKey = `${prefix}:summaries:summary.${pendingSummary.id}`;
      await probe.connect();
      expect(await probe.exists(jobKey)).toBe(1);

      await redis.kill();
      // While Redis is away: requests are served (limits fail open, still with their headers), and a
      // create is acknowledged even though its job cannot be queued.
      const list = await client.get('/v1/conversations');
      expect(list.status).toBe(200);
      expect(list.headers.get('x-ratelimit-limit')).toBe('300');
      const during = await client.post('/v1/conversations', { title: 'During the outage', content: CHAT });
      expect(during.status).toBe(201);
      const gql = await client.request('POST', '/graphql', { query: '{ conversations { meta { total } } }' });
      expect(gql.body.data.conversations.meta.total).toBe(3);
      // The held summary completes in PostgreSQL meanwhile.
      expect(fake.release(script)).toBe(true);
      expect(
        (
          await eventually(
            () => client.get(`/v1/conversations/${held.id}`),
            (r) => r.body.status !== 'processing',
            30_000,
          )
        ).body.status,
      ).toBe('completed');

      await redis.start();
      // Redis came back empty: the pending job is gone with it.
      expect(
        await eventually(
          () => probe.exists(jobKey).catch(() => -1),
          (v) => v !== -1,
          15_000,
        ),
      ).toBe(0);
      // Queues resume (the API enqueues again, the worker takes jobs again)…
      const after = (
        await eventually(
          () => client.post('/v1/conversations', { title: 'After', content: CHAT }),
          (r) => r.status === 201,
        )
      ).body;
      // …and the work Redis lost, or never got, is re-enqueued from the database by the recovery sweep.
      for (const id of [pending.id, during.body.id, after.id]) {
        const done = await eventually(
          () => client.get(`/v1/conversations/${id}`),
          (r) => r.body.status !== 'processing',
          45_000,
        );
        expect(done.body.status, id).toBe('completed');
        // Summarized once: one summary, completed.
        expect((await summaryOf(client, id)).map((s: { status: string }) => s.status)).toEqual(['completed']);
      }
      expect(worker.running()).toBe(true);
      await Promise.all([stopProcess(api), stopProcess(worker)]);
    } finally {
      probe.disconnect();
      await redis.kill();
      await fake.close();
    }
  }, 150_000);
});

describe('SIGTERM during a request burst', () => {
  it('completes the requests in flight, refuses new connections, and exits within the grace period', async () => {
    // Long enough that a process still running at its end waited for it instead of finishing the work.
    const GRACE_MS = 30_000;
    const api = await startApi({ DATABASE_URL: inject('databaseUrl'), ...parked, SHUTDOWN_TIMEOUT_MS: String(GRACE_MS) });
    const { api_key: key } = await accountOn(inject('databaseUrl'), api.url);
    const url = new URL(api.url);

    // One request is certainly in flight: its headers are sent, its body only after the signal.
    const slowBody = JSON.stringify({ title: 'In flight', content: CHAT });
    let slowRequest!: http.ClientRequest;
    const slow = new Promise<{ status: number; body: any }>((resolve, reject) => {
      slowRequest = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/conversations',
          method: 'POST',
          agent: false,
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(slowBody) },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      slowRequest.on('error', reject);
      slowRequest.flushHeaders();
      slowRequest.write(slowBody.slice(0, 10));
    });
    slow.catch(() => {}); // awaited below; a failure before that must not be an unhandled rejection
    // And a burst on other connections.
    const burst = Array.from({ length: 40 }, (_, i) =>
      call(
        api.url,
        key,
        i % 2 ? 'GET' : 'POST',
        i % 2 ? '/v1/conversations' : '/v1/conversations',
        i % 2 ? undefined : { title: `burst ${i}`, content: CHAT },
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const signalled = Date.now();
    api.child.kill('SIGTERM');
    const exited = api.exited.then((r) => ({ ...r, ms: Date.now() - signalled }));

    // New connections are refused once the server has stopped listening. One that reached the listen
    // backlog just as it closed is reset instead (ECONNRESET): that is the closing, not an answer, so
    // the probe goes on until the port refuses.
    const connect = () =>
      new Promise<string>((resolve) => {
        const socket = net.createConnection({ host: url.hostname, port: Number(url.port) });
        socket.once('connect', () => (socket.destroy(), resolve('connected')));
        socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
    expect(await eventually(connect, (r) => r === 'ECONNREFUSED', 10_000)).toBe('ECONNREFUSED');
    // The request in flight completes.
    slowRequest.end(slowBody.slice(10));
    const done = await slow;
    const errors = () =>
      api
        .logs()
        .filter((l) => l.level >= 40)
        .map((l) => JSON.stringify(l))
        .join('\n');
    expect(done.status, `${JSON.stringify(done.body)}\n${errors()}`).toBe(201);
    expect(done.body.title).toBe('In flight');
    // Burst requests either completed normally or never got a connection; none failed half-way with a 5xx.
    for (const r of await Promise.all(burst)) {
      if (r.status === 0) expect(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(r.error);
      else expect([200, 201], errors()).toContain(r.status);
    }
    const end = await exited;
    expect(end.code).toBe(0);
    // It exits once the work is done (connections kept alive by clients do not hold it until the grace ends).
    expect(end.ms).toBeLessThan(GRACE_MS);
  }, 90_000);
});
