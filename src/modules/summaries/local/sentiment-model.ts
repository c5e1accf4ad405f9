// The sentiment classifier of one text: multinomial logistic regression over a few features
// (sentiment-features.ts). Its word polarities come from a labelled public corpus (sentiment-words.json,
// scripts/train-sentiment-words.ts); its few combination weights from the tuning half of the evaluation
// split (sentiment-weights.json, scripts/tune-sentiment.ts). Method, data and licences: docs/jobs.md.
import { FEATURE_NAMES, textFeatures } from './sentiment-features.js';
import model from './sentiment-weights.json' with { type: 'json' };

export type Sentiment = 'positive' | 'neutral' | 'negative';
export const CLASSES: readonly Sentiment[] = ['negative', 'neutral', 'positive'];

export interface LinearModel {
  features: readonly string[];
  /** One row of weights per class, in CLASSES order. */
  weights: number[][];
}

if (model.features.join() !== FEATURE_NAMES.join()) {
  throw new Error('sentiment-weights.json does not match the feature list: run scripts/tune-sentiment.ts');
}

/** Class probabilities [negative, neutral, positive] for a feature vector. */
export function softmaxScores(x: number[], m: LinearModel): number[] {
  const z = m.weights.map((w) => w.reduce((s, wi, i) => s + wi * x[i]!, 0));
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export { textFeatures } from './sentiment-features.js';

/** Probabilities [negative, neutral, positive] of one text (a tweet, a turn, a message). */
export function textProbabilities(text: string, english = true, m: LinearModel = model): number[] {
  const x = textFeatures(text, english);
  // Nothing to score (empty, or a non-English text without emoji) is neutral.
  return x ? softmaxScores(x, m) : [0, 1, 0];
}

export function argmaxClass(p: number[]): Sentiment {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return CLASSES[best]!;
}
