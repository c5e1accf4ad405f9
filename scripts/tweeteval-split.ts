// The TweetEval sentiment validation split shared by the evaluation (scripts/eval-summaries.ts) and the
// tuning of the sentiment model (scripts/tune-sentiment.ts). Kept apart from the evaluation so the tuning
// script does not load the run-time summarizer and its current weights.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../bench/lib/seeded-random.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const evalDir = path.resolve(repoRoot, process.env.EVAL_DIR ?? '../shared/eval');

// The TweetEval validation tweets are split ONCE, with a fixed seed, into a tuning half (the only part any
// choice of method, threshold or weight may look at) and an untouched half (reported, never used for a
// choice). Stratified by label, so both halves keep the class balance. Changing SPLIT_SEED or the
// procedure invalidates the untouched half: don't.
export const SPLIT_SEED = 20261204;

/** Indices of the tuning half and the untouched half, stratified by label, seeded. */
export function splitTweetEval(labels: number[], seed = SPLIT_SEED): { tuning: number[]; untouched: number[] } {
  const rand = seededRandom(seed);
  const tuning: number[] = [];
  const untouched: number[] = [];
  for (const cls of [0, 1, 2]) {
    const idx = labels.map((l, i) => (l === cls ? i : -1)).filter((i) => i >= 0);
    // Fisher–Yates with the seeded generator.
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const half = Math.floor(idx.length / 2);
    tuning.push(...idx.slice(0, half));
    untouched.push(...idx.slice(half));
  }
  return { tuning: tuning.sort((a, b) => a - b), untouched: untouched.sort((a, b) => a - b) };
}

export function loadTweetEval(): { texts: string[]; labels: number[] } | undefined {
  const textFile = path.join(evalDir, 'tweeteval-sentiment-val-text.txt');
  const labelFile = path.join(evalDir, 'tweeteval-sentiment-val-labels.txt');
  if (!existsSync(textFile) || !existsSync(labelFile)) return undefined;
  const labels = readFileSync(labelFile, 'utf8').trim().split('\n').map(Number);
  const texts = readFileSync(textFile, 'utf8').split('\n').slice(0, labels.length);
  return { texts, labels };
}
