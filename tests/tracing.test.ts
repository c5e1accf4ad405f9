// Tracing (docs/operations.md, Tracing): one trace from the HTTP request through GraphQL execution,
// the database and the BullMQ enqueue into the jobs it causes and the webhook attempt, the trace id in
// the request's log line beside the request id, and `traceparent` sent to the webhook receiver.
// The spans go to OpenTelemetry's in-memory exporter, handed to the same start-up the OTLP endpoint
// drives (lib/tracing.ts); BullMQ and the receiver are real. A second part runs the API and a worker
// as separate processes exporting over OTLP/HTTP to a fake collector (a third-party service).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { startTracing, type Tracing } from '../src/lib/tracing.js';
import { bullEnv, dropPrefix, eventually, uniquePrefix } from './helpers/jobs.js';
import { accountOn, killAll, startApi, startWorker, stopProcess } from './helpers/processes.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

const REDIS_DB = 12;
const prefix = uniquePrefix('tracing');
const CHAT = 'Tom: Can you send the pricing sheet?\nAnna: Sure, I will send it tomorrow.';
const WAIT = 30_000;

const exporter = new InMemorySpanExporter();
/** Every JSON log line the process writes (pino writes to fd 2 with fs.writeSync). */
const logLines: Record<string, unknown>[] = [];
let tracing: Tracing | null;
let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  const writeSync = fs.writeSync.bind(fs) as (...a: unknown[]) => number;
  vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd === 2 && (typeof data === 'string' || Buffer.isBuffer(data))) {
      for (const line of String(data).split('\n')) {
        try {
          logLines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
      return Buffer.byteLength(String(data));
    }
    return writeSync(fd, data, ...rest);
  }) as typeof fs.writeSync);
  receiver = await startReceiver();
  const env = { ...bullEnv(REDIS_DB, prefix), WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_TIMEOUT_MS: '5000', LOG_LEVEL: 'info' };
  // As with OTEL_EXPORTER_OTLP_ENDPOINT set, but the spans stay in this process.
  tracing = await startTracing(loadConfig({ DATABASE_URL: inject('databaseUrl'), ...env }), 'aimychats-api', { exporter });
  server = await startTestServer(env);
});
afterAll(async () => {
  await server?.stop();
  await tracing?.shutdown();
  await receiver?.close();
  await dropPrefix(REDIS_DB, prefix);
  vi.restoreAllMocks();
});

const spans = () => exporter.getFinishedSpans();
const inTrace = (traceId: string) => spans().filter((s) => s.spanContext().traceId === traceId);
const parentOf = (s: ReadableSpan, all: ReadableSpan[]) => all.find((p) => p.spanContext().spanId === s.parentSpanContext?.spanId);

/** The chain of span names from `s` up to its root. */
function ancestry(s: ReadableSpan, all: ReadableSpan[]): ReadableSpan[] {
  const chain = [s];
  for (let p = parentOf(s, all); p; p = parentOf(p, all)) chain.push(p);
  return chain;
}

