// Bodies of the inbound routes, read whole (MIME parsing and zip reading need all the bytes) up to a
// limit: a raw body of an accepted type, or one part of a multipart/form-data form. Busboy parses the
// form as the attachments route does; the part may be a file or, as some email providers post the
// raw message, a plain field.
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { AppError, type FieldErrors } from '../../lib/errors.js';
import { readBody } from '../../lib/http.js';

export interface UploadedPart {
  content: Buffer;
  filename: string;
  fields: Map<string, string>;
}

export interface FormRules {
  /** The part that carries the bytes. */
  part: string;
  maxBytes: number;
  /** Other fields accepted (short text). */
  fields: string[];
  /** Providers post extra fields (envelope, SPF results…): ignore them instead of refusing the form. */
  ignoreOtherFields: boolean;
}

const tooLarge = (limit: number) => new AppError('payload_too_large', `The upload must be at most ${limit} bytes`, { limit_bytes: limit });

/** Room for boundaries, part headers and small fields when judging a declared Content-Length. */
const FORM_OVERHEAD = 256 * 1024;

export function isMultipart(req: IncomingMessage): boolean {
  return /^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '');
}

export async function readRaw(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return readBody(req, maxBytes);
}

export function readFormPart(req: IncomingMessage, rules: FormRules): Promise<UploadedPart> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > rules.maxBytes + FORM_OVERHEAD) return Promise.reject(tooLarge(rules.maxBytes));
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        // Fields arrive as latin1, which maps bytes 1:1, so a raw message posted as a field keeps its bytes.
        defCharset: 'latin1',
        limits: { files: 1, fileSize: rules.maxBytes + 1, fieldSize: rules.maxBytes + 1, fields: 100, parts: 101 },
      });
    } catch (e) {
      reject(new AppError('bad_request', `Malformed multipart body: ${(e as Error).message}`));
      return;
    }
    const fields = new Map<string, string>();
    const unknown: FieldErrors = {};
    let content: Buffer | undefined;
    let filename = '';
    let failed: AppError | undefined;
    const fail = (e: AppError) => {
      failed ??= e;
    };

    parser.on('field', (name, value, info) => {
      if (name === rules.part) {
        if (info.valueTruncated) return fail(tooLarge(rules.maxBytes));
        if (content) return fail(AppError.validation({ [name]: ['Send one message per request'] }));
        // Characters above U+00FF mean the part declared its own charset: encode back as UTF-8.
        content = /[^\u0000-\u00ff]/.test(value) ? Buffer.from(value, 'utf8') : Buffer.from(value, 'latin1');
      } else if (rules.fields.includes(name)) {
        fields.set(name, /[^\u0000-\u00ff]/.test(value) ? value : Buffer.from(value, 'latin1').toString('utf8'));
      } else if (!rules.ignoreOtherFields) {
        unknown[name] = ['Unknown field'];
      }
    });
    parser.on('file', (name, stream, info) => {
      // A body cut short fails the part's stream too; the parser's 'error' below answers (400). Without
      // a listener here that error would crash the process (fuzz test).
      stream.on('error', () => {});
      if (name !== rules.part || content) {
        if (name === rules.part) fail(AppError.validation({ [name]: ['Send one file per request'] }));
        else if (!rules.ignoreOtherFields) unknown[name] = ['Unknown field'];
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      filename = info.filename ?? '';
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > rules.maxBytes) fail(tooLarge(rules.maxBytes));
        else chunks.push(c);
      });
      stream.on('end', () => {
        if (!failed) content = Buffer.concat(chunks);
      });
    });
    parser.on('close', () => {
      if (failed) return reject(failed);
      if (Object.keys(unknown).length || !content) {
        return reject(
          AppError.validation({ ...(content ? {} : { [rules.part]: [`A part named \`${rules.part}\` is required`] }), ...unknown }),
        );
      }
      resolve({ content, filename, fields });
    });
    parser.on('error', (e) => reject(failed ?? new AppError('bad_request', `Malformed multipart body: ${(e as Error).message}`)));
    req.on('aborted', () => parser.destroy(new Error('request aborted')));
    req.pipe(parser);
  });
}
