// Web-search syntax (docs/spec/product.md §6): quoted phrases, OR, -exclusions, loose words.
//
// The meaning differs from PostgreSQL's websearch_to_tsquery on purpose: unquoted words are not all
// required. People type topic labels and loose phrases, so a conversation matching some of the words
// is found, and one matching more of them ranks higher. What is required:
//   - a quoted phrase ("pricing plan") — unless it is an alternative in an OR group with a loose word;
//   - at least one positive group, when the query has no required phrase;
//   - none of the -excluded words or phrases.
// Both engines turn this structure into their own query language; neither ever sees the raw text
// as syntax.

export interface Term {
  /** The words as typed, without quotes or a leading minus. */
  text: string;
  phrase: boolean;
}

/** One positive clause: a term, or terms joined by OR. */
export interface Group {
  alternatives: Term[];
  /** Every alternative is a quoted phrase: the document must match one of them. */
  required: boolean;
}

export interface ParsedQuery {
  groups: Group[];
  excluded: Term[];
}

type Token = { kind: 'term'; term: Term; negated: boolean } | { kind: 'or' };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = input.length;
  while (i < n) {
    const ch = input[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    let negated = false;
    let start = i;
    if (ch === '-' && i + 1 < n && !/[\s-]/.test(input[i + 1])) {
      negated = true;
      start = ++i;
    }
    if (input[start] === '"') {
      // A phrase runs to the closing quote, or to the end when the quote is never closed.
      const close = input.indexOf('"', start + 1);
      const end = close === -1 ? n : close;
      const text = input.slice(start + 1, end).trim();
      i = close === -1 ? n : close + 1;
      if (text) tokens.push({ kind: 'term', term: { text, phrase: true }, negated });
      continue;
    }
    let end = start;
    while (end < n && !/[\s"]/.test(input[end])) end++;
    const word = input.slice(start, end);
    i = end;
    if (!negated && word === 'OR') tokens.push({ kind: 'or' });
    else if (word.replace(/-/g, '') !== '') tokens.push({ kind: 'term', term: { text: word, phrase: false }, negated });
  }
  return tokens;
}

export function parseQuery(input: string): ParsedQuery {
  const groups: Group[] = [];
  const excluded: Term[] = [];
  let joinNext = false;
  let last: Group | undefined;
  for (const token of tokenize(input)) {
    if (token.kind === 'or') {
      // OR only joins two positive terms; at the start, at the end or before an exclusion it is ignored.
      joinNext = last !== undefined;
      continue;
    }
    if (token.negated) {
      excluded.push(token.term);
      joinNext = false;
      last = undefined;
      continue;
    }
    if (joinNext && last) last.alternatives.push(token.term);
    else {
      last = { alternatives: [token.term], required: false };
      groups.push(last);
    }
    joinNext = false;
  }
  for (const g of groups) g.required = g.alternatives.every((t) => t.phrase);
  return { groups, excluded };
}

/** Every positive term, in order (for highlighting and typo correction). */
export function positiveTerms(q: ParsedQuery): Term[] {
  return q.groups.flatMap((g) => g.alternatives);
}

/** The same query with each term's text rewritten (typo correction keeps the structure). */
export function mapTerms(q: ParsedQuery, fn: (t: Term) => Term): ParsedQuery {
  return {
    groups: q.groups.map((g) => ({ ...g, alternatives: g.alternatives.map(fn) })),
    excluded: q.excluded.map(fn),
  };
}
