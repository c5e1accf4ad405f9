// `npm run bench:webhooks` (issue 6, item 8): 10,000 events through the real outbox and dispatch path
// to 5 loopback receivers — 3 healthy, 1 slow (answers after 3 s), 1 failing (500) — each an endpoint
// subscribed to `conversation.created`. The events are made by creating conversations over the API
// (each commit writes its outbox row; the API enqueues its dispatch, workers fan it out and deliver).
// Measured: first attempts per second, and the delay from the event's `created_at` (its transaction)
// to the first attempt arriving at the healthy receivers (p50/p95/p99/max). Target: p95 ≤ 2 s.
// Not a test: numbers depend on the machine and on its neighbours.
//
// Topology as in production (docs/spec/product.md §13): one API process (src/main.ts's start, RUN_WORKERS=false) and
// BENCH_WORKERS worker processes (what `npm run worker` runs), with REDIS_URL (Redis db 12, a private
// QUEUE_PREFIX), WEBHOOK_ALLOW_PRIVATE_URLS=true and RATE_LIMITS_ENABLED=false, on a scratch database.
// BENCH_WORKERS=0 runs the jobs inside the API process instead. Everything is removed at the end: the
// children, the database, the prefix's Redis keys.
//
// Baseline, measured in the same run: the same number of signed POSTs sent straight to the healthy
// receivers with the same attempt function (sendWebhook) and concurrency — no database, no queue. The
// ratio pipeline ÷ baseline deliveries per second is what the outbox, the queue and the bookkeeping cost.
//
// Environment (all optional): BENCH_DATABASE_ADMIN_URL (default postgres://root@127.0.0.1:5432/postgres),
// BENCH_REDIS_URL (redis://127.0.0.1:6379/12), BENCH_EVENTS (10000), BENCH_CONCURRENCY (API requests in
// flight while generating, 16), BENCH_RATE (events offered per second, paced; 0 = as fast as the API takes
// them, the default), BENCH_WORKERS (1), BENCH_WEBHOOK_WORKERS (1: a worker for the
// webhook queues only, WORKER_QUEUES — the others then skip them; 0 = every worker takes every queue),
// BENCH_TIMEOUT_S (how long to wait for the healthy receivers, 300),
// BENCH_CPU_PROF_DIR (run the server with --cpu-prof, the profile written there on exit), and the
// server's own WEBHOOK_DISPATCH_CONCURRENCY / WEBHOOK_DELIVERY_CONCURRENCY / WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT /
// WORKER_CONCURRENCY (passed through when set).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.js';
import { Queue } from 'bullmq';
import { deleteKeys, redisOptionsFromUrl } from '../src/lib/redis.js';
import { createAccount } from '../src/modules/accounts/create-account.js';
import { sendWebhook } from '../src/modules/webhooks/send-webhook.js';
import { signatureHeaders } from '../src/modules/webhooks/webhook-signature.js';
import { spawnServer, stopChildren } from './lib/child-server.js';
import { createScratchDatabase, DEFAULT_ADMIN_URL, type ScratchDatabase } from './lib/database.js';

const env = process.env;
const ADMIN_URL = env.BENCH_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
const EVENTS = Number(env.BENCH_EVENTS ?? 10_000);
const CONCURRENCY = Number(env.BENCH_CONCURRENCY ?? 16);
const TIMEOUT_MS = Number(env.BENCH_TIMEOUT_S ?? 300) * 1000;
const PREFIX = `benchwh${process.pid}`;
const TARGET_P95_MS = 2000;
const EVENT_TYPE = 'conversation.created';
const PROFILE_DIR = env.BENCH_CPU_PROF_DIR;
const RATE = Number(env.BENCH_RATE ?? 0);
const WORKERS = Number(env.BENCH_WORKERS ?? 1);
const WEBHOOK_WORKERS = Number(env.BENCH_WEBHOOK_WORKERS ?? 1);

type Kind = 'healthy' | 'slow' | 'failing';

interface Receiver {
  name: string;
  kind: Kind;
  url: string;
  /** webhook-id → ms from the event's created_at to the first attempt's arrival. */
  first: Map<string, number>;
  attempts: number;
  close(): Promise<void>;
}

