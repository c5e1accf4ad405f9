// Snippets (docs/spec/product.md §6): at most ~240 characters of the original text around the best match, matched
// terms in <mark>…</mark>, every other character HTML-escaped.
//
// Engines never produce HTML. They mark matches with two control characters that cannot survive in
// stored text (both engines strip them from what they highlight), and only this file turns the
// marked text into HTML — escaping first, marks second — so user text can never inject markup.

export const MARK_START = '\u0001';
export const MARK_END = '\u0002';
export const SNIPPET_MAX_CHARS = 240;
const ELLIPSIS = '...';

export interface Segment {
  text: string;
  marked: boolean;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Splits sentinel-marked text into plain and marked runs. Unbalanced sentinels are dropped. */
export function segmentsOf(marked: string): Segment[] {
  const out: Segment[] = [];
  let inMark = false;
  let buf = '';
  const flush = () => {
    if (buf) out.push({ text: buf, marked: inMark });
    buf = '';
  };
  for (const ch of marked) {
    if (ch === MARK_START) {
      flush();
      inMark = true;
    } else if (ch === MARK_END) {
      flush();
      inMark = false;
    } else buf += ch;
  }
  flush();
  return out;
}

/**
 * Engines highlight a lightly rewritten copy of the text (PostgreSQL sees `<`/`>` as spaces);
 * `original` is the same span of the untouched text, character for character. Returns the marked
 * runs carrying the original characters.
 */
export function restoreOriginal(segments: Segment[], original: string | undefined): Segment[] {
  const plainLength = segments.reduce((n, s) => n + s.text.length, 0);
  if (original === undefined || original.length !== plainLength) return segments;
  let at = 0;
  return segments.map((s) => {
    const text = original.slice(at, at + s.text.length);
    at += s.text.length;
    return { text, marked: s.marked };
  });
}

/**
 * Cuts the runs to at most `max` characters (ellipses included), keeping the first match in view
 * and never splitting a word or a mark where it can avoid it; then renders HTML.
 * `before`/`after`: whether the source text continues beyond the runs.
 */
export function renderSnippet(segments: Segment[], opts: { before: boolean; after: boolean; max?: number }): string {
  const max = opts.max ?? SNIPPET_MAX_CHARS;
  const text = segments.map((s) => s.text).join('');
  // Character offsets of each run.
  const bounds: { start: number; end: number; marked: boolean }[] = [];
  let at = 0;
  for (const s of segments) {
    bounds.push({ start: at, end: at + s.text.length, marked: s.marked });
    at += s.text.length;
  }
  let start = 0;
  let end = text.length;
  let before = opts.before;
  let after = opts.after;
  const whole = text.length + (before ? ELLIPSIS.length : 0) + (after ? ELLIPSIS.length : 0);
  if (whole > max) {
    // Cutting: reserve room for an ellipsis on both sides.
    const budget = max - 2 * ELLIPSIS.length;
    const firstMark = bounds.find((b) => b.marked);
    if (firstMark && firstMark.end > budget) {
      // Start a little before the first match, for context.
      start = Math.max(0, Math.min(firstMark.start - 60, text.length - budget));
      start = wordStartAtOrAfter(text, start, firstMark.start);
      if (start > 0) before = true;
    }
    end = start + budget;
    if (end >= text.length) end = text.length;
    else {
      after = true;
      end = wordEndAtOrBefore(text, end, start);
      // Never cut through a mark: end before it instead.
      const cut = bounds.find((b) => b.marked && b.start < end && b.end > end);
      if (cut && cut.start > start) end = cut.start;
    }
    // A cut snippet starts and ends on words; whole text is returned as it is.
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
  }

  let html = before ? ELLIPSIS : '';
  for (const b of bounds) {
    const s = Math.max(b.start, start);
    const e = Math.min(b.end, end);
    if (e <= s) continue;
    const piece = escapeHtml(text.slice(s, e));
    html += b.marked ? `<mark>${piece}</mark>` : piece;
  }
  if (after) html += ELLIPSIS;
  return html;
}

/** The first word start in [from, limit]; `from` itself when no boundary is found. */
function wordStartAtOrAfter(text: string, from: number, limit: number): number {
  if (from === 0 || /\s/.test(text[from - 1])) return from;
  for (let i = from; i < limit; i++) if (/\s/.test(text[i])) return i + 1;
  return from;
}

/** The last word end in [floor, to]; `to` itself when no boundary is found. */
function wordEndAtOrBefore(text: string, to: number, floor: number): number {
  if (to >= text.length || /\s/.test(text[to])) return to;
  for (let i = to; i > floor; i--) if (/\s/.test(text[i - 1])) return i - 1;
  return to;
}

/** The visible text of a rendered snippet (tests and length checks). */
export function snippetPlainText(html: string): string {
  return html
    .replace(/<\/?mark>/g, '')
    .replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}
