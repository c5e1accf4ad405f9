// One HTTP attempt: POST with a hard deadline, no redirects, at most a few KB of the answer read —
// a receiver that answers slowly, endlessly or hugely costs one job slot for at most the timeout, and
// its connection is closed. A connection whose answer ended cleanly goes back to a keep-alive pool
// (connecting per attempt was a good part of bench:webhooks' CPU). The SSRF guard checks the address
// of every new connection (DNS may have changed); a pooled one stays connected to an address that
// was checked, and pools are separate for WEBHOOK_ALLOW_PRIVATE_URLS on and off.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { checkUrlSyntax, guardedLookup, hostOf } from '../../lib/ssrf-guard.js';
import { traceHttpClient } from '../../lib/tracing.js';

const MAX_RESPONSE_BYTES = 4096;

export interface SendResult {
  /** Absent when no answer came (refused, timed out, blocked). */
  statusCode?: number;
  durationMs: number;
  error?: string;
  /** The start of the answer, for the delivery log. */
  responseExcerpt?: string;
}

export interface SendRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
}

const agents = new Map<string, http.Agent>();

function agentFor(protocol: string, allowPrivate: boolean): http.Agent {
  const key = `${protocol}${allowPrivate}`;
  let agent = agents.get(key);
  if (!agent) {
    // Idle connections are closed after 15 s; at most 16 idle per receiver are kept.
    const options = { keepAlive: true, maxFreeSockets: 16, timeout: 15_000, scheduling: 'lifo' as const };
    agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    agents.set(key, agent);
  }
  return agent;
}

/** With tracing on, the attempt is a client span and its `traceparent` is sent to the receiver (docs/operations.md, Tracing). */
export function sendWebhook(req: SendRequest): Promise<SendResult> {
  return traceHttpClient('POST', req.url, req.headers, (headers) => attempt({ ...req, headers }, performance.now(), false));
}

/** `fresh`: on a new connection of its own (the retry after a pooled connection turned out closed). */
function attempt(req: SendRequest, started: number, fresh: boolean): Promise<SendResult> {
  const elapsed = () => Math.round(performance.now() - started);
  const syntax = checkUrlSyntax(req.url, req.allowPrivate);
  if (!syntax.url) return Promise.resolve({ durationMs: elapsed(), error: `Refused: ${syntax.errors.join('; ')}` });
  const url = syntax.url;
  const client = url.protocol === 'https:' ? https : http;

  return new Promise<SendResult>((resolve) => {
    let done = false;
    let status: number | undefined;
    let excerpt = '';
    const finish = (r: Omit<SendResult, 'durationMs'>, reusable = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!reusable) request.destroy();
      resolve({ ...r, durationMs: elapsed(), ...(excerpt ? { responseExcerpt: excerpt } : {}) });
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: {
          ...req.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(req.body)),
          'user-agent': 'AImyChats-Webhooks/1.0',
        },
        agent: fresh ? false : agentFor(url.protocol, req.allowPrivate),
        // IP literals never reach `lookup`: checkUrlSyntax has checked them.
        ...(net.isIP(hostOf(url)) ? {} : { lookup: guardedLookup(req.allowPrivate) as never }),
      },
      (res) => {
        status = res.statusCode;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (excerpt.length < MAX_RESPONSE_BYTES) excerpt += chunk.slice(0, MAX_RESPONSE_BYTES - excerpt.length);
          if (excerpt.length >= MAX_RESPONSE_BYTES) finish({ statusCode: status }); // enough: stop reading
        });
        res.on('end', () => finish({ statusCode: status }, true)); // read to the end: the agent may keep the connection
        res.on('error', () => finish({ statusCode: status }));
      },
    );
    const timer = setTimeout(
      // Headers that arrived in time count; a body that never ends does not make it a failure.
      () => finish(status !== undefined ? { statusCode: status } : { error: `Timed out after ${req.timeoutMs} ms` }),
      req.timeoutMs,
    );
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (status !== undefined) return finish({ statusCode: status });
      // A pooled connection the receiver had closed meanwhile: nothing was received, so send once more on a
      // new connection rather than count a failure (Node's documented pattern for keep-alive races).
      if (!fresh && !done && request.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        done = true;
        clearTimeout(timer);
        resolve(attempt(req, started, true));
        return;
      }
      finish({ error: err.name === 'BlockedAddressError' ? `Refused: ${err.message}` : `${err.code ?? 'Error'}: ${err.message}` });
    });
    request.end(req.body);
  });
}
