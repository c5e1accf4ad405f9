// Signed downloads: GET /v1/files/<id>/<name>?expires=&signature= serves an attachment's or an
// export's bytes without an API key (docs/spec/product.md §3). The signature (lib/storage/signing.ts) is checked
// before anything is looked up: a tampered or expired link is a 403 — except an expired export,
// which is a 410 (its file is gone or about to be). Files are always offered as downloads, never
// rendered on this origin (Content-Disposition: attachment, nosniff, a sandboxing CSP).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { App } from '../app.js';
import { AppError } from '../lib/errors.js';
import { sendError } from '../lib/http.js';
import { isId } from '../lib/ids.js';
import { fileServices } from '../lib/storage/storage.js';

export const FILES_PREFIX = '/v1/files/';

interface FileRow {
  storage_key: string | null;
  filename: string | null;
  mime_type: string;
  expires_at?: Date | null;
}

const FORBIDDEN = () => new AppError('forbidden', 'Invalid or expired download link');
const GONE = () => new AppError('gone', 'This export has expired and its file was removed; create a new export');

export function createFilesDoor(app: App) {
  return async function handleFiles(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new AppError(
          'method_not_allowed',
          `${req.method} is not allowed on ${url.pathname}`,
          { allowed: ['GET', 'HEAD'] },
          { Allow: 'GET, HEAD' },
        );
      }
      let segments: string[];
      try {
        segments = url.pathname.slice(FILES_PREFIX.length).split('/').map(decodeURIComponent);
      } catch {
        throw FORBIDDEN();
      }
      if (segments.length !== 2) throw FORBIDDEN();
      const { signer, storage } = await fileServices(app);
      const verdict = signer.verify(segments.join('/'), url.searchParams.get('expires'), url.searchParams.get('signature'));
      if (verdict === 'invalid') throw FORBIDDEN();

      const [id] = segments;
      const isExport = isId('export', id);
      let row: FileRow | undefined;
      if (isId('attachment', id)) {
        row = (await app.db.query<FileRow>(`SELECT storage_key, filename, mime_type FROM attachments WHERE id = $1`, [id]))[0];
      } else if (isExport) {
        row = (
          await app.db.query<FileRow>(
            `SELECT storage_key, filename, '' AS mime_type, expires_at FROM exports WHERE id = $1 AND status = 'completed'`,
            [id],
          )
        )[0];
      }
      if (verdict === 'expired') throw isExport ? GONE() : FORBIDDEN();
      if (!row) throw AppError.notFound('File');
      if (isExport && (!row.storage_key || (row.expires_at && row.expires_at.getTime() <= Date.now()))) throw GONE();
      const object = row.storage_key ? await storage.get(row.storage_key) : undefined;
      if (!object) throw isExport ? GONE() : AppError.notFound('File');

      const name = row.filename ?? segments[1];
      res.writeHead(200, {
        'Content-Type': isExport ? exportMime(name) : row.mime_type,
        'Content-Length': object.size,
        'Content-Disposition': contentDisposition(name),
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'Cache-Control': 'private, no-store',
      });
      if (req.method === 'HEAD') {
        object.stream.destroy();
        res.end();
        return;
      }
      await pipeline(object.stream, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof AppError) sendError(res, e);
      else {
        app.log.error({ err: e }, 'file download failed');
        sendError(res, new AppError('internal_error', 'An internal error occurred'));
      }
    }
  };
}

const EXPORT_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  zip: 'application/zip',
};

function exportMime(name: string): string {
  return EXPORT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream';
}

/** RFC 6266: an ASCII fallback and the exact UTF-8 name (RFC 5987). */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
