// OpenTelemetry tracing (docs/operations.md, Tracing). Off unless an OTLP endpoint is configured, and
// then at no cost: neither the API nor the SDK is loaded, and every helper below just calls its
// function. On, one trace follows a request through the HTTP server, GraphQL execution (both doors),
// the database, the job queue (the context rides on the job) into the job's run and the webhook
// attempt it makes.
//
// Spans are made at our own seams (server.ts, yoga/Sofa execute, lib/db.ts, jobs/, send-webhook.ts)
// rather than by the auto-instrumentations: those patch `require`, and this server is ESM run by
// tsx, where such hooks see some modules and not others. Ours see every query and job, always.
import type * as Api from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type http from 'node:http';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';

type Otel = { api: typeof Api; tracer: Api.Tracer };
const SHUTDOWN_FLUSH_MS = 5_000;
let otel: Otel | undefined;

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type Attributes = Record<string, string | number | boolean | undefined>;

export interface Tracing {
  /** Sends the spans still buffered, then stops tracing in this process. */
  shutdown(): Promise<void>;
}

export function tracingEnabled(): boolean {
  return otel !== undefined;
}

/**
 * Starts tracing for this process when `config.tracing` is set (or, for tests, an exporter is given).
 * Null when tracing stays off, or was already started (by a test, or by the API and worker sharing a
 * process): the one who started it shuts it down.
 */
export async function startTracing(
  config: Config,
  defaultService: string,
  opts: { exporter?: SpanExporter } = {},
): Promise<Tracing | null> {
  const settings = config.tracing;
  if (otel || (!settings && !opts.exporter)) return null;
  const [api, sdk, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
  ]);
  // A test reads spans as soon as they end (SimpleSpanProcessor); an OTLP endpoint gets them in batches.
  const processor = opts.exporter
    ? new sdk.SimpleSpanProcessor({ exporter: opts.exporter })
    : new sdk.BatchSpanProcessor({
        exporter: new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter({
          url: settings!.endpoint,
          headers: settings!.headers,
        }),
      });
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings?.serviceName ?? defaultService }),
    sampler: sampler(sdk, settings?.sampler ?? 'parentbased_always_on', settings?.samplerRatio ?? 1),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  otel = { api, tracer: provider.getTracer('aimychats') };
  return {
    async shutdown() {
      // Bounded: a collector that does not answer must not hold up a stop.
      await Promise.race([provider.shutdown(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref())]);
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
      otel = undefined;
    },
  };
}

function sampler(sdk: typeof import('@opentelemetry/sdk-trace'), name: string, ratio: number) {
  const root = name.endsWith('always_off')
    ? new sdk.AlwaysOffSampler()
    : name.endsWith('traceidratio')
      ? new sdk.TraceIdRatioBasedSampler(ratio)
      : new sdk.AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root }) : root;
}

/**
 * Runs `fn` in a new span, a child of `parent` or of the active context; a thrown error marks the
 * span failed unless `expected(err)` says it is part of normal flow. Off: just `fn()`.
 */
