// Files that arrive with a message (email attachments, media of a chat export) become attachments of
// its conversation through the attachments service — type sniffing, name sanitising, the per-file limit
// and the storage quota all apply. All or nothing: if one is refused, those already stored are deleted.
import type { Readable } from 'node:stream';
import type { AccountScope, App } from '../../app.js';
import type { Attachment } from '../../generated/prisma/client.js';
import { deleteAttachment } from '../attachments/attachments.js';
import { uploadAttachment } from '../attachments/upload-attachment.js';

export interface IncomingFile {
  filename: string;
  /** Opened when the file's turn comes (a zip entry is read only then). */
  open(): Promise<Readable>;
}

export async function storeFiles(app: App, scope: AccountScope, conversationId: string, files: IncomingFile[]): Promise<Attachment[]> {
  const stored: Attachment[] = [];
  try {
    for (const f of files) {
      const stream = await f.open();
      stored.push(
        await uploadAttachment(app, scope, conversationId, { stream, partFilename: f.filename, filename: async () => undefined }),
      );
    }
    return stored;
  } catch (e) {
    await removeFiles(app, scope, stored);
    throw e;
  }
}

export async function removeFiles(app: App, scope: AccountScope, files: Pick<Attachment, 'id'>[]): Promise<void> {
  for (const a of files) {
    await deleteAttachment(app, scope, a.id).catch((err) =>
      app.log.error({ err, attachmentId: a.id }, 'could not remove an attachment of a refused message'),
    );
  }
}
