// Learns the word polarities of the local sentiment model from the UCI "Sentiment Labelled Sentences"
// corpus (Kotzias et al., KDD 2015; 3,000 review sentences from Amazon, IMDb and Yelp, 1 = positive,
// 0 = negative; UCI Machine Learning Repository, CC BY 4.0). The sentences come with the `sentiment`
// npm package (MIT; dev dependency, test/fixtures/*.json), so this runs offline from the npm registry.
// Only derived numbers (smoothed log-odds per token) are written; no sentence is copied.
//
// Usage: tsx scripts/train-sentiment-words.ts   → src/modules/summaries/local/sentiment-words.json
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { polarityTokens } from '../src/modules/summaries/local/sentiment-features.js';
import { prepareForVader } from '../src/modules/summaries/local/sentiment-prepare.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

// Tokens seen in fewer sentences than this are noise; |log-odds| below MIN_WEIGHT carries no polarity.
const MIN_DOCS = 3;
const MIN_WEIGHT = 0.25;
const ALPHA = 1;

interface Row {
  text: string;
  class: 0 | 1;
}

export function loadUci(): Row[] {
  return ['amazon', 'imdb', 'yelp'].flatMap((name) => {
    const file = require.resolve(`sentiment/test/fixtures/${name}.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as Row[]).filter((r) => r.text && (r.class === 0 || r.class === 1));
  });
}

/** Multinomial naive Bayes log-odds with Laplace smoothing; each token counted once per sentence. */
export function trainWords(rows: Row[]): Record<string, number> {
  const counts = [new Map<string, number>(), new Map<string, number>()];
  const docs = new Map<string, number>();
  const totals = [0, 0];
  for (const r of rows) {
    const seen = new Set(polarityTokens(prepareForVader(r.text)));
    for (const t of seen) {
      counts[r.class]!.set(t, (counts[r.class]!.get(t) ?? 0) + 1);
      docs.set(t, (docs.get(t) ?? 0) + 1);
      totals[r.class]! += 1;
    }
  }
  const vocab = docs.size;
  const out: Record<string, number> = {};
  for (const [t, d] of [...docs].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (d < MIN_DOCS) continue;
    const p = ((counts[1]!.get(t) ?? 0) + ALPHA) / (totals[1]! + ALPHA * vocab);
    const n = ((counts[0]!.get(t) ?? 0) + ALPHA) / (totals[0]! + ALPHA * vocab);
    const w = Math.log(p / n);
    if (Math.abs(w) >= MIN_WEIGHT) out[t] = Math.round(w * 100) / 100;
  }
  return out;
}

function main(): void {
  const rows = loadUci();
  const words = trainWords(rows);
  const file = path.join(repoRoot, 'src/modules/summaries/local/sentiment-words.json');
  writeFileSync(file, JSON.stringify(words) + '\n');
  console.log(`${rows.length} sentences → ${Object.keys(words).length} tokens with a polarity → ${path.relative(repoRoot, file)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
