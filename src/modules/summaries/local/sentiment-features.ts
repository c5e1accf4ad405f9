// Features for the sentiment model (sentiment-model.ts), shared by the runtime and by the training and
// tuning scripts (scripts/train-sentiment-words.ts, scripts/tune-sentiment.ts) so both see the same
// numbers. See docs/jobs.md "Sentiment" for the method, its data and their licences.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import vader from 'vader-sentiment';

import { prepareForVader } from './sentiment-prepare.js';

/** Names of the features, in order; the weights file repeats them so a mismatch fails loudly. */
export const FEATURE_NAMES = [
  'bias',
  'vader_compound',
  'vader_pos',
  'vader_neg',
  'vader_neu',
  'words_sum',
  'words_mean',
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
] as const;

const NEGATOR =
  /^(?:not|no|never|nothing|nobody|none|nor|neither|cannot|without|\w+n't|dont|cant|wont|isnt|didnt|doesnt|wasnt|arent|couldnt|shouldnt|wouldnt|aint)$/;
const CLAUSE_END = /^[.,!?;:]+$/;

/**
 * Lower-cased word tokens with negation scope: every word after a negator up to the next punctuation
 * gets a `not_` prefix ("not good" → not, not_good), the standard trick for bag-of-words polarity.
 */
export function polarityTokens(text: string): string[] {
  const raw =
    text
      .toLowerCase()
      .replace(/[’‘]/g, "'")
      .match(/[a-z][a-z']*|[.,!?;:]+/g) ?? [];
  const out: string[] = [];
  let negated = false;
  for (const t of raw) {
    if (CLAUSE_END.test(t)) {
      negated = false;
      continue;
    }
    const w = t.replace(/^'+|'+$/g, '');
    if (!w) continue;
    out.push(negated ? `not_${w}` : w);
    if (NEGATOR.test(w)) negated = true;
  }
  return out;
}

// Emoji and emoticons by polarity (hand-picked, as in sentiment.ts); counted on the raw text.
const EMOJI_POS =
  /[😍🥰😘😻❤💕💖💗💓💞💙💚💛💜🧡🤍♥😀😁😃😄😆😊🙂😇🥳🤗😋😎😺😸😂🤣😹👍👌🙌👏💪✌🎉🎊💯✨⭐🌟🏆🥇😉😜😝😛🤪]|(?:^|\s)[:;=8][-'^o]?[)\]dDpP3*]+(?=\s|$)|<3/gu;
const EMOJI_NEG = /[😢😭😿💔😞😔😟🙁☹😥😓😪😠😡🤬👿💢😤😩😫😖😣🤮🤢👎🙄😒😑😬🤦😱😨😰]|(?:^|\s)[:;=8][-'^o]?[([/\\|]+(?=\s|$)/gu;

// VADER costs ~4 µs a word: text without any lexicon entry is not sent to it (it would score 0 anyway).
let lexicon: Set<string> | undefined;
function lexiconWords(): Set<string> {
  if (!lexicon) {
    const file = createRequire(import.meta.url).resolve('vader-sentiment/vader_lexicon.txt');
    lexicon = new Set(
      readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.split('\t')[0]!),
    );
  }
  return lexicon;
}

function vaderScores(prepared: string): { compound: number; pos: number; neg: number; neu: number } {
  const lex = lexiconWords();
  let hit = false;
  for (const raw of prepared.split(/\s+/)) {
    if (!raw) continue;
    const lower = raw.toLowerCase();
    if (lex.has(lower) || lex.has(lower.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))) {
      hit = true;
      break;
    }
  }
  if (!hit) return { compound: 0, pos: 0, neg: 0, neu: 1 };
  return vader.SentimentIntensityAnalyzer.polarity_scores(prepared);
}

const count = (re: RegExp, s: string) => (s.match(re) ?? []).length;

/** Share of words, other than the first, written in Title Case. */
function titleCaseShare(text: string): number {
  const words = text.match(/[\p{L}][\p{L}'’-]*/gu) ?? [];
  if (words.length < 2) return 0;
  let titled = 0;
  for (let i = 1; i < words.length; i++) if (/^\p{Lu}\p{Ll}/u.test(words[i]!)) titled++;
  return titled / (words.length - 1);
}

/**
 * The feature vector of one text (a tweet, a turn or a sentence). `words` maps polarity tokens to
 * their log-odds of positive against negative, learnt from a labelled corpus.
 */
export function sentimentFeatures(text: string, words: Record<string, number>): number[] {
  const prepared = prepareForVader(text);
  const v = vaderScores(prepared);
  const tokens = polarityTokens(prepared);
  let sum = 0;
  let hits = 0;
  for (const t of tokens) {
    const w = words[t];
    if (w !== undefined) {
      sum += w;
      hits++;
    }
  }
  return [
    1,
    v.compound,
    v.pos,
    v.neg,
    v.neu,
    Math.tanh(sum / 4),
    hits ? sum / hits / 2 : 0,
    Math.min(count(EMOJI_POS, text), 3) / 3,
    Math.min(count(EMOJI_NEG, text), 3) / 3,
    Math.min(count(/!/g, text), 3) / 3,
    /\?/.test(text) ? 1 : 0,
    tokens.some((t) => NEGATOR.test(t)) ? 1 : 0,
    Math.log1p(tokens.length) / 4,
    /https?:\/\/|www\./i.test(text) ? 1 : 0,
    v.compound * v.compound,
    // Objective, news-like text (names, dates, numbers, tags) is mostly neutral; "I/me/my" leans personal.
    /\b(?:i|i'm|im|me|my|mine|myself)\b/i.test(text) ? 1 : 0,
    titleCaseShare(text),
    /\d/.test(text) ? 1 : 0,
    Math.min(count(/#\w/g, text), 3) / 3,
  ];
}
