// Features for the sentiment model (sentiment-model.ts), shared by the runtime and by the training and
// tuning scripts (scripts/train-sentiment-words.ts, scripts/tune-sentiment.ts) so both see the same
// numbers. See docs/jobs.md "Sentiment" for the method, its data and their licences.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import vader from 'vader-sentiment';

import { prepareForVader, symbolsOnly } from './sentiment-prepare.js';
import words from './sentiment-words.json' with { type: 'json' };

/**
 * The features by kind (the tuner, scripts/tune-sentiment.ts, compares subsets of these groups). Their
 * concatenation is the feature order, which the weights file repeats so a mismatch fails loudly.
 */
export const FEATURE_GROUPS = {
  vader: ['bias', 'vader_compound', 'vader_pos', 'vader_neg', 'vader_neu'],
  words: ['words_sum', 'words_mean'],
  cues: [
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
  intensity: ['max_pos', 'max_neg', 'max_abs', 'polar_count', 'no_polar'],
  structure: ['content_share', 'question_start'],
} as const;

/** Names of the features, in order. */
export const FEATURE_NAMES: readonly string[] = Object.values(FEATURE_GROUPS).flat();

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
// The lexicon's valences (-4 … +4) also give the strongest polar word on each side.
let lexicon: Map<string, number> | undefined;
function lexiconValences(): Map<string, number> {
  if (!lexicon) {
    const file = createRequire(import.meta.url).resolve('vader-sentiment/vader_lexicon.txt');
    lexicon = new Map();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [word, valence] = line.split('\t');
      if (word && valence) lexicon.set(word, Number(valence));
    }
  }
  return lexicon;
}

interface VaderScores {
  compound: number;
  pos: number;
  neg: number;
  neu: number;
  /** Strongest positive and negative lexicon valence among the words (0 without any), and how many words are in the lexicon. */
  maxPos: number;
  maxNeg: number;
  polarWords: number;
}

function vaderScores(prepared: string): VaderScores {
  const lex = lexiconValences();
  let maxPos = 0;
  let maxNeg = 0;
  let polarWords = 0;
  for (const raw of prepared.split(/\s+/)) {
    if (!raw) continue;
    const lower = raw.toLowerCase();
    const valence = lex.get(lower) ?? lex.get(lower.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''));
    if (valence === undefined) continue;
    polarWords++;
    if (valence > maxPos) maxPos = valence;
    if (-valence > maxNeg) maxNeg = -valence;
  }
  if (!polarWords) return { compound: 0, pos: 0, neg: 0, neu: 1, maxPos, maxNeg, polarWords };
  return { ...vader.SentimentIntensityAnalyzer.polarity_scores(prepared), maxPos, maxNeg, polarWords };
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
  const emojiPos = count(EMOJI_POS, text);
  const emojiNeg = count(EMOJI_NEG, text);
  const parts = text.split(/\s+/).filter(Boolean);
  const content = parts.filter((p) => !/^(?:@\w+|https?:\/\/\S+|www\.\S+|#\w+)$/i.test(p)).length;
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
    Math.min(emojiPos, 3) / 3,
    Math.min(emojiNeg, 3) / 3,
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
    // How strong the strongest polar word is, on either side, and whether there is any at all: neutral
    // text has none or only weak ones ("like", "want"), where the shares above cannot tell weak from absent.
    v.maxPos / 4,
    v.maxNeg / 4,
    Math.max(v.maxPos, v.maxNeg) / 4,
    Math.min(v.polarWords, 4) / 4,
    v.polarWords || emojiPos || emojiNeg ? 0 : 1,
    // Share of the text that is words rather than mentions, links and tags; a question from its first word.
    parts.length ? content / parts.length : 0,
    /^\s*(?:who|what|when|where|why|how|is|are|do|does|did|can|could|will|would|should)\b/i.test(text) ? 1 : 0,
  ];
}

const WORDS: Record<string, number> = words;

/**
 * Features of a text as the model sees it: English text in full; other languages only through their
 * emoji and emoticons (English lexicon hits there are false friends: "die", "favor"). Undefined when
 * nothing is left to score.
 */
export function textFeatures(text: string, english = true): number[] | undefined {
  const input = english ? text : symbolsOnly(text);
  return input.trim() ? sentimentFeatures(input, WORDS) : undefined;
}
