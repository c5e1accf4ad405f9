// The storage quota (docs/spec/product.md §7): the one function every write of stored bytes goes through —
// conversation create/update (REST, GraphQL, inbound email and WhatsApp), attachment uploads, export
// files. The write runs in a transaction; the `account_storage` triggers add what it stored to the
// account's counter, which locks that row until the commit, so writers of one account take turns and
// two writes near the limit cannot both pass. Still inside the transaction the counter is read back:
// over the limit (and grown by this write) → rolled back, `storage.limit_exceeded` recorded, 403
// `storage_quota_exceeded`; crossing 80% → `storage.limit_reached` recorded with the write.
// A write that does not grow usage (an edit that shortens, a title change that keeps the size) is never
// refused, even over the limit (e.g. after a downgrade).
import type { AccountScope, App } from '../../app.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { AppError } from '../../lib/errors.js';
import { dispatchAfterCommit } from '../webhooks/record-event.js';
import { recordRefusal, recordStorageEvent } from './storage-events.js';
import { crossedWarning, quotaExceeded, storageLimitBytes, storageUsedBytes } from './storage-usage.js';

export type StorageResource = 'conversation' | 'attachment' | 'export';

/** Thrown inside the transaction to roll it back; answered as a 403 once it has. */
class StorageRefusal extends Error {
  constructor(
    readonly usedBytes: number,
    readonly requestedBytes: number,
  ) {
    super('storage quota exceeded');
  }
}

/**
 * Runs `write` in a transaction and admits what it stored only if the account stays within its plan.
 * Returns what `write` returned; throws AppError `storage_quota_exceeded` (nothing stored) otherwise.
 */
export async function storageTransaction<T>(
  app: App,
  scope: AccountScope,
  resource: StorageResource,
  write: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  const limit = storageLimitBytes(app.config, scope.plan);
  try {
    const { value, event } = await app.db.prisma.$transaction(async (tx) => {
      const value = await write(tx);
      const { before, after } = await transactionUsage(tx, scope.accountId);
      if (after > limit && after > before) throw new StorageRefusal(before, after - before);
      const event = crossedWarning(before, after, limit)
        ? await recordStorageEvent(tx, app.log, scope.accountId, 'storage.limit_reached', { usedBytes: after, limitBytes: limit, resource })
        : undefined;
      return { value, event };
    });
    await dispatchAfterCommit(app, event);
    return value;
  } catch (e) {
    if (e instanceof StorageRefusal) throw await refuseStorage(app, scope, resource, e.usedBytes, e.requestedBytes);
    throw e;
  }
}

/** For a write about to start (an upload, an export): usage now and the bytes still free; none free → refused. */
export async function storageRoom(
  app: App,
  scope: AccountScope,
  resource: StorageResource,
): Promise<{ usedBytes: number; freeBytes: number }> {
  const limit = storageLimitBytes(app.config, scope.plan);
  const used = await storageUsedBytes(app.db, scope.accountId);
  if (used >= limit) throw await refuseStorage(app, scope, resource, used, 0);
  return { usedBytes: used, freeBytes: limit - used };
}

/** Records `storage.limit_exceeded` (in a transaction of its own) and returns the 403 to throw. */
export async function refuseStorage(
  app: App,
  scope: AccountScope,
  resource: StorageResource,
  usedBytes: number,
  requestedBytes: number,
): Promise<AppError> {
  const limit = storageLimitBytes(app.config, scope.plan);
  await recordRefusal(app, app.log, scope.accountId, { usedBytes, limitBytes: limit, requestedBytes, resource });
  return quotaExceeded(usedBytes, requestedBytes, limit);
}

/**
 * The account's usage now and before this transaction's first change to it. `tx_id` names the
 * transaction that last changed the counter; if it is this one, the row is locked by it and
 * `tx_start_bytes` holds the total from before. Otherwise this transaction stored nothing.
 */
async function transactionUsage(tx: Prisma.TransactionClient, accountId: string): Promise<{ before: number; after: number }> {
  const rows = await tx.$queryRaw<{ after: bigint | number; before: bigint | number }[]>`
    SELECT conversation_bytes + attachment_bytes + export_bytes AS after,
           CASE WHEN tx_id = txid_current_if_assigned() THEN tx_start_bytes
                ELSE conversation_bytes + attachment_bytes + export_bytes END AS before
      FROM account_storage WHERE account_id = ${accountId}`;
  const r = rows[0];
  return { before: Number(r?.before ?? 0), after: Number(r?.after ?? 0) };
}