async function startReceiver(name: string, kind: Kind): Promise<Receiver> {
  const first = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const r = { name, kind, first, attempts: 0 } as Receiver;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrived = Date.now();
      r.attempts++;
      const id = String(req.headers['webhook-id'] ?? '');
      if (!first.has(id)) {
        try {
          const { created_at } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { created_at: string };
          first.set(id, arrived - Date.parse(created_at));
        } catch {
          first.set(id, NaN);
        }
      }
      if (kind === 'failing') return void res.writeHead(500).end('failing');
      if (kind === 'healthy') return void res.writeHead(200).end('ok');
      const t = setTimeout(() => {
        timers.delete(t);
        res.writeHead(200).end('ok');
      }, 3_000);
      timers.add(t);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  r.url = `http://127.0.0.1:${port}/hook`;
  r.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

async function post(url: string, key: string, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** The floor: `count` signed POSTs spread over the receivers, `concurrency` at a time, no database or queue. */
async function directBaseline(receivers: Receiver[], count: number, concurrency: number) {
  const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count * receivers.length) {
        const i = next++;
        const id = `evt_baseline_${i}`;
        const body = JSON.stringify({ id, type: EVENT_TYPE, created_at: new Date().toISOString(), data: { id: `conv_${i}` } });
        const r = receivers[i % receivers.length];
        const res = await sendWebhook({
          url: r.url,
          body,
          headers: signatureHeaders([secret], id, body),
          timeoutMs: 10_000,
          allowPrivate: true,
        });
        if (res.statusCode !== 200) throw new Error(`baseline delivery failed: ${res.error ?? res.statusCode}`);
      }
    }),
  );
  const ms = performance.now() - started;
  return { deliveries: count * receivers.length, ms, perSecond: (count * receivers.length) / (ms / 1000) };
}

/** CPU milliseconds (user + system) a process has used so far, from /proc (Linux); 0 elsewhere. */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

