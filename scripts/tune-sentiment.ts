// Chooses the sentiment method and fits its few combination weights, looking ONLY at the tuning half of
// the TweetEval validation split (scripts/eval-summaries.ts, splitTweetEval); the untouched half is never
// read here. Candidates are compared by 5-fold cross-validated macro-recall inside the tuning half:
//   - lexicon: VADER compound with two thresholds (the previous method's form), thresholds by grid;
//   - logistic regression (balanced class weights, L2) over feature subsets and L2 strengths.
// The winner is refitted on the whole tuning half and written to sentiment-weights.json (3 × 14 numbers).
// The word polarities inside the features come from scripts/train-sentiment-words.ts (a public corpus),
// not from the evaluation data.
//
// Usage: EVAL_DIR=… tsx scripts/tune-sentiment.ts [--write]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { detectLanguage } from '../src/modules/summaries/local/language.js';
import { FEATURE_NAMES } from '../src/modules/summaries/local/sentiment-features.js';
import { softmaxScores, textFeatures, type LinearModel } from '../src/modules/summaries/local/sentiment-model.js';
import { loadTweetEval, splitTweetEval } from './eval-summaries.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const F = FEATURE_NAMES.length;

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function macroRecall(gold: number[], pred: number[]): { macro: number; recalls: number[] } {
  const hits = [0, 0, 0];
  const totals = [0, 0, 0];
  gold.forEach((g, i) => {
    totals[g]!++;
    if (pred[i] === g) hits[g]!++;
  });
  const recalls = hits.map((h, c) => h / Math.max(1, totals[c]!));
  return { macro: recalls.reduce((a, b) => a + b, 0) / 3, recalls };
}

/** Multinomial logistic regression, full-batch gradient descent, balanced class weights, L2 (not on bias). */
function fitLogistic(X: number[][], y: number[], mask: boolean[], l2: number, iterations = 800): LinearModel {
  const n = X.length;
  const classCount = [0, 0, 0];
  for (const c of y) classCount[c]!++;
  const cw = classCount.map((c) => n / (3 * Math.max(1, c)));
  const W = new Float64Array(3 * F);
  const G = new Float64Array(3 * F);
  const z = new Float64Array(3);
  const lr = 1;
  for (let it = 0; it < iterations; it++) {
    G.fill(0);
    for (let i = 0; i < n; i++) {
      const x = X[i]!;
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let f = 0; f < F; f++) if (mask[f]) s += W[c * F + f]! * x[f]!;
        z[c] = s;
      }
      const max = Math.max(z[0]!, z[1]!, z[2]!);
      let sum = 0;
      for (let c = 0; c < 3; c++) sum += z[c] = Math.exp(z[c]! - max);
      const w = cw[y[i]!]!;
      for (let c = 0; c < 3; c++) {
        const d = w * (z[c]! / sum - (y[i] === c ? 1 : 0));
        for (let f = 0; f < F; f++) if (mask[f]) G[c * F + f]! += d * x[f]!;
      }
    }
    for (let k = 0; k < 3 * F; k++) {
      const f = k % F;
      if (!mask[f]) continue;
      W[k]! -= lr * (G[k]! / n + (f === 0 ? 0 : l2 * W[k]!));
    }
  }
  const weights = [0, 1, 2].map((c) => Array.from(W.slice(c * F, c * F + F), (v) => Math.round(v * 1e4) / 1e4));
  return { features: FEATURE_NAMES, weights };
}

const predictLogistic = (m: LinearModel) => (x: number[]) => {
  const p = softmaxScores(x, m);
  return p.indexOf(Math.max(...p));
};

function fitThresholds(X: number[][], y: number[]): (x: number[]) => number {
  let best = { macro: -1, pos: 0, neg: 0 };
  for (let pos = 0; pos <= 0.6; pos += 0.025) {
    for (let neg = -0.6; neg <= 0; neg += 0.025) {
      const pred = X.map((x) => (x[1]! >= pos ? 2 : x[1]! <= neg ? 0 : 1));
      const { macro } = macroRecall(y, pred);
      if (macro > best.macro) best = { macro, pos, neg };
    }
  }
  return (x) => (x[1]! >= best.pos ? 2 : x[1]! <= best.neg ? 0 : 1);
}

function stratifiedFolds(y: number[], k: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const fold = new Array<number>(y.length).fill(0);
  for (const c of [0, 1, 2]) {
    const idx = y.map((v, i) => (v === c ? i : -1)).filter((i) => i >= 0);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    idx.forEach((i, r) => {
      fold[i] = r % k;
    });
  }
  return fold;
}

type Fitter = (X: number[][], y: number[]) => (x: number[]) => number;
type Row = number[] | undefined;

