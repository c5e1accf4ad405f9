// Storage per account (product §7, §11): attachment bytes + conversation text bytes (title, content,
// metadata) + the bytes of export files still kept. The plan's limit is in MB of 1,048,576 bytes.
// A write that would go over it is refused (403 storage_quota_exceeded); crossing 80% and refusals are
// recorded as `storage.limit_reached` / `storage.limit_exceeded` events.
import type { Config } from '../../config.js';
import type { Database } from '../../lib/db.js';
import { AppError } from '../../lib/errors.js';

export const MB = 1024 * 1024;
export const WARN_RATIO = 0.8;

type Queryable = Pick<Database, 'query'> | { $queryRawUnsafe<T>(sql: string, ...values: unknown[]): Promise<T> };

async function one<T>(db: Queryable, sql: string, params: unknown[]): Promise<T> {
  const rows = 'query' in db ? await db.query<T>(sql, params) : await db.$queryRawUnsafe<T[]>(sql, ...params);
  return rows[0];
}

/** Bytes of every attachment of the account. */
export async function attachmentBytesUsed(db: Queryable, accountId: string): Promise<number> {
  const r = await one<{ n: number | bigint }>(db, `SELECT coalesce(sum(size), 0)::int8 AS n FROM attachments WHERE account_id = $1`, [accountId]);
  return Number(r.n);
}

/** Bytes of export files not yet removed. */
export async function exportBytesUsed(db: Queryable, accountId: string): Promise<number> {
  const r = await one<{ n: number | bigint }>(
    db,
    `SELECT coalesce(sum(size_bytes), 0)::int8 AS n FROM exports WHERE account_id = $1 AND storage_key IS NOT NULL`,
    [accountId],
  );
  return Number(r.n);
}

/** Everything that counts against the quota, in bytes. */
export async function storageUsedBytes(db: Queryable, accountId: string): Promise<number> {
  const r = await one<{ n: number | bigint }>(
    db,
    `SELECT ((SELECT coalesce(sum(size), 0) FROM attachments WHERE account_id = $1)
           + (SELECT coalesce(sum(octet_length(title) + octet_length(content) + octet_length(metadata::text)), 0)
                FROM conversations WHERE account_id = $1)
           + (SELECT coalesce(sum(size_bytes), 0) FROM exports WHERE account_id = $1 AND storage_key IS NOT NULL))::int8 AS n`,
    [accountId],
  );
  return Number(r.n);
}

export function storageLimitBytes(config: Pick<Config, 'plans' | 'defaultPlan'>, plan: string): number {
  const p = config.plans[plan] ?? config.plans[config.defaultPlan];
  return Math.floor(p.storageLimitMb * MB);
}

export function quotaExceeded(usedBytes: number, addingBytes: number, limitBytes: number): AppError {
  return new AppError('storage_quota_exceeded', 'Storage quota exceeded: this write would take the account over its plan\'s storage limit', {
    used_mb: roundMb(usedBytes),
    limit_mb: roundMb(limitBytes),
    requested_mb: roundMb(addingBytes),
  });
}

export function roundMb(bytes: number): number {
  return Math.round((bytes / MB) * 100) / 100;
}

/** True when a write moved usage from below 80% of the limit to at least 80%. */
export function crossedWarning(before: number, after: number, limit: number): boolean {
  return before < WARN_RATIO * limit && after >= WARN_RATIO * limit;
}
