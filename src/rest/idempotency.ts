// Idempotency-Key on the /v1 POST routes (docs/api.md): claims the key before the route runs, then
// records whatever the door writes as the answer (status, replayed headers, body) and stores it when
// the response ends — before the client can see it, so that a retry right after finds it stored.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { App } from '../app.js';
import type { Logger } from '../lib/logger.js';
import {
  claimIdempotencyKey,
  finishIdempotencyKey,
  IDEMPOTENCY_HEADER,
  idempotencyKeyOf,
  REPLAY_HEADER,
  requestFingerprint,
  type StoredResponse,
} from '../modules/idempotency/idempotency-keys.js';

/** The answer's headers worth replaying (the rest — dates, request ids, security headers — are the retry's own). */
const REPLAYED = new Set(['content-type', 'location']);

/**
 * Multipart bodies stream to storage and are never held whole, so their fingerprint is the method, path,
 * media type and Content-Length instead of the bytes (the multipart boundary differs between tries anyway).
 */
export function multipartFingerprintBody(req: IncomingMessage): unknown {
  return {
    multipart: (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase(),
    length: req.headers['content-length'] ?? null,
  };
}

/**
 * For a request carrying Idempotency-Key: answers a replay itself ('answered'), throws the 409/422, or
 * claims the key and arranges for the door's answer to be stored ('claimed'). 'none' without the header.
 */
export async function beginIdempotentRequest(
  app: App,
  req: IncomingMessage,
  res: ServerResponse,
  accountId: string,
  url: URL,
  body: unknown,
  log: Logger,
): Promise<'none' | 'answered' | 'claimed'> {
  const key = idempotencyKeyOf(req.headers[IDEMPOTENCY_HEADER]);
  if (key === undefined) return 'none';
  const fingerprint = requestFingerprint(req.method ?? 'POST', canonicalPath(url), body);
  const claim = await claimIdempotencyKey(app, accountId, key, fingerprint);
  if (claim.kind === 'replay') {
    res.writeHead(claim.response.status, {
      ...claim.response.headers,
      'Content-Length': Buffer.byteLength(claim.response.body),
      [REPLAY_HEADER]: 'true',
    });
    res.end(claim.response.body);
    return 'answered';
  }
  recordAnswer(res, (response) =>
    finishIdempotencyKey(app, accountId, key, response).catch((err) => log.error({ err, key }, 'could not store the idempotent answer')),
  );
  return 'claimed';
}

/** `/v1/conversations?x=1`: the path without empty segments, and the query as sent. */
function canonicalPath(url: URL): string {
  return `/${url.pathname.split('/').filter(Boolean).join('/')}${url.search}`;
}

/**
 * Wraps `res` so that its one answer is handed to `store` before it goes out; an answer written in
 * pieces, or a connection closed with none, is handed over as undefined (the key is freed).
 */
function recordAnswer(res: ServerResponse, store: (response: StoredResponse | undefined) => Promise<void>): void {
  let status = 0;
  let headers: Record<string, string> = {};
  let streamed = false;
  let settled = false;
  const settle = (response: StoredResponse | undefined) => {
    if (settled) return Promise.resolve();
    settled = true;
    return store(response);
  };
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((code: number, ...rest: unknown[]) => {
    status = code;
    const given = rest.find((r) => r && typeof r === 'object' && !Array.isArray(r)) as OutgoingHttpHeaders | undefined;
    headers = Object.fromEntries(
      Object.entries({ ...res.getHeaders(), ...given })
        .filter(([name, v]) => REPLAYED.has(name.toLowerCase()) && v !== undefined)
        .map(([name, v]) => [name, String(v)]),
    );
    return writeHead(code, ...rest);
  }) as typeof res.writeHead;
  res.write = ((...args: unknown[]) => {
    streamed = true;
    return write(...args);
  }) as typeof res.write;
  res.end = ((...args: unknown[]) => {
    const [chunk] = args;
    const body =
      typeof chunk === 'string'
        ? chunk
        : Buffer.isBuffer(chunk)
          ? chunk.toString('utf8')
          : chunk instanceof Uint8Array
            ? Buffer.from(chunk).toString('utf8')
            : '';
    const answer = streamed ? undefined : { status: status || res.statusCode, headers, body };
    void settle(answer).finally(() => end(...args));
    return res;
  }) as typeof res.end;
  res.once('close', () => void settle(undefined));
}
