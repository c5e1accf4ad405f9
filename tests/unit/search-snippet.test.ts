// Snippet rendering: marks from sentinels, HTML escaping, cutting around the first match.
import { describe, expect, it } from 'vitest';
import { snippetFromRow } from '../../src/modules/search/postgres-engine.js';
import {
  MARK_END as E,
  MARK_START as S,
  renderSnippet,
  restoreOriginal,
  segmentsOf,
  snippetPlainText,
} from '../../src/modules/search/snippet.js';

describe('snippets', () => {
  it('escapes everything but the marks, even inside them', () => {
    const html = renderSnippet(segmentsOf(`<a href="x">${S}R&D${E}</a> 'q'`), { before: false, after: false });
    expect(html).toBe('&lt;a href=&quot;x&quot;&gt;<mark>R&amp;D</mark>&lt;/a&gt; &#39;q&#39;');
  });

  it('drops stray sentinels instead of emitting markup', () => {
    expect(renderSnippet(segmentsOf(`a${E}b${S}c`), { before: false, after: false })).toBe('ab<mark>c</mark>');
  });

  it('restores the original characters the engine rewrote', () => {
    const segs = restoreOriginal(segmentsOf(` b ${S}x${E}`), '<b>x');
    expect(renderSnippet(segs, { before: false, after: false })).toBe('&lt;b&gt;<mark>x</mark>');
    // A length mismatch keeps the engine's text rather than misplacing marks.
    expect(restoreOriginal(segmentsOf('abc'), 'abcd')).toEqual([{ text: 'abc', marked: false }]);
  });

  it('cuts long text to 240 characters, keeping the first match and whole words', () => {
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    const html = renderSnippet(segmentsOf(`${words} ${S}hit${E} ${words}`), { before: false, after: false });
    const plain = snippetPlainText(html);
    expect(plain.length).toBeLessThanOrEqual(240);
    expect(html).toContain('<mark>hit</mark>');
    expect(plain.startsWith('...w')).toBe(true);
    expect(plain.endsWith('...')).toBe(true);
    expect(plain).not.toMatch(/\.\.\.\s|\s\.\.\./);
  });

  it('never cuts through a mark', () => {
    const long = 'x'.repeat(230);
    const html = renderSnippet(segmentsOf(`${S}a${E} ${long} ${S}marked words here${E} tail`), { before: false, after: false });
    expect(html).not.toMatch(/<mark>[^<]*\.\.\./);
    expect(snippetPlainText(html).length).toBeLessThanOrEqual(240);
  });

  it('adds ellipses where the source text continues', () => {
    expect(snippetFromRow({ frag: `b ${S}c${E}`, original: 'b c', pos: 3, src_len: 7 })).toBe('...b <mark>c</mark>...');
    expect(snippetFromRow({ frag: `a b ${S}c${E}`, original: 'a b c', pos: 1, src_len: 5 })).toBe('a b <mark>c</mark>');
  });
});
