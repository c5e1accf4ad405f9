// Conditional reads on the /v1 GET routes (docs/api.md, "ETag, If-None-Match, HEAD"): a strong ETag
// derived from the exact response bytes, If-None-Match → 304 without a body, and HEAD answering what
// GET answers without the body. The ETag is a hash of the body, so it changes exactly when the body
// does — including fields a client may not care about (a signed file URL's expiry, `links`).
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Every response a conditional read may answer: the body is not cached by shared caches, and is revalidated. */
export const READ_CACHE_CONTROL = 'private, no-cache';

/** `"<base64url of the body's SHA-256, 27 characters>"`: strong, since equal bytes are all it promises. */
export function etagOf(body: string | Buffer): string {
  return `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** RFC 9110 §13.1.2: `*`, or a list of entity tags compared weakly (a `W/` prefix is ignored on both sides). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const ours = opaque(etag);
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => opaque(tag) === ours);
}

/** The method a /v1 route table lookup uses: HEAD is served by the GET route of the same path. */
export function routeMethod(method: string | undefined): string {
  return method === 'HEAD' ? 'GET' : (method ?? 'GET');
}

/** The Allow header of a path: HEAD wherever GET is. */
export function allowHeader(allowed: readonly string[]): string {
  return allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
}

/**
 * Writes a successful read (GET or HEAD, status 200) with its ETag: a 304 without a body when the
 * client's If-None-Match matches, no body for HEAD. Returns false (nothing written) for anything
 * else, which the caller writes as usual.
 */
export function writeConditionalRead(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  body: string,
): boolean {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || status !== 200) return false;
  const etag = etagOf(body);
  const validators = { ETag: etag, 'Cache-Control': READ_CACHE_CONTROL };
  if (matchesIfNoneMatch(req.headers['if-none-match'], etag)) {
    // RFC 9110 §15.4.5: a 304 carries the validators a 200 would have, and no content.
    res.writeHead(304, validators);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, ...validators, 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
