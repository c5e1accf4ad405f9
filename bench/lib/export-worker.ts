// One export in a process of its own, as a worker runs it: prints {format, ms, bytes, conversations,
// baselineRssMb, peakRssMb, growthMb} as JSON on stdout. Used by bench/export.bench.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openPostgres } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { newId } from '../../src/lib/ids.js';
import { writeExport } from '../../src/modules/exports/write-export.js';
import type { App } from '../../src/app.js';

const [format, accountId, includeAttachments] = process.argv.slice(2);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-bench-export-'));
const config = loadConfig({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
const log = createLogger('silent');
const db = openPostgres(config.databaseUrl!, 2, log);
const app = { config, db, log } as App;

const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
try {
  // Load everything a worker has loaded before its first export (formats, fonts, SDKs), then measure.
  await import('pdfkit');
  await import('csv-stringify');
  // A worker has queried the database before it writes an export (the job reads the export row):
  // Prisma's query compiler and the pool's connections (≈65 MB RSS) are not export memory.
  await db.prisma.export.findFirst({ where: { accountId }, select: { id: true } });
  await db.query('SELECT 1');
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const row = await db.prisma.export.create({
    data: {
      id: newId('export'),
      accountId,
      status: 'processing',
      format,
      filters: {},
      includeAttachments: includeAttachments === 'true',
      createdAt: new Date(),
    },
  });
  const started = Date.now();
  const out = await writeExport(app, row);
  const ms = Date.now() - started;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(
    `${JSON.stringify({ format, ms, bytes: out.size, conversations: out.count, baselineRssMb: mb(baseline), peakRssMb: mb(peak), growthMb: mb(peak - baseline) })}\n`,
  );
} finally {
  await db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
