// Markdown: a heading for the export, then one section per conversation with its details, summary,
// action items, attachments and content (in a fence longer than any backtick run inside it).
import { Readable } from 'node:stream';
import type { ExportConversation } from '../export-source.js';
import { describeFilters, type Batches, type ExportMeta } from './common.js';

/** Escapes characters that would start Markdown syntax inside a line of prose. */
function inline(s: string): string {
  return s.replace(/[\\`*_[\]<>#|]/g, (ch) => `\\${ch}`).replace(/\s*\n\s*/g, ' ');
}

function fence(content: string): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}text\n${content}\n${f}`;
}

function section(c: ExportConversation): string {
  const lines = [`## ${inline(c.title)}`, ''];
  lines.push(`- **ID:** ${c.id}`, `- **Date:** ${c.createdAt.toISOString()}`, `- **Source:** ${c.source}`, `- **Status:** ${c.status}`);
  if (c.summary?.sentiment) lines.push(`- **Sentiment:** ${c.summary.sentiment}`);
  if (c.summary?.topics.length) lines.push(`- **Topics:** ${c.summary.topics.map(inline).join(', ')}`);
  lines.push('');
  if (c.summary?.content) lines.push('### Summary', '', inline(c.summary.content), '');
  if (c.summary?.actionItems.length) lines.push('### Action items', '', ...c.summary.actionItems.map((a) => `- [ ] ${inline(a)}`), '');
  if (c.attachments.length)
    lines.push('### Attachments', '', ...c.attachments.map((a) => `- ${inline(a.filename)} (${a.mimeType}, ${a.size} bytes)`), '');
  lines.push('### Content', '', fence(c.content), '', '---', '', '');
  return lines.join('\n');
}

export function markdownExport(batches: Batches, meta: ExportMeta): Readable {
  return Readable.from(
    (async function* () {
      yield `# Conversations export\n\n- **Export:** ${meta.id}\n- **Created:** ${meta.createdAt.toISOString()}\n- **Filters:** ${inline(describeFilters(meta.filters))}\n\n---\n\n`;
      let n = 0;
      for await (const batch of batches) {
        yield batch.map(section).join('');
        n += batch.length;
      }
      if (!n) yield '_No conversations matched the filters._\n';
    })(),
    { objectMode: false },
  );
}
