// Idempotency-Key (docs/api.md): the first request under a key claims it (a `pending` row), runs, and
// stores its answer; a retry with the same request gets that answer again, a different request under
// the same key is a 422, and a duplicate arriving while the first still runs is a 409. Keys are per
// account and live 24 h; the webhook prune job deletes expired rows (pruneIdempotencyKeys), and an
// expired row still present is taken over as if it were absent.
import crypto from 'node:crypto';
import type { App } from '../../app.js';
import { AppError } from '../../lib/errors.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAY_HEADER = 'Idempotent-Replayed';
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A `pending` row this old belongs to a process that died mid-request: the key is free again. */
export const STALE_CLAIM_MS = 5 * 60 * 1000;
const KEY = /^[\x20-\x7e]{1,255}$/;

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Claim = { kind: 'claimed'; key: string } | { kind: 'replay'; response: StoredResponse };

/** The header's value, checked: 1–255 printable ASCII characters, sent once. Undefined when absent. */
export function idempotencyKeyOf(value: string | string[] | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) throw invalidKey('Send Idempotency-Key at most once');
  if (!KEY.test(value)) throw invalidKey('Idempotency-Key must be 1–255 printable ASCII characters');
  return value;
}

function invalidKey(message: string): AppError {
  return new AppError('validation_error', message, { fields: { idempotency_key: [message] } });
}

/**
 * JSON with object keys sorted, so that the same body sent with another key order or spacing is the same
 * request. Anything but plain data (a GraphQL multipart request's `Upload` in its variables) counts by
 * its class name only: files are not compared byte for byte (docs/api.md).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return JSON.stringify(`[${(value as object).constructor?.name ?? 'object'}]`);
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'bigint') return JSON.stringify(String(value));
  return JSON.stringify(value) ?? 'null';
}

/** What makes two requests "the same": method, path with its query, and the body. */
export function requestFingerprint(method: string, pathAndQuery: string, body: unknown): string {
  return crypto
    .createHash('sha256')
    .update(`${method} ${pathAndQuery}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

interface KeyRow {
  fingerprint: string;
  status: string;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}

/**
 * Claims `key` for this request, or says what to answer instead: the stored response (a replay), a 422
 * (the key was used for another request) or a 409 (the first request with it is still running).
 */
export async function claimIdempotencyKey(app: App, accountId: string, key: string, fingerprint: string): Promise<Claim> {
  // One statement: insert, or take over a row that expired or was left pending by a dead process.
  // A live row is left alone and read back below. Works the same on PGlite.
  const taken = await app.db.query(
    `INSERT INTO idempotency_keys (account_id, key, fingerprint, status, created_at, expires_at)
     VALUES ($1, $2, $3, 'pending', now(), now() + make_interval(secs => $4))
     ON CONFLICT (account_id, key) DO UPDATE
       SET fingerprint = EXCLUDED.fingerprint, status = 'pending', response_status = NULL, response_headers = NULL,
           response_body = NULL, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
       WHERE idempotency_keys.expires_at <= now()
          OR (idempotency_keys.status = 'pending' AND idempotency_keys.created_at < now() - make_interval(secs => $5))
     RETURNING 1`,
    [accountId, key, fingerprint, IDEMPOTENCY_TTL_MS / 1000, STALE_CLAIM_MS / 1000],
  );
  if (taken.length) return { kind: 'claimed', key };
  const [row] = await app.db.query<KeyRow>(
    `SELECT fingerprint, status, response_status, response_headers, response_body FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
    [accountId, key],
  );
  // Released (deleted) between the two statements: the first request failed; this one may try again.
  if (!row) return claimIdempotencyKey(app, accountId, key, fingerprint);
  if (row.fingerprint !== fingerprint) {
    throw new AppError('validation_error', 'This Idempotency-Key was already used with a different request', {
      fields: { idempotency_key: ['Already used with a different method, path or body; use a new key for a new request'] },
    });
  }
  if (row.status === 'pending') {
    throw new AppError('conflict', 'A request with this Idempotency-Key is still being processed; retry later', {}, { 'Retry-After': '1' });
  }
  return { kind: 'replay', response: { status: row.response_status!, headers: row.response_headers ?? {}, body: row.response_body ?? '' } };
}

/**
 * Stores the first answer, or frees the key when the answer is not one to replay: 5xx (and 409/429,
 * which say "try again") leave the key free, so that a retry runs the request again.
 */
export async function finishIdempotencyKey(app: App, accountId: string, key: string, response: StoredResponse | undefined): Promise<void> {
  if (!response || !isReplayable(response.status)) {
    await app.db.query(`DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND status = 'pending'`, [accountId, key]);
    return;
  }
  await app.db.query(
    `UPDATE idempotency_keys SET status = 'completed', response_status = $3, response_headers = $4, response_body = $5
      WHERE account_id = $1 AND key = $2 AND status = 'pending'`,
    [accountId, key, response.status, JSON.stringify(response.headers), response.body],
  );
}

export function isReplayable(status: number): boolean {
  return (status >= 200 && status < 300) || (status >= 400 && status < 500 && status !== 409 && status !== 429);
}

const BATCH = 5_000;

/** Deletes expired keys, in batches (run by the webhook prune job). */
export async function pruneIdempotencyKeys(app: App, now = new Date()): Promise<number> {
  let removed = 0;
  for (;;) {
    const rows = await app.db.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM idempotency_keys WHERE (account_id, key) IN (
           SELECT account_id, key FROM idempotency_keys WHERE expires_at <= $1 LIMIT ${BATCH})
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [now],
    );
    removed += rows[0].n;
    if (rows[0].n < BATCH) return removed;
  }
}
