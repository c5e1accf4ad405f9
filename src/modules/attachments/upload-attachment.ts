// Stores an uploaded file as an attachment of a conversation. The bytes stream straight to storage
// through a gate that counts them and stops at the per-file limit or at what the quota still allows;
// only then is the row written, through the storage quota's transaction (the account's storage counter
// is locked and re-checked there, so two parallel uploads cannot both squeeze under the limit). Any
// failure deletes what was written.
import type { Readable } from 'node:stream';
import type { AccountScope, App } from '../../app.js';
import type { Attachment } from '../../generated/prisma/client.js';
import { AppError, isAppError } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import { fileServices } from '../../lib/storage/storage.js';
import { sanitizeFilename } from './filename.js';
import { ByteGate, sniffMimeType } from './intake.js';
import { refuseStorage, storageRoom, storageTransaction } from '../usage/storage-quota.js';

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
  let room: { usedBytes: number; freeBytes: number };
  try {
    room = await storageRoom(app, scope, 'attachment');
  } catch (e) {
    discard();
    throw e;
  }

  const id = newId('attachment');
  const key = `attachments/${scope.accountId}/${conversationId}/${id}`;
  // The bytes stop at what the quota still allows; the transaction below re-checks with the counter locked.
  const quotaBound = room.freeBytes < maxFile;
  const gate = new ByteGate(Math.min(maxFile, room.freeBytes), () =>
    quotaBound ? new AppError('storage_quota_exceeded', 'quota') : payloadTooLarge(maxFile),
  );
  // The gate's error (a limit) is reported by `put`, which may attach its listeners a moment later.
  gate.on('error', () => {});
  // A body cut short (multipart without its closing boundary, an aborted request) is the client's 400.
  // graphql-upload-minimal reports a file over its size limit as an error with status 413.
  const broken = (e: unknown) =>
    gate.destroy(
      isAppError(e)
        ? e
        : (e as { status?: unknown }).status === 413
          ? payloadTooLarge(maxFile)
          : new AppError('bad_request', `Upload interrupted: ${(e as Error).message}`),
    );
  source.stream.on('error', broken);
  // busboy (REST and graphql-upload-minimal alike, with its limit at one byte over ours) stops a file
  // at its limit and says so with 'limit'; graphql-upload-minimal also unpipes it then.
  source.stream.on('limit', () => gate.destroy(payloadTooLarge(maxFile)));
  source.stream.pipe(gate);
  // It may have failed while the checks above ran: then it emits nothing more, and `put` would wait forever (fuzz test).
  if (source.stream.errored) broken(source.stream.errored);
  try {
    await storage.put(key, gate);
  } catch (e) {
    discard();
    if (isAppError(e) && e.code === 'storage_quota_exceeded')
      throw await refuseStorage(app, scope, 'attachment', room.usedBytes, gate.bytes);
    throw e;
  }

  try {
    if (gate.bytes === 0) throw AppError.validation({ file: ['File must not be empty'] });
    const size = gate.bytes;
    const filename = sanitizeFilename((await source.filename()) ?? source.partFilename);
    const mimeType = await sniffMimeType(gate.headBuffer(), filename);
    return await storageTransaction(app, scope, 'attachment', async (tx) => {
      const conv = await tx.$queryRaw<
        unknown[]
      >`SELECT 1 FROM conversations WHERE id = ${conversationId} AND account_id = ${scope.accountId} FOR KEY SHARE`;
      if (!conv.length) throw NOT_FOUND();
      return tx.attachment.create({
        data: { id, accountId: scope.accountId, conversationId, filename, size, mimeType, storageKey: key, createdAt: new Date() },
      });
    });
  } catch (e) {
    await storage.delete([key]).catch((err) => app.log.error({ err, key }, 'could not delete the bytes of a refused upload'));
    throw e;
  }
}
