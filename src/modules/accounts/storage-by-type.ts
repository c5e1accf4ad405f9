// Storage of an account by type, for GET /account and /account/usage. Same definition as the quota's
// `storageUsedBytes` (modules/attachments/storage-usage.ts), split: conversation text (title, content,
// metadata as stored), attachment bytes, bytes of export files still kept.
import type { Database } from '../../lib/db.js';
import { MB } from '../attachments/storage-usage.js';

export interface StorageBytes {
  conversations: number;
  attachments: number;
  exports: number;
  total: number;
}

export async function storageBytesByType(db: Database, accountId: string): Promise<StorageBytes> {
  const [r] = await db.query<{ conversations: number; attachments: number; exports: number }>(
    `SELECT (SELECT coalesce(sum(octet_length(title) + octet_length(content) + octet_length(metadata::text)), 0)
               FROM conversations WHERE account_id = $1)::int8 AS conversations,
            (SELECT coalesce(sum(size), 0) FROM attachments WHERE account_id = $1)::int8 AS attachments,
            (SELECT coalesce(sum(size_bytes), 0) FROM exports WHERE account_id = $1 AND storage_key IS NOT NULL)::int8 AS exports`,
    [accountId],
  );
  const bytes = { conversations: Number(r.conversations), attachments: Number(r.attachments), exports: Number(r.exports) };
  return { ...bytes, total: bytes.conversations + bytes.attachments + bytes.exports };
}

/** MB (1,048,576 bytes) with two decimals: what the API shows. */
export function toMb(bytes: number): number {
  return Math.round((bytes / MB) * 100) / 100;
}
