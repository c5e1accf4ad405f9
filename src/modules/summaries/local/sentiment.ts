// Sentiment of a conversation, aggregated from its turns; each text is classified by the model in
// sentiment-model.ts. Method, data, licences and measured figures: docs/jobs.md "Sentiment".
import { argmaxClass, textProbabilities, type Sentiment } from './sentiment-model.js';
import { splitSentences } from './text.js';

export type { Sentiment } from './sentiment-model.js';

/** A text this short (a tweet, one message) is classified as a whole, the way the model was fitted. */
const SHORT_TEXT = 280;
/** The last turn counts this many times as much as the first; weights grow linearly in between. */
export const RECENCY_RATIO = 2;
/** A turn at least this surely negative, among the last two, makes the conversation negative. */
export const STRONG_NEGATIVE = 0.6;
/**
 * Only the last units are scored: the earliest carry the least weight, and scoring costs ~5 µs a word,
 * so a long thread would otherwise cost more than the rest of its summary.
 */
export const MAX_UNITS = 16;

/**
 * Units to classify, in order: each turn, or the sentences of a turn longer than a tweet (the model
 * was fitted on tweet-length texts).
 */
function units(turns: string[]): string[] {
  return turns.flatMap((t) => (t.length <= SHORT_TEXT ? [t] : splitSentences(t))).filter((t) => t.trim());
}

/**
 * Aggregates per-unit probabilities [negative, neutral, positive]:
 * 1. strong-negative rule: if one of the last two units is negative with probability ≥ STRONG_NEGATIVE,
 *    the conversation is negative (how it ends matters: a customer's angry last message is not
 *    outvoted by the pleasantries before it);
 * 2. otherwise the recency-weighted mean of the probabilities (weight 1 for the first unit rising
 *    linearly to RECENCY_RATIO for the last) decides by its largest class.
 */
export function aggregateSentiment(probabilities: number[][]): Sentiment {
  const n = probabilities.length;
  if (!n) return 'neutral';
  for (const p of probabilities.slice(-2)) {
    if (p[0]! >= STRONG_NEGATIVE) return 'negative';
  }
  const mean = [0, 0, 0];
  let total = 0;
  probabilities.forEach((p, i) => {
    const w = n === 1 ? 1 : 1 + ((RECENCY_RATIO - 1) * i) / (n - 1);
    for (let c = 0; c < 3; c++) mean[c]! += w * p[c]!;
    total += w;
  });
  return argmaxClass(mean.map((v) => v / total));
}

/**
 * Sentiment of a conversation given its turns' texts (in order) and the whole prose. Short input (a
 * tweet, a single message) is classified as one text; longer input by its last MAX_UNITS units.
 */
export function detectSentiment(turns: string[], whole: string, english = true): Sentiment {
  if (whole.length <= SHORT_TEXT) return argmaxClass(textProbabilities(whole, english));
  const parts = units(turns.length ? turns : [whole]).slice(-MAX_UNITS);
  return aggregateSentiment(parts.map((t) => textProbabilities(t, english)));
}
