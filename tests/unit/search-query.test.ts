// The query language (web-search syntax with loose words) and its PostgreSQL compilation.
import { describe, expect, it } from 'vitest';
import { compileQuery } from '../../src/modules/search/postgres-engine.js';
import { parseQuery } from '../../src/modules/search/query-parser.js';
import { parseDate } from '../../src/lib/dates.js';
import { searchInput, toSearchRequest } from '../../src/modules/search/search-input.js';

const w = (text: string) => ({ text, phrase: false });
const p = (text: string) => ({ text, phrase: true });

describe('parseQuery', () => {
  it('loose words are separate optional groups', () => {
    expect(parseQuery('pricing  features')).toEqual({
      groups: [
        { alternatives: [w('pricing')], required: false },
        { alternatives: [w('features')], required: false },
      ],
      excluded: [],
    });
  });

  it('quoted phrases are required; an unclosed quote runs to the end', () => {
    expect(parseQuery('"pricing plan" demo "next steps')).toEqual({
      groups: [
        { alternatives: [p('pricing plan')], required: true },
        { alternatives: [w('demo')], required: false },
        { alternatives: [p('next steps')], required: true },
      ],
      excluded: [],
    });
  });

  it('OR joins neighbours; a group with a loose word is optional', () => {
    expect(parseQuery('"a b" OR "c d" x OR y')).toEqual({
      groups: [
        { alternatives: [p('a b'), p('c d')], required: true },
        { alternatives: [w('x'), w('y')], required: false },
      ],
      excluded: [],
    });
    expect(parseQuery('"a b" OR c').groups).toEqual([{ alternatives: [p('a b'), w('c')], required: false }]);
  });

  it('minus excludes words and phrases; hyphens inside words do not', () => {
    expect(parseQuery('e-mail -spam -"cold call" - --x')).toEqual({
      groups: [
        { alternatives: [w('e-mail')], required: false },
        { alternatives: [w('--x')], required: false },
      ],
      excluded: [w('spam'), p('cold call')],
    });
  });

  it('a dangling or misplaced OR is ignored; lowercase or is a word', () => {
    expect(parseQuery('OR a OR').groups).toEqual([{ alternatives: [w('a')], required: false }]);
    expect(parseQuery('a OR -b c').groups).toEqual([
      { alternatives: [w('a')], required: false },
      { alternatives: [w('c')], required: false },
    ]);
    expect(parseQuery('a or b').groups.length).toBe(3);
  });
});

describe('compileQuery', () => {
  // Stand-in for phraseto_tsquery: lower-case lexemes joined by <->, stop word "the" removed.
  const ts = (t: { text: string }) =>
    t.text
      .toLowerCase()
      .split(/\s+/)
      .filter((x) => x && x !== 'the')
      .map((x) => `'${x}'`)
      .join(' <-> ');

  it('loose words: any of them', () => {
    expect(compileQuery(parseQuery('a b'), ts)).toEqual({ match: `('a') | ('b')`, any: `('a') | ('b')`, groups: [`'a'`, `'b'`] });
  });

  it('phrases are required, loose words only rank, exclusions are negated', () => {
    const q = compileQuery(parseQuery('"x y" b -c -"d e"'), ts)!;
    expect(q.match).toBe(`('x' <-> 'y') & !('c') & !('d' <-> 'e')`);
    expect(q.any).toBe(`('x' <-> 'y') | ('b')`);
  });

  it('stop-word-only terms vanish; nothing positive left means no query', () => {
    expect(compileQuery(parseQuery('"the" a'), ts)!.match).toBe(`'a'`);
    expect(compileQuery(parseQuery('the -a'), ts)).toBeUndefined();
    expect(compileQuery(parseQuery('-a'), ts)).toBeUndefined();
  });
});

describe('search input', () => {
  it('parses bare dates and timestamps; rejects impossible ones', () => {
    expect(parseDate('2024-02-29')).toEqual({ at: new Date('2024-02-29T00:00:00Z'), bare: true });
    expect(parseDate('2023-02-29')).toBeUndefined();
    expect(parseDate('2024-01-31T10:00:00+02:00')?.at.toISOString()).toBe('2024-01-31T08:00:00.000Z');
    expect(parseDate('2024-01-31T10:00:00')).toBeUndefined(); // no zone: ambiguous
    expect(parseDate('yesterday')).toBeUndefined();
  });

  it('a bare date_to covers the whole day; a timestamp is inclusive to the millisecond', () => {
    const bare = toSearchRequest(searchInput.parse({ query: 'a', filters: { dateTo: '2024-01-31' } }));
    expect(bare.filters.createdBefore?.toISOString()).toBe('2024-02-01T00:00:00.000Z');
    const exact = toSearchRequest(searchInput.parse({ query: 'a', filters: { dateTo: '2024-01-31T12:00:00Z' } }));
    expect(exact.filters.createdBefore?.toISOString()).toBe('2024-01-31T12:00:00.001Z');
  });
});
