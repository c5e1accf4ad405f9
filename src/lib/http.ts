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

/**
 * Reads the whole body up to `limit` bytes; a bigger body is a 413, and reading stops there. The request
 * is paused, not destroyed: destroying it would reset the connection before the 413 is written
 * (lib/unread-body.ts deals with the rest once the answer is out).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stop();
      req.pause();
      reject(tooLarge(limit));
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (e: Error) => {
      stop();
      reject(e);
    };
    const onAborted = () => onError(new Error('request aborted'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('aborted', onAborted);
  });
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