async function main(): Promise<boolean> {
  const receivers: Receiver[] = [];
  let scratch: ScratchDatabase | undefined;
  try {
    scratch = await createScratchDatabase('bench_webhooks', ADMIN_URL, 2);
    const passThrough = Object.fromEntries(
      ['WEBHOOK_DISPATCH_CONCURRENCY', 'WEBHOOK_DELIVERY_CONCURRENCY', 'WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT', 'WORKER_CONCURRENCY']
        .filter((k) => env[k])
        .map((k) => [k, env[k]!]),
    );
    const serverEnv = {
      DATABASE_URL: scratch.url,
      REDIS_URL,
      QUEUE_PREFIX: PREFIX,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      RATE_LIMITS_ENABLED: 'false',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...passThrough,
    };
    const config = loadConfig(serverEnv);
    const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
    const api = await spawnServer('bench/lib/serve-api.ts', { ...serverEnv, RUN_WORKERS: WORKERS > 0 ? 'false' : 'true' }, profile);
    const workers = [];
    // With BENCH_WEBHOOK_WORKERS, those consume only the webhook queues and the others everything else.
    const split: Record<string, string> = WEBHOOK_WORKERS > 0 ? { WORKER_QUEUES: 'summaries,exports,search' } : {};
    for (let w = 0; w < WORKERS; w++) workers.push(await spawnServer('bench/lib/serve-worker.ts', { ...serverEnv, ...split }, profile));
    for (let w = 0; w < WEBHOOK_WORKERS; w++) {
      workers.push(await spawnServer('bench/lib/serve-worker.ts', { ...serverEnv, WORKER_QUEUES: 'webhooks,webhook-deliveries' }, profile));
    }
    const { api_key: key } = await createAccount(scratch.db, config, { email: 'bench-webhooks@example.com', plan: 'pro' });

    for (const [name, kind] of [
      ['healthy-1', 'healthy'],
      ['healthy-2', 'healthy'],
      ['healthy-3', 'healthy'],
      ['slow-3s', 'slow'],
      ['failing-500', 'failing'],
    ] as [string, Kind][]) {
      const r = await startReceiver(name, kind);
      receivers.push(r);
      const res = await post(api.url, key, '/v1/webhooks', { url: r.url, events: [EVENT_TYPE], description: name });
      if (res.status !== 201) throw new Error(`creating the ${name} endpoint: ${res.status} ${JSON.stringify(res.json)}`);
    }
    const healthy = receivers.filter((r) => r.kind === 'healthy');
    const baseline = await directBaseline(healthy, EVENTS, config.webhooks.deliveryConcurrency);
    for (const r of receivers) {
      r.first.clear();
      r.attempts = 0;
    }
    console.error(
      `baseline (direct signed POSTs to the healthy receivers, concurrency ${config.webhooks.deliveryConcurrency}): ` +
        `${baseline.deliveries} in ${fmt(baseline.ms)} → ${Math.round(baseline.perSecond)}/s`,
    );
    console.error(
      `webhooks bench: ${EVENTS} ${EVENT_TYPE} events (API, ${CONCURRENCY} in flight${RATE ? `, paced at ${RATE}/s` : ''}; ` +
        `${WORKERS ? `${WORKERS} worker process${WORKERS > 1 ? 'es' : ''}` : 'jobs in the API process'}` +
        `${WEBHOOK_WORKERS ? ` + ${WEBHOOK_WORKERS} for webhooks only` : ''}) → ${receivers.length} receivers; ` +
        `delivery concurrency ${config.webhooks.deliveryConcurrency}, ${config.webhooks.maxInFlightPerEndpoint} in flight per endpoint`,
    );

    // Generate: every conversation commits with its outbox event.
    const cpuBefore = { api: cpuMs(api.pid), workers: workers.reduce((n, w) => n + cpuMs(w.pid), 0) };
    const started = Date.now();
    let next = 0;
    let failures = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < EVENTS) {
          const i = next++;
          // Paced: event i is not sent before its time.
          if (RATE > 0) {
            const due = started + (i * 1000) / RATE;
            if (due > Date.now()) await sleep(due - Date.now());
          }
          const res = await post(api.url, key, '/v1/conversations', { title: `Bench ${i}`, content: `Tom: order ${i}?\nAnna: shipped.` });
          if (res.status !== 201) failures++;
        }
      }),
    );
    const generatedMs = Date.now() - started;
    if (failures) throw new Error(`${failures} conversations were refused`);
    console.error(
      `generated ${EVENTS} events in ${fmt(generatedMs)} (${Math.round(EVENTS / (generatedMs / 1000))}/s); waiting for the healthy receivers`,
    );

    const deadline = Date.now() + TIMEOUT_MS;
    while (healthy.some((r) => r.first.size < EVENTS) && Date.now() < deadline) await sleep(100);
    const drainedMs = Date.now() - started;
    // CPU time (user + system) the processes used for the run: less sensitive to a busy machine than latency.
    const cpu = { api: cpuMs(api.pid) - cpuBefore.api, workers: workers.reduce((n, w) => n + cpuMs(w.pid), 0) - cpuBefore.workers };
    const complete = healthy.every((r) => r.first.size >= EVENTS);

    const delays = healthy
      .flatMap((r) => [...r.first.values()])
      .filter((d) => Number.isFinite(d))
      .sort((a, b) => a - b);
    const healthyDeliveries = healthy.reduce((n, r) => n + r.first.size, 0);
    const allFirst = receivers.reduce((n, r) => n + r.first.size, 0);
    const allAttempts = receivers.reduce((n, r) => n + r.attempts, 0);
    const p95 = pct(delays, 95);
    const result = {
      events: EVENTS,
      generation_s: +(generatedMs / 1000).toFixed(2),
      events_per_s: Math.round(EVENTS / (generatedMs / 1000)),
      healthy_complete: complete,
      healthy_drained_s: +(drainedMs / 1000).toFixed(2),
      healthy_deliveries: healthyDeliveries,
      healthy_deliveries_per_s: Math.round(healthyDeliveries / (drainedMs / 1000)),
      all_first_attempts_per_s: Math.round(allFirst / (drainedMs / 1000)),
      all_attempts_per_s: Math.round(allAttempts / (drainedMs / 1000)),
      delay_ms: { p50: pct(delays, 50), p95, p99: pct(delays, 99), max: delays.at(-1) ?? NaN },
      receivers: Object.fromEntries(receivers.map((r) => [r.name, { first_attempts: r.first.size, attempts: r.attempts }])),
      cpu_ms_per_event: { api: +(cpu.api / EVENTS).toFixed(2), workers: +(cpu.workers / EVENTS).toFixed(2) },
      baseline_deliveries_per_s: Math.round(baseline.perSecond),
      ratio_vs_baseline: +(healthyDeliveries / (drainedMs / 1000) / baseline.perSecond).toFixed(3),
      offered_rate_per_s: RATE || null,
      worker_processes: WORKERS,
      webhook_worker_processes: WEBHOOK_WORKERS,
      target_p95_ms: TARGET_P95_MS,
      pass: complete && p95 <= TARGET_P95_MS,
    };
    console.error(
      `healthy receivers: ${healthyDeliveries} deliveries in ${fmt(drainedMs)} → ${result.healthy_deliveries_per_s}/s; ` +
        `all receivers: ${result.all_first_attempts_per_s} first attempts/s, ${result.all_attempts_per_s} attempts/s; ` +
        `${result.ratio_vs_baseline}× the baseline's deliveries/s\n` +
        `commit → first attempt (healthy): p50 ${fmt(result.delay_ms.p50)}, p95 ${fmt(p95)}, p99 ${fmt(result.delay_ms.p99)}, max ${fmt(result.delay_ms.max)} ` +
        `(target p95 ≤ ${fmt(TARGET_P95_MS)}: ${result.pass ? 'PASS' : 'FAIL'})\n` +
        receivers.map((r) => `  ${r.name.padEnd(12)} first attempts ${r.first.size}, attempts ${r.attempts}`).join('\n'),
    );
    // Where the delay goes, from the database's own timestamps: commit → fan-out, fan-out → first attempt.
    const [stages] = await scratch.db.query<Record<string, number>>(
      `WITH e AS (SELECT extract(epoch FROM dispatched_at - created_at) * 1000 AS ms FROM events WHERE type = $1 AND dispatched_at IS NOT NULL),
            d AS (SELECT extract(epoch FROM attempted_at - created_at) * 1000 AS ms FROM webhook_deliveries WHERE attempt = 1 AND attempted_at IS NOT NULL AND status_code = 200)
       SELECT (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM e) AS dispatch_p50,
              (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FROM e) AS dispatch_p95,
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM d) AS attempt_p50,
              (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FROM d) AS attempt_p95`,
      [EVENT_TYPE],
    );
    // The attempt jobs' own timestamps (BullMQ keeps the last 1,000 completed): waiting in the queue vs running.
    const deliveryQueue = new Queue('webhook-deliveries', { connection: redisOptionsFromUrl(REDIS_URL), prefix: PREFIX });
    const done = (await deliveryQueue.getCompleted(0, 999)).filter((j) => j.processedOn && j.finishedOn);
    await deliveryQueue.close();
    const waits = done.map((j) => j.processedOn! - j.timestamp).sort((a, b) => a - b);
    const runs = done.map((j) => j.finishedOn! - j.processedOn!).sort((a, b) => a - b);
    console.error(
      `last ${done.length} attempt jobs: queued p50 ${pct(waits, 50)} ms, p95 ${pct(waits, 95)} ms; ` +
        `running p50 ${pct(runs, 50)} ms, p95 ${pct(runs, 95)} ms (deferred ones count from their last deferral)`,
    );
    console.error(
      `CPU per event: API ${result.cpu_ms_per_event.api} ms, worker${WORKERS > 1 ? 's' : ''} ${result.cpu_ms_per_event.workers} ms (summary job and retries included)`,
    );
    console.error(
      `stages: commit → fan-out p50 ${Math.round(stages.dispatch_p50)} ms, p95 ${Math.round(stages.dispatch_p95)} ms; ` +
        `fan-out → first attempt recorded (2xx) p50 ${Math.round(stages.attempt_p50)} ms, p95 ${Math.round(stages.attempt_p95)} ms`,
    );
    process.stdout.write(`${JSON.stringify({ ...result, stages_ms: stages })}\n`);
    return result.pass;
  } finally {
    await stopChildren();
    await Promise.all(receivers.map((r) => r.close()));
    await scratch?.drop().catch((err) => console.error(`could not drop ${scratch?.name}: ${err}`));
    const dropped = await deleteKeys(REDIS_URL, `${PREFIX}:*`).catch((err) => (console.error(`could not clean Redis: ${err}`), 0));
    console.error(`cleaned up: database ${scratch?.name ?? '-'} dropped, ${dropped} Redis keys under ${PREFIX}: removed`);
  }
}

main().then(
  (pass) => process.exit(pass ? 0 : 1),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
