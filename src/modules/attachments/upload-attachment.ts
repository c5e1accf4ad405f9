// Stores an uploaded file as an attachment of a conversation. The bytes stream straight to storage
// through a gate that counts them and stops at the per-file limit or at what the quota still allows;
// only then is the row written, in a transaction that re-checks the quota under a per-account lock
// (so two parallel uploads cannot both squeeze under it). Any failure deletes what was written.
import type { Readable } from 'node:stream';
import type { AccountScope, App } from '../../app.js';
import type { Attachment } from '../../generated/prisma/client.js';
import { AppError, isAppError } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import { fileServices } from '../../lib/storage/storage.js';
import { sanitizeFilename } from './filename.js';
import { ByteGate, sniffMimeType } from './intake.js';
import { dispatchAfterCommit } from '../webhooks/record-event.js';
import { recordRefusal, recordStorageEvent } from './storage-events.js';
import { crossedWarning, quotaExceeded, storageLimitBytes, storageUsedBytes } from './storage-usage.js';

export interface UploadSource {
  stream: Readable;
  /** The name on the multipart file part. */
  partFilename?: string;
  /** The explicit `filename` (form field or GraphQL argument), once known: in REST it may follow the file. */
  filename(): Promise<string | undefined>;
}

const NOT_FOUND = () => AppError.notFound('Conversation');

export function payloadTooLarge(limit: number): AppError {
  return new AppError('payload_too_large', `File must be at most ${limit} bytes`, { limit_bytes: limit });
}

/** Checks that the conversation is the account's (404 otherwise) before any byte is read. */
export async function assertConversation(app: App, scope: AccountScope, conversationId: string): Promise<void> {
  if (!isId('conversation', conversationId)) throw NOT_FOUND();
  const rows = await app.db.query(`SELECT 1 FROM conversations WHERE id = $1 AND account_id = $2`, [conversationId, scope.accountId]);
  if (!rows.length) throw NOT_FOUND();
}

export async function uploadAttachment(app: App, scope: AccountScope, conversationId: string, source: UploadSource): Promise<Attachment> {
  const discard = () => {
    source.stream.unpipe();
    source.stream.resume();
  };
  try {
    await assertConversation(app, scope, conversationId);
  } catch (e) {
    discard();
    throw e;
  }
  const { storage } = await fileServices(app);
  const maxFile = app.config.files.maxUploadBytes;
  const limit = storageLimitBytes(app.config, scope.plan);
  const usedBefore = await storageUsedBytes(app.db, scope.accountId);
  const refuse = async (requested: number) => {
    await recordRefusal(app, app.log, scope.accountId, { usedBytes: usedBefore, limitBytes: limit, requestedBytes: requested, resource: 'attachment' });
    return quotaExceeded(usedBefore, requested, limit);
  };
  const room = limit - usedBefore;
  if (room <= 0) {
    discard();
    throw await refuse(0);
  }

  const id = newId('attachment');
  const key = `attachments/${scope.accountId}/${conversationId}/${id}`;
  const quotaBound = room < maxFile;
  const gate = new ByteGate(Math.min(maxFile, room), () => (quotaBound ? new AppError('storage_quota_exceeded', 'quota') : payloadTooLarge(maxFile)));
  // The gate's error (a limit) is reported by `put`, which may attach its listeners a moment later.
  gate.on('error', () => {});
  source.stream.on('error', (e) => gate.destroy(e));
  // busboy (REST and graphql-upload-minimal alike, with its limit at one byte over ours) stops a file
  // at its limit and says so with 'limit'; graphql-upload-minimal also unpipes it then.
  source.stream.on('limit', () => gate.destroy(payloadTooLarge(maxFile)));
  source.stream.pipe(gate);
  try {
    await storage.put(key, gate);
  } catch (e) {
    discard();
    if (isAppError(e) && e.code === 'storage_quota_exceeded') throw await refuse(gate.bytes);
    throw e;
  }

  try {
    if (gate.bytes === 0) throw AppError.validation({ file: ['File must not be empty'] });
    const size = gate.bytes;
    const filename = sanitizeFilename((await source.filename()) ?? source.partFilename);
    const mimeType = await sniffMimeType(gate.headBuffer(), filename);
    const { row, event } = await app.db.prisma.$transaction(async (tx) => {
      // One writer per account at a time between reading the usage and writing the row.
      await tx.$queryRaw`SELECT id FROM accounts WHERE id = ${scope.accountId} FOR UPDATE`;
      const conv = await tx.$queryRaw<unknown[]>`SELECT 1 FROM conversations WHERE id = ${conversationId} AND account_id = ${scope.accountId} FOR KEY SHARE`;
      if (!conv.length) throw NOT_FOUND();
      const used = await storageUsedBytes(tx, scope.accountId);
      if (used + size > limit) throw await refuse(size);
      const row = await tx.attachment.create({
        data: { id, accountId: scope.accountId, conversationId, filename, size, mimeType, storageKey: key, createdAt: new Date() },
      });
      const event = crossedWarning(used, used + size, limit)
        ? await recordStorageEvent(tx, app.log, scope.accountId, 'storage.limit_reached', { usedBytes: used + size, limitBytes: limit, resource: 'attachment' })
        : undefined;
      return { row, event };
    });
    await dispatchAfterCommit(app, event);
    return row;
  } catch (e) {
    await storage.delete([key]).catch((err) => app.log.error({ err, key }, 'could not delete the bytes of a refused upload'));
    throw e;
  }
}
