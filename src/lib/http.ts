// Small helpers for node:http responses and request bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, errorBody } from './errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, e: AppError): void {
  sendJson(res, e.status, errorBody(e), e.headers);
}

/** Reads the whole body up to `limit` bytes; a bigger body is a 413, and reading stops there. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): AppError {
  return new AppError('payload_too_large', `Request body must be at most ${limit} bytes`, { limit_bytes: limit });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** A JSON object body. Missing Content-Type is accepted; any non-JSON type is a 415. */
export async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'];
  if (type && !JSON_TYPE.test(type)) {
    throw new AppError('unsupported_media_type', 'Content-Type must be application/json');
  }
  const raw = await readBody(req, limit);
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new AppError('bad_request', 'Request body is not valid JSON', { reason: (e as Error).message });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AppError('bad_request', 'Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