describe('tracing', () => {
  it('follows a REST request through GraphQL, the database and the queue into the webhook attempt it causes', async () => {
    const { client } = await newAccount(server);
    const hook = receiver.endpoint();
    expect((await client.post('/v1/webhooks', { url: hook.url, events: ['conversation.created'] })).status).toBe(201);

    const created = await client.post('/v1/conversations', { title: 'Traced', content: CHAT });
    expect(created.status, created.text).toBe(201);
    const requestId = created.headers.get('x-request-id');

    const [delivery] = await eventually(
      async () => receiver.at(hook.path),
      (r) => r.length > 0,
      WAIT,
    );
    expect(delivery?.json?.type).toBe('conversation.created');

    // The HTTP server span of the POST, found by the request id it records.
    const request = await eventually(
      async () => spans().find((s) => s.kind === SpanKind.SERVER && s.attributes['aimychats.request_id'] === requestId),
      (s) => s !== undefined,
      WAIT,
    );
    expect(request).toBeDefined();
    expect(request!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/v1/conversations',
      'http.response.status_code': 201,
    });
    const traceId = request!.spanContext().traceId;

    // The webhook attempt's client span ends after the receiver answered, its job's span after the
    // attempt is recorded: wait for that one.
    const isDeliverJob = (s: ReadableSpan) => s.kind === SpanKind.CONSUMER && s.attributes['aimychats.job.name'] === 'webhook.deliver';
    await eventually(
      async () => inTrace(traceId).some(isDeliverJob),
      (found) => found,
      WAIT,
    );
    const attempt = inTrace(traceId).find((s) => s.kind === SpanKind.CLIENT && s.attributes['url.full'] === hook.url);
    expect(attempt, "the webhook attempt is in the request's trace").toBeDefined();
    expect(attempt!.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200 });

    const trace = inTrace(traceId);
    const graphql = trace.find((s) => s.attributes['graphql.operation.type'] === 'mutation');
    expect(graphql, 'a GraphQL execution span').toBeDefined();
    expect(parentOf(graphql!, trace)).toBe(request);
    const inserts = trace.filter((s) => s.attributes['db.system.name'] === 'postgresql' && ancestry(s, trace).includes(graphql!));
    expect(inserts.length, 'database spans under the GraphQL execution').toBeGreaterThan(0);
    const enqueue = trace.find((s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.destination.name'] === 'webhooks');
    expect(enqueue?.attributes).toMatchObject({ 'messaging.system': 'bullmq', 'aimychats.job.name': 'webhook.dispatch' });
    expect(ancestry(enqueue!, trace)).toContain(request);
    const dispatch = trace.find((s) => s.kind === SpanKind.CONSUMER && s.attributes['aimychats.job.name'] === 'webhook.dispatch');
    expect(dispatch, 'the dispatch job continues the trace').toBeDefined();
    expect(parentOf(dispatch!, trace)).toBe(enqueue);
    const deliver = trace.find(isDeliverJob);
    expect(deliver, 'the delivery job continues the trace').toBeDefined();
    expect(ancestry(deliver!, trace)).toContain(dispatch);
    expect(trace.some((s) => s.attributes['db.system.name'] === 'postgresql' && ancestry(s, trace).includes(deliver!))).toBe(true);
    // The chain from the attempt up: client → deliver job → its enqueue → dispatch job → its enqueue → … → the request.
    const chain = ancestry(attempt!, trace);
    expect(chain).toContain(deliver);
    expect(chain).toContain(dispatch);
    expect(chain.at(-1)).toBe(request);

    // The receiver can join the trace: its request carries the attempt span as parent.
    expect(delivery.headers.traceparent).toBe(`00-${traceId}-${attempt!.spanContext().spanId}-01`);

    // The request's log line carries the trace id beside the request id.
    const line = logLines.find((l) => l.msg === 'request' && l.requestId === requestId);
    expect(line).toMatchObject({ requestId, traceId, status: 201 });
    // So do the jobs' lines of that trace.
    expect(logLines.some((l) => l.msg === 'job completed' && l.job === 'webhook.deliver' && l.traceId === traceId)).toBe(true);
  });

  it('continues a trace the client started (W3C traceparent) and also traces the /graphql door', async () => {
    const { client } = await newAccount(server);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const res = await client.request(
      'POST',
      '/graphql',
      { query: 'query Me { account { id } }' },
      { traceparent: `00-${traceId}-${parent}-01` },
    );
    expect(res.status, res.text).toBe(200);
    const request = await eventually(
      async () => inTrace(traceId).find((s) => s.kind === SpanKind.SERVER),
      (s) => s !== undefined,
      WAIT,
    );
    expect(request?.parentSpanContext?.spanId).toBe(parent);
    const trace = inTrace(traceId);
    const graphql = trace.find((s) => s.name === 'query Me');
    expect(graphql?.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'Me' });
    expect(parentOf(graphql!, trace)).toBe(request);
  });
});

