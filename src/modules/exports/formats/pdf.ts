// PDF via pdfkit: a title page (export, date, filters), then per conversation its title, date, source,
// status, summary, action items, attachments and content, with page numbers. Pages are written out as
// they fill (no page buffering), and the writer waits while its output is not being read, so memory
// stays flat. Text uses DejaVu Sans when the system has it (accents, Greek, Cyrillic, …); characters a
// font cannot draw come out as its blank glyph, never as an error. Without DejaVu, Helvetica is used
// and characters outside its Latin-1 range are replaced by "?".
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import PDFDocument from 'pdfkit';
import type { ExportConversation } from '../export-source.js';
import { describeFilters, type Batches, type ExportMeta } from './common.js';

const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/dejavu', '/usr/local/share/fonts/dejavu'];

function findFonts(): { regular: string; bold: string } | undefined {
  for (const dir of FONT_DIRS) {
    const regular = `${dir}/DejaVuSans.ttf`;
    const bold = `${dir}/DejaVuSans-Bold.ttf`;
    if (fs.existsSync(regular) && fs.existsSync(bold)) return { regular, bold };
  }
  return undefined;
}

const fonts = findFonts();
const REGULAR = fonts ? 'Body' : 'Helvetica';
const BOLD = fonts ? 'Body-Bold' : 'Helvetica-Bold';
/** Helvetica (WinAnsi) cannot encode these; keep the layout, lose only the character. */
const text = (s: string) => (fonts ? s : s.replace(/[^\u0009\u000a\u000d\u0020-\u007e\u00a0-\u00ff]/gu, '?'));
/** Control characters other than tab and newline have no glyph anywhere. */
const clean = (s: string) => text(s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ''));

const HIGH_WATER = 1 << 20;

/** The parts of pdfkit's (internal) page that hold a written page's objects. */
interface PdfPage {
  dictionary: { data: Record<string, unknown>; offset?: number };
  resources: { data: Record<string, unknown>; offset?: number };
  content: { data: Record<string, unknown>; offset?: number };
}

/** pdfkit caches the glyph layout of every distinct word and line it has set, for ever: reset it now and then. */
function forgetLayouts(doc: PDFKit.PDFDocument): void {
  const families = (doc as unknown as { _fontFamilies?: Record<string, { layoutCache?: object }> })._fontFamilies ?? {};
  for (const font of Object.values(families)) if (font.layoutCache) font.layoutCache = Object.create(null);
}

/** Only once all three objects have been written (they then have an offset): later writes print their ids only. */
function releaseWrittenPage(page: PdfPage): void {
  if (page.dictionary?.offset == null || page.resources?.offset == null || page.content?.offset == null) return;
  page.dictionary.data = {};
  page.resources.data = {};
  page.content.data = {};
}

export function pdfExport(batches: Batches, meta: ExportMeta): NodeJS.ReadableStream {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 56, bottom: 56, left: 56, right: 56 },
    bufferPages: false,
    info: { Title: 'Conversations export', Creator: 'AImyChats', CreationDate: meta.createdAt },
  });
  if (fonts) {
    doc.registerFont('Body', fonts.regular);
    doc.registerFont('Body-Bold', fonts.bold);
  }
  let pageNumber = 1;
  const footer = () => {
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing inside the margin must not start a new page
    doc
      .font(REGULAR)
      .fontSize(8)
      .fillColor('#888888')
      .text(`Page ${pageNumber}`, doc.page.margins.left, doc.page.height - 36, {
        width: doc.page.width - doc.page.margins.left - doc.page.margins.right,
        align: 'center',
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
    doc.x = doc.page.margins.left;
    doc.y = doc.page.margins.top;
    doc.fillColor('black');
  };
  // pdfkit keeps every written page's objects (for the /Kids list of the page tree, which needs only
  // their ids): ≈4.5 KB a page, 450 MB for 100,000. Once a page is written out, drop their contents.
  let previous: PdfPage | undefined = doc.page as unknown as PdfPage;
  doc.on('pageAdded', () => {
    if (previous) releaseWrittenPage(previous);
    previous = doc.page as unknown as PdfPage;
    pageNumber += 1;
    footer();
  });
  footer();

  void (async () => {
    try {
      doc.font(BOLD).fontSize(24).text('Conversations export', { align: 'left' });
      doc.moveDown();
      doc.font(REGULAR).fontSize(11);
      doc.text(`Export: ${meta.id}`);
      doc.text(`Created: ${meta.createdAt.toISOString().replace('T', ' ').slice(0, 19)} UTC`);
      doc.text(clean(`Filters: ${describeFilters(meta.filters)}`));
      let n = 0;
      for await (const batch of batches) {
        for (const c of batch) {
          conversation(doc, c);
          n += 1;
          if (n % 100 === 0) forgetLayouts(doc);
          while (doc.readableLength > HIGH_WATER && !doc.destroyed) await sleep(5);
          // Laying out a page is synchronous: give the event loop (the output stream, the job's lock
          // renewals, other jobs) a turn after each conversation rather than once per database batch.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (!n) {
        doc.moveDown().font(REGULAR).fontSize(11).text('No conversations matched the filters.');
      }
      doc.end();
    } catch (e) {
      doc.destroy(e as Error);
    }
  })();
  return doc;
}

function heading(doc: PDFKit.PDFDocument, label: string) {
  doc.moveDown(0.6).font(BOLD).fontSize(12).text(label).font(REGULAR).fontSize(10);
}

function conversation(doc: PDFKit.PDFDocument, c: ExportConversation) {
  doc.addPage();
  doc.font(BOLD).fontSize(16).fillColor('black').text(clean(c.title));
  doc.moveDown(0.3).font(REGULAR).fontSize(9).fillColor('#444444');
  doc.text(`${c.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC  ·  source: ${c.source}  ·  status: ${c.status}  ·  ${c.id}`);
  if (c.summary?.sentiment || c.summary?.topics.length) {
    doc.text(
      clean(
        [c.summary.sentiment && `sentiment: ${c.summary.sentiment}`, c.summary.topics.length && `topics: ${c.summary.topics.join(', ')}`]
          .filter(Boolean)
          .join('  ·  '),
      ),
    );
  }
  doc.fillColor('black');
  if (c.summary?.content) {
    heading(doc, 'Summary');
    doc.text(clean(c.summary.content));
  }
  if (c.summary?.actionItems.length) {
    heading(doc, 'Action items');
    doc.list(c.summary.actionItems.map(clean), { bulletRadius: 2 });
  }
  if (c.attachments.length) {
    heading(doc, 'Attachments');
    doc.list(
      c.attachments.map((a) => clean(`${a.filename} (${a.mimeType}, ${a.size} bytes)`)),
      { bulletRadius: 2 },
    );
  }
  heading(doc, 'Content');
  doc.text(clean(c.content));
}
