// Storage per account (docs/spec/product.md §7, §11): conversation text (title, content, metadata as stored) +
// attachment bytes + the bytes of export files still kept. The figures are a maintained counter
// (`account_storage`, kept in step by triggers: the storage_counter migration), so reading them is one
// primary-key lookup, never a scan. The plan's limit is in MB of 1,048,576 bytes.
import type { Config } from '../../config.js';
import type { Database } from '../../lib/db.js';
import { AppError } from '../../lib/errors.js';

export const MB = 1024 * 1024;
export const WARN_RATIO = 0.8;

export interface StorageBytes {
  conversations: number;
  attachments: number;
  exports: number;
  total: number;
}

/** What the account stores now, by type. */
export async function storageBytesByType(db: Pick<Database, 'query'>, accountId: string): Promise<StorageBytes> {
  const [r] = await db.query<{ conversation_bytes: bigint | number; attachment_bytes: bigint | number; export_bytes: bigint | number }>(
    `SELECT conversation_bytes, attachment_bytes, export_bytes FROM account_storage WHERE account_id = $1`,
    [accountId],
  );
  const bytes = {
    conversations: Number(r?.conversation_bytes ?? 0),
    attachments: Number(r?.attachment_bytes ?? 0),
    exports: Number(r?.export_bytes ?? 0),
  };
  return { ...bytes, total: bytes.conversations + bytes.attachments + bytes.exports };
}

/** Everything that counts against the quota, in bytes. */
export async function storageUsedBytes(db: Pick<Database, 'query'>, accountId: string): Promise<number> {
  return (await storageBytesByType(db, accountId)).total;
}

export function storageLimitBytes(config: Pick<Config, 'plans' | 'defaultPlan'>, plan: string): number {
  const p = config.plans[plan] ?? config.plans[config.defaultPlan];
  return Math.floor(p.storageLimitMb * MB);
}

export function quotaExceeded(usedBytes: number, addingBytes: number, limitBytes: number): AppError {
  return new AppError('storage_quota_exceeded', "Storage quota exceeded: this write would take the account over its plan's storage limit", {
    used_mb: toMb(usedBytes),
    limit_mb: toMb(limitBytes),
    requested_mb: toMb(addingBytes),
  });
}

/** MB (1,048,576 bytes) with two decimals: what the API shows. */
export function toMb(bytes: number): number {
  return Math.round((bytes / MB) * 100) / 100;
}

/** True when a write moved usage from below 80% of the limit to at least 80%. */
export function crossedWarning(before: number, after: number, limit: number): boolean {
  return before < WARN_RATIO * limit && after >= WARN_RATIO * limit;
}