export function inSpan<T>(
  name: string,
  kind: SpanKindName,
  attributes: Attributes,
  fn: (span?: Api.Span) => Promise<T>,
  opts: { parent?: Api.Context; expected?: (err: unknown) => boolean } = {},
): Promise<T> {
  if (!otel) return fn();
  const { api, tracer } = otel;
  const spanKind = {
    internal: api.SpanKind.INTERNAL,
    server: api.SpanKind.SERVER,
    client: api.SpanKind.CLIENT,
    producer: api.SpanKind.PRODUCER,
    consumer: api.SpanKind.CONSUMER,
  }[kind];
  return tracer.startActiveSpan(
    name,
    { kind: spanKind, attributes: defined(attributes) },
    opts.parent ?? api.context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        if (!opts.expected?.(err)) failed(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

function failed(span: Api.Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: otel!.api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

function defined(a: Attributes): Api.Attributes {
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as Api.Attributes;
}

/** The active context as W3C headers (`traceparent`, `tracestate`); undefined when off or outside a trace. */
export function traceCarrier(): Record<string, string> | undefined {
  if (!otel) return undefined;
  const carrier: Record<string, string> = {};
  otel.api.propagation.inject(otel.api.context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The context a carrier (traceCarrier's, or a request's headers) describes; undefined when off. */
export function contextFrom(carrier: Record<string, string | string[] | undefined> | undefined): Api.Context | undefined {
  if (!otel || !carrier) return undefined;
  return otel.api.propagation.extract(otel.api.ROOT_CONTEXT, carrier);
}

// ---- The seams -------------------------------------------------------------------------------------

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** Probes and scrapes: a trace every few seconds per instance that says nothing. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The HTTP server span around a request handler; an incoming `traceparent` is honoured. The request
 * and response are bound to the span's context, so that their event listeners (the request log line
 * written on `finish`) log its trace id. Off: the handler itself.
 */
export function traceHttpServer(handler: Handler): Handler {
  if (!otel) return handler;
  return (req, res) => {
    if (!otel) return handler(req, res);
    const { api } = otel;
    const path = (req.url ?? '/').split('?')[0];
    if (UNTRACED_PATHS.has(path)) return handler(req, res);
    const parent = api.propagation.extract(api.ROOT_CONTEXT, req.headers);
    return inSpan(
      req.method ?? 'HTTP',
      'server',
      { 'http.request.method': req.method, 'url.path': path, 'url.scheme': 'http', 'user_agent.original': req.headers['user-agent'] },
      (span) =>
        new Promise<void>((resolve, reject) => {
          const ctx = api.context.active();
          api.context.bind(ctx, req);
          api.context.bind(ctx, res);
          let ended = false;
          const done = () => {
            if (ended) return;
            ended = true;
            span!.setAttribute('http.response.status_code', res.statusCode);
            const requestId = res.getHeader('x-request-id');
            if (requestId) span!.setAttribute('aimychats.request_id', String(requestId));
            if (res.statusCode >= 500) span!.setStatus({ code: api.SpanStatusCode.ERROR });
            resolve();
          };
          res.once('finish', done);
          res.once('close', done);
          handler(req, res).catch(reject);
        }),
      { parent },
    );
  };
}

/** The GraphQL execution span (`query conversations`, `mutation createConversation`), for both doors. */
export function traceGraphQL<T>(
  args: { document: DocumentNode; operationName?: string | null },
  execute: () => T | Promise<T>,
): Promise<T> | T {
  if (!otel) return execute();
  const op = operationOf(args.document, args.operationName);
  const type = op?.operation ?? 'query';
  const name = op?.name?.value;
  return inSpan(name ? `${type} ${name}` : type, 'internal', { 'graphql.operation.type': type, 'graphql.operation.name': name }, async () =>
    execute(),
  );
}

/** graphql-js's getOperationAST, here so that loading this module (the logger does) loads nothing else. */
function operationOf(document: DocumentNode, name?: string | null): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  return name ? ops.find((o) => o.name?.value === name) : ops.length === 1 ? ops[0] : undefined;
}

/** Yoga's plugin for traceGraphQL; none when tracing is off. */
export function graphQLTracingPlugins(): Plugin[] {
  if (!otel) return [];
  return [
    {
      onExecute({ executeFn, setExecuteFn }) {
        setExecuteFn((args) => traceGraphQL(args, () => executeFn(args)));
      },
    },
  ];
}

const DB = { 'db.system.name': 'postgresql' };

/** A raw SQL statement (parameters are never recorded, only the statement's text). */
export function traceQuery<T>(text: string, run: () => Promise<T>): Promise<T> {
  if (!otel) return run();
  // The first keyword (WITH for a statement with CTEs: finding its main verb would mean parsing SQL).
  const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
  return inSpan(
    operation,
    'client',
    { ...DB, 'db.operation.name': operation, 'db.query.text': text.replace(/\s+/g, ' ').trim().slice(0, 2000) },
    run,
  );
}

/** A Prisma operation (`Conversation.create`); its SQL runs inside. */
export function tracePrisma<T>(model: string | undefined, operation: string, run: () => Promise<T>): Promise<T> {
  if (!otel) return run();
  const name = model ? `${model}.${operation}` : operation;
  return inSpan(`prisma ${name}`, 'client', { ...DB, 'db.operation.name': operation, 'db.collection.name': model }, run);
}

/** Adding jobs to a queue (one Redis round trip); `run` gets the context to store with the jobs. */
export function traceEnqueue<T>(
  queue: string,
  jobName: string,
  count: number,
  system: 'bullmq' | 'in-process',
  run: (carrier?: Record<string, string>) => Promise<T>,
): Promise<T> {
  if (!otel) return run();
  return inSpan(
    `send ${queue}`,
    'producer',
    {
      'messaging.system': system,
      'messaging.destination.name': queue,
      'messaging.operation.type': 'send',
      'messaging.batch.message_count': count > 1 ? count : undefined,
      'aimychats.job.name': jobName,
    },
    () => run(traceCarrier()),
  );
}

/** One attempt of a job, a child of the context its enqueue stored (a new trace when none was). */
export function traceJob<T>(
  queue: string,
  jobName: string,
  info: { jobId: string; attempt: number; carrier?: Record<string, string> },
  system: 'bullmq' | 'in-process',
  run: () => Promise<T>,
  expected?: (err: unknown) => boolean,
): Promise<T> {
  if (!otel) return run();
  return inSpan(
    `process ${queue}`,
    'consumer',
    {
      'messaging.system': system,
      'messaging.destination.name': queue,
      'messaging.operation.type': 'process',
      'messaging.message.id': info.jobId,
      'aimychats.job.name': jobName,
      'aimychats.job.attempt': info.attempt,
    },
    run,
    { parent: contextFrom(info.carrier) ?? otel.api.ROOT_CONTEXT, expected },
  );
}

/**
 * An outgoing HTTP request (a webhook attempt): a client span, and its context added to the request's
 * headers as `traceparent`, so that a receiver that traces can join the trace.
 */
export function traceHttpClient<T extends { statusCode?: number; error?: string }>(
  method: string,
  url: string,
  headers: Record<string, string>,
  send: (headers: Record<string, string>) => Promise<T>,
): Promise<T> {
  if (!otel) return send(headers);
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  const attributes = {
    'http.request.method': method,
    // Without the query string: a receiver's URL may carry a token there.
    'url.full': u ? `${u.protocol}//${u.host}${u.pathname}` : undefined,
    'server.address': u?.hostname,
    'server.port': u ? Number(u.port || (u.protocol === 'https:' ? 443 : 80)) : undefined,
  };
  return inSpan(method, 'client', attributes, async (span) => {
    const result = await send({ ...headers, ...traceCarrier() });
    if (result.statusCode !== undefined) span!.setAttribute('http.response.status_code', result.statusCode);
    if (result.error || result.statusCode === undefined || result.statusCode >= 400) {
      span!.setStatus({ code: otel!.api.SpanStatusCode.ERROR, message: result.error ?? `HTTP ${result.statusCode}` });
    }
    return result;
  });
}

/**
 * OpenTelemetry's own warnings and errors (a collector that refuses or cannot be reached, spans dropped
 * because the buffer is full) go to `log`; silent otherwise, as the SDK is by default.
 */
export function logTracingProblems(log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void }): void {
  if (!otel) return;
  const { api } = otel;
  const to =
    (level: 'warn' | 'error') =>
    (message: string, ...args: unknown[]) =>
      log[level](
        args.length
          ? { detail: args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ') }
          : {},
        `OpenTelemetry: ${message}`,
      );
  const none = () => {};
  api.diag.setLogger(
    { error: to('error'), warn: to('warn'), info: none, debug: none, verbose: none },
    { logLevel: api.DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

/** For pino's `mixin`: the trace and span ids of the active span, beside the log line's other fields. */
export function traceLogFields(): { traceId?: string; spanId?: string } {
  if (!otel) return {};
  const span = otel.api.trace.getSpan(otel.api.context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return otel.api.isSpanContextValid(span.spanContext()) ? { traceId, spanId } : {};
}
