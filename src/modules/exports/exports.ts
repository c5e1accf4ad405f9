// Creating, reading and listing exports, always scoped by account.
import type { AccountScope, App } from '../../app.js';
import type { Export } from '../../generated/prisma/client.js';
import { enqueueAfterCommit } from '../../jobs/runner.js';
import { AppError } from '../../lib/errors.js';
import { pageOf, pageOnlyInput, type Page } from '../../lib/pagination.js';
import { isId, newId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { exportInput, type ExportInput } from './export-input.js';
import { storageRoom } from '../usage/storage-quota.js';
import { generateExportJob } from './exports.jobs.js';

export async function createExport(app: App, scope: AccountScope, input: ExportInput): Promise<Export> {
  const v = parseInput(exportInput, input);
  // An account already at its limit has no room for any file: refused now rather than failed later.
  await storageRoom(app, scope, 'export');
  const row = await app.db.prisma.export.create({
    data: {
      id: newId('export'),
      accountId: scope.accountId,
      status: 'processing',
      format: v.format,
      filters: v.filters as object,
      includeAttachments: v.options.includeAttachments,
      createdAt: new Date(),
    },
  });
  await enqueueAfterCommit(app, generateExportJob, { exportId: row.id });
  return row;
}

export async function getExport(app: App, scope: AccountScope, id: string): Promise<Export> {
  if (!isId('export', id)) throw AppError.notFound('Export');
  const row = await app.db.prisma.export.findFirst({ where: { id, accountId: scope.accountId } });
  if (!row) throw AppError.notFound('Export');
  return row;
}

export type ExportPage = Page<Export>;

/** `linkBase` is the absolute URL of the REST list endpoint (`links`, as every list has). */
export async function listExports(
  app: App,
  scope: AccountScope,
  opts: { page?: number; perPage?: number },
  linkBase: string,
): Promise<ExportPage> {
  const { page, perPage } = parseInput(pageOnlyInput, opts);
  const [data, total] = await Promise.all([
    app.db.prisma.export.findMany({
      where: { accountId: scope.accountId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      skip: (page - 1) * perPage,
      take: perPage,
    }),
    app.db.prisma.export.count({ where: { accountId: scope.accountId } }),
  ]);
  return pageOf(data, page, perPage, total, linkBase);
}
