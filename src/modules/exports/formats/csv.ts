// CSV (RFC 4180: CRLF, quotes doubled, fields with separators quoted), one row per conversation, via
// csv-stringify. Cells a spreadsheet would read as a formula (starting with = + - @ tab or CR) get a
// leading apostrophe (OWASP's advice against CSV injection).
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { ExportConversation } from '../export-source.js';
import type { Batches } from './common.js';

export const CSV_COLUMNS = [
  'id',
  'title',
  'source',
  'status',
  'created_at',
  'updated_at',
  'summary_title',
  'summary',
  'sentiment',
  'topics',
  'action_items',
  'attachments',
  'metadata',
  'content',
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralise(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

function row(c: ExportConversation): string[] {
  return [
    c.id,
    c.title,
    c.source,
    c.status,
    c.createdAt.toISOString(),
    c.updatedAt.toISOString(),
    c.summary?.title ?? '',
    c.summary?.content ?? '',
    c.summary?.sentiment ?? '',
    (c.summary?.topics ?? []).join('; '),
    (c.summary?.actionItems ?? []).join('; '),
    c.attachments.map((a) => a.filename).join('; '),
    JSON.stringify(c.metadata),
    c.content,
  ].map(neutralise);
}

export function csvExport(batches: Batches): Readable {
  const out = stringify({ header: true, columns: [...CSV_COLUMNS], record_delimiter: 'windows' });
  const rows = Readable.from(
    (async function* () {
      for await (const batch of batches) for (const c of batch) yield row(c);
    })(),
  );
  rows.on('error', (e) => out.destroy(e));
  return rows.pipe(out);
}
