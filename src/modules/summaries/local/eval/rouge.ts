// ROUGE-N and ROUGE-L F1 following Google's rouge-score package with use_stemmer=True: lowercase, every
// run of characters outside [a-z0-9] separates tokens, tokens longer than 3 characters are Porter-stemmed
// (the `stemmer` package implements Martin Porter's original algorithm, as rouge-score asks NLTK for).
import { stemmer } from 'stemmer';

export interface RougeScore {
  precision: number;
  recall: number;
  f: number;
}

const stemCache = new Map<string, string>();

export function rougeTokens(text: string): string[] {
  const tokens = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
  return tokens.map((t) => {
    if (t.length <= 3) return t;
    let s = stemCache.get(t);
    if (s === undefined) {
      s = stemmer(t);
      stemCache.set(t, s);
    }
    return s;
  });
}

function score(overlap: number, candidateTotal: number, referenceTotal: number): RougeScore {
  const precision = candidateTotal ? overlap / candidateTotal : 0;
  const recall = referenceTotal ? overlap / referenceTotal : 0;
  const f = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f };
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function rougeN(reference: string[], candidate: string[], n: number): RougeScore {
  const ref = ngramCounts(reference, n);
  const cand = ngramCounts(candidate, n);
  let overlap = 0;
  for (const [k, c] of cand) overlap += Math.min(c, ref.get(k) ?? 0);
  return score(overlap, Math.max(0, candidate.length - n + 1), Math.max(0, reference.length - n + 1));
}

function lcsTable(a: string[], b: string[]): number[][] {
  const t: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      t[i]![j] = a[i - 1] === b[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
    }
  }
  return t;
}

/** Sentence-level ROUGE-L: the longest common subsequence of the two whole token sequences. */
export function rougeL(reference: string[], candidate: string[]): RougeScore {
  const t = lcsTable(reference, candidate);
  return score(t[reference.length]![candidate.length]!, candidate.length, reference.length);
}

function lcsIndices(a: string[], b: string[]): number[] {
  const t = lcsTable(a, b);
  const out: number[] = [];
  let i = a.length;
  let j = b.length;
  while (i > 0 && j > 0) {
    if (a[i - 1] === b[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (t[i - 1]![j]! >= t[i]![j - 1]!) i--;
    else j--;
  }
  return out.reverse();
}

/** Summary-level ROUGE-Lsum (union LCS over sentences), as rouge-score's "rougeLsum". */
export function rougeLsum(referenceSentences: string[][], candidateSentences: string[][]): RougeScore {
  const refCounts = new Map<string, number>();
  const candCounts = new Map<string, number>();
  for (const s of referenceSentences) for (const t of s) refCounts.set(t, (refCounts.get(t) ?? 0) + 1);
  for (const s of candidateSentences) for (const t of s) candCounts.set(t, (candCounts.get(t) ?? 0) + 1);
  let hits = 0;
  for (const ref of referenceSentences) {
    const union = new Set<number>();
    for (const cand of candidateSentences) for (const i of lcsIndices(ref, cand)) union.add(i);
    for (const i of [...union].sort((x, y) => x - y)) {
      const tok = ref[i]!;
      if ((refCounts.get(tok) ?? 0) > 0 && (candCounts.get(tok) ?? 0) > 0) {
        hits++;
        refCounts.set(tok, refCounts.get(tok)! - 1);
        candCounts.set(tok, candCounts.get(tok)! - 1);
      }
    }
  }
  const refTotal = referenceSentences.reduce((n, s) => n + s.length, 0);
  const candTotal = candidateSentences.reduce((n, s) => n + s.length, 0);
  return score(hits, candTotal, refTotal);
}
