// Reading and deleting attachments, always scoped by account. Bytes are deleted after the row's
// transaction commits; a failure there is logged with the key (the row, and so the quota, is gone).
import type { AccountScope, App } from '../../app.js';
import type { Attachment } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { fileServices } from '../../lib/storage/storage.js';
import { assertConversation } from './upload-attachment.js';

export async function listAttachments(app: App, scope: AccountScope, conversationId: string): Promise<{ data: Attachment[] }> {
  await assertConversation(app, scope, conversationId);
  const data = await app.db.prisma.attachment.findMany({
    where: { accountId: scope.accountId, conversationId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return { data };
}

/** Attachments of many conversations at once (the `attachments` field of conversations). */
export async function attachmentsByConversation(
  app: App,
  scope: AccountScope,
  conversationIds: readonly string[],
): Promise<Map<string, Attachment[]>> {
  // Raw SQL: GET /v1/conversations/{id} runs this on every read, and a Prisma query cost that read about
  // a millisecond of CPU more than the statement itself (bench/README.md).
  const rows = await app.db.query<Attachment>(
    `SELECT id, account_id AS "accountId", conversation_id AS "conversationId", filename, size, mime_type AS "mimeType",
            storage_key AS "storageKey", created_at AS "createdAt"
       FROM attachments WHERE account_id = $1 AND conversation_id = ANY($2::text[])
      ORDER BY created_at, id`,
    [scope.accountId, [...conversationIds]],
  );
  const out = new Map<string, Attachment[]>();
  for (const r of rows) {
    const list = out.get(r.conversationId) ?? [];
    list.push(r);
    out.set(r.conversationId, list);
  }
  return out;
}

export async function deleteAttachment(app: App, scope: AccountScope, id: string): Promise<{ deleted: true; id: string }> {
  if (!isId('attachment', id)) throw AppError.notFound('Attachment');
  const rows = await app.db.query<{ storage_key: string }>(
    `DELETE FROM attachments WHERE id = $1 AND account_id = $2 RETURNING storage_key`,
    [id, scope.accountId],
  );
  if (!rows.length) throw AppError.notFound('Attachment');
  await deleteStoredFiles(
    app,
    rows.map((r) => r.storage_key),
  );
  return { deleted: true, id };
}

/** Removes bytes whose rows are gone. Never throws: the caller's change has committed. */
export async function deleteStoredFiles(app: App, keys: string[]): Promise<void> {
  if (!keys.length) return;
  try {
    const { storage } = await fileServices(app);
    await storage.delete(keys);
  } catch (err) {
    app.log.error({ err, keys }, 'could not delete stored files; they are orphaned');
  }
}
