// GraphQL face of attachments: the Attachment type (with a signed download `url`), a conversation's
// `attachments`, and upload/list/delete. REST serves the same fields (attachments.rest.ts).
import DataLoader from 'dataloader';
import type { Attachment } from '../../generated/prisma/client.js';
import { builder } from '../../graphql/builder.js';
import { DeletionRef } from '../../graphql/common.schema.js';
import { requestLoader, requireScope, type RequestContext } from '../../graphql/context.js';
import { fileServices } from '../../lib/storage/storage.js';
import { ConversationRef } from '../conversations/conversations.schema.js';
import { attachmentsByConversation, deleteAttachment, listAttachments } from './attachments.js';
import { uploadAttachment } from './upload-attachment.js';

/** The signed link to an attachment's bytes, valid for SIGNED_URL_TTL_SECONDS from now. */
export async function attachmentUrl(ctx: RequestContext, a: Pick<Attachment, 'id' | 'filename'>): Promise<string> {
  const { signer } = await fileServices(ctx.app);
  const expires = new Date(Date.now() + ctx.app.config.files.signedUrlTtlSeconds * 1000);
  return signer.url(ctx.baseUrl, `${a.id}/${a.filename}`, expires);
}

export const AttachmentRef = builder.prismaObject('Attachment', {
  description: 'A file attached to a conversation.',
  fields: (t) => ({
    id: t.exposeID('id'),
    conversationId: t.exposeID('conversationId'),
    filename: t.exposeString('filename', { description: 'Sanitised file name.' }),
    size: t.exposeInt('size', { description: 'Bytes.' }),
    mimeType: t.exposeString('mimeType', { description: 'Sniffed from the bytes, not taken from the client.' }),
    url: t.string({
      description: 'A signed download link, usable without an API key until it expires (SIGNED_URL_TTL_SECONDS, default 1 hour).',
      resolve: (a, _args, ctx) => attachmentUrl(ctx, a),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const AttachmentListRef = builder.objectRef<{ data: Attachment[] }>('AttachmentList').implement({
  description: 'The attachments of a conversation, oldest first.',
  fields: (t) => ({ data: t.field({ type: [AttachmentRef], resolve: (l) => l.data }) }),
});

const ATTACHMENTS = {};
function attachmentLoader(ctx: RequestContext): DataLoader<string, Attachment[]> {
  return requestLoader(
    ctx,
    ATTACHMENTS,
    () =>
      new DataLoader<string, Attachment[]>(async (ids) => {
        const found = await attachmentsByConversation(ctx.app, requireScope(ctx), ids);
        return ids.map((id) => found.get(id) ?? []);
      }),
  );
}

builder.objectField(ConversationRef, 'attachments', (t) =>
  t.field({
    type: [AttachmentRef],
    description: 'Files attached to the conversation, oldest first.',
    resolve: (c, _args, ctx) => c.attachments ?? attachmentLoader(ctx).load(c.id),
  }),
);

builder.queryFields((t) => ({
  conversationAttachments: t.field({
    type: AttachmentListRef,
    description: 'Every attachment of a conversation, oldest first.',
    args: { conversationId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => listAttachments(ctx.app, requireScope(ctx), String(args.conversationId)),
  }),
}));

builder.mutationFields((t) => ({
  uploadAttachment: t.field({
    type: AttachmentRef,
    description:
      'Attaches a file to a conversation (GraphQL multipart request). The type is sniffed from the bytes; ' +
      'the file name is sanitised; files over MAX_UPLOAD_BYTES (default 25 MB) are refused with payload_too_large.',
    args: {
      conversationId: t.arg.id({ required: true }),
      file: t.arg({ type: 'Upload', required: true }),
      filename: t.arg.string({ description: 'Overrides the name of the uploaded file.' }),
    },
    resolve: async (_root, args, ctx) => {
      const scope = requireScope(ctx);
      const upload = await args.file;
      return uploadAttachment(ctx.app, scope, String(args.conversationId), {
        stream: upload.createReadStream(),
        partFilename: upload.filename,
        filename: async () => args.filename ?? undefined,
      });
    },
  }),
  deleteAttachment: t.field({
    type: DeletionRef,
    description: 'Deletes an attachment and its bytes.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => deleteAttachment(ctx.app, requireScope(ctx), String(args.id)),
  }),
}));
