// Prometheus metrics (prom-client): one registry per process, served by GET /metrics (server.ts) and,
// in workers, on METRICS_PORT. Counters and histograms are recorded where things happen (HTTP requests
// in server.ts, GraphQL in graphql/yoga.ts, jobs in jobs/attempt.ts, webhook attempts in
// modules/webhooks); queue depth and database pool gauges are read from the app when scraped.
import http from 'node:http';
import crypto from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from './logger.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpRequestDuration = new Histogram({
  name: 'aimychats_http_request_duration_seconds',
  help: 'HTTP requests by route template (never raw ids; "unmatched" for unknown paths), method and status',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

const graphqlOperations = new Counter({
  name: 'aimychats_graphql_operations_total',
  help: 'GraphQL operations executed, by operation name ("anonymous" without one, "other" past the first 200 names) and type',
  labelNames: ['operation_name', 'operation_type'] as const,
  registers: [registry],
});

const graphqlErrors = new Counter({
  name: 'aimychats_graphql_errors_total',
  help: 'Errors in GraphQL responses by public error code (extensions.code)',
  labelNames: ['code'] as const,
  registers: [registry],
});

const jobDuration = new Histogram({
  name: 'aimychats_job_duration_seconds',
  help: 'Job attempts by queue, job name and outcome (completed | failed)',
  labelNames: ['queue', 'job', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

const jobFailures = new Counter({
  name: 'aimychats_job_failures_total',
  help: 'Failed job attempts by queue and job name; final="true" when the job will not be retried',
  labelNames: ['queue', 'job', 'final'] as const,
  registers: [registry],
});

export type WebhookDeliveryOutcome = 'success' | 'retry' | 'failure' | 'gone' | 'disabled';

const webhookDeliveries = new Counter({
  name: 'aimychats_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome: success (2xx), retry (failed, another attempt scheduled), failure (failed, no attempt left), gone (410: endpoint switched off), disabled (endpoint was off)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/** What the scrape-time gauges read: this process's job runner and database pool. */
export interface MetricsSource {
  /** Jobs per queue and state (the job runner's `counts`). */
  jobs: { counts(): Promise<Record<string, Record<string, number>>> };
  db: { poolStats?(): PoolStats | undefined };
  log: Logger;
}

export interface PoolStats {
  /** Connections open (idle + in use). */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  max: number;
}

let source: MetricsSource | undefined;

/**
 * Makes `s` the app whose queues and pool the gauges report (one per process; in tests the server
 * started last). Returns the function that undoes it.
 */
export function bindMetricsSource(s: MetricsSource): () => void {
  source = s;
  return () => {
    if (source === s) source = undefined;
  };
}

const QUEUE_COUNTS_TIMEOUT_MS = 2_000;

new Gauge({
  name: 'aimychats_job_queue_depth',
  help: 'Jobs per queue and state (waiting, active, delayed, failed), read when scraped; with Redis every instance reports the same shared queues',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    if (!source) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const counts = await Promise.race([
        source.jobs.counts(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`queue counts timed out after ${QUEUE_COUNTS_TIMEOUT_MS} ms`)),
            QUEUE_COUNTS_TIMEOUT_MS,
          );
        }),
      ]);
      for (const [queue, states] of Object.entries(counts)) {
        for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
      }
    } catch (err) {
      // A scrape must not fail because Redis is away: the series is missing for this scrape.
      source.log.warn({ err }, 'metrics: could not read queue depths');
    } finally {
      clearTimeout(timer);
    }
  },
});

new Gauge({
  name: 'aimychats_db_pool_connections',
  help: 'PostgreSQL pool of this process: total, idle and in-use connections, waiting queries, and the maximum (absent on the embedded database)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    const stats = source?.db.poolStats?.();
    if (!stats) return;
    this.set({ state: 'total' }, stats.total);
    this.set({ state: 'idle' }, stats.idle);
    this.set({ state: 'in_use' }, stats.total - stats.idle);
    this.set({ state: 'waiting' }, stats.waiting);
    this.set({ state: 'max' }, stats.max);
  },
});

export function recordWebhookDelivery(outcome: WebhookDeliveryOutcome): void {
  webhookDeliveries.inc({ outcome });
}

export function recordJobAttempt(queue: string, job: string, seconds: number, failure?: { final: boolean }): void {
  jobDuration.observe({ queue, job, outcome: failure ? 'failed' : 'completed' }, seconds);
  if (failure) jobFailures.inc({ queue, job, final: String(failure.final) });
}

/** Operation names are the client's choice: the label set is bounded so that no client can grow it without end. */
const MAX_OPERATION_NAMES = 200;
const operationNames = new Set<string>();

export function recordGraphQLOperation(name: string | undefined, type: string): void {
  let label = name && /^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name) ? name : 'anonymous';
  if (label !== 'anonymous' && !operationNames.has(label)) {
    if (operationNames.size >= MAX_OPERATION_NAMES) label = 'other';
    else operationNames.add(label);
  }
  graphqlOperations.inc({ operation_name: label, operation_type: type });
}

export function recordGraphQLError(code: string): void {
  graphqlErrors.inc({ code: /^[a-z_]{1,40}$/.test(code) ? code : 'other' });
}

/** True when `authorization` carries the token (constant time); always true without a token. */
export function metricsAuthorized(token: string | undefined, authorization: string | undefined): boolean {
  if (!token) return true;
  const given = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1]?.trim() ?? '';
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b);
}

/** Answers a scrape: the registry in Prometheus text format, or 401 when METRICS_TOKEN is set and not given. */
export async function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse, token: string | undefined): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
    return;
  }
  if (!metricsAuthorized(token, req.headers.authorization)) {
    res.writeHead(401, { 'WWW-Authenticate': 'Bearer', 'Content-Type': 'text/plain; charset=utf-8' }).end('Unauthorized\n');
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * For processes without an API server (`npm run worker` with METRICS_PORT): /metrics and /healthz only.
 * Unreferenced, so it never keeps a stopping process alive.
 */
export async function startMetricsServer(port: number, host: string, token: string | undefined, log: Logger): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      serveMetrics(req, res, token).catch((err) => {
        log.error({ err }, 'metrics scrape failed');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    } else if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end('{"status":"ok"}');
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  server.unref();
  log.info({ port, host }, 'metrics served on /metrics');
  return server;
}