// A text with nothing to score (non-English without emoji) is neutral at run time; so it is here.
const withNeutral = (predict: (x: number[]) => number) => (x: Row) => (x ? predict(x) : 1);

function crossValidate(X: Row[], y: number[], fit: Fitter, k = 5, seed = 7): { macro: number; recalls: number[] } {
  const folds = stratifiedFolds(y, k, seed);
  const gold: number[] = [];
  const pred: number[] = [];
  for (let f = 0; f < k; f++) {
    const train = X.map((x, i) => i).filter((i) => folds[i] !== f && X[i]);
    const predict = withNeutral(
      fit(
        train.map((i) => X[i]!),
        train.map((i) => y[i]!),
      ),
    );
    X.forEach((x, i) => {
      if (folds[i] !== f) return;
      gold.push(y[i]!);
      pred.push(predict(x));
    });
  }
  return macroRecall(gold, pred);
}

const SUBSETS: Record<string, string[]> = {
  vader: ['bias', 'vader_compound', 'vader_pos', 'vader_neg', 'vader_neu'],
  words: ['bias', 'words_sum', 'words_mean', 'negation', 'length'],
  'vader+words': ['bias', 'vader_compound', 'vader_pos', 'vader_neg', 'vader_neu', 'words_sum', 'words_mean'],
  'vader+cues': [
    'bias',
    'vader_compound',
    'vader_pos',
    'vader_neg',
    'vader_neu',
    'emoji_pos',
    'emoji_neg',
    'exclamation',
    'question',
    'negation',
    'length',
    'url',
    'compound_sq',
    'first_person',
    'title_case',
    'digits',
    'hashtags',
  ],
  all: [...FEATURE_NAMES],
};

function main(): void {
  const data = loadTweetEval();
  if (!data) throw new Error('TweetEval files not found (set EVAL_DIR)');
  const { tuning } = splitTweetEval(data.labels);
  const X: Row[] = [];
  const y: number[] = [];
  for (const i of tuning) {
    const text = data.texts[i]!;
    const english = detectLanguage(text) === 'en';
    X.push(textFeatures(text, english));
    y.push(data.labels[i]!);
  }
  console.log(
    `tuning half only: ${X.length} tweets (${X.filter((x) => !x).length} with nothing to score); 5-fold stratified cross-validation, macro-recall`,
  );
  const results: Array<{ name: string; macro: number; recalls: number[]; subset?: string; l2?: number }> = [];
  const show = (name: string, r: { macro: number; recalls: number[] }) =>
    console.log(
      `  ${name.padEnd(34)} ${(100 * r.macro).toFixed(2)}   (neg ${(100 * r.recalls[0]!).toFixed(1)}, neu ${(100 * r.recalls[1]!).toFixed(1)}, pos ${(100 * r.recalls[2]!).toFixed(1)})`,
    );
  const lex = crossValidate(X, y, fitThresholds);
  show('lexicon: VADER + 2 thresholds', lex);
  results.push({ name: 'lexicon', ...lex });
  for (const [subset, names] of Object.entries(SUBSETS)) {
    const mask = FEATURE_NAMES.map((f) => names.includes(f));
    for (const l2 of [0.001, 0.01, 0.03]) {
      const r = crossValidate(X, y, (tx, ty) => predictLogistic(fitLogistic(tx, ty, mask, l2)));
      const name = `logistic ${subset} l2=${l2}`;
      show(name, r);
      results.push({ name, subset, l2, ...r });
    }
  }
  const best = results.reduce((a, b) => (b.macro > a.macro ? b : a));
  console.log(`\nbest by cross-validation: ${best.name} (${(100 * best.macro).toFixed(2)})`);
  if (!best.subset) {
    console.log('the lexicon won: keep the thresholds form (not written)');
    return;
  }
  const mask = FEATURE_NAMES.map((f) => SUBSETS[best.subset!]!.includes(f));
  const train = X.map((x, i) => i).filter((i) => X[i]);
  const m = fitLogistic(
    train.map((i) => X[i]!),
    train.map((i) => y[i]!),
    mask,
    best.l2!,
  );
  const fitted = macroRecall(y, X.map(withNeutral(predictLogistic(m))));
  show('refit on the whole tuning half (in-sample)', fitted);
  if (process.argv.includes('--write')) {
    const file = path.join(repoRoot, 'src/modules/summaries/local/sentiment-weights.json');
    const out = {
      note: `Fitted by scripts/tune-sentiment.ts on the tuning half only; ${best.name}; 5-fold CV macro-recall ${(100 * best.macro).toFixed(2)}`,
      features: m.features,
      classes: ['negative', 'neutral', 'positive'],
      weights: m.weights,
    };
    writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
    console.log(`written ${path.relative(repoRoot, file)}`);
  }
}

main();
