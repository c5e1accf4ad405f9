// Observability through HTTP: /metrics (Prometheus text) after REST and GraphQL requests, a job and a
// webhook delivery — labelled by route template, never by id; queue depth with BullMQ; the optional
// bearer token; /readyz per dependency, including dependencies that are down or hung (503, bounded).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dropPrefix, eventually, parkedJobsEnv } from './helpers/jobs.js';
import { newAccount, readResponse, startTestServer, type TestServer } from './helpers/server.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

const TOKEN = 'metrics-token-0123456789';
const CHAT = 'Tom: Can you send the pricing sheet?\nAnna: Sure, I will send it tomorrow.';

let server: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  // No REDIS_URL: jobs run in this process, so a summary job runs and is measured here.
  server = await startTestServer({ METRICS_TOKEN: TOKEN, WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_TIMEOUT_MS: '3000' });
});
afterAll(async () => {
  await server?.stop();
  await receiver?.close();
});

async function scrape(url: string, token = TOKEN): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of the sample `name{labels}` (labels in any order; a subset matches), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

describe('/metrics', () => {
  it('needs the bearer token when METRICS_TOKEN is set', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });

  it('labels HTTP requests by route template, method and status — never by id', async () => {
    const { client } = await newAccount(server);
    const created = await client.post('/v1/conversations', { title: 'Metrics', content: CHAT });
    expect(created.status, created.text).toBe(201);
    const id: string = created.body.id;
    expect((await client.get(`/v1/conversations/${id}`)).status).toBe(200);
    expect((await client.get('/v1/conversations/conv_01jzzzzzzzzzzzzzzzzzzzzzzz')).status).toBe(404);
    expect((await client.request('PUT', `/v1/conversations/${id}`)).status).toBe(405);
    expect((await client.get(`/v1/no/such/${id}`)).status).toBe(404);
    expect((await client.get(`/elsewhere/${id}`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    const text = await scrape(server.url);
    expect(text).not.toContain(id);
    const count = 'aimychats_http_request_duration_seconds_count';
    expect(sample(text, count, { route: '/v1/conversations', method: 'POST', status: '201' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, count, { route: '/v1/conversations/:id', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, count, { route: '/v1/conversations/:id', method: 'GET', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, count, { route: '/v1/conversations/:id', method: 'PUT', status: '405' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, count, { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, count, { route: '/healthz', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'aimychats_http_request_duration_seconds_bucket', {
        route: '/v1/conversations',
        method: 'POST',
        status: '201',
        le: '+Inf',
      }),
    ).toBeGreaterThanOrEqual(1);
    // Every route label is a template from the route table or one of the fixed names.
    const routes = new Set([...text.matchAll(/aimychats_http_request_duration_seconds_count\{[^}]*route="([^"]*)"/g)].map((m) => m[1]));
    for (const r of routes) expect(r).toMatch(/^(unmatched|\/graphql|\/healthz|\/readyz|\/metrics|\/v1(\/[a-z_]+|\/:[a-z_]+)*(\.json)?)$/i);
    // Default process metrics come with it; the database pool is reported from the pg pool.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'aimychats_db_pool_connections', { state: 'max' })).toBe(10);
    expect(sample(text, 'aimychats_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
  });

  it('counts GraphQL operations by name and type, and errors by code', async () => {
    const { client } = await newAccount(server);
    const ok = await client.post('/graphql', { query: 'query MetricsList { conversations(perPage: 1) { meta { total } } }' });
    expect(ok.status, ok.text).toBe(200);
    const anon = await client.post('/graphql', { query: '{ conversations(perPage: 1) { meta { total } } }' });
    expect(anon.status).toBe(200);
    const bad = await client.post('/graphql', { query: '{ conversations { nope } }' });
    expect(bad.body.errors[0].extensions.code).toBe('bad_request');
    const missing = await client.post('/graphql', {
      query: 'query MetricsMissing { conversation(id: "conv_01jzzzzzzzzzzzzzzzzzzzzzzz") { id } }',
    });
    expect(missing.body.errors[0].extensions.code).toBe('not_found');

    const text = await scrape(server.url);
    expect(sample(text, 'aimychats_graphql_operations_total', { operation_name: 'MetricsList', operation_type: 'query' })).toBe(1);
    expect(
      sample(text, 'aimychats_graphql_operations_total', { operation_name: 'anonymous', operation_type: 'query' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'aimychats_graphql_errors_total', { code: 'bad_request' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'aimychats_graphql_errors_total', { code: 'not_found' })).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'aimychats_http_request_duration_seconds_count', { route: '/graphql', method: 'POST', status: '200' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('measures jobs per queue and job name, queue depth per queue, and webhook delivery outcomes', async () => {
    const { client } = await newAccount(server);
    const hook = receiver.endpoint([200]);
    const created = await client.post('/v1/webhooks', { url: hook.url, events: ['conversation.created'] });
    expect(created.status, created.text).toBe(201);
    const conv = await client.post('/v1/conversations', { title: 'Job', content: CHAT });
    const done = await eventually(
      () => client.get(`/v1/conversations/${conv.body.id}`),
      (r) => r.body.status === 'completed',
      20_000,
    );
    expect(done.body.status).toBe('completed');

    const text = await eventually(
      () => scrape(server.url),
      (t) => (sample(t, 'aimychats_webhook_deliveries_total', { outcome: 'success' }) ?? 0) >= 1,
      20_000,
    );
    expect(sample(text, 'aimychats_webhook_deliveries_total', { outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'aimychats_job_duration_seconds_count', { queue: 'summaries', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'aimychats_job_duration_seconds_count', { queue: 'webhook-deliveries', outcome: 'completed' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^# TYPE aimychats_job_failures_total counter$/m);
    // In-process queues: every queue is reported, in every state.
    for (const queue of ['summaries', 'webhooks', 'webhook-deliveries', 'exports', 'search']) {
      for (const state of ['waiting', 'active', 'delayed', 'failed']) {
        expect(sample(text, 'aimychats_job_queue_depth', { queue, state }), `${queue} ${state}`).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

describe('/metrics with BullMQ', () => {
  const parked = parkedJobsEnv(15);
  let bull: TestServer;
  beforeAll(async () => {
    bull = await startTestServer(parked);
  });
  afterAll(async () => {
    await bull?.stop();
    await dropPrefix(15, parked.QUEUE_PREFIX);
  });

  it('reads queue depth from Redis when scraped, and /readyz checks Redis', async () => {
    const { client } = await newAccount(bull);
    // Workers are off: the summary job waits in Redis.
    expect((await client.post('/v1/conversations', { title: 'Parked', content: CHAT })).status).toBe(201);
    const text = await (await fetch(`${bull.url}/metrics`)).text();
    expect(sample(text, 'aimychats_job_queue_depth', { queue: 'summaries', state: 'waiting' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'aimychats_job_queue_depth', { queue: 'exports', state: 'active' })).toBe(0);

    const ready = await readResponse(await fetch(`${bull.url}/readyz`));
    expect(ready.status, ready.text).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(Object.keys(ready.body.checks).sort()).toEqual(['database', 'redis', 'storage']);
    expect(ready.body.checks.redis.status).toBe('ok');
  });

  it("serves a worker process's job metrics on METRICS_PORT", async () => {
    const { client } = await newAccount(bull);
    const conv = await client.post('/v1/conversations', { title: 'For the worker', content: CHAT });
    const port = await freePort();
    const worker: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOG_LEVEL: 'warn',
        DATABASE_URL: inject('databaseUrl'),
        ...parked,
        HOST: '127.0.0.1',
        METRICS_PORT: String(port),
        METRICS_TOKEN: TOKEN,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    try {
      // The worker takes the parked summary jobs and runs them; its /metrics shows them.
      const done = await eventually(
        () => client.get(`/v1/conversations/${conv.body.id}`),
        (r) => r.body.status === 'completed',
        60_000,
      );
      expect(done.body.status).toBe('completed');
      const text = await eventually(
        () =>
          fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })
            .then((r) => r.text())
            .catch(() => ''),
        (t) => (sample(t, 'aimychats_job_duration_seconds_count', { queue: 'summaries', outcome: 'completed' }) ?? 0) >= 1,
        30_000,
      );
      expect(sample(text, 'aimychats_job_duration_seconds_count', { queue: 'summaries', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'aimychats_job_queue_depth', { queue: 'summaries', state: 'active' })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('/readyz', () => {
  it('reports each dependency: database and local storage', async () => {
    const res = await readResponse(await fetch(`${server.url}/readyz`));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'ready', checks: { database: { status: 'ok' }, storage: { status: 'ok' } } });
    expect(Object.keys(res.body.checks).sort()).toEqual(['database', 'storage']);
  });

  describe('with S3 storage', () => {
    let s3rver: S3rver;
    let s3server: TestServer;
    let dir: string;
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readyz-s3-'));
      s3rver = new S3rver({
        port: 0,
        address: '127.0.0.1',
        silent: true,
        directory: path.join(dir, 's3'),
        configureBuckets: [{ name: 'amc-ready', configs: [] }],
      });
      const { port } = (await s3rver.run()) as net.AddressInfo;
      s3server = await startTestServer({
        DATA_DIR: dir,
        S3_ENDPOINT: `http://127.0.0.1:${port}`,
        S3_BUCKET: 'amc-ready',
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
        READYZ_TIMEOUT_MS: '1000',
      });
    });
    afterAll(async () => {
      await s3server?.stop();
      await s3rver?.close().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('checks that the bucket is reachable, and says when it is not', async () => {
      const up = await readResponse(await fetch(`${s3server.url}/readyz`));
      expect(up.status, up.text).toBe(200);
      expect(up.body.checks.storage.status).toBe('ok');
      await s3rver.close();
      const down = await readResponse(await fetch(`${s3server.url}/readyz`, { signal: AbortSignal.timeout(15_000) }));
      expect(down.status, down.text).toBe(503);
      expect(down.body.checks).toMatchObject({ database: { status: 'ok' }, storage: { status: 'error' } });
    });
  });

  describe('with dependencies down or hung', () => {
    let broken: TestServer;
    let blackHole: net.Server;
    let dataFile: string;
    beforeAll(async () => {
      // Elasticsearch that accepts connections and never answers (hung); Redis on a port nobody
      // listens on (down); DATA_DIR that is a file (storage cannot write).
      const sockets = new Set<net.Socket>();
      blackHole = net.createServer((s) => {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => sockets.delete(s));
      });
      blackHole.on('close', () => {
        for (const s of sockets) s.destroy();
      });
      await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
      const closed = net.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const deadPort = (closed.address() as net.AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      dataFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'readyz-')), 'not-a-dir');
      fs.writeFileSync(dataFile, 'x');
      broken = await startTestServer({
        REDIS_URL: `redis://127.0.0.1:${deadPort}/0`,
        RUN_WORKERS: 'false',
        JOB_RECOVERY_INTERVAL_MS: '0',
        ELASTICSEARCH_URL: `http://127.0.0.1:${(blackHole.address() as net.AddressInfo).port}`,
        DATA_DIR: dataFile,
        READYZ_TIMEOUT_MS: '500',
      });
    });
    afterAll(async () => {
      await broken?.stop();
      blackHole?.close();
      blackHole?.emit('close');
      fs.rmSync(path.dirname(dataFile), { recursive: true, force: true });
    });

    it('answers 503 with every failing check named, without waiting for the hung one', async () => {
      // The signal only keeps a regression (a readyz that hangs) from hanging the test.
      const res = await readResponse(await fetch(`${broken.url}/readyz`, { signal: AbortSignal.timeout(15_000) }));
      expect(res.status, res.text).toBe(503);
      expect(res.body.status).toBe('unavailable');
      const { checks } = res.body;
      expect(Object.keys(checks).sort()).toEqual(['database', 'elasticsearch', 'redis', 'storage']);
      expect(checks.database.status).toBe('ok');
      expect(checks.redis).toMatchObject({ status: 'error' });
      expect(checks.elasticsearch).toMatchObject({ status: 'error', error: 'timed out after 500 ms' });
      expect(checks.storage.status).toBe('error');
      expect(res.headers.get('cache-control')).toBe('no-store');
      // Liveness is not readiness: the process itself is fine.
      expect((await fetch(`${broken.url}/healthz`)).status).toBe(200);
    });
  });
});
