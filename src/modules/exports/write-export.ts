// The export job: streams the matching conversations from the database in batches into the file of
// the requested format, straight into storage — or, with `include_attachments`, into a temporary file
// that goes into a .zip with `attachments/<conversation id>/<file>` entries, the zip itself streamed
// into storage. Then the row is completed (size, 7-day expiry) or, on the last failure, failed with a reason.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import type { App } from '../../app.js';
import type { Export } from '../../generated/prisma/client.js';
import type { JobHandler } from '../../jobs/definition.js';
import { fileServices, type ObjectStorage } from '../../lib/storage/storage.js';
import { isAppError } from '../../lib/errors.js';
import { storageTransaction } from '../usage/storage-quota.js';
import { dispatchAfterCommit, recordEvent } from '../webhooks/record-event.js';
import { toSearchFilters } from '../search/search-input.js';
import { toSnake } from '../../lib/casing.js';
import { EXTENSIONS, exportInput, type ExportFormat } from './export-input.js';
import { exportConversations, type ExportAttachment } from './export-source.js';
import type { Batches, ExportMeta } from './formats/common.js';
import { csvExport } from './formats/csv.js';
import { jsonExport } from './formats/json.js';
import { markdownExport } from './formats/markdown.js';
import { pdfExport } from './formats/pdf.js';

function render(format: ExportFormat, batches: Batches, meta: ExportMeta): Readable {
  switch (format) {
    case 'json':
      return jsonExport(batches, meta);
    case 'csv':
      return csvExport(batches);
    case 'markdown':
      return markdownExport(batches, meta);
    case 'pdf':
      return pdfExport(batches, meta) as Readable;
  }
}

const snakeKeys = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [toSnake(k), v]));

export async function writeExport(app: App, row: Export): Promise<{ key: string; filename: string; size: number; count: number }> {
  const { storage } = await fileServices(app);
  const format = row.format as ExportFormat;
  const filters = exportInput.shape.filters.parse(row.filters);
  const meta: ExportMeta = { id: row.id, format, filters: snakeKeys(filters), createdAt: row.createdAt };
  const stamp = row.createdAt.toISOString().slice(0, 10);
  const inner = `aimychats-export-${stamp}.${EXTENSIONS[format]}`;
  const filename = row.includeAttachments ? `aimychats-export-${stamp}.zip` : inner;
  const key = `exports/${row.accountId}/${row.id}.${row.includeAttachments ? 'zip' : EXTENSIONS[format]}`;

  let count = 0;
  const files: { conversationId: string; file: ExportAttachment }[] = [];
  async function* batches(): Batches {
    for await (const batch of exportConversations(app.db, row.accountId, toSearchFilters(filters), app.config.exports.batchSize)) {
      count += batch.length;
      if (row.includeAttachments) for (const c of batch) for (const file of c.attachments) files.push({ conversationId: c.id, file });
      yield batch;
    }
  }

  if (!row.includeAttachments) {
    const { size } = await storage.put(key, render(format, batches(), meta));
    return { key, filename, size, count };
  }
  const tmp = path.join(os.tmpdir(), `aimychats-${row.id}-${crypto.randomBytes(4).toString('hex')}.${EXTENSIONS[format]}`);
  try {
    await pipeline(render(format, batches(), meta), fs.createWriteStream(tmp));
    const { size } = await storage.put(key, zipStream(storage, tmp, inner, files));
    return { key, filename, size, count };
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

/** The export file at the top, each attachment under attachments/<conversation>/<name> (names made unique). */
function zipStream(
  storage: ObjectStorage,
  exportFile: string,
  name: string,
  files: { conversationId: string; file: ExportAttachment }[],
): Readable {
  const zip = new yazl.ZipFile();
  zip.addFile(exportFile, name);
  const used = new Set<string>();
  for (const { conversationId, file } of files) {
    let entry = `attachments/${conversationId}/${file.filename}`;
    for (let i = 2; used.has(entry); i++) entry = `attachments/${conversationId}/${numbered(file.filename, i)}`;
    used.add(entry);
    zip.addReadStreamLazy(entry, { compress: !/^(image|video|audio)\/|zip|pdf/.test(file.mimeType) }, (cb) => {
      storage.get(file.storageKey).then(
        (obj) => cb(null, obj?.stream ?? Readable.from([])),
        (err: Error) => cb(err, undefined as never),
      );
    });
  }
  zip.end();
  return zip.outputStream as Readable;
}

function numbered(filename: string, i: number): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? `${filename.slice(0, dot)} (${i})${filename.slice(dot)}` : `${filename} (${i})`;
}

export const writeExportHandler: JobHandler<{ exportId: string }> = {
  async run({ exportId }, ctx) {
    const { app } = ctx;
    const row = await app.db.prisma.export.findUnique({ where: { id: exportId } });
    if (row?.status !== 'processing') return; // done already, or gone with its account
    const started = Date.now();
    const out = await writeExport(app, row);
    const { storage } = await fileServices(app);
    // Export files count against the storage quota while they are kept: the row takes the file through
    // the quota's transaction (the counter counts it once `storage_key` is set).
    const scope = { accountId: row.accountId, plan: await planOf(app, row.accountId) };
    const now = new Date();
    let event: Parameters<typeof dispatchAfterCommit>[1];
    try {
      event = await storageTransaction(app, scope, 'export', async (tx) => {
        await tx.export.update({
          where: { id: exportId },
          data: {
            status: 'completed',
            storageKey: out.key,
            filename: out.filename,
            sizeBytes: BigInt(out.size),
            conversationCount: out.count,
            completedAt: now,
            expiresAt: new Date(now.getTime() + app.config.exports.ttlMs),
            error: null,
          },
        });
        return recordEvent(tx, {
          accountId: row.accountId,
          type: 'export.completed',
          data: {
            id: exportId,
            status: 'completed',
            format: row.format,
            size_mb: Math.round((out.size / 1048576) * 1000) / 1000,
            conversation_count: out.count,
          },
        });
      });
    } catch (e) {
      await storage
        .delete([out.key])
        .catch((err) => ctx.log.warn({ err, key: out.key }, 'could not delete the file of an export not completed'));
      if (!(isAppError(e) && e.code === 'storage_quota_exceeded')) throw e;
      await fail(app, exportId, `${e.message} (the export file is ${(out.size / 1048576).toFixed(2)} MB)`);
      return;
    }
    await dispatchAfterCommit(app, event);
    ctx.log.info({ exportId, conversations: out.count, bytes: out.size, ms: Date.now() - started }, 'export completed');
  },
  async failed({ exportId }, reason, ctx) {
    await fail(ctx.app, exportId, reason);
  },
};

async function fail(app: App, exportId: string, reason: string): Promise<void> {
  const event = await app.db.prisma.$transaction(async (tx) => {
    const row = await tx.export.findUnique({ where: { id: exportId }, select: { accountId: true, format: true } });
    const { count } = await tx.export.updateMany({
      where: { id: exportId, status: 'processing' },
      data: { status: 'failed', error: reason, completedAt: new Date() },
    });
    if (!count || !row) return undefined;
    return recordEvent(tx, {
      accountId: row.accountId,
      type: 'export.failed',
      data: { id: exportId, status: 'failed', format: row.format, error: reason },
    });
  });
  await dispatchAfterCommit(app, event);
}

async function planOf(app: App, accountId: string): Promise<string> {
  const rows = await app.db.query<{ plan: string }>(`SELECT plan FROM accounts WHERE id = $1`, [accountId]);
  return rows[0]?.plan ?? app.config.defaultPlan;
}
