// Measures the offline summarizer on the shared evaluation sets, read at run time only (their licences
// forbid copying them into the repository): ROUGE on SAMSum validation (and DialogSum dev when present),
// sentiment macro-recall on TweetEval sentiment validation, reported on a seeded tuning half and an
// untouched half (see splitTweetEval).
//
// Usage: tsx scripts/eval-summaries.ts   (EVAL_DIR overrides ../shared/eval; LIMIT=n evaluates n dialogues)
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { rougeL, rougeLsum, rougeN, rougeTokens } from '../src/modules/summaries/local/eval/rouge.js';
import { summarizeLocally } from '../src/modules/summaries/local/index.js';
import { splitSentences } from '../src/modules/summaries/local/text.js';
import { evalDir, loadTweetEval, SPLIT_SEED, splitTweetEval } from './tweeteval-split.js';

const limit = process.env.LIMIT ? Number(process.env.LIMIT) : Infinity;

interface Pair {
  dialogue: string;
  summary: string;
}

function pct(x: number): string {
  return (100 * x).toFixed(2);
}

function evaluateRouge(name: string, pairs: Pair[]): void {
  const sums = { r1: 0, r2: 0, rl: 0, rlsum: 0, words: 0 };
  const started = performance.now();
  const outputs = pairs.map((p) => summarizeLocally({ content: p.dialogue, source: 'api', style: 'concise' }).content);
  const elapsed = performance.now() - started;
  pairs.forEach((p, i) => {
    const ref = rougeTokens(p.summary);
    const cand = rougeTokens(outputs[i]!);
    sums.r1 += rougeN(ref, cand, 1).f;
    sums.r2 += rougeN(ref, cand, 2).f;
    sums.rl += rougeL(ref, cand).f;
    sums.rlsum += rougeLsum(splitSentences(p.summary).map(rougeTokens), splitSentences(outputs[i]!).map(rougeTokens)).f;
    sums.words += cand.length;
  });
  const n = pairs.length;
  console.log(`\n${name}: ${n} dialogues, summarized in ${elapsed.toFixed(0)} ms (${((n / elapsed) * 1000).toFixed(0)}/s)`);
  console.log(`  ROUGE-1 F1   ${pct(sums.r1 / n)}`);
  console.log(`  ROUGE-2 F1   ${pct(sums.r2 / n)}`);
  console.log(`  ROUGE-L F1   ${pct(sums.rl / n)}   (sentence-level LCS over the whole summary, rouge-score "rougeL")`);
  console.log(`  ROUGE-Lsum   ${pct(sums.rlsum / n)}   (summary-level union LCS over sentences, rouge-score "rougeLsum")`);
  console.log(`  mean output length ${(sums.words / n).toFixed(1)} tokens`);
  if (process.env.SHOW) {
    for (let i = 0; i < Math.min(n, Number(process.env.SHOW)); i++) {
      console.log(`\n--- ${i}\nREF: ${pairs[i]!.summary.trim()}\nOUT: ${outputs[i]}`);
    }
  }
}

function reportSentiment(name: string, texts: string[], labels: number[], indices: number[]): void {
  // Labels: 0 negative, 1 neutral, 2 positive (tweeteval-sentiment-mapping.txt).
  const classes = ['negative', 'neutral', 'positive'] as const;
  const hits = [0, 0, 0];
  const totals = [0, 0, 0];
  let correct = 0;
  const started = performance.now();
  for (const i of indices) {
    const predicted = summarizeLocally({ content: texts[i]!, source: 'api' }).sentiment;
    const gold = labels[i]!;
    totals[gold]!++;
    if (predicted === classes[gold]) {
      hits[gold]!++;
      correct++;
    }
  }
  const elapsed = performance.now() - started;
  const recalls = hits.map((h, i) => h / totals[i]!);
  const macro = recalls.reduce((a, b) => a + b, 0) / 3;
  console.log(
    `\n${name}: ${indices.length} tweets (${totals.join('/')} neg/neu/pos) in ${elapsed.toFixed(0)} ms (full summarizeLocally per tweet)`,
  );
  console.log(`  macro-recall ${pct(macro)}   accuracy ${pct(correct / indices.length)}`);
  console.log(`  recall negative ${pct(recalls[0]!)}, neutral ${pct(recalls[1]!)}, positive ${pct(recalls[2]!)}`);
}

function evaluateSentiment(): void {
  const data = loadTweetEval();
  if (!data) {
    console.log('\nTweetEval sentiment: files not found, skipped');
    return;
  }
  const { tuning, untouched } = splitTweetEval(data.labels);
  reportSentiment(`TweetEval sentiment validation, tuning half (seed ${SPLIT_SEED})`, data.texts, data.labels, tuning);
  reportSentiment('TweetEval sentiment validation, UNTOUCHED half (never used for any choice)', data.texts, data.labels, untouched);
}

function main(): void {
  console.log(`Evaluation data: ${evalDir}`);
  const samsumFile = path.join(evalDir, 'samsum-validation.json');
  if (existsSync(samsumFile)) {
    const data = JSON.parse(readFileSync(samsumFile, 'utf8')) as Pair[];
    evaluateRouge('SAMSum validation', data.slice(0, limit));
  } else {
    console.log('SAMSum validation: file not found, skipped');
  }
  const dialogsumFile = path.join(evalDir, 'dialogsum-dev.jsonl');
  if (existsSync(dialogsumFile) && !process.env.SKIP_DIALOGSUM) {
    const data = readFileSync(dialogsumFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Pair);
    evaluateRouge('DialogSum dev (secondary)', data.slice(0, limit));
  }
  evaluateSentiment();
}

main();
