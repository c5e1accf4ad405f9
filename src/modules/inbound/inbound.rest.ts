// The inbound /v1 routes that take an API key (the WhatsApp webhook, which does not, is whatsapp-webhook.ts).
// Their bodies are raw or multipart, so they have handlers (routes.ts); each answers with the
// conversation as GET /v1/conversations/{id} shows it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireScope } from '../../graphql/context.js';
import { AppError } from '../../lib/errors.js';
import type { RestHandler, RestRoute } from '../../rest/route-types.js';
import { authenticateInboundEmail } from './email/inbound-token.js';
import { ingestEmail } from './email/ingest-email.js';
import { isMultipart, readFormPart, readRaw } from './read-upload.js';
import { importWhatsAppChat } from './whatsapp/import-chat.js';

const RFC822 = /^message\/rfc822\s*(?:;|$)/i;

/** A refused body is not waited for; the connection is not reused. */
async function reading<T>(req: IncomingMessage, res: ServerResponse, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (!req.complete) {
      res.setHeader('Connection', 'close');
      req.resume();
    }
    throw e;
  }
}

const email: RestHandler = async (req, res, ctx) => {
  const scope = requireScope(ctx);
  const max = ctx.app.config.inbound.emailMaxBytes;
  const raw = await reading(req, res, async () => {
    if (RFC822.test(req.headers['content-type'] ?? '')) return readRaw(req, max);
    if (isMultipart(req)) return (await readFormPart(req, { part: 'email', maxBytes: max, fields: [], ignoreOtherFields: true })).content;
    throw new AppError(
      'unsupported_media_type',
      'Content-Type must be message/rfc822 (the raw message as the body) or multipart/form-data with the raw message in a part named `email`',
    );
  });
  const out = await ingestEmail(ctx.app, scope, raw);
  res.setHeader('X-Inbound-Outcome', out.outcome);
  return { status: out.outcome === 'created' ? 201 : 200, path: `/conversations/${out.conversationId}` };
};

const importChat: RestHandler = async (req, res, ctx) => {
  const scope = requireScope(ctx);
  const upload = await reading(req, res, async () => {
    if (!isMultipart(req))
      throw new AppError('unsupported_media_type', 'Content-Type must be multipart/form-data, with the export in a part named `file`');
    return readFormPart(req, {
      part: 'file',
      maxBytes: ctx.app.config.inbound.importMaxBytes,
      fields: ['title'],
      ignoreOtherFields: false,
    });
  });
  const title = upload.fields.get('title');
  const id = await importWhatsAppChat(ctx.app, scope, { content: upload.content, filename: upload.filename || 'chat.txt', title });
  return { status: 201, path: `/conversations/${id}` };
};

export const inboundRoutes: RestRoute[] = [
  {
    field: 'Mutation.ingestEmail',
    method: 'POST',
    path: '/inbound/email',
    status: 201,
    summary: 'Receive an email (message/rfc822 body, or multipart `email`); 201 new conversation, 200 reply joined or duplicate',
    handler: email,
    authenticate: authenticateInboundEmail,
  },
  {
    field: 'Mutation.importWhatsAppChat',
    method: 'POST',
    path: '/conversations/import/whatsapp',
    status: 201,
    summary: 'Import a WhatsApp chat export (multipart `file`: .txt, or .zip with media; optional `title`)',
    handler: importChat,
  },
];