/**
 * A stand-in for an OpenTelemetry collector's OTLP/HTTP receiver: records each export request (protobuf
 * bodies, checked for the bytes of a trace id and a service name rather than decoded) and accepts it.
 */
async function startCollector() {
  const exports: { path: string; contentType?: string; body: Buffer }[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    exports.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: Buffer.concat(chunks) });
    res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end(); // an empty ExportTraceServiceResponse
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('tracing across processes, exported over OTLP', () => {
  const processPrefix = uniquePrefix('tracing_procs');
  afterAll(async () => {
    await killAll();
    await dropPrefix(REDIS_DB, processPrefix);
  });

  it("the worker process continues the API process's trace; both export it under their service names", async () => {
    const collector = await startCollector();
    try {
      const env = {
        DATABASE_URL: inject('databaseUrl'),
        ...bullEnv(REDIS_DB, processPrefix),
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      };
      const [api, worker] = await Promise.all([startApi({ ...env, RUN_WORKERS: 'false' }), startWorker(env)]);
      const { client } = await accountOn(inject('databaseUrl'), api.url);
      const hook = receiver.endpoint();
      expect((await client.post('/v1/webhooks', { url: hook.url, events: ['conversation.created'] })).status).toBe(201);
      const created = await client.post('/v1/conversations', { title: 'Traced across processes', content: CHAT });
      expect(created.status, created.text).toBe(201);
      const [delivery] = await eventually(
        async () => receiver.at(hook.path),
        (r) => r.length > 0,
        WAIT,
      );
      const traceId = /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(delivery?.headers.traceparent ?? '')?.[1];
      expect(traceId, `traceparent ${delivery?.headers.traceparent}`).toBeDefined();

      // The API's request line carries that trace id: the worker's attempt is in the request's trace.
      const requestLine = api.logs().find((l) => l.msg === 'request' && l.requestId === created.headers.get('x-request-id'));
      expect(requestLine?.traceId).toBe(traceId);
      // The worker logs the job's end after the receiver answered.
      const jobLine = await eventually(
        async () => worker.logs().find((l) => l.msg === 'job completed' && l.job === 'webhook.deliver'),
        (l) => !!l,
        WAIT,
      );
      expect(jobLine?.traceId).toBe(traceId);

      // A graceful stop sends the spans still batched.
      await Promise.all([stopProcess(api), stopProcess(worker)]);
      const idBytes = Buffer.from(traceId!, 'hex');
      const withTrace = collector.exports.filter((e) => e.body.includes(idBytes));
      expect(withTrace.every((e) => e.path === '/v1/traces' && e.contentType === 'application/x-protobuf')).toBe(true);
      expect(withTrace.some((e) => e.body.includes('aimychats-api'))).toBe(true);
      expect(withTrace.some((e) => e.body.includes('aimychats-worker'))).toBe(true);
    } finally {
      await collector.close();
    }
  }, 180_000);
});

describe('tracing configuration', () => {
  const base = { DATABASE_URL: 'postgres://localhost/x' };
  it('is off without an OTLP endpoint, or with OTEL_SDK_DISABLED=true', () => {
    expect(loadConfig(base).tracing).toBeUndefined();
    expect(
      loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing,
    ).toBeUndefined();
  });

  it('reads the standard variables', () => {
    expect(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      endpoint: 'http://collector:4318/v1/traces',
      headers: {},
      serviceName: undefined,
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
    const t = loadConfig({
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-team=chat, authorization=Bearer%20abc',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=traces',
      OTEL_SERVICE_NAME: 'chats-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    }).tracing;
    expect(t).toEqual({
      endpoint: 'https://traces.example.com/otlp/v1/traces',
      headers: { 'x-team': 'traces', authorization: 'Bearer abc' },
      serviceName: 'chats-eu',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
  });

  it('names each bad variable', () => {
    let err: unknown;
    try {
      loadConfig({
        ...base,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'novalue',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER_ARG: '2',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    for (const name of [
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_SAMPLER_ARG',
    ]) {
      expect((err as Error).message).toContain(name);
    }
  });
});
