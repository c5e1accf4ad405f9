// The documented /v1 attachment routes (docs/spec/api-reference.md, Attachments), and their REST shapes.
// The upload is multipart, which Sofa cannot take, so it has its own handler: busboy streams the
// `file` part straight into the upload service; an optional `filename` field may come before or after it.
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import type { AccountScope } from '../../app.js';
import type { Attachment } from '../../generated/prisma/client.js';
import { requireScope, type RequestContext } from '../../graphql/context.js';
import { AppError, type FieldErrors } from '../../lib/errors.js';
import { sendJson } from '../../lib/http.js';
import type { RestHandler, RestRoute, RestShape } from '../../rest/route-types.js';
import { attachmentUrl } from './attachments.schema.js';
import { assertConversation, payloadTooLarge, uploadAttachment } from './upload-attachment.js';

/** Room for multipart boundaries and part headers when judging a declared Content-Length. */
const MULTIPART_OVERHEAD = 64 * 1024;

const upload: RestHandler = async (req, res, ctx, params) => {
  const scope = requireScope(ctx);
  const conversationId = params.conversation_id;
  // A refusal is answered without waiting for the rest of the body; server.ts (lib/unread-body.ts)
  // then drains it or closes the connection gracefully, so that the client reads the answer.
  await assertConversation(ctx.app, scope, conversationId);
  if (!/^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '')) {
    throw new AppError('unsupported_media_type', 'Content-Type must be multipart/form-data, with the file in a part named `file`');
  }
  const max = ctx.app.config.files.maxUploadBytes;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max + MULTIPART_OVERHEAD) throw payloadTooLarge(max);
  const attachment = await receive(req, ctx, scope, conversationId);
  sendJson(res, 201, await restAttachment(ctx, attachment));
};

function receive(req: IncomingMessage, ctx: RequestContext, scope: AccountScope, conversationId: string): Promise<Attachment> {
  const max = ctx.app.config.files.maxUploadBytes;
  return new Promise<Promise<Attachment>>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        // One byte over the limit reaches the service's gate, which answers 413.
        limits: { files: 1, fileSize: max + 1, fields: 10, fieldSize: 8 * 1024, parts: 20 },
      });
    } catch (e) {
      reject(new AppError('bad_request', `Malformed multipart body: ${(e as Error).message}`));
      return;
    }
    const fields = new Map<string, string>();
    const unknown: FieldErrors = {};
    let fileSeen = false;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));

    parser.on('field', (name, value) => {
      if (name === 'filename') fields.set(name, value);
      else unknown[name] = ['Unknown field'];
    });
    parser.on('file', (name, stream, info) => {
      // busboy fails the part's stream when the body is cut short, maybe before uploadAttachment listens
      // (it reads `stream.errored` then): without a listener now, that error would crash the process.
      stream.on('error', () => {});
      if (name !== 'file' || fileSeen) {
        unknown[name] = [name === 'file' ? 'Only one file per request' : 'Unknown field'];
        stream.resume();
        return;
      }
      fileSeen = true;
      resolve(
        uploadAttachment(ctx.app, scope, conversationId, {
          stream,
          partFilename: info.filename,
          filename: async () => {
            await finished;
            if (Object.keys(unknown).length) throw AppError.validation(unknown);
            return fields.get('filename');
          },
        }),
      );
    });
    parser.on('close', () => {
      finish();
      if (!fileSeen) reject(AppError.validation({ file: ['File is required'], ...unknown }));
    });
    parser.on('error', (e) => {
      finish();
      reject(new AppError('bad_request', `Malformed multipart body: ${(e as Error).message}`));
    });
    req.on('aborted', () => parser.destroy(new Error('request aborted')));
    req.pipe(parser);
  }).then((p) => p);
}

/** The REST shape of an attachment (as the projection below gives GET responses). */
async function restAttachment(ctx: RequestContext, a: Attachment) {
  return {
    id: a.id,
    filename: a.filename,
    size: a.size,
    mime_type: a.mimeType,
    url: await attachmentUrl(ctx, a),
    created_at: a.createdAt.toISOString(),
  };
}

export const attachmentRoutes: RestRoute[] = [
  {
    field: 'Query.conversationAttachments',
    method: 'GET',
    path: '/conversations/:conversation_id/attachments',
    summary: 'List the attachments of a conversation',
  },
  {
    field: 'Mutation.uploadAttachment',
    method: 'POST',
    path: '/conversations/:conversation_id/attachments',
    status: 201,
    summary: 'Upload an attachment (multipart/form-data: `file`, optional `filename`)',
    handler: upload,
  },
  { field: 'Mutation.deleteAttachment', method: 'DELETE', path: '/attachments/:id', summary: 'Delete an attachment' },
];

export const attachmentShape: RestShape = {
  projections: {
    AttachmentResource: { of: 'Attachment', fields: ['id', 'filename', 'size', 'mimeType', 'url', 'createdAt'] },
    ConversationAttachment: { of: 'Attachment', fields: ['id', 'filename', 'size', 'url'] },
  },
  retarget: {
    'AttachmentList.data': 'AttachmentResource',
    'Mutation.uploadAttachment': 'AttachmentResource',
    'Conversation.attachments': 'ConversationAttachment',
  },
};
