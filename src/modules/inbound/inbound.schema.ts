// GraphQL face of the inbound channels: the same email ingestion and chat import as the REST routes
// (GraphQL multipart request; MAX_UPLOAD_BYTES bounds GraphQL uploads), and the inbound email token.
import type { Readable } from 'node:stream';
import { builder } from '../../graphql/builder.js';
import { requireScope } from '../../graphql/context.js';
import { AppError } from '../../lib/errors.js';
import { ConversationRef } from '../conversations/conversations.schema.js';
import { getConversation } from '../conversations/load-conversation.js';
import { issueInboundToken, type IssuedToken } from './email/inbound-token.js';
import { ingestEmail } from './email/ingest-email.js';
import { importWhatsAppChat } from './whatsapp/import-chat.js';

async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    size += (c as Buffer).length;
    if (size > max) {
      stream.destroy();
      throw new AppError('payload_too_large', `The upload must be at most ${max} bytes`, { limit_bytes: max });
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

const InboundEmailTokenRef = builder.objectRef<IssuedToken>('InboundEmailToken').implement({
  description: "The account's inbound email token, shown once. It authenticates POST /v1/inbound/email only.",
  fields: (t) => ({
    token: t.exposeString('token', { description: 'Send as `?token=` or as the password of HTTP Basic auth.' }),
    prefix: t.exposeString('prefix'),
    path: t.exposeString('path', { description: "The path to give an email provider (after this deployment's base URL)." }),
    createdAt: t.field({ type: 'DateTime', resolve: (x) => new Date(x.created_at) }),
  }),
});

builder.mutationFields((t) => ({
  ingestEmail: t.field({
    type: ConversationRef,
    description:
      'Stores a raw RFC 822 email: a new conversation (source email), or — when In-Reply-To/References name a stored message — ' +
      'the next part of that conversation. The same Message-ID again stores nothing and returns its conversation.',
    args: { email: t.arg({ type: 'Upload', required: true, description: 'The raw message (.eml).' }) },
    resolve: async (_root, args, ctx) => {
      const scope = requireScope(ctx);
      const upload = await args.email;
      const raw = await readAll(upload.createReadStream(), ctx.app.config.inbound.emailMaxBytes);
      const out = await ingestEmail(ctx.app, scope, raw);
      return getConversation(ctx.app.db, scope, out.conversationId);
    },
  }),
  importWhatsAppChat: t.field({
    type: ConversationRef,
    description:
      'Imports a WhatsApp chat export (the .txt, or the .zip with media) as one conversation (source whatsapp); media become attachments.',
    args: {
      file: t.arg({ type: 'Upload', required: true }),
      title: t.arg.string({ description: "Defaults to the chat's name from the export." }),
    },
    resolve: async (_root, args, ctx) => {
      const scope = requireScope(ctx);
      const upload = await args.file;
      const content = await readAll(upload.createReadStream(), ctx.app.config.inbound.importMaxBytes);
      const id = await importWhatsAppChat(ctx.app, scope, {
        content,
        filename: upload.filename || 'chat.txt',
        title: args.title ?? undefined,
      });
      return getConversation(ctx.app.db, scope, id);
    },
  }),
  createInboundEmailToken: t.field({
    type: InboundEmailTokenRef,
    description: "Issues the account's inbound email token (replacing the previous one, which stops working).",
    resolve: (_root, _args, ctx) => issueInboundToken(ctx.app.db, requireScope(ctx).accountId),
  }),
}));
